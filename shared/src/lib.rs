//! Types and pure logic shared by the synthflow-sip-bridge functions.
//!
//! - [`twilio`]: the parameters of Twilio's voice webhook (decoded the way Twilio encodes them).
//! - [`phone`]: E.164 numbers as Twilio sends them, and their masked form for logs.
//! - [`sip`]: the SIP URI dialed at Synthflow, with Twilio's limits on headers and length.
//! - [`twiml`]: a TwiML writer whose output matches Twilio's helper libraries byte for byte.
//! - [`secrets`]: credentials from AWS Secrets Manager, cached and refreshed lazily.
//! - [`aws_sdk`]: the AWS SDK configuration every client is built from: timeouts, the HTTPS
//!   client and its trust store (Amazon's root CAs, compiled in).
//! - [`call_context`]: the DynamoDB item a call's context is stored as (written by
//!   `redirect-call` when it dials, read by `call-context`).
//! - [`env`]: reading environment variables, and the checks every function's configuration
//!   shares (SIP endpoint, URL, printable text, secret id).
//! - [`strict_json`]: JSON read with repeated keys refused and errors that never quote values.
//!
//! Every fallible function returns [`Error`], the crate's one error type.

pub mod aws_sdk;
pub mod call_context;
pub mod env;
mod error;
pub mod phone;
pub mod secrets;
pub mod sip;
pub mod strict_json;
pub mod twilio;
pub mod twiml;

pub use error::Error;
