//! The one log line each request gets: route, call sid, outcome, status, and the numbers
//! masked; rejections carry their reason, dropped headers make it a warning.

use shared::sip::HeaderName;

use crate::answer::Answer;
use crate::refer::TransferOutcome;
use crate::rejection::Rejection;

/// Logs the request's line for `result`. Never logs a full phone number, a token or a
/// signature.
pub fn log_request(result: &Result<Answer, Rejection>) {
    match result {
        Ok(Answer::Dialed(dialed)) if dialed.agent.dropped.is_empty() => tracing::info!(
            call_sid = %dialed.agent.call_sid,
            direction = %dialed.agent.direction,
            number = %dialed.agent.number.masked(),
            outcome = "dialed",
            status = 200,
            "redirect_call"
        ),
        Ok(Answer::Dialed(dialed)) => {
            let dropped: Vec<&str> = dialed
                .agent
                .dropped
                .iter()
                .map(HeaderName::as_str)
                .collect();
            tracing::warn!(
                call_sid = %dialed.agent.call_sid,
                direction = %dialed.agent.direction,
                number = %dialed.agent.number.masked(),
                outcome = "dialed",
                status = 200,
                dropped_headers = %dropped.join(","),
                "redirect_call: optional SIP headers dropped to stay within Twilio's URI limits"
            );
        }
        Ok(Answer::Transfer(transfer)) => match &transfer.outcome {
            TransferOutcome::Transferred => tracing::info!(
                call_sid = %transfer.call_sid,
                target = %transfer.target,
                outcome = "transferred",
                dropped_headers = %transfer.dropped_headers.join(","),
                status = 200,
                "refer"
            ),
            TransferOutcome::Refused(reason) => tracing::warn!(
                call_sid = %transfer.call_sid,
                target = %transfer.target,
                outcome = "transfer_refused",
                reason = %reason,
                reconnected = transfer.reconnected,
                status = 200,
                "refer: transfer refused, target not dialed"
            ),
        },
        Ok(Answer::DialStatus(status, numbers)) => tracing::info!(
            call_sid = %status.call_sid,
            from = %numbers.from,
            to = %numbers.to,
            dial_call_status = status.status.as_str(),
            sip_response_code = status.sip_response_code,
            outcome = status.fallback.map_or("hangup", |_| "fallback"),
            fallback = status.fallback,
            status = 200,
            "dial_status"
        ),
        Ok(Answer::NumberFallback(fallback, numbers)) => tracing::warn!(
            call_sid = %fallback.call_sid,
            from = %numbers.from,
            to = %numbers.to,
            error_code = fallback.error_code,
            outcome = "fallback",
            fallback = fallback.action,
            status = 200,
            "fallback: Twilio requested the number's fallback URL"
        ),
        Err(Rejection::Forbidden { reason, url }) => tracing::warn!(
            outcome = "rejected",
            status = 403,
            reason,
            url,
            "request refused"
        ),
        Err(rejection) => tracing::warn!(
            outcome = "rejected",
            status = rejection.status().as_u16(),
            reason = %rejection,
            "request refused"
        ),
    }
}
