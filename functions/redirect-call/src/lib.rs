//! Twilio voice webhook → TwiML that dials Synthflow over SIP, and the rest of the call:
//! transfers, the dial status, the number's fallback.
//!
//! `GET` and `POST /redirect_call` answer `200 text/xml` with
//! `<Response><Dial action=… referUrl=…><Sip>sip:+E164@endpoint?X-EI={CallSid}</Sip></Dial></Response>`;
//! `POST /refer` dials an allowed transfer target or refuses it, `POST /dial_status` hangs up
//! or falls back, `GET|POST /fallback` falls back. Every failure is a `4xx text/plain` line
//! naming what was wrong. Nothing here panics or answers 5xx
//! for any request: events are checked for what `lambda_http`'s conversion would panic on
//! before they are converted.
//!
//! - [`handler`]: the entry point, [`handle_event`], and the [`State`] it borrows;
//! - [`raw_event`]: checks of the raw event before conversion;
//! - [`request_target`]: the route and the public URL a request was sent to;
//! - [`webhook_form`]: the webhook's parameters from the query or the form body;
//! - [`signature_check`]: `X-Twilio-Signature` against the Twilio secret;
//! - [`dial`], [`external_id`]: the number, SIP headers and TwiML for one call;
//! - [`refer`], [`transfer_target`], [`transfer_allow_list`]: transfers;
//! - [`dial_status`], [`number_fallback`], [`fallback`]: the end of the agent leg;
//! - [`answer`], [`response`], [`request_log`]: the answer and the request's log line;
//! - [`context_recording`]: the call's parameters stored for Synthflow's pre-call action;
//! - [`config`], [`twilio_secret`]: the environment and the secret, read at cold start.

pub mod answer;
pub mod config;
pub mod context_recording;
pub mod dial;
pub mod dial_status;
pub mod external_id;
pub mod fallback;
pub mod handler;
pub mod number_fallback;
pub mod raw_event;
pub mod refer;
pub mod rejection;
pub mod request_log;
pub mod request_target;
pub mod response;
pub mod signature_check;
pub mod transfer_allow_list;
pub mod transfer_target;
pub mod twilio_secret;
pub mod webhook_form;

pub use handler::{State, handle, handle_event};
