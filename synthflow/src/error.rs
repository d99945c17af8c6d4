//! The crate's error type: what went wrong talking to Synthflow.

/// A Synthflow call that failed, after any retries.
///
/// Messages name the operation (after its page in Synthflow's API reference, e.g.
/// `create-custom-number`) and never hold the API key, the URL or a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Synthflow answered with an error status.
    ///
    /// `message` is what Synthflow said, read leniently from its error body (`{"detail": …}` as
    /// a string or an object, `{"error", "message"}`, or the raw text), with the API key removed.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>.
    #[error("Synthflow {operation}: HTTP {status}: {message}")]
    Status {
        /// The operation, e.g. `create-custom-number`.
        operation: &'static str,
        /// The HTTP status Synthflow answered.
        status: u16,
        /// Synthflow's message.
        message: String,
    },

    /// Synthflow could not be reached, or did not answer in time.
    #[error("Synthflow {operation}: {reason}")]
    Unreachable {
        /// The operation, e.g. `get-phone-number`.
        operation: &'static str,
        /// What happened (timed out, connection refused or lost), never the URL or the key.
        reason: String,
    },

    /// Synthflow answered with a success status but a body not of the documented shape.
    #[error("Synthflow {operation}: unexpected response: {reason}")]
    Response {
        /// The operation, e.g. `list-assistants`.
        operation: &'static str,
        /// What was wrong with the body.
        reason: String,
    },
}

impl Error {
    /// The HTTP status Synthflow answered, for [`Error::Status`]; `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
