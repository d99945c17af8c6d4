//! The answer: what happened to each number and its agent, where a number stopped and why,
//! the counts, and the log line written for each number.

use serde::Serialize;
use shared::phone::E164;

use crate::event::Mode;

/// What happened to a number in Synthflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NumberOutcome {
    /// Imported by this run.
    Created,
    /// Already in the workspace; left as it is.
    Exists,
    /// `plan`: would be imported.
    WouldCreate,
}

/// What happened to a number's inbound agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AgentOutcome {
    /// Created by this run, bound to the number.
    Created,
    /// Its differing settings were updated.
    Updated,
    /// Its settings already match.
    Unchanged,
    /// `plan`: would be created.
    WouldCreate,
    /// `plan`: would be updated (see `changed_fields`).
    WouldUpdate,
}

/// The step a number stopped at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Step {
    /// Not started: the invocation was about to time out.
    NotStarted,
    /// `GET /v2/numbers/{slug}`.
    LookupNumber,
    /// Reading the trunk credentials secret.
    TrunkCredentials,
    /// `POST /v2/custom-numbers`.
    ImportNumber,
    /// Listing the agents, finding the one bound to the number.
    FindAgent,
    /// `POST /v2/assistants`.
    CreateAgent,
    /// `PUT /v2/assistants/{model_id}`.
    UpdateAgent,
}

/// Why a number stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepError {
    /// Where it stopped; the steps before it are reported done, those after it were not tried.
    pub step: Step,
    /// The HTTP status Synthflow answered, if it answered.
    pub status: Option<u16>,
    /// What went wrong (Synthflow's message, if it sent one).
    pub message: String,
}

impl StepError {
    /// A step that failed talking to Synthflow: its status, if it answered, and its message.
    pub fn synthflow(step: Step, error: &synthflow::Error) -> Self {
        StepError {
            step,
            status: error.status(),
            message: error.to_string(),
        }
    }

    /// A step that failed before reaching Synthflow (reading the trunk credentials).
    pub fn local(step: Step, error: &shared::Error) -> Self {
        StepError {
            step,
            status: None,
            message: error.to_string(),
        }
    }

    /// A number not started because the invocation was about to time out.
    pub fn not_started() -> Self {
        StepError {
            step: Step::NotStarted,
            status: None,
            message: "not started: the invocation was about to time out; run the event again to \
                      finish"
                .to_owned(),
        }
    }
}

/// One number's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NumberReport {
    /// The number, E.164.
    pub phone_number: String,
    /// What happened to the number; `null` when its lookup failed.
    pub number: Option<NumberOutcome>,
    /// For a number that exists: the event's fields whose values differ from what Synthflow
    /// holds (`friendly_name`, `termination_uri`, …). Numbers are never changed, so these
    /// differences stay until they are fixed in Synthflow. Empty for other numbers.
    pub number_drift: Vec<String>,
    /// What happened to its agent; `null` when that step was not reached or failed.
    pub agent: Option<AgentOutcome>,
    /// The agent's id; `null` when there is none (yet).
    pub model_id: Option<String>,
    /// For `updated`/`would_update`: the fields that differ (`name`, `agent.prompt`, …).
    pub changed_fields: Vec<String>,
    /// What Twilio dials to reach the agent: `sip:+E164@<SYNTHFLOW_SIP_ENDPOINT>`.
    pub sip_uri: String,
    /// Where and why the number stopped; `null` when every step was done.
    pub error: Option<StepError>,
}

/// Counts over all numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Numbers in the event.
    pub total: usize,
    /// Numbers whose every step was done.
    pub succeeded: usize,
    /// Numbers that stopped at a step (see their `error`).
    pub failed: usize,
    /// Creates and updates made (`apply`) or that would be made (`plan`).
    pub changes: usize,
}

/// The function's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Output {
    /// The event's mode.
    pub mode: Mode,
    /// Counts.
    pub summary: Summary,
    /// One report per number, in the event's order.
    pub numbers: Vec<NumberReport>,
}

impl Output {
    /// The answer for `numbers`, with their counts.
    pub fn new(mode: Mode, numbers: Vec<NumberReport>) -> Self {
        let failed = numbers.iter().filter(|n| n.error.is_some()).count();
        let changes = numbers
            .iter()
            .map(|n| {
                usize::from(matches!(
                    n.number,
                    Some(NumberOutcome::Created | NumberOutcome::WouldCreate)
                )) + usize::from(matches!(
                    n.agent,
                    Some(
                        AgentOutcome::Created
                            | AgentOutcome::Updated
                            | AgentOutcome::WouldCreate
                            | AgentOutcome::WouldUpdate
                    )
                ))
            })
            .sum();
        Output {
            mode,
            summary: Summary {
                total: numbers.len(),
                succeeded: numbers.len() - failed,
                failed,
                changes,
            },
            numbers,
        }
    }
}

/// One log line per number; the number is masked, also inside messages.
pub fn log_number_report(report: &NumberReport, number: &E164, mode: Mode) {
    let masked = number.masked().to_string();
    let number_outcome = report.number.map_or("none", Into::into);
    let agent_outcome = report.agent.map_or("none", Into::into);
    if !report.number_drift.is_empty() {
        tracing::warn!(
            number = %masked,
            mode = mode.as_str(),
            number_drift = %report.number_drift.join(","),
            "provision: the number in Synthflow differs from the event and is left as it is: \
             change it in Synthflow, or delete it there and run again to import it anew"
        );
    }
    match &report.error {
        None => tracing::info!(
            number = %masked,
            mode = mode.as_str(),
            number_outcome,
            agent_outcome,
            model_id = report.model_id.as_deref().unwrap_or(""),
            changed_fields = %report.changed_fields.join(","),
            "provision: number done"
        ),
        Some(error) => tracing::warn!(
            number = %masked,
            mode = mode.as_str(),
            number_outcome,
            agent_outcome,
            step = <&str>::from(error.step),
            status = error.status,
            error = %error
                .message
                .replace(number.as_str(), &masked)
                .replace(number.slug(), &masked),
            "provision: number stopped"
        ),
    }
}
