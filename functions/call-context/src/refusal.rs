//! Why a request gets no variables, and the status each reason answers with.

use lambda_http::http::StatusCode;

use crate::access_token::Unauthorized;

/// A request answered without variables. Messages never quote what was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 404: the path is not `/call_context`.
    UnknownRoute,
    /// 405: a method other than `GET` or `POST`.
    MethodNotAllowed,
    /// 414: a query string over [`crate::lookup_request::MAX_QUERY_LEN`].
    UriTooLong,
    /// 413: a body over [`crate::lookup_request::MAX_BODY_LEN`].
    TooLarge,
    /// 401: no token, or a wrong one. Nothing was read.
    Unauthorized(Unauthorized),
    /// 400: the call SID is missing, malformed or given twice with different values; the body
    /// is not a JSON object. Nothing was read.
    BadRequest(String),
    /// 404: no context is stored for the call.
    UnknownCall,
    /// 404: the call's context has expired (DynamoDB deletes expired items within days).
    Expired,
    /// 503: the table could not be read (the action may retry).
    StoreUnavailable,
}

impl Refusal {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::UnknownRoute | Refusal::UnknownCall | Refusal::Expired => {
                StatusCode::NOT_FOUND
            }
            Refusal::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::UriTooLong => StatusCode::URI_TOO_LONG,
            Refusal::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
            Refusal::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short name for the log line.
    pub fn outcome(&self) -> &'static str {
        match self {
            Refusal::UnknownRoute => "unknown_route",
            Refusal::MethodNotAllowed => "method_not_allowed",
            Refusal::TooLarge => "too_large",
            Refusal::UriTooLong => "uri_too_long",
            Refusal::Unauthorized(_) => "unauthorized",
            Refusal::BadRequest(_) => "bad_request",
            Refusal::UnknownCall => "unknown_call",
            Refusal::Expired => "expired",
            Refusal::StoreUnavailable => "store_unavailable",
        }
    }

    /// What the answer's `error` says.
    pub fn message(&self) -> String {
        match self {
            Refusal::UnknownRoute => "no such route: the call context is at /call_context".into(),
            Refusal::MethodNotAllowed => "method not allowed: use GET or POST".into(),
            Refusal::TooLarge => format!(
                "request body over {} bytes",
                crate::lookup_request::MAX_BODY_LEN
            ),
            Refusal::UriTooLong => format!(
                "query string over {} bytes",
                crate::lookup_request::MAX_QUERY_LEN
            ),
            Refusal::Unauthorized(why) => format!("unauthorized: {}", why.reason()),
            Refusal::BadRequest(why) => format!("bad request: {why}"),
            Refusal::UnknownCall => "no context is stored for this call".into(),
            Refusal::Expired => "the call's context has expired".into(),
            Refusal::StoreUnavailable => "the call-context table could not be read".into(),
        }
    }
}
