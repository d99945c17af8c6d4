//! The crate's error type.

use std::borrow::Cow;

/// Everything that can go wrong in the shared logic.
///
/// Each variant names what was wrong (an environment variable, a webhook parameter) so that the
/// message alone tells an operator or a caller what to fix. Messages never contain secret values
/// and never echo phone numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An environment variable holds a value the function cannot run with. Raised at cold start.
    #[error("{variable}: {reason}")]
    Config {
        /// The environment variable, e.g. `SYNTHFLOW_SIP_ENDPOINT`.
        variable: &'static str,
        /// What is wrong with its value.
        reason: Cow<'static, str>,
    },

    /// A webhook parameter the call needs is absent or blank.
    #[error("missing parameter {name}")]
    MissingParameter {
        /// Twilio's name for the parameter, e.g. `CallSid`.
        name: &'static str,
    },

    /// A webhook parameter is present but its value is not acceptable.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Twilio's name for the parameter, e.g. `Called`.
        name: &'static str,
        /// What is wrong with it (never the value itself).
        reason: &'static str,
    },

    /// A webhook parameter appears more than once with different values.
    #[error("parameter {name} is given more than once with different values")]
    ConflictingParameter {
        /// Twilio's name for the parameter.
        name: &'static str,
    },

    /// A secret could not be read from Secrets Manager, or its JSON is not what it must be.
    #[error("secret {secret_id}: {reason}")]
    Secret {
        /// The secret's id (name or ARN) as configured.
        secret_id: String,
        /// What is wrong, naming the key (never a value).
        reason: Cow<'static, str>,
    },

    /// The SIP URI cannot be written within Twilio's limits even without optional headers.
    #[error("SIP URI would be {length} characters; Twilio's limit is {limit}")]
    SipUriTooLong {
        /// Length of the shortest URI that could be written.
        length: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
}

impl Error {
    /// [`Error::Config`] for `variable`.
    pub fn config(variable: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        Error::Config {
            variable,
            reason: reason.into(),
        }
    }
}
