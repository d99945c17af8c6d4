//! The `X-EI` header: the call's external id at Synthflow, which it shows as `<external_id>`
//! in actions and `call.external_id` in the post-call webhook.
//!
//! Two forms are written, chosen by `X_EI_FORMAT`:
//! - `callsid` (default): the bare `CallSid`, `X-EI=CA…`, as Synthflow's direct-SIP integration
//!   page shows it (<https://docs.synthflow.ai/route-sip-calls>);
//! - `tokens`: `E.<CallSid>;`, the token form Synthflow's X-EI reference parses (`(S|E|O).<value>;`,
//!   `E.` being the external id; it calls the bare form legacy:
//!   <https://docs.synthflow.ai/x-ei-sip-header>). In the URI the value is percent-encoded
//!   once, like every header value: `X-EI=E%2ECA…%3B`; Twilio decodes URI headers when it
//!   writes the INVITE (RFC 3261 §19.1.1), so Synthflow receives `X-EI: E.CA…;`.

use shared::twilio::CallSid;

/// Length of a `CallSid`: `CA` and 32 hex digits.
const CALL_SID_LEN: usize = 34;

/// The form of the `X-EI` value.
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
pub enum ExternalIdFormat {
    /// `CA…`.
    #[default]
    CallSid,
    /// `E.CA…;`.
    Tokens,
}

impl ExternalIdFormat {
    /// The header value (before percent-encoding) for `call_sid`.
    pub fn value(self, call_sid: &CallSid) -> String {
        match self {
            ExternalIdFormat::CallSid => call_sid.as_str().to_owned(),
            ExternalIdFormat::Tokens => format!("E.{};", call_sid.as_str()),
        }
    }

    /// Length of the value in the URI, percent-encoded: 34 (`CA…`) or 41 (`E%2ECA…%3B`).
    pub fn encoded_len(self) -> usize {
        match self {
            ExternalIdFormat::CallSid => CALL_SID_LEN,
            ExternalIdFormat::Tokens => "E%2E".len() + CALL_SID_LEN + "%3B".len(),
        }
    }
}
