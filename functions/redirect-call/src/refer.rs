//! `POST /refer`: Twilio's request to `<Dial referUrl>` after the agent's SIP endpoint sent a
//! REFER — Synthflow's cold transfer (<https://docs.synthflow.ai/sip-transfers>), or the REFER
//! back to Synthflow that ends its warm transfer. The TwiML answered decides where the caller
//! goes (<https://www.twilio.com/docs/voice/api/refer-to-twilio>): the target when
//! configuration allows it ([`TransferAllowList`]), else a spoken refusal and, by default, the
//! agent again.
//!
//! Twilio has already taken the caller off the agent leg when it requests `referUrl` (a blind
//! transfer), so a refused transfer cannot leave the caller where they were: `reconnect`
//! (the default) dials the agent anew for the same call — same number, same `X-EI` — and
//! `hangup` ends the call after the message.

use shared::phone::E164;
use shared::sip::SipUri;
use shared::twilio::{CallSid, WebhookParams};
use shared::twiml::{DialAttributes, Response, SipAttributes};

use crate::config::RedirectCallConfig;
use crate::dial::{action_url, agent_dial, dial_attributes};
use crate::request_target::{RequestTarget, Route};
use crate::transfer_target::{SipTarget, TransferTarget};
use crate::twilio_secret::TwilioSecret;

/// What a refused transfer says when `TRANSFER_REFUSED_MESSAGE` is unset.
pub const DEFAULT_REFUSED_MESSAGE: &str = "Sorry, I can't transfer your call to that destination.";

/// `TRANSFER_REFUSED`: what follows the message when a transfer is refused.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase")]
pub enum TransferRefused {
    /// `reconnect`: dial the agent again for the same call.
    #[default]
    Reconnect,
    /// `hangup`: end the call.
    Hangup,
}

/// What became of a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferOutcome {
    /// The target is dialed.
    Transferred,
    /// The target is not dialed; why (never the target itself, which is logged masked).
    Refused(String),
}

/// The answer to one transfer request.
#[derive(Debug)]
pub struct Transfer {
    /// The call's `CallSid`.
    pub call_sid: CallSid,
    /// The target, masked for logs (`tel:+1415•••0100`, `sip:agent@pbx.example.com`).
    pub target: String,
    /// Dialed or refused.
    pub outcome: TransferOutcome,
    /// Refused and followed by the agent dialed again.
    pub reconnected: bool,
    /// Headers of the target left out.
    pub dropped_headers: Vec<String>,
    /// The TwiML answered.
    pub twiml: String,
}

/// Answers a transfer request.
///
/// # Errors
/// [`shared::Error::MissingParameter`] or [`shared::Error::InvalidParameter`] for a missing or
/// invalid `CallSid`, or a missing or empty `ReferTransferTarget`: a request Twilio never
/// sends. A target that is malformed (spaces only, say) or not allowed is not an error: it is
/// refused in TwiML.
pub fn answer_refer(
    config: &RedirectCallConfig,
    secret: Option<&TwilioSecret>,
    target_url: &RequestTarget,
    params: &WebhookParams,
) -> Result<Transfer, shared::Error> {
    let call_sid = params.call_sid()?;
    let raw = params.require("ReferTransferTarget")?;
    let dial = DialAttributes {
        action: action_url(config, target_url),
        caller_id: params
            .unique("From")
            .and_then(|from| E164::parse(from).ok())
            .map(|from| from.as_str().to_owned()),
        refer_url: config.dial_refer.then(|| target_url.url_of(Route::Refer)),
        refer_method: config.dial_refer.then_some("POST"),
        ..DialAttributes::default()
    };
    let parsed = TransferTarget::parse(raw);
    let masked = match &parsed {
        Ok(target) => target.masked(),
        Err(_) => "(unreadable)".to_owned(),
    };
    let refused = |reason: String| {
        refusal(
            config,
            secret,
            target_url,
            params,
            call_sid.clone(),
            masked.clone(),
            reason,
        )
    };
    let target = match parsed {
        Ok(target) if config.transfer_allow_list.allows(&target) => target,
        Ok(_) => return Ok(refused("not in the transfer allow-list".to_owned())),
        Err(problem) => return Ok(refused(problem.to_string())),
    };
    let (twiml, dropped_headers) = match &target {
        TransferTarget::Number(number) => (
            Response::new()
                .dial_number(&dial, number.as_str())
                .into_twiml(),
            Vec::new(),
        ),
        TransferTarget::Sip(sip) => {
            let Ok(uri) = SipUri::with_headers(sip.address(), &[], &sip.headers) else {
                return Ok(refused("longer than Twilio's SIP URI limit".to_owned()));
            };
            let credentials = credentials_for(config, secret, sip);
            let mut dropped = sip.dropped_headers.clone();
            dropped.extend(uri.dropped.iter().map(|h| h.as_str().to_owned()));
            (
                Response::new()
                    .dial_sip(&dial, &credentials, &uri.uri)
                    .into_twiml(),
                dropped,
            )
        }
    };
    Ok(Transfer {
        call_sid,
        target: masked,
        outcome: TransferOutcome::Transferred,
        reconnected: false,
        dropped_headers,
        twiml,
    })
}

/// The digest credentials of the secret, only for Synthflow's own endpoint: they are never
/// offered to another host.
fn credentials_for<'a>(
    config: &RedirectCallConfig,
    secret: Option<&'a TwilioSecret>,
    sip: &SipTarget,
) -> SipAttributes<'a> {
    match secret {
        Some(secret) if sip.host.eq_ignore_ascii_case(config.sip_endpoint.host()) => {
            secret.sip_attributes()
        }
        _ => SipAttributes::default(),
    }
}

/// `<Say>` the refusal, then the agent again (`reconnect`, when the call's parameters allow)
/// or `<Hangup />`.
fn refusal(
    config: &RedirectCallConfig,
    secret: Option<&TwilioSecret>,
    target_url: &RequestTarget,
    params: &WebhookParams,
    call_sid: CallSid,
    target: String,
    reason: String,
) -> Transfer {
    let response = Response::new().say(&config.say, &config.transfer_refused_message);
    let agent = match config.transfer_refused {
        TransferRefused::Reconnect => agent_dial(config, params).ok(),
        TransferRefused::Hangup => None,
    };
    let reconnected = agent.is_some();
    let twiml = match agent {
        Some(agent) => response.dial_sip(
            &dial_attributes(config, target_url),
            &secret.map(TwilioSecret::sip_attributes).unwrap_or_default(),
            &agent.uri,
        ),
        None => response.hangup(),
    }
    .into_twiml();
    Transfer {
        call_sid,
        target,
        outcome: TransferOutcome::Refused(reason),
        reconnected,
        dropped_headers: Vec::new(),
        twiml,
    }
}
