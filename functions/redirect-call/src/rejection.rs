//! Why a request gets no TwiML, and the HTTP status each reason is answered with.

use lambda_http::http::StatusCode;

use crate::request_target::Route;

/// Why a request gets no TwiML. Each maps to one 4xx status ([`Rejection::status`]).
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// A path that is none of the routes (404).
    #[error("not found: the routes are /redirect_call, /refer, /dial_status, /fallback")]
    NotFound,
    /// A method the route does not answer (405, with `Allow`).
    #[error("method not allowed: use {}", .0.allow().replace(", ", " or "))]
    MethodNotAllowed(Route),
    /// A POST whose Content-Type is not a UTF-8 form (415).
    #[error("Content-Type: expected application/x-www-form-urlencoded (UTF-8)")]
    UnsupportedMediaType,
    /// A POST body whose bytes are not UTF-8, whatever its Content-Type says (415).
    #[error("unsupported media type: the body is not UTF-8")]
    BodyNotUtf8,
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
    /// A webhook parameter is missing or invalid, or the SIP URI cannot be written (400).
    #[error(transparent)]
    InvalidParameters(#[from] shared::Error),
}

impl Rejection {
    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::NotFound => StatusCode::NOT_FOUND,
            Rejection::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::UnsupportedMediaType | Rejection::BodyNotUtf8 => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Rejection::Forbidden { .. } => StatusCode::FORBIDDEN,
            Rejection::UriTooLong => StatusCode::URI_TOO_LONG,
            Rejection::Malformed(_) | Rejection::InvalidParameters(_) => StatusCode::BAD_REQUEST,
        }
    }
}
