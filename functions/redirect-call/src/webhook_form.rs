//! The webhook's parameters, read as Twilio sends them: the query string of a `GET`, the
//! UTF-8 form body of a `POST`.
//! Source: <https://www.twilio.com/docs/usage/webhooks/voice-webhooks>.

use lambda_http::Request;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::http::{HeaderMap, Method};
use shared::twilio::WebhookParams;

use crate::rejection::Rejection;
use crate::request_target::Route;

/// The request's parameters, for a request to `route`.
///
/// # Errors
/// [`Rejection::MethodNotAllowed`] for methods `route` does not answer,
/// [`Rejection::BodyNotUtf8`] for a POST body whose bytes are not UTF-8,
/// [`Rejection::UnsupportedMediaType`] for one whose Content-Type is not a UTF-8 form.
pub fn read_params(route: Route, request: &Request) -> Result<WebhookParams, Rejection> {
    if !route.accepts(request.method()) {
        return Err(Rejection::MethodNotAllowed(route));
    }
    match *request.method() {
        Method::GET => Ok(WebhookParams::from_form(
            request.uri().query().unwrap_or("").as_bytes(),
        )),
        Method::POST => {
            check_form_content_type(request.headers(), request.body().as_ref())?;
            Ok(WebhookParams::from_form(request.body().as_ref()))
        }
        _ => Err(Rejection::MethodNotAllowed(route)),
    }
}

/// A POST must carry a UTF-8 form; `charset`, when given, must be UTF-8 (Twilio sends
/// `application/x-www-form-urlencoded; charset=utf-8`). An empty body needs no type.
fn check_form_content_type(headers: &HeaderMap, body: &[u8]) -> Result<(), Rejection> {
    if std::str::from_utf8(body).is_err() {
        return Err(Rejection::BodyNotUtf8);
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
