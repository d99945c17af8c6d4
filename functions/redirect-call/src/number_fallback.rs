//! `GET|POST /fallback`: the Twilio number's fallback URL, which Twilio requests when the
//! webhook failed (an error status, a timeout, TwiML it could not read), with `ErrorCode` and
//! `ErrorUrl` (<https://www.twilio.com/docs/usage/security/availability-reliability>,
//! <https://www.twilio.com/docs/errors/11205>). The answer is the configured fallback.

use shared::twilio::{CallSid, WebhookParams};

use crate::config::RedirectCallConfig;

/// The answer to one fallback request.
#[derive(Debug)]
pub struct NumberFallback {
    /// The call's `CallSid`.
    pub call_sid: CallSid,
    /// Twilio's `ErrorCode` for the failure of the primary URL, e.g. `11205`.
    pub error_code: Option<u32>,
    /// The fallback action answered.
    pub action: &'static str,
    /// The TwiML answered.
    pub twiml: String,
}

/// Answers a fallback request.
///
/// # Errors
/// [`shared::Error::MissingParameter`] or [`shared::Error::InvalidParameter`] naming `CallSid`
/// or `ErrorCode` (digits).
pub fn answer_fallback(
    config: &RedirectCallConfig,
    params: &WebhookParams,
) -> Result<NumberFallback, shared::Error> {
    let invalid = |name, reason| shared::Error::InvalidParameter { name, reason };
    let call_sid = params.call_sid()?;
    let error_code = params
        .get_non_empty("ErrorCode")?
        .map(|code| {
            code.parse::<u32>()
                .ok()
                .filter(|_| code.len() <= 6 && code.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(invalid("ErrorCode", "expected Twilio's numeric error code"))
        })
        .transpose()?;
    Ok(NumberFallback {
        call_sid,
        error_code,
        action: config.fallback.name(),
        twiml: config.fallback.twiml(&config.say),
    })
}
