//! Twilio voice webhook → TwiML that dials Synthflow over SIP.
//!
//! `GET` and `POST /redirect_call` answer `200 text/xml` with
//! `<Response><Dial><Sip>sip:+E164@endpoint?X-EI={CallSid}</Sip></Dial></Response>`; every
//! failure is a `4xx text/plain` line naming what was wrong. Nothing here panics or answers 5xx
//! for any request: events are screened for what `lambda_http`'s conversion would panic on
//! before they are converted.

use std::fmt::Write as _;

use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::http::header::{ALLOW, CONTENT_TYPE, HOST};
use lambda_http::http::{HeaderMap, HeaderValue, Method, StatusCode};
use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Body, Request, RequestExt, Response};
use shared::config::RedirectCallConfig;
use shared::phone::E164;
use shared::sip::{Header, HeaderName, SipUri};
use shared::twilio::{CallSid, Direction, WebhookParams};
use shared::twiml::{self, SipAttributes};

/// The webhook's path, as in the seed examples (existing Twilio configurations keep working).
pub const ROUTE: &str = "/redirect_call";
/// `Content-Type` of TwiML answers.
pub const TWIML_CONTENT_TYPE: &str = "text/xml";
/// `Content-Type` of error answers.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Header carrying Twilio's `Direction` on outbound calls.
pub const DIRECTION_HEADER: &str = "X-Direction";
/// Header carrying the number Twilio dialed on outbound calls.
pub const CALLEE_HEADER: &str = "X-Callee";

/// What the function holds between invocations, built once at cold start.
#[derive(Debug)]
pub struct State {
    config: RedirectCallConfig,
    sip: SipAttributes,
}

impl State {
    /// State for `config`, with `sip` written as the `<Sip>` attributes of every answer.
    pub fn new(config: RedirectCallConfig, sip: SipAttributes) -> Self {
        State { config, sip }
    }
}

/// Why a request gets no TwiML. Each maps to one 4xx status.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// Any path but [`ROUTE`] (404).
    #[error("not found: the webhook is GET or POST {ROUTE}")]
    NotFound,
    /// A method other than GET or POST (405).
    #[error("method not allowed: use GET or POST")]
    MethodNotAllowed,
    /// A POST body that is not a UTF-8 form (415).
    #[error("Content-Type: expected application/x-www-form-urlencoded (UTF-8)")]
    UnsupportedMediaType,
    /// An event no HTTP client following the standards could have produced (400).
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// A webhook parameter is missing or invalid (400).
    #[error(transparent)]
    Call(#[from] shared::Error),
}

impl Rejection {
    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::NotFound => StatusCode::NOT_FOUND,
            Rejection::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::Malformed(_) | Rejection::Call(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// A call that was answered with TwiML.
#[derive(Debug)]
struct Dialed {
    call_sid: CallSid,
    direction: Direction,
    number: E164,
    twiml: String,
    dropped: Vec<HeaderName>,
}

/// Entry point for the Lambda runtime: an API Gateway HTTP API (payload 2.0) event in, its
/// response out. Screens the event, converts it with `lambda_http`, answers with [`handle`].
pub async fn handle_event(
    state: &State,
    event: ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse {
    let response = match screen(&event) {
        Ok(()) => handle(state, &LambdaRequest::ApiGatewayV2(event).into()).await,
        Err(rejection) => finish(Err(rejection)),
    };
    into_apigw_response(response)
}

/// Answers one webhook request and logs one line about it.
pub async fn handle(state: &State, request: &Request) -> Response<Body> {
    finish(answer(state, request))
}

fn answer(state: &State, request: &Request) -> Result<Dialed, Rejection> {
    if route_path(request) != ROUTE {
        return Err(Rejection::NotFound);
    }
    let params = match *request.method() {
        Method::GET => WebhookParams::from_form(request.uri().query().unwrap_or("").as_bytes()),
        Method::POST => {
            check_form_content_type(request.headers(), request.body().as_ref())?;
            WebhookParams::from_form(request.body().as_ref())
        }
        _ => return Err(Rejection::MethodNotAllowed),
    };
    Ok(dial(&state.config, &state.sip, &params)?)
}

/// Decides what to dial for one call and writes the TwiML.
fn dial(
    config: &RedirectCallConfig,
    sip: &SipAttributes,
    params: &WebhookParams,
) -> Result<Dialed, shared::Error> {
    let call_sid =
        CallSid::parse(params.require("CallSid")?).map_err(|reason| invalid("CallSid", reason))?;
    let direction = match params.get_non_empty("Direction")? {
        Some(value) => Direction::parse(value).map_err(|reason| invalid("Direction", reason))?,
        None => Direction::Inbound,
    };
    let called = called_or_to(params)?;

    // Synthflow treats every call as incoming: the SIP request goes to the number bound to the
    // agent, which on an outbound call is our own number, `From`.
    let (number_param, number) = if direction.is_outbound() {
        ("From", params.require("From")?)
    } else {
        called.ok_or(shared::Error::MissingParameter { name: "Called" })?
    };
    let number = E164::from_twilio_param(number).map_err(|reason| invalid(number_param, reason))?;

    let required = [header(
        HeaderName::EXTERNAL_ID,
        call_sid.as_str().to_owned(),
    )];
    let mut optional = Vec::with_capacity(2 + config.extra_headers.len());
    if direction.is_outbound() {
        optional.push(header(DIRECTION_HEADER, direction.as_str().to_owned()));
        if let Some((name, callee)) = called {
            if callee.contains(['\r', '\n', '\0']) {
                return Err(invalid(name, "holds a line break or NUL"));
            }
            optional.push(header(CALLEE_HEADER, callee.to_owned()));
        }
    }
    for extra in &config.extra_headers {
        if let Some(value) = extra.value.render(|name| params.first(name)) {
            optional.push(Header {
                name: extra.name.clone(),
                value,
            });
        }
    }

    let uri = SipUri::build(
        &number,
        &config.sip_endpoint,
        config.sip_transport,
        &required,
        &optional,
    )?;
    Ok(Dialed {
        twiml: twiml::dial_sip(&config.dial, sip, &uri.uri),
        call_sid,
        direction,
        number,
        dropped: uri.dropped,
    })
}

/// `Called`, or `To` when `Called` is absent or blank, with the name of the one used.
fn called_or_to(params: &WebhookParams) -> Result<Option<(&'static str, &str)>, shared::Error> {
    Ok(match params.get_non_empty("Called")? {
        Some(v) => Some(("Called", v)),
        None => params.get_non_empty("To")?.map(|v| ("To", v)),
    })
}

fn invalid(name: &'static str, reason: &'static str) -> shared::Error {
    shared::Error::InvalidParameter { name, reason }
}

fn header(name: &'static str, value: String) -> Header {
    Header {
        name: HeaderName::parse(name).expect("built-in header names are valid"),
        value,
    }
}

/// The request path without the API Gateway stage, which `lambda_http` puts in front of the
/// raw path for named stages.
fn route_path(request: &Request) -> &str {
    let path = request.uri().path();
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.as_deref(),
        _ => None,
    };
    match stage {
        Some(stage) if stage != "$default" => path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|p| p.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    }
}

/// A POST must carry a form; `charset`, when given, must be UTF-8 (Twilio sends
/// `application/x-www-form-urlencoded; charset=utf-8`). An empty body needs no type.
fn check_form_content_type(headers: &HeaderMap, body: &[u8]) -> Result<(), Rejection> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return if body.is_empty() {
            Ok(())
        } else {
            Err(Rejection::UnsupportedMediaType)
        };
    };
    let value = value
        .to_str()
        .map_err(|_| Rejection::UnsupportedMediaType)?;
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Rejection::UnsupportedMediaType);
    }
    let foreign_charset = parts.filter_map(|p| p.split_once('=')).any(|(key, value)| {
        key.trim().eq_ignore_ascii_case("charset")
            && !value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    if foreign_charset {
        return Err(Rejection::UnsupportedMediaType);
    }
    Ok(())
}

/// Refuses events whose conversion to an `http::Request` would panic inside `lambda_http`
/// (aws/aws-lambda-rust-runtime#461, #489): characters a URI may not hold raw, a host or scheme
/// the URL parser refuses, a body flagged base64 that is not.
fn screen(event: &ApiGatewayV2httpRequest) -> Result<(), Rejection> {
    let raw_ok = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"<>#".contains(&b) || b >= 0x80)
    };
    if !event.raw_query_string.as_deref().is_none_or(raw_ok) {
        return Err(Rejection::Malformed(
            "the query string holds characters that must be percent-encoded",
        ));
    }
    if !event
        .raw_path
        .as_deref()
        .is_none_or(|p| p.starts_with('/') && raw_ok(p))
    {
        return Err(Rejection::Malformed(
            "the path holds characters that must be percent-encoded",
        ));
    }
    let host = event.headers.get(HOST).map(HeaderValue::to_str);
    let host_ok = match host {
        Some(Ok(host)) => is_authority(host),
        Some(Err(_)) => false,
        None => event
            .request_context
            .domain_name
            .as_deref()
            .is_none_or(is_authority),
    };
    if !host_ok {
        return Err(Rejection::Malformed("Host is not a host name"));
    }
    let proto = event
        .headers
        .get("x-forwarded-proto")
        .map(HeaderValue::to_str);
    if !matches!(proto, None | Some(Ok("http" | "https"))) {
        return Err(Rejection::Malformed(
            "X-Forwarded-Proto must be http or https",
        ));
    }
    if event.is_base64_encoded {
        use base64::Engine as _;
        let body = event.body.as_deref().unwrap_or_default();
        if base64::engine::general_purpose::STANDARD
            .decode(body)
            .is_err()
        {
            return Err(Rejection::Malformed(
                "the body is flagged base64 but is not",
            ));
        }
    }
    Ok(())
}

/// `host` or `host:port`, as the URL parser accepts it after `https://`.
fn is_authority(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        && url::Url::parse(&format!("https://{s}/")).is_ok()
}

/// Builds the HTTP answer and logs the request's one line.
fn finish(result: Result<Dialed, Rejection>) -> Response<Body> {
    match result {
        Ok(dialed) => {
            if dialed.dropped.is_empty() {
                tracing::info!(
                    call_sid = %dialed.call_sid,
                    direction = %dialed.direction,
                    number = %dialed.number.masked(),
                    outcome = "dialed",
                    status = 200,
                    "redirect_call"
                );
            } else {
                let dropped = dialed.dropped.iter().fold(String::new(), |mut s, name| {
                    let _ = write!(s, "{}{name}", if s.is_empty() { "" } else { "," });
                    s
                });
                tracing::warn!(
                    call_sid = %dialed.call_sid,
                    direction = %dialed.direction,
                    number = %dialed.number.masked(),
                    outcome = "dialed",
                    status = 200,
                    dropped_headers = %dropped,
                    "redirect_call: optional SIP headers dropped to stay within Twilio's URI limits"
                );
            }
            reply(StatusCode::OK, TWIML_CONTENT_TYPE, dialed.twiml)
        }
        Err(rejection) => {
            let status = rejection.status();
            tracing::warn!(
                outcome = "rejected",
                status = status.as_u16(),
                reason = %rejection,
                "redirect_call"
            );
            let mut response = reply(status, TEXT_CONTENT_TYPE, format!("{rejection}\n"));
            if status == StatusCode::METHOD_NOT_ALLOWED {
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("GET, POST"));
            }
            response
        }
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// HTTP API payload 2.0 response: status, headers, text body (never base64).
fn into_apigw_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    out.body = Some(body);
    out.is_base64_encoded = false;
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    /// One entry of `events/redirect-call/cases.json`, written by
    /// `scripts/redirect_call_cases.py` from twilio-python's output.
    #[derive(Debug, Deserialize)]
    struct Case {
        event: String,
        name: String,
        env: BTreeMap<String, String>,
        status: u16,
        content_type: String,
        body: Option<String>,
        mentions: Option<String>,
    }

    fn events_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/redirect-call")
    }

    fn read(path: PathBuf) -> String {
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn state(env: &BTreeMap<String, String>) -> State {
        let config =
            RedirectCallConfig::from_lookup(|k| env.get(k).cloned()).expect("case env is valid");
        State::new(config, SipAttributes::default())
    }

    fn text(body: Option<&Body>) -> &str {
        match body {
            Some(Body::Text(s)) => s,
            other => panic!("expected a text body, got {other:?}"),
        }
    }

    fn load(name: &str) -> ApiGatewayV2httpRequest {
        serde_json::from_str(&read(events_dir().join(name))).unwrap()
    }

    #[tokio::test]
    async fn every_committed_event_gets_its_answer() {
        let cases: Vec<Case> =
            serde_json::from_str(&read(events_dir().join("cases.json"))).unwrap();
        assert!(cases.len() >= 30, "cases.json holds {} cases", cases.len());
        let mut failures = Vec::new();
        for case in &cases {
            let json = read(events_dir().join(&case.event));
            let event: ApiGatewayV2httpRequest = serde_json::from_str(&json).unwrap();
            let state = state(&case.env);
            let response = handle_event(&state, event).await;
            let content_type = response
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let body = text(response.body.as_ref());
            let body_ok = match (&case.body, &case.mentions) {
                (Some(expected), _) => body == expected,
                (None, Some(field)) => {
                    body.contains(field.as_str())
                        && !body.contains("<Dial")
                        && !body.contains("sip:")
                }
                (None, None) => false,
            };
            if i64::from(case.status) != response.status_code
                || content_type != Some(case.content_type.as_str())
                || !body_ok
            {
                failures.push(format!(
                    "{}: got {} {content_type:?} {body:?}, want {} {} {:?}",
                    case.name,
                    response.status_code,
                    case.status,
                    case.content_type,
                    case.body.as_ref().or(case.mentions.as_ref())
                ));
            }
            // The same event through lambda_http's public parser gives the same answer.
            if case.status == 200 {
                let request = lambda_http::request::from_str(&json).unwrap();
                let direct = handle(&state, &request).await;
                assert_eq!(direct.status(), 200, "{}", case.name);
                assert_eq!(text(Some(direct.body())), body, "{}", case.name);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }

    #[tokio::test]
    async fn get_and_post_answer_alike() {
        let state = state(&BTreeMap::new());
        let get = handle_event(&state, load("get-inbound.json")).await;
        let post = handle_event(&state, load("post-inbound-full.json")).await;
        assert_eq!(get.status_code, 200);
        assert_eq!(get.body, post.body);
    }

    #[tokio::test]
    async fn method_not_allowed_names_the_allowed_ones() {
        let response = handle_event(&state(&BTreeMap::new()), load("bad-method.json")).await;
        assert_eq!(response.status_code, 405);
        assert_eq!(response.headers.get(ALLOW).unwrap(), "GET, POST");
    }

    #[tokio::test]
    async fn hand_built_requests() {
        let state = state(&BTreeMap::new());
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://example.com/redirect_call")
            .body(Body::from(
                "CallSid=CA0123456789abcdef0123456789abcdef&Called=%2B14155550123",
            ))
            .unwrap();
        assert_eq!(
            handle(&state, &request).await.status(),
            415,
            "a form body needs its Content-Type"
        );

        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://example.com/redirect_call")
            .body(Body::Empty)
            .unwrap();
        let response = handle(&state, &request).await;
        assert_eq!(response.status(), 400);
        assert!(text(Some(response.body())).contains("CallSid"));
    }

    /// Captures what the function logs, as Lambda's JSON log format would.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<serde_json::Value> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }
    }

    fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    #[tokio::test]
    async fn one_log_line_per_request_with_the_number_masked() {
        let (logs, _guard) = capture_logs();
        let state = state(&BTreeMap::new());
        handle_event(&state, load("post-inbound-full.json")).await;
        handle_event(&state, load("post-outbound-api.json")).await;
        handle_event(&state, load("bad-called-at.json")).await;

        let lines = logs.lines();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        let fields = |i: usize| &lines[i]["fields"];
        assert_eq!(fields(0)["call_sid"], "CA0123456789abcdef0123456789abcdef");
        assert_eq!(fields(0)["direction"], "inbound");
        assert_eq!(fields(0)["outcome"], "dialed");
        assert_eq!(fields(0)["number"], "+1415•••0123");
        assert_eq!(fields(1)["direction"], "outbound-api");
        assert_eq!(fields(2)["outcome"], "rejected");
        assert_eq!(fields(2)["status"], 400);
        let all = serde_json::to_string(&lines).unwrap();
        for number in ["+14155550123", "14155550123", "+16175551212", "6175551212"] {
            assert!(!all.contains(number), "{number} reached the logs: {all}");
        }
    }

    #[tokio::test]
    async fn dropped_headers_are_logged_as_a_warning() {
        let (logs, _guard) = capture_logs();
        let cases: Vec<Case> =
            serde_json::from_str(&read(events_dir().join("cases.json"))).unwrap();
        let case = cases
            .iter()
            .find(|c| c.name == "post-header-overflow")
            .unwrap();
        let response = handle_event(&state(&case.env), load(&case.event)).await;
        assert_eq!(response.status_code, 200);
        let lines = logs.lines();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["fields"]["dropped_headers"], "X-Caller-Name");
    }

    fn post_event(form: &[(&str, &str)]) -> ApiGatewayV2httpRequest {
        use base64::Engine as _;
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut event = load("post-inbound.json");
        event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        event
    }

    const DIAL_PREFIX: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>sip:+"#;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever Twilio's parameters hold, the answer is 200 or 400, and a 200 dials the
        /// configured endpoint with nothing but escaped headers after it.
        #[test]
        fn any_parameters_dial_only_the_endpoint(
            called in prop_oneof!["\\PC{0,40}", "[+ ]?[0-9]{5,16}", "sip:\\+[0-9]{11}@[a-z.:;=]{0,20}"],
            call_sid in prop_oneof!["\\PC{0,40}", "CA[0-9a-f]{32}"],
            direction in prop_oneof!["inbound", "outbound-api", "outbound-dial", "\\PC{0,12}"],
            from in prop_oneof!["\\PC{0,40}", "\\+[1-9][0-9]{10}"],
            caller_name in "\\PC{0,300}",
        ) {
            let env = BTreeMap::from([("SIP_EXTRA_HEADERS".to_owned(), "X-Name={CallerName},X-From={From}".to_owned())]);
            let state = state(&env);
            let event = post_event(&[
                ("CallSid", &call_sid), ("Called", &called), ("Direction", &direction),
                ("From", &from), ("CallerName", &caller_name),
            ]);
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let response = runtime.block_on(handle_event(&state, event));
            let body = text(response.body.as_ref());
            prop_assert!(response.status_code == 200 || response.status_code == 400, "{} {body}", response.status_code);
            if response.status_code == 200 {
                let rest = body.strip_prefix(DIAL_PREFIX).expect("dials a number");
                let (digits, rest) = rest.split_once('@').unwrap();
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                let headers = rest.strip_prefix("sipin.synthflow.ai:32681?X-EI=CA").unwrap();
                let headers = headers.strip_suffix("</Sip></Dial></Response>").unwrap();
                prop_assert!(headers.replace("&amp;", "&").bytes().all(|b| b.is_ascii_alphanumeric() || b"&=%-".contains(&b)), "{headers}");
            }
        }

        /// No event API Gateway could deliver makes the function panic or answer 5xx.
        #[test]
        fn no_event_panics(
            raw_query in "\\PC{0,60}",
            raw_path in prop_oneof!["/redirect_call", "\\PC{0,20}"],
            body in "\\PC{0,80}",
            base64_flag in any::<bool>(),
            host in prop_oneof!["h3x9k2m4p1.execute-api.us-east-1.amazonaws.com", "\\PC{0,20}"],
            method in prop_oneof!["GET", "POST", "PUT", "HEAD", "OPTIONS"],
        ) {
            let mut event = load("post-inbound.json");
            event.raw_query_string = Some(raw_query);
            event.raw_path = Some(raw_path);
            event.body = Some(body);
            event.is_base64_encoded = base64_flag;
            event.request_context.http.method = method.parse().unwrap();
            if let Ok(host) = HeaderValue::from_str(&host) {
                event.headers.insert(HOST, host);
            }
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let response = runtime.block_on(handle_event(&state(&BTreeMap::new()), event));
            prop_assert!((200..500).contains(&response.status_code), "{}", response.status_code);
        }
    }
}
