//! `POST /dial_status`: Twilio's request to `<Dial action>` when the dialed leg ends, with
//! `DialCallStatus` and, for SIP, `DialSipResponseCode`
//! (<https://www.twilio.com/docs/voice/twiml/dial#action>,
//! <https://www.twilio.com/docs/voice/api/receiving-sip>). TwiML after a `<Dial>` with an
//! `action` is never reached: this answer continues the call.
//!
//! A leg that was answered and ended (`completed`, `answered`, a SIP code below 400) ends the
//! call: `<Hangup />`. One that never reached the agent — `busy`, `no-answer`, `failed`,
//! `canceled`, or a SIP final response of 400 or more (486 Busy Here, 503 Service Unavailable,
//! 603 Decline, …) — gets the configured fallback.

use shared::twilio::{CallSid, WebhookParams};
use shared::twiml::Response;

use crate::config::RedirectCallConfig;

/// `DialCallStatus`, spelled as Twilio sends it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames,
)]
#[strum(serialize_all = "kebab-case")]
pub enum DialCallStatus {
    /// `completed`: the leg was answered and has ended.
    Completed,
    /// `answered`: the leg was answered (reported when the parent call ends first).
    Answered,
    /// `busy`.
    Busy,
    /// `no-answer`.
    NoAnswer,
    /// `failed`: Twilio could not reach the endpoint.
    Failed,
    /// `canceled`: the caller hung up before the leg was answered.
    Canceled,
}

impl DialCallStatus {
    /// Why a value is refused: Twilio's six values.
    pub const INVALID: &'static str =
        "expected completed, answered, busy, no-answer, failed or canceled";

    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The answer to one dial-status request.
#[derive(Debug)]
pub struct DialStatus {
    /// The call's `CallSid`.
    pub call_sid: CallSid,
    /// `DialCallStatus`.
    pub status: DialCallStatus,
    /// `DialSipResponseCode`, when Twilio sent one.
    pub sip_response_code: Option<u16>,
    /// The fallback action answered, or `None` for `<Hangup />`.
    pub fallback: Option<&'static str>,
    /// The TwiML answered.
    pub twiml: String,
}

/// Answers a dial-status request.
///
/// # Errors
/// [`shared::Error::MissingParameter`] or [`shared::Error::InvalidParameter`] naming
/// `CallSid`, `DialCallStatus` or `DialSipResponseCode` (three digits, 100–699).
pub fn answer_dial_status(
    config: &RedirectCallConfig,
    params: &WebhookParams,
) -> Result<DialStatus, shared::Error> {
    let invalid = |name, reason| shared::Error::InvalidParameter { name, reason };
    let call_sid = params.call_sid()?;
    let status: DialCallStatus = params
        .require("DialCallStatus")?
        .parse()
        .map_err(|_| invalid("DialCallStatus", DialCallStatus::INVALID))?;
    let sip_response_code = params
        .get_non_empty("DialSipResponseCode")?
        .map(|code| {
            code.parse::<u16>()
                .ok()
                .filter(|c| (100..=699).contains(c) && code.len() == 3)
                .ok_or(invalid(
                    "DialSipResponseCode",
                    "expected a SIP status code from 100 to 699",
                ))
        })
        .transpose()?;
    let reached_agent = matches!(status, DialCallStatus::Completed | DialCallStatus::Answered)
        && sip_response_code.is_none_or(|code| code < 400);
    let (fallback, twiml) = if reached_agent {
        (None, Response::new().hangup().into_twiml())
    } else {
        (
            Some(config.fallback.name()),
            config.fallback.twiml(&config.say),
        )
    };
    Ok(DialStatus {
        call_sid,
        status,
        sip_response_code,
        fallback,
        twiml,
    })
}
