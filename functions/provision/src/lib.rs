//! Provisioning: for each number of the event, import it into Synthflow as a custom number and
//! create (or update) the inbound agent bound to it — steps 1 and 2 of Synthflow's direct SIP
//! dialing. Safe to repeat: what exists is left alone, an agent is updated only where its
//! settings differ, and a second run of the same event writes nothing.
//!
//! Per number, in order:
//! 1. `GET /v2/numbers/{slug}?workspace=…`; if absent, `POST /v2/custom-numbers`
//!    (trunk credentials read from Secrets Manager when the event names a secret); if present,
//!    never changed: the event's fields that differ are reported (`number_drift`);
//! 2. list the agents (`GET /v2/assistants/`, every page, once per invocation) and find the
//!    inbound agent bound to the number;
//! 3. none: `POST /v2/assistants` (`type` inbound, `phone_number`, `voice_engine_version`) —
//!    only once the number exists; one: `PUT /v2/assistants/{model_id}` with the fields that
//!    differ, or nothing.
//!
//! `plan` does the reads and reports what `apply` would write. The event is read from its JSON
//! text (a key given twice is refused) and validated whole before any request; an invalid event
//! is an error naming the field (`numbers[1].phone_number`), never quoting its value, and
//! nothing is done. Otherwise the answer reports each number: what was done, what was not,
//! and where it stopped; a failing number does not stop the others.
//!
//! Sources: <https://docs.synthflow.ai/route-sip-calls>,
//! <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>,
//! <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>,
//! <https://docs.synthflow.ai/api-reference/platform-api/agents/update-assistant>.
//!
//! Modules, one concern each:
//! - [`event`]: the event's types, read strictly from its JSON text and validated whole;
//! - [`plan`]: what would change, computed from the event and Synthflow's answers (pure);
//! - [`report`]: the answer — outcomes, where a number stopped, counts — and its log lines;
//! - [`provisioner`]: the flow and its collaborators (the Synthflow client, [`TrunkSecrets`]);
//! - [`config`]: the function's environment; [`secrets`]: the secrets it reads.

pub mod config;
pub mod event;
pub mod plan;
pub mod provisioner;
pub mod report;
pub mod secrets;

pub use event::{Event, Mode, ProvisionError, parse_event, parse_json};
pub use provisioner::{DEADLINE_RESERVE, Provisioner, TrunkSecrets, deadline_of};
pub use report::{AgentOutcome, NumberOutcome, NumberReport, Output, Step, StepError, Summary};
