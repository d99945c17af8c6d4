//! Provisioning scenarios against a fake Synthflow that follows the documented API, through
//! [`provision::Provisioner::handle_json`], the entry point the runtime calls.

mod answer;
mod converging;
mod faults;
mod golden;
mod invalid_events;
mod support;
