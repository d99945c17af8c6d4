//! One log line a request: the outcome and status, the call SID when answered, how many
//! variables were sent. Never a variable's value (they hold phone numbers and names) nor a
//! token.

use shared::call_context::CallContext;

use crate::refusal::Refusal;

/// Logs the outcome of one request.
pub fn log_lookup(result: &Result<CallContext, Refusal>) {
    match result {
        Ok(context) => tracing::info!(
            outcome = "answered",
            status = 200,
            call_sid = %context.call_sid,
            variables = context.variables.len(),
            "call context answered"
        ),
        Err(refusal) => tracing::warn!(
            outcome = refusal.outcome(),
            status = refusal.status().as_u16(),
            "call context refused: {}",
            refusal.message()
        ),
    }
}
