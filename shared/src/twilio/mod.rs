//! Twilio's voice webhook: the parameters it sends, the values they take, and the signature
//! that proves a request comes from the account.
//!
//! Source: <https://www.twilio.com/docs/voice/twiml#request-parameters>.

mod params;
pub mod signature;

pub use params::{CallSid, Direction, WebhookParams};
