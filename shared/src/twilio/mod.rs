//! Twilio's voice webhook: the parameters it sends and the values they take.
//!
//! Source: <https://www.twilio.com/docs/voice/twiml#request-parameters>.

mod params;

pub use params::{CallSid, Direction, WebhookParams};
