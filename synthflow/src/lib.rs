//! Synthflow's Platform API: the requests and answers provisioning needs, and one HTTP client.
//!
//! A crate of its own so that only the functions that call Synthflow's API (provision) compile
//! `reqwest` and `backon`; the webhook dials Synthflow by SIP and needs none of it.
//!
//! - [`types`]: request bodies (typed after the field tables of Synthflow's API reference) and
//!   answers (lenient: unknown fields are ignored, the `status` text is never read).
//! - [`Client`]: one `reqwest` client with timeouts, retries with backoff for reads, and creates
//!   that look the resource up before trying again, so that a lost answer never yields a
//!   duplicate number or agent.
//!
//! Every call sends `Authorization: Bearer <api key>` to a base URL that must match the
//! workspace's cluster: [`GLOBAL_API_BASE`], [`US_API_BASE`] or [`EU_API_BASE`].
//! Sources: <https://docs.synthflow.ai/authentication>,
//! <https://docs.synthflow.ai/customer-region/llms.txt>.

mod client;
mod error;
pub mod types;

pub use client::{Client, ClientOptions};
pub use error::Error;
pub use types::*;

/// Base URL of Synthflow's Global cluster (the API reference's default server).
pub const GLOBAL_API_BASE: &str = "https://api.synthflow.ai/v2";
/// Base URL of Synthflow's US cluster.
pub const US_API_BASE: &str = "https://api.us.synthflow.ai/v2";
/// Base URL of Synthflow's EU cluster.
pub const EU_API_BASE: &str = "https://api.eu.synthflow.ai/v2";
