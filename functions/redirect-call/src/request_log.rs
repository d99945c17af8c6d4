//! The one log line each request gets: call sid, direction, outcome, status and the dialed
//! number masked; rejections carry their reason, dropped headers make it a warning.

use shared::sip::HeaderName;

use crate::dial::Dialed;
use crate::rejection::Rejection;

/// Logs the request's line for `result`. Never logs a full phone number, a token or a
/// signature.
pub fn log_request(result: &Result<Dialed, Rejection>) {
    match result {
        Ok(dialed) if dialed.dropped.is_empty() => tracing::info!(
            call_sid = %dialed.call_sid,
            direction = %dialed.direction,
            number = %dialed.number.masked(),
            outcome = "dialed",
            status = 200,
            "redirect_call"
        ),
        Ok(dialed) => {
            let dropped: Vec<&str> = dialed.dropped.iter().map(HeaderName::as_str).collect();
            tracing::warn!(
                call_sid = %dialed.call_sid,
                direction = %dialed.direction,
                number = %dialed.number.masked(),
                outcome = "dialed",
                status = 200,
                dropped_headers = %dropped.join(","),
                "redirect_call: optional SIP headers dropped to stay within Twilio's URI limits"
            );
        }
        Err(Rejection::Forbidden { reason, url }) => tracing::warn!(
            outcome = "rejected",
            status = 403,
            reason,
            url,
            "redirect_call"
        ),
        Err(rejection) => tracing::warn!(
            outcome = "rejected",
            status = rejection.status().as_u16(),
            reason = %rejection,
            "redirect_call"
        ),
    }
}
