//! The provisioning flow: for each number of a validated event, look it up and import it if
//! absent, then find, create or update its inbound agent — several numbers at once, one agent
//! list per invocation, and no number started too close to the invocation's deadline.

use std::future::Future;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use shared::secrets::SecretStore;
use shared::sip::{SipEndpoint, SipUri, Transport};
use synthflow::{Assistant, AssistantType, Client, CreateCustomNumber};
use tokio::sync::OnceCell;

use crate::event::{Event, Mode, NumberSpec, ProvisionError, parse_event, parse_json};
use crate::plan::{agent_update, create_assistant_body, number_drift};
use crate::report::{
    AgentOutcome, NumberOutcome, NumberReport, Output, Step, StepError, log_number_report,
};
use crate::secrets::TrunkCredentials;

/// Numbers are not started in the last part of an invocation — this long, or a quarter of the
/// time the invocation started with if that is less — so that the answer can still say what
/// was and was not done before Lambda stops the function.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(30);

/// Wall-clock times before this (2001-09-09, in ms since the epoch) are not deadlines.
const EARLIEST_DEADLINE_MS: u64 = 1_000_000_000_000;

/// When the invocation times out, from Lambda's `Lambda-Runtime-Deadline-Ms` (ms since the
/// epoch). `None` when the runtime gave no usable time: `cargo lambda watch` sends the
/// function's timeout there (e.g. `600000`), not a point in time.
pub fn deadline_of(context: &lambda_runtime::Context) -> Option<SystemTime> {
    (context.deadline >= EARLIEST_DEADLINE_MS).then(|| context.deadline())
}

/// Where trunk credentials come from: Secrets Manager in the function, a map in tests.
pub trait TrunkSecrets: Send + Sync {
    /// The credentials held by `secret_id` (`{"username", "password"}`).
    ///
    /// # Errors
    /// [`shared::Error::Secret`] naming the secret and what is wrong.
    fn trunk_credentials(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<TrunkCredentials, shared::Error>> + Send;
}

impl TrunkSecrets for SecretStore {
    async fn trunk_credentials(&self, secret_id: &str) -> Result<TrunkCredentials, shared::Error> {
        self.fetch::<TrunkCredentials>(secret_id).await
    }
}

/// The agents of the workspace, listed once per invocation on first need.
type AgentList = OnceCell<Result<Vec<Assistant>, synthflow::Error>>;

/// What the function holds between invocations: the Synthflow client, the workspace, where
/// Twilio dials, and the trunk-credentials source.
#[derive(Debug)]
pub struct Provisioner<S> {
    client: Client,
    workspace_id: String,
    sip_endpoint: SipEndpoint,
    sip_transport: Transport,
    concurrency: usize,
    secrets: S,
}

impl<S: TrunkSecrets> Provisioner<S> {
    /// Works on `concurrency` numbers at once (at least one) in `workspace_id`; each report's
    /// `sip_uri` is written for `sip_endpoint` and `sip_transport`, as the webhook dials it.
    pub fn new(
        client: Client,
        workspace_id: String,
        sip_endpoint: SipEndpoint,
        sip_transport: Transport,
        concurrency: usize,
        secrets: S,
    ) -> Self {
        Provisioner {
            client,
            workspace_id,
            sip_endpoint,
            sip_transport,
            concurrency: concurrency.max(1),
            secrets,
        }
    }

    /// Handles one event, given as the JSON text the function receives. `deadline` is when the
    /// invocation times out, if known: numbers that would start within the reserve before it
    /// (see [`DEADLINE_RESERVE`]) are reported as not started.
    ///
    /// Logs one line per number and one for the invocation.
    ///
    /// # Errors
    /// [`ProvisionError::InvalidEvent`] (a key given twice included, see [`parse_json`]),
    /// before any request is made. Failures of Synthflow or Secrets Manager are reported per
    /// number in the [`Output`].
    pub async fn handle_json(
        &self,
        event: &str,
        deadline: Option<SystemTime>,
    ) -> Result<Output, ProvisionError> {
        let event = parse_json(event)
            .and_then(parse_event)
            .inspect_err(|error| {
                let ProvisionError::InvalidEvent { field, .. } = error;
                tracing::warn!(field = %field, outcome = "invalid_event", "provision: nothing done");
            })?;
        Ok(self.provision_event(&event, deadline).await)
    }

    /// Provisions every number of `event`, `concurrency` at a time, in the event's order.
    async fn provision_event(&self, event: &Event, deadline: Option<SystemTime>) -> Output {
        let cutoff = deadline.map(|deadline| {
            let left = deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            deadline - (left / 4).min(DEADLINE_RESERVE)
        });
        let agents = AgentList::new();
        let reports: Vec<NumberReport> = futures_util::stream::iter(&event.numbers)
            .map(|spec| self.provision_number(event.mode, spec, &agents, cutoff))
            .buffered(self.concurrency)
            .collect()
            .await;
        let output = Output::new(event.mode, reports);
        tracing::info!(
            mode = event.mode.as_str(),
            total = output.summary.total,
            succeeded = output.summary.succeeded,
            failed = output.summary.failed,
            changes = output.summary.changes,
            "provision: done"
        );
        output
    }

    /// One number's report: not started past `cutoff`, else as far as its steps got.
    async fn provision_number(
        &self,
        mode: Mode,
        spec: &NumberSpec,
        agents: &AgentList,
        cutoff: Option<SystemTime>,
    ) -> NumberReport {
        let mut report = NumberReport {
            phone_number: spec.phone_number.to_string(),
            number: None,
            number_drift: Vec::new(),
            agent: None,
            model_id: None,
            changed_fields: Vec::new(),
            sip_uri: SipUri::address(&spec.phone_number, &self.sip_endpoint, self.sip_transport),
            error: None,
        };
        if cutoff.is_some_and(|cutoff| SystemTime::now() >= cutoff) {
            report.error = Some(StepError::not_started());
        } else if let Err(error) = self
            .import_number_and_bind_agent(mode, spec, agents, &mut report)
            .await
        {
            report.error = Some(error);
        }
        log_number_report(&report, &spec.phone_number, mode);
        report
    }

    /// The number's steps in order, recording each outcome in `report` as it is reached.
    async fn import_number_and_bind_agent(
        &self,
        mode: Mode,
        spec: &NumberSpec,
        agents: &AgentList,
        report: &mut NumberReport,
    ) -> Result<(), StepError> {
        self.import_number(mode, spec, report).await?;
        self.bind_agent(mode, spec, agents, report).await
    }

    /// Step 1: look the number up; import it if absent (`apply`), report its drift if present.
    async fn import_number(
        &self,
        mode: Mode,
        spec: &NumberSpec,
        report: &mut NumberReport,
    ) -> Result<(), StepError> {
        let existing = self
            .client
            .get_phone_number(&self.workspace_id, &spec.phone_number)
            .await
            .map_err(|e| StepError::synthflow(Step::LookupNumber, &e))?;
        if let Some(existing) = existing {
            report.number = Some(NumberOutcome::Exists);
            report.number_drift = number_drift(spec, &existing);
            return Ok(());
        }
        let body = self.import_body(spec).await?;
        if mode == Mode::Apply {
            self.client
                .create_custom_number(&body)
                .await
                .map_err(|e| StepError::synthflow(Step::ImportNumber, &e))?;
            report.number = Some(NumberOutcome::Created);
        } else {
            report.number = Some(NumberOutcome::WouldCreate);
        }
        Ok(())
    }

    /// Step 2: find the inbound agent bound to the number; create it if there is none, update
    /// the fields that differ if there is one, refuse to guess if there are several.
    async fn bind_agent(
        &self,
        mode: Mode,
        spec: &NumberSpec,
        agents: &AgentList,
        report: &mut NumberReport,
    ) -> Result<(), StepError> {
        let all = agents
            .get_or_init(|| self.client.list_assistants())
            .await
            .as_ref()
            .map_err(|e| StepError::synthflow(Step::FindAgent, e))?;
        let bound: Vec<&Assistant> = all
            .iter()
            .filter(|a| a.is(AssistantType::Inbound) && a.is_bound_to(&spec.phone_number))
            .collect();
        match bound.as_slice() {
            [] if mode == Mode::Plan => report.agent = Some(AgentOutcome::WouldCreate),
            [] => {
                let model_id = self
                    .client
                    .create_assistant(&create_assistant_body(spec), all)
                    .await
                    .map_err(|e| StepError::synthflow(Step::CreateAgent, &e))?;
                report.model_id = Some(model_id);
                report.agent = Some(AgentOutcome::Created);
            }
            [current] => {
                report.model_id = Some(current.model_id.clone());
                let (changes, changed_fields) = agent_update(current, &spec.agent);
                if changes.is_empty() {
                    report.agent = Some(AgentOutcome::Unchanged);
                } else if mode == Mode::Plan {
                    report.changed_fields = changed_fields;
                    report.agent = Some(AgentOutcome::WouldUpdate);
                } else {
                    report.changed_fields = changed_fields;
                    self.client
                        .update_assistant(&current.model_id, &changes)
                        .await
                        .map_err(|e| StepError::synthflow(Step::UpdateAgent, &e))?;
                    report.agent = Some(AgentOutcome::Updated);
                }
            }
            many => {
                let ids: Vec<&str> = many.iter().map(|a| a.model_id.as_str()).collect();
                return Err(StepError {
                    step: Step::FindAgent,
                    status: None,
                    message: format!(
                        "{} inbound agents are bound to this number ({}), Synthflow allows one: \
                         detach the extra ones in Synthflow, then run again",
                        many.len(),
                        ids.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The `POST /v2/custom-numbers` body, with trunk credentials read from their secret.
    async fn import_body(&self, spec: &NumberSpec) -> Result<CreateCustomNumber, StepError> {
        let credentials = match &spec.trunk_credentials_secret_id {
            Some(id) => Some(
                self.secrets
                    .trunk_credentials(id)
                    .await
                    .map_err(|e| StepError::local(Step::TrunkCredentials, &e))?,
            ),
            None => None,
        };
        let (trunk_username, trunk_pwd) = match credentials {
            Some(c) => (Some(c.username), Some(c.password)),
            None => (None, None),
        };
        Ok(CreateCustomNumber {
            workspace_id: self.workspace_id.clone(),
            phone_number: spec.phone_number.clone(),
            friendly_name: spec.friendly_name.clone(),
            provider_name: spec.provider_name,
            termination_uri: spec.termination_uri.clone(),
            trunk_username,
            trunk_pwd,
            sip_outbound_proxy: spec.sip_outbound_proxy.clone(),
            sip_auth_username: spec.sip_auth_username.clone(),
            uac_enabled: spec.uac_enabled,
            uac_register_expires: spec.uac_register_expires,
        })
    }
}
