//! Synthflow's pre-call action → the Twilio parameters `redirect-call` stored when it dialed
//! the call, as one flat JSON object of variables.
//!
//! `GET` or `POST /call_context`, authenticated by a token from Secrets Manager, naming the
//! call by `twilio_call_sid` (or `external_id`, …) in the query or a JSON body, answers
//! `200 {"twilio_call_sid": "CA…", "From": "+1…", "FromCity": …}`; `401` without a valid
//! token, `400` for a missing or malformed SID, `404` for an unknown or expired call, each
//! `{"error": …}`. Nothing is read before the token and the SID are checked.
//!
//! - [`handler`]: the entry point, [`handle_event`], and the [`State`] it borrows;
//! - [`lookup_request`]: the route, the body, the call SID asked about;
//! - [`access_token`]: the token and its secret;
//! - [`context_store`]: the table;
//! - [`refusal`], [`response`], [`lookup_log`]: the answer and the request's log line;
//! - [`config`]: the environment, read at cold start.

pub mod access_token;
pub mod config;
pub mod context_store;
pub mod handler;
pub mod lookup_log;
pub mod lookup_request;
pub mod refusal;
pub mod response;

pub use handler::{State, handle_event};
