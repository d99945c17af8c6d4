//! Checks of the raw API Gateway event, before `lambda_http` converts it into an
//! `http::Request`: that conversion panics on what it cannot represent
//! (aws/aws-lambda-rust-runtime#461, #489), so such events are refused here with a 4xx.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::http::HeaderValue;
use lambda_http::http::header::HOST;

use crate::rejection::Rejection;

/// Longest host (a DNS name and a port) accepted.
const MAX_HOST_LEN: usize = 253 + ":65535".len();
/// Longest raw path accepted; the webhook's is 14 characters (plus a stage or mapping prefix).
const MAX_PATH_LEN: usize = 2048;
/// Longest raw query string accepted: far above a GET webhook with every parameter Twilio sends
/// (about 2 KiB), far below what `lambda_http` can turn into a URI (64 KiB).
const MAX_QUERY_LEN: usize = 16 * 1024;

/// Refuses events whose conversion to an `http::Request` would panic inside `lambda_http`:
/// a host, path or query longer than a URI may be (414), characters a URI may not hold raw, a
/// host or scheme the URL parser refuses, a body flagged base64 that is not (400).
///
/// # Errors
/// [`Rejection::UriTooLong`] or [`Rejection::Malformed`] saying what is wrong.
pub fn check_raw_event(event: &ApiGatewayV2httpRequest) -> Result<(), Rejection> {
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
