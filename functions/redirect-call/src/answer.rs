//! What a request was answered with, one kind per route, each carrying its TwiML and what its
//! log line says.

use shared::phone::E164;
use shared::twilio::WebhookParams;

use crate::dial::Dialed;
use crate::dial_status::DialStatus;
use crate::number_fallback::NumberFallback;
use crate::refer::Transfer;

/// A request answered with TwiML.
#[derive(Debug)]
pub enum Answer {
    /// `/redirect_call`: the agent dialed.
    Dialed(Dialed),
    /// `/refer`: the transfer target dialed, or the transfer refused.
    Transfer(Transfer),
    /// `/dial_status`: hang up, or the fallback.
    DialStatus(DialStatus, CallNumbers),
    /// `/fallback`: the fallback.
    NumberFallback(NumberFallback, CallNumbers),
}

impl Answer {
    /// The TwiML.
    pub fn into_twiml(self) -> String {
        match self {
            Answer::Dialed(dialed) => dialed.twiml,
            Answer::Transfer(transfer) => transfer.twiml,
            Answer::DialStatus(status, _) => status.twiml,
            Answer::NumberFallback(fallback, _) => fallback.twiml,
        }
    }
}

/// The call's `From` and `To`, masked for logs (`+1415•••0123`; `-` when absent, `(other)`
/// when not a phone number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallNumbers {
    /// `From`, masked.
    pub from: String,
    /// `To`, masked.
    pub to: String,
}

impl CallNumbers {
    /// The masked numbers of `params`.
    pub fn of(params: &WebhookParams) -> CallNumbers {
        let masked = |name| match params.unique(name) {
            None => "-".to_owned(),
            Some(value) => E164::from_twilio_param(value)
                .map_or_else(|_| "(other)".to_owned(), |n| n.masked().to_string()),
        };
        CallNumbers {
            from: masked("From"),
            to: masked("To"),
        }
    }
}
