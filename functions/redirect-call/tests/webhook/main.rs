//! The webhook's tests through its public entry points, on the committed events.

mod call_context_moto;
mod committed_events;
mod logs;
mod properties;
mod secrets_moto;
mod support;
