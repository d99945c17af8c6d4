//! What to dial for one call: the number Synthflow routes by, the SIP headers, and the TwiML.
//!
//! Synthflow treats every SIP call as incoming and routes it by the number in the request URI,
//! which must be the number bound to the agent: `Called` (else `To`) on inbound calls, `From`
//! (our own number) on outbound ones, which also carry [`DIRECTION_HEADER`] and
//! [`CALLEE_HEADER`]. Source: <https://docs.synthflow.ai/route-sip-calls>.

use shared::phone::E164;
use shared::sip::{FORBIDDEN_IN_HEADER_VALUES, Header, HeaderName, SipUri};
use shared::twilio::{CallSid, Direction, WebhookParams};
use shared::twiml::{DialAttributes, Response, SipAttributes};

use crate::config::{DialAction, RedirectCallConfig};
use crate::request_target::{RequestTarget, Route};

/// Header carrying Twilio's `Direction` on outbound calls.
pub const DIRECTION_HEADER: &str = "X-Direction";
/// Header carrying the number Twilio dialed on outbound calls.
pub const CALLEE_HEADER: &str = "X-Callee";

/// The agent leg of a call: the Synthflow SIP URI for the call's number, with `X-EI` and the
/// other headers.
#[derive(Debug)]
pub struct AgentDial {
    /// The call's `CallSid`, sent as `X-EI`.
    pub call_sid: CallSid,
    /// The call's direction.
    pub direction: Direction,
    /// The number in the SIP URI.
    pub number: E164,
    /// The SIP URI.
    pub uri: String,
    /// Optional headers left out to stay within Twilio's URI limits, in order.
    pub dropped: Vec<HeaderName>,
}

/// A webhook request answered with TwiML that dials the agent.
#[derive(Debug)]
pub struct Dialed {
    /// What was dialed.
    pub agent: AgentDial,
    /// The TwiML answered.
    pub twiml: String,
}

/// The `<Dial>` attributes of a request to `target`: configuration's, `action` pointing at
/// `/dial_status` (or where `DIAL_ACTION` says), `referUrl` at `/refer` unless `DIAL_REFER=off`.
pub fn dial_attributes(config: &RedirectCallConfig, target: &RequestTarget) -> DialAttributes {
    DialAttributes {
        action: action_url(config, target),
        refer_url: config.dial_refer.then(|| target.url_of(Route::Refer)),
        refer_method: config.dial_refer.then_some("POST"),
        ..config.dial.clone()
    }
}

/// `<Dial action>` for a request to `target`, per `DIAL_ACTION`.
pub fn action_url(config: &RedirectCallConfig, target: &RequestTarget) -> Option<String> {
    match &config.dial_action {
        DialAction::StatusRoute => Some(target.url_of(Route::DialStatus)),
        DialAction::Url(url) => Some(url.clone()),
        DialAction::Off => None,
    }
}

/// Decides what to dial for the call described by `params`.
///
/// # Errors
/// [`shared::Error::MissingParameter`], [`shared::Error::InvalidParameter`] or
/// [`shared::Error::ConflictingParameter`] naming the parameter (`CallSid`, `Direction`,
/// `Called`/`To`/`From`); [`shared::Error::SipUriTooLong`] when even the required headers do
/// not fit.
pub fn agent_dial(
    config: &RedirectCallConfig,
    params: &WebhookParams,
) -> Result<AgentDial, shared::Error> {
    let call_sid = params.call_sid()?;
    let direction = match params.get_non_empty("Direction")? {
        Some(value) => Direction::parse(value).map_err(|reason| invalid("Direction", reason))?,
        None => Direction::Inbound,
    };
    let called = called_or_to(params)?;

    let (number_param, number) = if direction.is_outbound() {
        ("From", params.require("From")?)
    } else {
        called.ok_or(shared::Error::MissingParameter { name: "Called" })?
    };
    let number = E164::from_twilio_param(number).map_err(|reason| invalid(number_param, reason))?;

    let required = [header(
        HeaderName::EXTERNAL_ID,
        config.external_id_format.value(&call_sid),
    )];
    let mut optional = Vec::with_capacity(2 + config.extra_headers.len());
    if direction.is_outbound() {
        optional.push(header(DIRECTION_HEADER, direction.as_str().to_owned()));
        if let Some((_, callee)) = called.filter(|(_, v)| is_header_value(v)) {
            optional.push(header(CALLEE_HEADER, callee.to_owned()));
        }
    }
    for extra in &config.extra_headers {
        if let Some(value) = extra.value.render(|name| params.unique(name)) {
            optional.push(Header {
                name: extra.name.clone(),
                value,
            });
        }
    }

    let uri = SipUri::build(
        &number,
        &config.sip_endpoint,
        config.sip_transport,
        &required,
        &optional,
    )?;
    Ok(AgentDial {
        call_sid,
        direction,
        number,
        uri: uri.uri,
        dropped: uri.dropped,
    })
}

/// The webhook's answer: `<Dial …><Sip …>` the agent, with `sip`'s digest credentials.
///
/// # Errors
/// As [`agent_dial`].
pub fn dial(
    config: &RedirectCallConfig,
    target: &RequestTarget,
    sip: &SipAttributes,
    params: &WebhookParams,
) -> Result<Dialed, shared::Error> {
    let agent = agent_dial(config, params)?;
    let twiml = Response::new()
        .dial_sip(&dial_attributes(config, target), sip, &agent.uri)
        .into_twiml();
    Ok(Dialed { agent, twiml })
}

/// `Called`, or `To` when `Called` is absent or blank, with the name of the one used.
fn called_or_to(params: &WebhookParams) -> Result<Option<(&'static str, &str)>, shared::Error> {
    Ok(match params.get_non_empty("Called")? {
        Some(v) => Some(("Called", v)),
        None => params.get_non_empty("To")?.map(|v| ("To", v)),
    })
}

/// Whether a parameter's value can travel as a SIP header (see
/// [`shared::sip::HeaderTemplate::render`]).
fn is_header_value(value: &str) -> bool {
    !value.contains(FORBIDDEN_IN_HEADER_VALUES)
}

fn invalid(name: &'static str, reason: &'static str) -> shared::Error {
    shared::Error::InvalidParameter { name, reason }
}

fn header(name: &'static str, value: String) -> Header {
    Header {
        name: HeaderName::parse(name).expect("built-in header names are valid"),
        value,
    }
}
