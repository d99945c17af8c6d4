//! The call a request asks about: its `CallSid`, from the query string or a JSON body.
//!
//! Synthflow's custom actions send a request with a URL (query parameters included) and, for
//! `POST`, a JSON body, both of which may hold variables such as `<twilio_call_sid>` that
//! Synthflow replaces before sending (<https://docs.synthflow.ai/docs/alex-custom-action>). A
//! pre-call action (`run_action_before_call_start`) is a `POST` whose body may carry
//! `<external_id>` (<https://docs.synthflow.ai/use-action-variables-in-inbound-sip-calls>),
//! which on these calls is the `X-EI` value: the bare `CallSid`, or `E.<CallSid>;` with
//! `X_EI_FORMAT=tokens` (<https://docs.synthflow.ai/x-ei-sip-header>).
//!
//! So the SID is read from any of [`CALL_SID_KEYS`], in the query or as top-level string
//! members of a JSON object body, as a bare SID or in X-EI token form. Given more than once,
//! every value must name the same call. Other keys are ignored.

use base64::Engine as _;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::http::Method;
use serde_json::Value;
use shared::twilio::CallSid;

use crate::refusal::Refusal;

/// The route's last path segment: `/call_context` (after any stage or mapping prefix).
pub const ROUTE: &str = "call_context";
/// Largest body accepted, in bytes: an action's body is a few hundred.
pub const MAX_BODY_LEN: usize = 8 * 1024;
/// Longest query string accepted, in bytes: an action's is under a hundred.
pub const MAX_QUERY_LEN: usize = 4 * 1024;
/// Keys that may hold the call SID: Synthflow's variable names, and Twilio's parameter name.
pub const CALL_SID_KEYS: [&str; 4] = ["twilio_call_sid", "external_id", "call_sid", "CallSid"];

/// The SID a request names, once its route, method and size are known to be right.
///
/// # Errors
/// [`Refusal::BadRequest`]: no SID, one of the wrong shape, two different ones, a body that is
/// not a JSON object, a placeholder Synthflow did not replace.
pub fn requested_call_sid(event: &ApiGatewayV2httpRequest, body: &str) -> Result<CallSid, Refusal> {
    let bad = |why: &str| Refusal::BadRequest(why.to_owned());
    let mut values: Vec<String> = Vec::new();
    if let Some(query) = event.raw_query_string.as_deref() {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if CALL_SID_KEYS.contains(&key.as_ref()) {
                values.push(value.into_owned());
            }
        }
    }
    if !body.trim().is_empty() {
        let json = shared::strict_json::parse(body).map_err(|e| {
            Refusal::BadRequest(format!("the body is not JSON without repeated keys ({e})"))
        })?;
        let Value::Object(members) = json else {
            return Err(bad("the body is not a JSON object"));
        };
        for key in CALL_SID_KEYS {
            match members.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(value)) => values.push(value.clone()),
                Some(_) => {
                    return Err(Refusal::BadRequest(format!("{key} is not a string")));
                }
            }
        }
    }
    let mut sids = values.iter().map(|value| call_sid_of(value));
    let first = sids.next().ok_or_else(|| {
        Refusal::BadRequest(format!(
            "no call SID: send twilio_call_sid (or one of {}) in the query or the JSON body",
            CALL_SID_KEYS[1..].join(", ")
        ))
    })??;
    for sid in sids {
        if sid? != first {
            return Err(bad(
                "the call SID is given more than once with different values",
            ));
        }
    }
    Ok(first)
}

/// The body as text, decoded from base64 when API Gateway flagged it so.
///
/// # Errors
/// [`Refusal::TooLarge`] over [`MAX_BODY_LEN`]; [`Refusal::BadRequest`] for a body that is
/// not base64 when flagged so, or not UTF-8.
pub fn body_text(event: &ApiGatewayV2httpRequest) -> Result<String, Refusal> {
    let raw = event.body.as_deref().unwrap_or_default();
    // Base64 is 4/3 of the bytes it holds: refuse before decoding what could not fit.
    if raw.len() > MAX_BODY_LEN * 4 / 3 + 4 {
        return Err(Refusal::TooLarge);
    }
    let bytes = if event.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|_| Refusal::BadRequest("the body is flagged base64 but is not".into()))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > MAX_BODY_LEN {
        return Err(Refusal::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| Refusal::BadRequest("the body is not UTF-8".into()))
}

/// Refuses a request to another path ([`Refusal::UnknownRoute`]), with another method than
/// `GET` or `POST` ([`Refusal::MethodNotAllowed`]), or with a query string over
/// [`MAX_QUERY_LEN`] ([`Refusal::UriTooLong`]).
///
/// # Errors
/// As above.
pub fn check_route(event: &ApiGatewayV2httpRequest) -> Result<(), Refusal> {
    let path = event.raw_path.as_deref().unwrap_or_default();
    if path.trim_end_matches('/').rsplit('/').next() != Some(ROUTE) {
        return Err(Refusal::UnknownRoute);
    }
    let method = &event.request_context.http.method;
    if *method != Method::GET && *method != Method::POST {
        return Err(Refusal::MethodNotAllowed);
    }
    if event
        .raw_query_string
        .as_ref()
        .is_some_and(|q| q.len() > MAX_QUERY_LEN)
    {
        return Err(Refusal::UriTooLong);
    }
    Ok(())
}

/// A SID from one value: bare, or the `E.` token of an X-EI value (`S.x;E.CA…;O.y;`); spaces
/// and line breaks around it are ignored.
fn call_sid_of(value: &str) -> Result<CallSid, Refusal> {
    let value = value.trim();
    if value.starts_with('<') && value.ends_with('>') {
        return Err(Refusal::BadRequest(
            "the call SID is a placeholder Synthflow did not replace (check the variable's name)"
                .into(),
        ));
    }
    let candidate = if value.ends_with(';') {
        value
            .split(';')
            .find_map(|token| token.strip_prefix("E."))
            .ok_or_else(|| {
                Refusal::BadRequest("an X-EI value without an E.<CallSid>; token".into())
            })?
    } else {
        value
    };
    CallSid::parse(candidate).map_err(|reason| Refusal::BadRequest(format!("call SID {reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "CA0123456789abcdef0123456789abcdef";
    const OTHER: &str = "CAffffffffffffffffffffffffffffffff";

    fn event(query: Option<&str>, body: Option<&str>) -> ApiGatewayV2httpRequest {
        let mut event = ApiGatewayV2httpRequest::default();
        event.raw_path = Some("/call_context".into());
        event.raw_query_string = query.map(str::to_owned);
        event.body = body.map(str::to_owned);
        event
    }

    fn sid(query: Option<&str>, body: Option<&str>) -> Result<String, Refusal> {
        let event = event(query, body);
        let body = body_text(&event)?;
        requested_call_sid(&event, &body).map(|s| s.as_str().to_owned())
    }

    #[test]
    fn every_documented_form_names_the_call() {
        let query = format!("twilio_call_sid={SID}");
        assert_eq!(sid(Some(&query), None), Ok(SID.into()));
        let body = format!(r#"{{"twilio_call_sid":"{SID}"}}"#);
        assert_eq!(sid(None, Some(&body)), Ok(SID.into()));
        let body = format!(r#"{{"external_id":"{SID}","name":"x"}}"#);
        assert_eq!(sid(None, Some(&body)), Ok(SID.into()));
        let body = format!(r#"{{"external_id":"E.{SID};"}}"#);
        assert_eq!(sid(None, Some(&body)), Ok(SID.into()));
        let query = format!("external_id=S.abc%3BE.{SID}%3BO.%2B1415%3B");
        assert_eq!(sid(Some(&query), None), Ok(SID.into()));
        let query = format!("CallSid={SID}");
        let body = format!(r#"{{"call_sid":"{SID}"}}"#);
        assert_eq!(sid(Some(&query), Some(&body)), Ok(SID.into()));
        // The action's body is a template: spaces or a line break around the variable are not
        // part of the SID.
        let body = format!(r#"{{"twilio_call_sid":" {SID}\n"}}"#);
        assert_eq!(sid(None, Some(&body)), Ok(SID.into()));
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let bad = |query: Option<&str>, body: Option<&str>| match sid(query, body) {
            Err(Refusal::BadRequest(why)) => why,
            other => panic!("{other:?}"),
        };
        assert!(bad(None, None).starts_with("no call SID"));
        assert!(bad(None, Some("{}")).starts_with("no call SID"));
        assert!(bad(Some("twilio_call_sid=CA123"), None).contains("not a Twilio call SID"));
        assert!(bad(Some("twilio_call_sid=%3Ctwilio_call_sid%3E"), None).contains("placeholder"));
        assert!(bad(None, Some("[1]")).contains("not a JSON object"));
        assert!(bad(None, Some("{")).contains("not JSON"));
        let twice = format!(r#"{{"twilio_call_sid":"{SID}","twilio_call_sid":"{OTHER}"}}"#);
        assert!(bad(None, Some(&twice)).contains("given twice"));
        let differ = format!("twilio_call_sid={SID}&CallSid={OTHER}");
        assert!(bad(Some(&differ), None).contains("different values"));
        assert!(bad(None, Some(r#"{"twilio_call_sid":42}"#)).contains("not a string"));
        assert!(bad(None, Some(r#"{"external_id":"S.abc;"}"#)).contains("E.<CallSid>"));
        let injected = format!("twilio_call_sid={SID}%27%20OR%201%3D1");
        assert!(bad(Some(&injected), None).contains("not a Twilio call SID"));
    }

    #[test]
    fn large_bodies_are_refused_before_parsing() {
        let body = format!(
            r#"{{"twilio_call_sid":"{SID}","pad":"{}"}}"#,
            "x".repeat(MAX_BODY_LEN)
        );
        assert_eq!(sid(None, Some(&body)), Err(Refusal::TooLarge));
    }

    #[test]
    fn routes_and_methods() {
        let mut e = event(None, None);
        assert_eq!(check_route(&e), Ok(()));
        e.raw_path = Some("/prod/call_context".into());
        assert_eq!(check_route(&e), Ok(()));
        e.raw_path = Some("/call_context/extra".into());
        assert_eq!(check_route(&e), Err(Refusal::UnknownRoute));
        e.raw_path = Some("/call_context".into());
        e.request_context.http.method = Method::DELETE;
        assert_eq!(check_route(&e), Err(Refusal::MethodNotAllowed));
        e.request_context.http.method = Method::POST;
        e.raw_query_string = Some("a=".repeat(MAX_QUERY_LEN));
        assert_eq!(check_route(&e), Err(Refusal::UriTooLong));
    }
}
