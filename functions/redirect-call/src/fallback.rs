//! What the caller gets when the agent leg fails (`<Dial action>` reports busy, no-answer,
//! failed, canceled or a SIP error) or when Twilio requests the number's fallback URL because
//! the webhook failed: `FALLBACK_ACTION`.
//! Sources: <https://www.twilio.com/docs/voice/twiml/dial#action>,
//! <https://www.twilio.com/docs/usage/security/availability-reliability>.

use shared::phone::E164;
use shared::twiml::{DialAttributes, Response, SayAttributes};

/// The fallback's spoken message when `FALLBACK_MESSAGE` is unset.
pub const DEFAULT_FALLBACK_MESSAGE: &str =
    "Sorry, our assistant is not available right now. Please call again later.";

/// `FALLBACK_ACTION` and what it needs; [`FallbackKind`] is its name alone.
#[derive(Clone, Debug, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(FallbackKind),
    doc = "`FALLBACK_ACTION`'s value: `say`, `forward`, `redirect` or `hangup`.",
    derive(strum::EnumString, strum::IntoStaticStr, strum::VariantNames),
    strum(serialize_all = "lowercase")
)]
pub enum FallbackAction {
    /// `say` (default): `<Say>{message}</Say><Hangup />`.
    Say(String),
    /// `forward`: `<Dial><Number>{number}</Number></Dial>`, without `action`, so that a failed
    /// forward cannot come back here.
    Forward(E164),
    /// `redirect`: `<Redirect>{url}</Redirect>` (POST): the user's own TwiML takes over.
    Redirect(String),
    /// `hangup`: `<Hangup />`.
    Hangup,
}

impl FallbackAction {
    /// The action's name, as configured and logged.
    pub fn name(&self) -> &'static str {
        FallbackKind::from(self).into()
    }

    /// The TwiML, `<Say>` spoken with `say`'s voice and language.
    pub fn twiml(&self, say: &SayAttributes) -> String {
        let response = Response::new();
        match self {
            FallbackAction::Say(message) => response.say(say, message).hangup(),
            FallbackAction::Forward(number) => {
                response.dial_number(&DialAttributes::default(), number.as_str())
            }
            FallbackAction::Redirect(url) => response.redirect(url),
            FallbackAction::Hangup => response.hangup(),
        }
        .into_twiml()
    }
}
