//! Twilio voice webhook → TwiML that dials Synthflow over SIP.
//!
//! `GET` and `POST /redirect_call` answer `200 text/xml` with
//! `<Response><Dial><Sip>sip:+E164@endpoint?X-EI={CallSid}</Sip></Dial></Response>`; every
//! failure is a `4xx text/plain` line naming what was wrong. Nothing here panics or answers 5xx
//! for any request: events are screened for what `lambda_http`'s conversion would panic on
//! before they are converted.

use std::sync::Arc;

use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::http::header::{ALLOW, CONTENT_TYPE, HOST};
use lambda_http::http::{HeaderMap, HeaderValue, Method, StatusCode};
use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::ExposeSecret;
use shared::config::{self, RedirectCallConfig};
use shared::phone::E164;
use shared::secrets::{CachedSecret, TwilioSecret};
use shared::sip::{Header, HeaderName, SipUri};
use shared::twilio::signature::{self, SHARED_KEY_SETTINGS_HEADER, SIGNATURE_HEADER};
use shared::twilio::{CallSid, Direction, WebhookParams};
use shared::twiml::{self, SipAttributes};

/// The webhook's path, as in the seed examples (existing Twilio configurations keep working).
pub const ROUTE: &str = "/redirect_call";
/// `Content-Type` of TwiML answers.
pub const TWIML_CONTENT_TYPE: &str = "text/xml";
/// Longest host (a DNS name and a port) accepted.
const MAX_HOST_LEN: usize = 253 + ":65535".len();
/// Longest raw path accepted; the webhook's is 14 characters (plus a stage or mapping prefix).
const MAX_PATH_LEN: usize = 2048;
/// Longest raw query string accepted: far above a GET webhook with every parameter Twilio sends
/// (about 2 KiB), far below what `lambda_http` can turn into a URI (64 KiB).
const MAX_QUERY_LEN: usize = 16 * 1024;
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
    twilio: Option<CachedSecret<TwilioSecret>>,
}

impl State {
    /// State for `config`. `twilio` holds the account's credentials: the auth token(s) that
    /// sign requests and optional SIP digest credentials written as `<Sip>` attributes.
    ///
    /// # Errors
    /// [`shared::Error::Config`] naming `TWILIO_SECRET_ID` when signature validation is on and
    /// there are no credentials to validate with.
    pub fn new(
        config: RedirectCallConfig,
        twilio: Option<CachedSecret<TwilioSecret>>,
    ) -> Result<Self, shared::Error> {
        if config.signature_validation && twilio.is_none() {
            return Err(shared::Error::Config {
                variable: config::TWILIO_SECRET_ID,
                reason: "required while signature validation is on".into(),
            });
        }
        Ok(State { config, twilio })
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
    /// Not signed by the Twilio account (403). `reason` and `url` are logged, not answered.
    #[error("forbidden: missing or invalid X-Twilio-Signature")]
    Forbidden {
        /// Why the signature was refused.
        reason: &'static str,
        /// The URL the signature was checked against, without its query string.
        url: String,
    },
    /// A host, path or query string longer than any Twilio webhook URL (414).
    #[error("URI too long")]
    UriTooLong,
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
            Rejection::Forbidden { .. } => StatusCode::FORBIDDEN,
            Rejection::UriTooLong => StatusCode::URI_TOO_LONG,
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
    finish(answer(state, request).await)
}

async fn answer(state: &State, request: &Request) -> Result<Dialed, Rejection> {
    if !is_webhook_route(request) {
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
    let mut secret = match &state.twilio {
        Some(cached) => Some(cached.current().await),
        None => None,
    };
    if let (true, Some(cached), Some(current)) = (
        state.config.signature_validation,
        &state.twilio,
        secret.as_mut(),
    ) {
        verify_signature(state, cached, current, request, &params).await?;
    }
    let sip = SipAttributes {
        username: secret.as_deref().and_then(|s| s.sip_username.as_deref()),
        password: secret
            .as_deref()
            .and_then(|s| s.sip_password.as_ref())
            .map(ExposeSecret::expose_secret),
    };
    Ok(dial(&state.config, &sip, &params)?)
}

/// Accepts the request when `X-Twilio-Signature` was made with the account's current or
/// previous auth token. On a mismatch the secret is fetched again once (it may just have been
/// rotated), at most every 30 s, and `current` replaced by what was fetched.
async fn verify_signature(
    state: &State,
    cached: &CachedSecret<TwilioSecret>,
    current: &mut Arc<TwilioSecret>,
    request: &Request,
    params: &WebhookParams,
) -> Result<(), Rejection> {
    let url = public_url(state, request);
    let forbidden = |reason| Rejection::Forbidden {
        reason,
        url: url.split('?').next().unwrap_or_default().to_owned(),
    };
    if request.headers().contains_key(SHARED_KEY_SETTINGS_HEADER) {
        return Err(forbidden(
            "signed with a webhook shared key (HMAC-SHA256), which is not supported",
        ));
    }
    let Some(header) = request.headers().get(SIGNATURE_HEADER) else {
        return Err(forbidden("no X-Twilio-Signature header"));
    };
    let header = header
        .to_str()
        .map_err(|_| forbidden("X-Twilio-Signature is not ASCII"))?;
    // GET requests sign the URL alone: the parameters are in its query string.
    let signed_params = if request.method() == Method::POST {
        params.pairs()
    } else {
        &[]
    };
    if signature::is_valid(&url, signed_params, header, current.auth_tokens()) {
        return Ok(());
    }
    if let Some(fresh) = cached.refresh_early().await
        && signature::is_valid(&url, signed_params, header, fresh.auth_tokens())
    {
        tracing::info!("auth token rotated: the refreshed secret validates the request");
        *current = fresh;
        return Ok(());
    }
    Err(forbidden("signature does not match"))
}

/// The URL Twilio called: `PUBLIC_BASE_URL` + `/redirect_call` when configured, else
/// `https://` + `Host` + stage (for named stages not already in the raw path) + raw path; then
/// the raw query string exactly as received.
fn public_url(state: &State, request: &Request) -> String {
    let mut url = match &state.config.public_base_url {
        Some(base) => format!("{base}{ROUTE}"),
        None => {
            let context = match request.request_context_ref() {
                Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
                _ => None,
            };
            let host = request
                .headers()
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| context.and_then(|c| c.domain_name.as_deref()))
                .unwrap_or_default();
            let raw_path = Some(request.raw_http_path())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| request.uri().path());
            let stage = context
                .and_then(|c| c.stage.as_deref())
                .filter(|s| *s != "$default")
                .filter(|s| !raw_path.starts_with(&format!("/{s}/")));
            match stage {
                Some(stage) => format!("https://{host}/{stage}{raw_path}"),
                None => format!("https://{host}{raw_path}"),
            }
        }
    };
    if let Some(query) = request.uri().query().filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    url
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
        if let Some((_, callee)) = called.filter(|(_, v)| is_header_value(v)) {
            optional.push(header(CALLEE_HEADER, callee.to_owned()));
        }
    }
    for extra in &config.extra_headers {
        if let Some(value) = extra.value.render(|name| params.unique(name)) {
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

/// Whether a parameter's value can travel as a SIP header (see
/// [`shared::sip::HeaderTemplate::render`]).
fn is_header_value(value: &str) -> bool {
    !value.contains(shared::sip::FORBIDDEN_IN_HEADER_VALUES)
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

/// Whether the request is for the webhook: API Gateway matched one of its routes (whatever
/// prefix a custom domain's API mapping puts in the raw path), or the path, without the stage,
/// is [`ROUTE`] (direct invocations, `cargo lambda watch`, a `$default` route).
fn is_webhook_route(request: &Request) -> bool {
    let route_key = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.as_deref(),
        _ => None,
    };
    let matched_route = route_key
        .and_then(|key| key.split_once(' '))
        .is_some_and(|(method, path)| path == ROUTE && matches!(method, "GET" | "POST"));
    matched_route || route_path(request) == ROUTE
}

/// The request path without the API Gateway stage, which `lambda_http` puts in front of the
/// raw path for named stages.
fn route_path(request: &Request) -> &str {
    // The raw path: the URI's path has had `.` and `..` segments resolved.
    let path = Some(request.raw_http_path())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| request.uri().path());
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

/// A POST must carry a UTF-8 form; `charset`, when given, must be UTF-8 (Twilio sends
/// `application/x-www-form-urlencoded; charset=utf-8`). An empty body needs no type.
fn check_form_content_type(headers: &HeaderMap, body: &[u8]) -> Result<(), Rejection> {
    if std::str::from_utf8(body).is_err() {
        return Err(Rejection::UnsupportedMediaType);
    }
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
    let too_long = |value: Option<&str>, max: usize| value.is_some_and(|v| v.len() > max);
    if too_long(event.raw_query_string.as_deref(), MAX_QUERY_LEN)
        || too_long(event.raw_path.as_deref(), MAX_PATH_LEN)
        || event
            .headers
            .get(HOST)
            .is_some_and(|h| h.len() > MAX_HOST_LEN)
        || too_long(event.request_context.domain_name.as_deref(), MAX_HOST_LEN)
    {
        return Err(Rejection::UriTooLong);
    }
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
                let dropped: Vec<&str> = dialed.dropped.iter().map(HeaderName::as_str).collect();
                let dropped = dropped.join(",");
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
            match &rejection {
                Rejection::Forbidden { reason, url } => tracing::warn!(
                    outcome = "rejected",
                    status = status.as_u16(),
                    reason,
                    url,
                    "redirect_call"
                ),
                _ => tracing::warn!(
                    outcome = "rejected",
                    status = status.as_u16(),
                    reason = %rejection,
                    "redirect_call"
                ),
            }
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};

    use moto_harness::MotoServer;
    use proptest::prelude::*;
    use proptest::test_runner::{Config as ProptestConfig, TestRunner};
    use serde::Deserialize;
    use shared::secrets::{DEFAULT_TTL, SecretStore};

    use super::*;

    /// One entry of `events/redirect-call/cases.json`, written by
    /// `scripts/redirect_call_cases.py` from twilio-python's output.
    #[derive(Debug, Deserialize)]
    struct Case {
        event: String,
        name: String,
        env: BTreeMap<String, String>,
        secret: serde_json::Value,
        status: u16,
        content_type: String,
        body: Option<String>,
        mentions: Option<String>,
    }

    /// The token the committed events are signed with (`TEST_AUTH_TOKEN` in the script).
    const TEST_AUTH_TOKEN: &str = "7f3a9c2e5b1d4f8a6c0e2b4d6f8a0c1e";
    const ACCOUNT_SID: &str = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    fn events_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/redirect-call")
    }

    fn read(path: PathBuf) -> String {
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn cases() -> Vec<Case> {
        serde_json::from_str(&read(events_dir().join("cases.json"))).unwrap()
    }

    fn load(name: &str) -> ApiGatewayV2httpRequest {
        serde_json::from_str(&read(events_dir().join(name))).unwrap()
    }

    /// One `moto_server` for the whole test binary; each test uses secrets of its own.
    fn moto() -> &'static MotoServer {
        static MOTO: OnceLock<MotoServer> = OnceLock::new();
        MOTO.get_or_init(MotoServer::start)
    }

    fn default_secret() -> serde_json::Value {
        serde_json::json!({"account_sid": ACCOUNT_SID, "auth_token": TEST_AUTH_TOKEN})
    }

    /// State as a cold start builds it: configuration from `env`, the Twilio secret `secret`
    /// stored in Secrets Manager (moto) and fetched through the SDK. Returns the secret's id.
    async fn signed_state(
        env: &BTreeMap<String, String>,
        secret: &serde_json::Value,
    ) -> (State, String) {
        signed_state_on(moto(), env, secret).await
    }

    async fn signed_state_on(
        moto: &MotoServer,
        env: &BTreeMap<String, String>,
        secret: &serde_json::Value,
    ) -> (State, String) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let id = format!(
            "redirect-call/test-{}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        moto.create_secret(&id, &secret.to_string()).await;
        let config = RedirectCallConfig::from_lookup(|k| match k {
            config::TWILIO_SECRET_ID => Some(id.clone()),
            _ => env.get(k).cloned(),
        })
        .expect("valid configuration");
        let store = SecretStore::new(moto.client());
        let twilio = CachedSecret::load(store, id.clone(), DEFAULT_TTL)
            .await
            .unwrap();
        (State::new(config, Some(twilio)).unwrap(), id)
    }

    async fn default_state() -> State {
        signed_state(&BTreeMap::new(), &default_secret()).await.0
    }

    /// Validation off, no secret: what `make run-unsigned` runs.
    fn unsigned_state(env: &[(&str, &str)]) -> State {
        let config = RedirectCallConfig::from_lookup(|k| match k {
            config::TWILIO_SIGNATURE_VALIDATION => Some("off".to_owned()),
            _ => env
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned()),
        })
        .unwrap();
        State::new(config, None).unwrap()
    }

    fn text(body: Option<&Body>) -> &str {
        match body {
            Some(Body::Text(s)) => s,
            other => panic!("expected a text body, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn every_committed_event_gets_its_answer() {
        let cases = cases();
        assert!(cases.len() >= 50, "cases.json holds {} cases", cases.len());
        let mut failures = Vec::new();
        for case in &cases {
            let json = read(events_dir().join(&case.event));
            let event: ApiGatewayV2httpRequest = serde_json::from_str(&json).unwrap();
            let (state, _) = signed_state(&case.env, &case.secret).await;
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
        let state = default_state().await;
        let get = handle_event(&state, load("get-inbound.json")).await;
        let post = handle_event(&state, load("post-inbound-full.json")).await;
        assert_eq!(get.status_code, 200);
        assert_eq!(get.body, post.body);
    }

    #[tokio::test]
    async fn method_not_allowed_names_the_allowed_ones() {
        let response = handle_event(&default_state().await, load("bad-method.json")).await;
        assert_eq!(response.status_code, 405);
        assert_eq!(response.headers.get(ALLOW).unwrap(), "GET, POST");
    }

    #[tokio::test]
    async fn hand_built_requests() {
        let state = unsigned_state(&[]);
        let post = |body: Body| {
            lambda_http::http::Request::builder()
                .method("POST")
                .uri("https://example.com/redirect_call")
                .body(body)
                .unwrap()
        };
        let form = "CallSid=CA0123456789abcdef0123456789abcdef&Called=%2B14155550123";
        let response = handle(&state, &post(Body::from(form))).await;
        assert_eq!(response.status(), 415, "a form body needs its Content-Type");

        let response = handle(&state, &post(Body::Empty)).await;
        assert_eq!(response.status(), 400);
        assert!(text(Some(response.body())).contains("CallSid"));

        let signed = default_state().await;
        let response = handle(&signed, &post(Body::Empty)).await;
        assert_eq!(
            response.status(),
            403,
            "validation comes before the parameters"
        );
    }

    #[tokio::test]
    async fn a_rotated_token_is_picked_up_by_one_early_refresh() {
        let moto = MotoServer::start();
        let (state, id) = signed_state_on(&moto, &BTreeMap::new(), &default_secret()).await;
        assert_eq!(moto.calls("GetSecretValue"), 1, "one fetch at cold start");
        // Rotation: the events' token becomes the previous one, a new token is current. The
        // state still holds the old secret; an event signed with the new token arrives.
        let new_token = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
        let rotated = serde_json::json!({
            "account_sid": ACCOUNT_SID, "auth_token": new_token, "previous_auth_token": TEST_AUTH_TOKEN
        });
        moto.put_secret_value(&id, &rotated.to_string()).await;
        let mut event = load("post-inbound.json");
        let signature = resign(&event, new_token);
        event
            .headers
            .insert(SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
        assert_eq!(handle_event(&state, event).await.status_code, 200);
        // Old-token requests keep working while previous_auth_token is in the secret.
        assert_eq!(
            handle_event(&state, load("post-inbound-full.json"))
                .await
                .status_code,
            200
        );
        // A bad signature right after gets its 403 without another fetch.
        assert_eq!(
            handle_event(&state, load("forbidden-wrong-token.json"))
                .await
                .status_code,
            403
        );
        assert_eq!(
            moto.calls("GetSecretValue"),
            2,
            "one early refresh, then rate limited"
        );
    }

    /// Signs a committed POST event again with `token` (twilio-python's algorithm, checked
    /// against Twilio's vectors in `shared::twilio::signature`).
    fn resign(event: &ApiGatewayV2httpRequest, token: &str) -> String {
        use base64::Engine as _;
        use hmac::{Hmac, KeyInit, Mac};
        let body = base64::engine::general_purpose::STANDARD
            .decode(event.body.as_deref().unwrap())
            .unwrap();
        let mut pairs = WebhookParams::from_form(&body).pairs().to_vec();
        pairs.sort();
        let mut data = format!(
            "https://{}{}",
            event.headers[HOST].to_str().unwrap(),
            event.raw_path.as_deref().unwrap()
        );
        for (k, v) in pairs {
            data.push_str(&k);
            data.push_str(&v);
        }
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
        mac.update(data.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
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

    /// Logs of this crate, at INFO and above, captured until the guard drops.
    fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter("redirect_call=info")
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    #[tokio::test]
    async fn one_log_line_per_request_with_the_number_masked() {
        let state = default_state().await;
        let (logs, _guard) = capture_logs();
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
    async fn forbidden_requests_log_why_without_secrets() {
        let state = default_state().await;
        let (logs, _guard) = capture_logs();
        handle_event(&state, load("forbidden-unsigned.json")).await;
        handle_event(&state, load("forbidden-wrong-token.json")).await;
        let lines = logs.lines();
        let reasons: Vec<_> = lines
            .iter()
            .map(|l| l["fields"]["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons,
            ["no X-Twilio-Signature header", "signature does not match"]
        );
        assert_eq!(
            lines[1]["fields"]["url"],
            "https://h3x9k2m4p1.execute-api.us-east-1.amazonaws.com/redirect_call"
        );
        let all = serde_json::to_string(&lines).unwrap();
        assert!(!all.contains(TEST_AUTH_TOKEN));
        let sent = load("forbidden-wrong-token.json").headers[SIGNATURE_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = resign(&load("forbidden-wrong-token.json"), TEST_AUTH_TOKEN);
        assert!(
            !all.contains(&sent) && !all.contains(&expected),
            "signatures are not logged"
        );
    }

    #[tokio::test]
    async fn dropped_headers_are_logged_as_a_warning() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "post-header-overflow")
            .unwrap();
        let (state, _) = signed_state(&case.env, &case.secret).await;
        let (logs, _guard) = capture_logs();
        let response = handle_event(&state, load(&case.event)).await;
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

    /// Whatever Twilio's parameters hold, the answer is 200 or 400, and a 200 dials the
    /// configured endpoint with nothing but escaped headers after it.
    #[test]
    fn any_parameters_dial_only_the_endpoint() {
        let state = unsigned_state(&[("SIP_EXTRA_HEADERS", "X-Name={CallerName},X-From={From}")]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let strategy = (
            prop_oneof![
                "\\PC{0,40}",
                "[+ ]?[0-9]{5,16}",
                "sip:\\+[0-9]{11}@[a-z.:;=]{0,20}"
            ],
            prop_oneof!["\\PC{0,40}", "CA[0-9a-f]{32}"],
            prop_oneof!["inbound", "outbound-api", "outbound-dial", "\\PC{0,12}"],
            prop_oneof!["\\PC{0,40}", "\\+[1-9][0-9]{10}"],
            "\\PC{0,300}",
        );
        TestRunner::new(ProptestConfig::with_cases(512))
            .run(
                &strategy,
                |(called, call_sid, direction, from, caller_name)| {
                    let event = post_event(&[
                        ("CallSid", &call_sid),
                        ("Called", &called),
                        ("Direction", &direction),
                        ("From", &from),
                        ("CallerName", &caller_name),
                    ]);
                    let response = runtime.block_on(handle_event(&state, event));
                    let body = text(response.body.as_ref());
                    prop_assert!(
                        response.status_code == 200 || response.status_code == 400,
                        "{} {body}",
                        response.status_code
                    );
                    if response.status_code == 200 {
                        let rest = body.strip_prefix(DIAL_PREFIX).expect("dials a number");
                        let (digits, rest) = rest.split_once('@').unwrap();
                        prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                        let headers = rest
                            .strip_prefix("sipin.synthflow.ai:32681?X-EI=CA")
                            .unwrap();
                        let headers = headers.strip_suffix("</Sip></Dial></Response>").unwrap();
                        prop_assert!(
                            headers
                                .replace("&amp;", "&")
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"&=%-".contains(&b)),
                            "{headers}"
                        );
                    }
                    Ok(())
                },
            )
            .unwrap();
    }

    /// No event API Gateway could deliver makes the function panic or answer 5xx, and none
    /// that is not signed gets past the signature check.
    #[test]
    fn no_event_panics_or_dials_unsigned() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let state = runtime.block_on(default_state());
        let strategy = (
            "\\PC{0,60}",
            prop_oneof!["/redirect_call", "\\PC{0,20}"],
            "\\PC{0,80}",
            any::<bool>(),
            prop_oneof![
                "h3x9k2m4p1.execute-api.us-east-1.amazonaws.com",
                "\\PC{0,20}"
            ],
            prop_oneof!["GET", "POST", "PUT", "HEAD", "OPTIONS"],
        );
        TestRunner::new(ProptestConfig::with_cases(512))
            .run(
                &strategy,
                |(raw_query, raw_path, body, base64_flag, host, method)| {
                    let mut event = load("post-inbound.json");
                    event.raw_query_string = Some(raw_query);
                    event.raw_path = Some(raw_path);
                    event.body = Some(body);
                    event.is_base64_encoded = base64_flag;
                    event.request_context.http.method = method.parse().unwrap();
                    if let Ok(host) = HeaderValue::from_str(&host) {
                        event.headers.insert(HOST, host);
                    }
                    let response = runtime.block_on(handle_event(&state, event));
                    prop_assert!(
                        (400..500).contains(&response.status_code),
                        "{}",
                        response.status_code
                    );
                    Ok(())
                },
            )
            .unwrap();
    }
}
