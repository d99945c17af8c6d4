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

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use lambda_runtime::Diagnostic;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use shared::phone::E164;
use shared::secrets::SecretStore;
use shared::sip::SipEndpoint;
use synthflow::{
    AgentSettings, Assistant, AssistantFields, AssistantType, CREATE_ONLY_AGENT_FIELDS, Client,
    CreateAssistant, CreateCustomNumber, PhoneNumber, ProviderName, UpdateAssistant,
    VOICE_ENGINE_VERSION,
};
use tokio::sync::OnceCell;

use crate::secrets::TrunkCredentials;

pub mod config;
pub mod secrets;

/// Numbers are not started in the last part of an invocation — this long, or a quarter of the
/// time the invocation started with if that is less — so that the answer can still say what
/// was and was not done before Lambda stops the function.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(30);

/// Top-level agent fields in the event's flat `agent` block; every other key belongs to the
/// `agent` object of Synthflow's schema ([`AgentSettings`]).
const ASSISTANT_FIELDS: [&str; 7] = [
    "name",
    "description",
    "external_webhook_url",
    "inbound_call_webhook_url",
    "is_recording",
    "max_duration",
    "voicemail_message",
];
/// Agent fields provisioning writes itself.
const SET_BY_PROVISION: [&str; 3] = ["type", "phone_number", "model_id"];
/// Agent fields the event must give (the create schema requires `name`; every Synthflow guide
/// sends the other five).
const REQUIRED_AGENT_SETTINGS: [&str; 5] =
    ["llm", "language", "prompt", "greeting_message", "voice_id"];

// ---------------------------------------------------------------------------------------------
// Collaborators
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The event
// ---------------------------------------------------------------------------------------------

/// `plan`: read only, report what would change. `apply`: make the changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Report only.
    Plan,
    /// Write.
    Apply,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Plan => "plan",
            Mode::Apply => "apply",
        }
    }
}

/// Only the strings `plan` and `apply` (serde's derive would also take `{"plan": null}`).
impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "plan" => Ok(Mode::Plan),
            "apply" => Ok(Mode::Apply),
            other => Err(D::Error::unknown_variant(other, &["plan", "apply"])),
        }
    }
}

/// The event as it arrives, before the checks that need more than types.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    mode: Mode,
    numbers: Vec<RawNumber>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumber {
    phone_number: String,
    #[serde(default)]
    friendly_name: Option<String>,
    #[serde(default)]
    provider_name: Option<ProviderName>,
    #[serde(default)]
    termination_uri: Option<String>,
    #[serde(default)]
    trunk_credentials_secret_id: Option<String>,
    #[serde(default)]
    sip_outbound_proxy: Option<String>,
    #[serde(default)]
    sip_auth_username: Option<String>,
    #[serde(default)]
    uac_enabled: Option<bool>,
    #[serde(default)]
    uac_register_expires: Option<u32>,
    agent: Map<String, Value>,
}

/// A validated event.
#[derive(Debug)]
pub struct Event {
    /// Plan or apply.
    pub mode: Mode,
    numbers: Vec<NumberSpec>,
}

#[derive(Debug)]
struct NumberSpec {
    phone_number: E164,
    friendly_name: Option<String>,
    provider_name: Option<ProviderName>,
    termination_uri: Option<String>,
    trunk_credentials_secret_id: Option<String>,
    sip_outbound_proxy: Option<String>,
    sip_auth_username: Option<String>,
    uac_enabled: Option<bool>,
    uac_register_expires: Option<u32>,
    agent: AgentSpec,
}

#[derive(Debug)]
struct AgentSpec {
    fields: AssistantFields,
    settings: AgentSettings,
    voice_engine_version: Option<String>,
}

/// Why the invocation did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    /// The event is not valid; `field` is its path, e.g. `numbers[1].agent.voice_id`.
    #[error("invalid event: {field}: {reason}")]
    InvalidEvent {
        /// Path of the offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ProvisionError {
    /// The error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            ProvisionError::InvalidEvent { .. } => "InvalidEvent",
        }
    }
}

impl From<ProvisionError> for Diagnostic {
    fn from(error: ProvisionError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ProvisionError {
    ProvisionError::InvalidEvent {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A serde error, with the path of the field it is about under `prefix`. The description never
/// quotes a value of the event (see [`without_values`]).
fn from_serde(
    prefix: &str,
    error: serde_path_to_error::Error<serde_json::Error>,
) -> ProvisionError {
    let path = error.path().to_string();
    let message = error.into_inner().to_string();
    let mut field = match path.as_str() {
        "." | "" => prefix.to_owned(),
        p if prefix.is_empty() => p.to_owned(),
        p => format!("{prefix}.{p}"),
    };
    // serde names a missing field in the message, at the path of the object that lacks it.
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        field = if field.is_empty() {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        };
        return invalid(field, "required");
    }
    if field.is_empty() {
        field = "(event)".to_owned();
    }
    if prefix.ends_with(".agent") && message.starts_with("unknown field") {
        // The list serde gives would leave out the top-level agent fields.
        return invalid(
            field,
            "not a field of Synthflow's agent schema (Synthflow would ignore it, and every run \
             would find the agent different); see the README for the fields",
        );
    }
    invalid(field, without_values(&message))
}

/// serde's description of a data error without the value it found: serde quotes it
/// (``invalid type: integer `14155550130`, expected a string``, `invalid type: string "…"`,
/// ``unknown variant `…` ``), and a value of the event may be a phone number. What was found
/// (its type) and what was expected are kept, and the types internal to this crate are named
/// as JSON: `invalid type: integer, expected a string`.
fn without_values(message: &str) -> String {
    // Everything after the last ", expected " is serde's or ours, never the event's: the value
    // comes before it (and may itself hold ", expected ").
    let (found, expected) = match message.rfind(", expected ") {
        Some(at) => (&message[..at], Some(&message[at + 2..])),
        None => (message, None),
    };
    let found = found
        .find(['`', '"'])
        .map_or(found, |quote| found[..quote].trim_end());
    let Some(expected) = expected else {
        return found.to_owned();
    };
    let expected = match expected {
        "expected a map" => "expected a JSON object",
        "expected a sequence" => "expected a JSON array",
        e if e.starts_with("expected struct ") => "expected a JSON object",
        e => e,
    };
    format!("{found}, {expected}")
}

/// Reads the event's JSON text as the function receives it, and refuses any key given twice in
/// one object, anywhere in the event: a parse into [`Value`] keeps the last of them silently
/// (`{"mode": "plan", …, "mode": "apply"}` would write).
///
/// # Errors
/// [`ProvisionError::InvalidEvent`] naming the path of the repeated key (`mode`,
/// `numbers[0].phone_number`, `numbers[0].agent.prompt`), or `(event)` for text that is not
/// JSON.
pub fn parse_json(text: &str) -> Result<Value, ProvisionError> {
    let not_json = |e: serde_json::Error| invalid("(event)", format!("not JSON: {e}"));
    let repeated = RefCell::new(None);
    let mut json = serde_json::Deserializer::from_str(text);
    let checked = UniqueKeys {
        path: String::new(),
        repeated: &repeated,
    }
    .deserialize(&mut json)
    .and_then(|()| json.end());
    if let Some(path) = repeated.into_inner() {
        return Err(invalid(
            path,
            "given twice in the same object: give each key once",
        ));
    }
    checked.map_err(not_json)?;
    serde_json::from_str(text).map_err(not_json)
}

/// Walks a JSON value and fails at the first key repeated within an object, leaving its path
/// in `repeated`.
struct UniqueKeys<'a> {
    path: String,
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0_usize;
        loop {
            let item = UniqueKeys {
                path: format!("{}[{index}]", self.path),
                repeated: self.repeated,
            };
            if items.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                *self.repeated.borrow_mut() = Some(path);
                return Err(A::Error::custom("a key is given twice"));
            }
            entries.next_value_seed(UniqueKeys {
                path,
                repeated: self.repeated,
            })?;
        }
        Ok(())
    }
}

/// Checks the whole event: types, required fields, E.164 numbers, duplicates, provider rules,
/// ranges, documented agent fields only.
///
/// # Errors
/// [`ProvisionError::InvalidEvent`] for the first problem found.
pub fn parse_event(event: Value) -> Result<Event, ProvisionError> {
    no_object_as_array(&event)?;
    if let Some(numbers) = event.get("numbers").and_then(Value::as_array) {
        for (i, number) in numbers.iter().enumerate() {
            for key in ["trunk_pwd", "trunk_password", "password", "trunk_username"] {
                if number.get(key).is_some() {
                    return Err(invalid(
                        format!("numbers[{i}].{key}"),
                        "trunk credentials are never given in the event: put {\"username\", \
                         \"password\"} in a Secrets Manager secret and name it in \
                         trunk_credentials_secret_id",
                    ));
                }
            }
        }
    }
    let raw: RawEvent = serde_path_to_error::deserialize(event).map_err(|e| from_serde("", e))?;
    if raw.numbers.is_empty() {
        return Err(invalid("numbers", "empty: list at least one number"));
    }
    let mut numbers: Vec<NumberSpec> = Vec::with_capacity(raw.numbers.len());
    for (i, raw) in raw.numbers.into_iter().enumerate() {
        let spec = parse_number(i, raw)?;
        if let Some(first) = numbers
            .iter()
            .position(|n| n.phone_number == spec.phone_number)
        {
            return Err(invalid(
                format!("numbers[{i}].phone_number"),
                format!("the same number as numbers[{first}].phone_number"),
            ));
        }
        numbers.push(spec);
    }
    Ok(Event {
        mode: raw.mode,
        numbers,
    })
}

/// Where the event has an object, an array is refused: serde reads a struct from an array too,
/// field by field in order (`["apply", [[…]]]` would pass for an event).
fn no_object_as_array(event: &Value) -> Result<(), ProvisionError> {
    let array = |path: String| invalid(path, "invalid type: sequence, expected a JSON object");
    if event.is_array() {
        return Err(array("(event)".to_owned()));
    }
    let numbers = event.get("numbers").and_then(Value::as_array);
    for (i, number) in numbers.into_iter().flatten().enumerate() {
        if number.is_array() {
            return Err(array(format!("numbers[{i}]")));
        }
        let Some(agent) = number.get("agent") else {
            continue;
        };
        for key in ["max_duration", "voicemail_message", "background_noise"] {
            if agent.get(key).is_some_and(Value::is_array) {
                return Err(array(format!("numbers[{i}].agent.{key}")));
            }
        }
        let reasons = agent.get("end_call_reasons_v2").and_then(Value::as_array);
        for (j, reason) in reasons.into_iter().flatten().enumerate() {
            if reason.is_array() {
                return Err(array(format!(
                    "numbers[{i}].agent.end_call_reasons_v2[{j}]"
                )));
            }
        }
    }
    Ok(())
}

fn parse_number(i: usize, raw: RawNumber) -> Result<NumberSpec, ProvisionError> {
    let at = |field: &str| format!("numbers[{i}].{field}");
    let phone_number =
        E164::parse(&raw.phone_number).map_err(|r| invalid(at("phone_number"), r))?;
    for (name, value) in [
        ("friendly_name", &raw.friendly_name),
        ("termination_uri", &raw.termination_uri),
        ("sip_outbound_proxy", &raw.sip_outbound_proxy),
        ("sip_auth_username", &raw.sip_auth_username),
        (
            "trunk_credentials_secret_id",
            &raw.trunk_credentials_secret_id,
        ),
    ] {
        if let Some(value) = value
            && (value.trim().is_empty() || value.chars().any(char::is_control))
        {
            return Err(invalid(
                at(name),
                "empty or holds control characters (leave it out instead)",
            ));
        }
    }
    if ProviderName::requires_termination_uri(raw.provider_name) && raw.termination_uri.is_none() {
        return Err(invalid(
            at("termination_uri"),
            "required for this provider_name (custom when left out): Synthflow refuses the \
             import without it. Use your SIP trunk's termination host, e.g. \
             <name>.pstn.twilio.com",
        ));
    }
    if let Some(uri) = &raw.termination_uri
        && uri.chars().any(char::is_whitespace)
    {
        return Err(invalid(at("termination_uri"), "holds spaces"));
    }
    if let Some(id) = &raw.trunk_credentials_secret_id
        && !shared::secrets::is_secret_id(id)
    {
        return Err(invalid(
            at("trunk_credentials_secret_id"),
            "not a Secrets Manager secret name or ARN",
        ));
    }
    if raw.uac_enabled == Some(true) && raw.trunk_credentials_secret_id.is_none() {
        return Err(invalid(
            at("trunk_credentials_secret_id"),
            "required when uac_enabled is true: Synthflow needs trunk_username and trunk_pwd \
             to register",
        ));
    }
    if raw
        .uac_register_expires
        .is_some_and(|s| !(60..=3600).contains(&s))
    {
        return Err(invalid(
            at("uac_register_expires"),
            "expected whole seconds from 60 to 3600",
        ));
    }
    Ok(NumberSpec {
        agent: parse_agent(i, raw.agent)?,
        phone_number,
        friendly_name: raw.friendly_name,
        provider_name: raw.provider_name,
        termination_uri: raw.termination_uri,
        trunk_credentials_secret_id: raw.trunk_credentials_secret_id,
        sip_outbound_proxy: raw.sip_outbound_proxy,
        sip_auth_username: raw.sip_auth_username,
        uac_enabled: raw.uac_enabled,
        uac_register_expires: raw.uac_register_expires,
    })
}

fn parse_agent(i: usize, block: Map<String, Value>) -> Result<AgentSpec, ProvisionError> {
    let prefix = format!("numbers[{i}].agent");
    let at = |field: &str| format!("{prefix}.{field}");
    let mut top = Map::new();
    let mut inner = Map::new();
    let mut voice_engine_version = Some(VOICE_ENGINE_VERSION.to_owned());
    for (key, value) in block {
        if SET_BY_PROVISION.contains(&key.as_str()) {
            return Err(invalid(at(&key), "set by provisioning, not by the event"));
        }
        match key.as_str() {
            "end_call_reasons" => {
                return Err(invalid(
                    at(&key),
                    "deprecated and ignored by Synthflow: use end_call_reasons_v2",
                ));
            }
            "agent" => {
                return Err(invalid(
                    at(&key),
                    "the agent block is flat: give the agent's settings (llm, prompt, …) \
                     directly in it",
                ));
            }
            "voice_engine_version" => {
                voice_engine_version = match value {
                    Value::Null => None,
                    Value::String(v) if !v.trim().is_empty() => Some(v),
                    _ => {
                        return Err(invalid(
                            at(&key),
                            "expected a version such as \"2.0\", or null to leave it out",
                        ));
                    }
                };
            }
            k if ASSISTANT_FIELDS.contains(&k) => {
                top.insert(key, value);
            }
            _ => {
                inner.insert(key, value);
            }
        }
    }
    let fields: AssistantFields =
        serde_path_to_error::deserialize(Value::Object(top)).map_err(|e| from_serde(&prefix, e))?;
    let settings: AgentSettings = serde_path_to_error::deserialize(Value::Object(inner))
        .map_err(|e| from_serde(&prefix, e))?;
    if fields.name.trim().is_empty() {
        return Err(invalid(at("name"), "required (not empty)"));
    }
    let given = serde_json::to_value(&settings).unwrap_or_default();
    for name in REQUIRED_AGENT_SETTINGS {
        if given[name].as_str().is_none_or(|v| v.trim().is_empty()) {
            return Err(invalid(at(name), "required (not empty)"));
        }
    }
    for (name, url) in [
        ("external_webhook_url", &fields.external_webhook_url),
        ("inbound_call_webhook_url", &fields.inbound_call_webhook_url),
    ] {
        let ok = url.as_deref().is_none_or(|u| {
            url::Url::parse(u)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        });
        if !ok {
            return Err(invalid(at(name), "expected an absolute http(s) URL"));
        }
    }
    for (name, value) in [
        ("voice_stability", settings.voice_stability),
        ("voice_similarity_boost", settings.voice_similarity_boost),
        ("voice_style", settings.voice_style),
    ] {
        if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            return Err(invalid(at(name), "expected a number from 0 to 1"));
        }
    }
    if settings
        .voice_optimise_streaming_latency
        .is_some_and(|v| v > 4)
    {
        return Err(invalid(
            at("voice_optimise_streaming_latency"),
            "expected a whole number from 0 to 4",
        ));
    }
    Ok(AgentSpec {
        fields,
        settings,
        voice_engine_version,
    })
}

// ---------------------------------------------------------------------------------------------
// The answer
// ---------------------------------------------------------------------------------------------

/// What happened to a number in Synthflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberOutcome {
    /// Imported by this run.
    Created,
    /// Already in the workspace; left as it is.
    Exists,
    /// `plan`: would be imported.
    WouldCreate,
}

/// What happened to a number's inbound agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
    fn synthflow(step: Step, error: synthflow::Error) -> Self {
        StepError {
            step,
            status: error.status(),
            message: error.to_string(),
        }
    }

    /// A step that failed before reaching Synthflow (reading the trunk credentials).
    fn local(step: Step, error: shared::Error) -> Self {
        StepError {
            step,
            status: None,
            message: error.to_string(),
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
    fn new(mode: Mode, numbers: Vec<NumberReport>) -> Self {
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

// ---------------------------------------------------------------------------------------------
// The work
// ---------------------------------------------------------------------------------------------

/// Wall-clock times before this (2001-09-09, in ms since the epoch) are not deadlines.
const EARLIEST_DEADLINE_MS: u64 = 1_000_000_000_000;

/// When the invocation times out, from Lambda's `Lambda-Runtime-Deadline-Ms` (ms since the
/// epoch). `None` when the runtime gave no usable time: `cargo lambda watch` sends the
/// function's timeout there (e.g. `600000`), not a point in time.
pub fn deadline_of(context: &lambda_runtime::Context) -> Option<SystemTime> {
    (context.deadline >= EARLIEST_DEADLINE_MS).then(|| context.deadline())
}

/// What the function holds between invocations: the Synthflow client, the workspace, where
/// Twilio dials, and the trunk-credentials source.
#[derive(Debug)]
pub struct Provisioner<S> {
    client: Client,
    workspace_id: String,
    sip_endpoint: SipEndpoint,
    concurrency: usize,
    secrets: S,
}

impl<S: TrunkSecrets> Provisioner<S> {
    /// Works on `concurrency` numbers at once (at least one) in `workspace_id`.
    pub fn new(
        client: Client,
        workspace_id: String,
        sip_endpoint: SipEndpoint,
        concurrency: usize,
        secrets: S,
    ) -> Self {
        Provisioner {
            client,
            workspace_id,
            sip_endpoint,
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
        self.run(parse_json(event).and_then(parse_event), deadline)
            .await
    }

    /// [`Provisioner::handle_json`] for an event already read into a [`Value`]. A `Value` holds
    /// one value per key, so a key given twice can no longer be refused: the function itself
    /// reads the text.
    ///
    /// # Errors
    /// As [`Provisioner::handle_json`].
    pub async fn handle(
        &self,
        event: Value,
        deadline: Option<SystemTime>,
    ) -> Result<Output, ProvisionError> {
        self.run(parse_event(event), deadline).await
    }

    async fn run(
        &self,
        event: Result<Event, ProvisionError>,
        deadline: Option<SystemTime>,
    ) -> Result<Output, ProvisionError> {
        let event = event.inspect_err(|error| {
            let ProvisionError::InvalidEvent { field, .. } = error;
            tracing::warn!(field = %field, outcome = "invalid_event", "provision: nothing done");
        })?;
        let cutoff = deadline.map(|deadline| {
            let left = deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            deadline - (left / 4).min(DEADLINE_RESERVE)
        });
        let assistants = OnceCell::new();
        let reports: Vec<NumberReport> = futures_util::stream::iter(&event.numbers)
            .map(|spec| self.provision_number(event.mode, spec, &assistants, cutoff))
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
        Ok(output)
    }

    async fn provision_number(
        &self,
        mode: Mode,
        spec: &NumberSpec,
        assistants: &OnceCell<Result<Vec<Assistant>, synthflow::Error>>,
        cutoff: Option<SystemTime>,
    ) -> NumberReport {
        let mut report = NumberReport {
            phone_number: spec.phone_number.to_string(),
            number: None,
            number_drift: Vec::new(),
            agent: None,
            model_id: None,
            changed_fields: Vec::new(),
            sip_uri: format!("sip:{}@{}", spec.phone_number, self.sip_endpoint),
            error: None,
        };
        if cutoff.is_some_and(|cutoff| SystemTime::now() >= cutoff) {
            report.error = Some(StepError {
                step: Step::NotStarted,
                status: None,
                message: "not started: the invocation was about to time out; run the event \
                          again to finish"
                    .to_owned(),
            });
        } else if let Err(error) = self.steps(mode, spec, assistants, &mut report).await {
            report.error = Some(error);
        }
        log_report(&report, &spec.phone_number, mode);
        report
    }

    async fn steps(
        &self,
        mode: Mode,
        spec: &NumberSpec,
        assistants: &OnceCell<Result<Vec<Assistant>, synthflow::Error>>,
        report: &mut NumberReport,
    ) -> Result<(), StepError> {
        let number = &spec.phone_number;
        let existing = self
            .client
            .get_phone_number(&self.workspace_id, number)
            .await
            .map_err(|e| StepError::synthflow(Step::LookupNumber, e))?;
        if let Some(existing) = existing {
            report.number = Some(NumberOutcome::Exists);
            report.number_drift = number_drift(spec, &existing);
        } else {
            let body = self.import_body(spec).await?;
            if mode == Mode::Apply {
                self.client
                    .create_custom_number(&body)
                    .await
                    .map_err(|e| StepError::synthflow(Step::ImportNumber, e))?;
                report.number = Some(NumberOutcome::Created);
            } else {
                report.number = Some(NumberOutcome::WouldCreate);
            }
        }

        let all = assistants
            .get_or_init(|| self.client.list_assistants())
            .await
            .as_ref()
            .map_err(|e| StepError::synthflow(Step::FindAgent, e.clone()))?;
        let bound: Vec<&Assistant> = all
            .iter()
            .filter(|a| a.is(AssistantType::Inbound) && a.is_bound_to(number))
            .collect();
        match bound.as_slice() {
            [] if mode == Mode::Plan => report.agent = Some(AgentOutcome::WouldCreate),
            [] => {
                let model_id = self
                    .client
                    .create_assistant(&create_body(spec), all)
                    .await
                    .map_err(|e| StepError::synthflow(Step::CreateAgent, e))?;
                report.model_id = Some(model_id);
                report.agent = Some(AgentOutcome::Created);
            }
            [current] => {
                report.model_id = Some(current.model_id.clone());
                let (changes, changed_fields) = differences(current, &spec.agent);
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
                        .map_err(|e| StepError::synthflow(Step::UpdateAgent, e))?;
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
                    .map_err(|e| StepError::local(Step::TrunkCredentials, e))?,
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

/// The fields the event sets for a number whose values differ from `stored`, what
/// `GET /v2/numbers/{slug}` answered, in the event's names. A field the answer leaves out or
/// gives as `null` differs from any value the event sets, except that `uac_enabled` left out is
/// Synthflow's default `false`, and `uac_register_expires` is only compared while it means
/// something: when Synthflow holds a lifetime or registers.
fn number_drift(spec: &NumberSpec, stored: &PhoneNumber) -> Vec<String> {
    fn differs<T: PartialEq>(desired: Option<T>, stored: Option<T>) -> bool {
        desired.is_some_and(|desired| stored != Some(desired))
    }
    let texts = [
        (
            "friendly_name",
            spec.friendly_name.as_deref(),
            stored.friendly_name.as_deref(),
        ),
        (
            "provider_name",
            spec.provider_name.map(ProviderName::as_str),
            stored.provider_name.as_deref(),
        ),
        (
            "termination_uri",
            spec.termination_uri.as_deref(),
            stored.sip_term_uri.as_deref(),
        ),
        (
            "sip_outbound_proxy",
            spec.sip_outbound_proxy.as_deref(),
            stored.sip_outbound_proxy.as_deref(),
        ),
        (
            "sip_auth_username",
            spec.sip_auth_username.as_deref(),
            stored.sip_auth_username.as_deref(),
        ),
    ];
    let mut drift: Vec<String> = texts
        .into_iter()
        .filter(|(_, desired, stored)| differs(*desired, *stored))
        .map(|(name, ..)| name.to_owned())
        .collect();
    if differs(spec.uac_enabled, Some(stored.uac_enabled.unwrap_or(false))) {
        drift.push("uac_enabled".to_owned());
    }
    let registers = stored.uac_enabled == Some(true) || stored.uac_register_expires.is_some();
    if registers && differs(spec.uac_register_expires, stored.uac_register_expires) {
        drift.push("uac_register_expires".to_owned());
    }
    drift
}

/// The `POST /v2/assistants` body: an inbound agent bound to the number.
fn create_body(spec: &NumberSpec) -> CreateAssistant {
    CreateAssistant {
        kind: AssistantType::Inbound,
        phone_number: Some(spec.phone_number.clone()),
        voice_engine_version: spec.agent.voice_engine_version.clone(),
        fields: spec.agent.fields.clone(),
        agent: spec.agent.settings.clone(),
    }
}

/// The `PUT` body that brings `current` to `desired`, and the names of the fields that differ.
///
/// Top-level fields are sent only when they differ. The `agent` object is sent whole when any of
/// its fields differ: the reference does not say whether an update merges the fields of a
/// nested object or replaces it, and the whole object is right either way. Fields only the
/// create schema has are neither compared nor sent.
fn differences(current: &Assistant, desired: &AgentSpec) -> (UpdateAssistant, Vec<String>) {
    let mut changes = UpdateAssistant::new();
    let mut names = Vec::new();
    if let Ok(Value::Object(top)) = serde_json::to_value(&desired.fields) {
        for (key, value) in top {
            if !same(&value, current.settings.get(&key)) {
                names.push(key.clone());
                changes.insert(key, value);
            }
        }
    }
    if let Ok(Value::Object(mut agent)) = serde_json::to_value(&desired.settings) {
        agent.retain(|key, _| !CREATE_ONLY_AGENT_FIELDS.contains(&key.as_str()));
        let stored = current.settings.get("agent").and_then(Value::as_object);
        let differing: Vec<String> = agent
            .iter()
            .filter(|(key, value)| !same(value, stored.and_then(|s| s.get(key.as_str()))))
            .map(|(key, _)| format!("agent.{key}"))
            .collect();
        if !differing.is_empty() {
            names.extend(differing);
            changes.insert("agent".to_owned(), Value::Object(agent));
        }
    }
    (changes, names)
}

/// Whether the stored value already is the desired one: numbers compare by value (`1` = `1.0`),
/// objects on the desired keys only (Synthflow may add defaults), arrays element by element.
fn same(desired: &Value, stored: Option<&Value>) -> bool {
    match (desired, stored) {
        (_, None) => false,
        (Value::Number(a), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Value::Object(a), Some(Value::Object(b))) => {
            a.iter().all(|(key, value)| same(value, b.get(key)))
        }
        (Value::Array(a), Some(Value::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, Some(y)))
        }
        (a, Some(b)) => a == b,
    }
}

/// One log line per number; the number is masked, also inside messages.
fn log_report(report: &NumberReport, number: &E164, mode: Mode) {
    let masked = number.masked().to_string();
    let number_outcome = report.number.map_or("none", NumberOutcome::as_str);
    let agent_outcome = report.agent.map_or("none", AgentOutcome::as_str);
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
            step = error.step.as_str(),
            status = error.status,
            error = %error
                .message
                .replace(number.as_str(), &masked)
                .replace(number.slug(), &masked),
            "provision: number stopped"
        ),
    }
}

impl NumberOutcome {
    fn as_str(self) -> &'static str {
        match self {
            NumberOutcome::Created => "created",
            NumberOutcome::Exists => "exists",
            NumberOutcome::WouldCreate => "would_create",
        }
    }
}

impl AgentOutcome {
    fn as_str(self) -> &'static str {
        match self {
            AgentOutcome::Created => "created",
            AgentOutcome::Updated => "updated",
            AgentOutcome::Unchanged => "unchanged",
            AgentOutcome::WouldCreate => "would_create",
            AgentOutcome::WouldUpdate => "would_update",
        }
    }
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::NotStarted => "not_started",
            Step::LookupNumber => "lookup_number",
            Step::TrunkCredentials => "trunk_credentials",
            Step::ImportNumber => "import_number",
            Step::FindAgent => "find_agent",
            Step::CreateAgent => "create_agent",
            Step::UpdateAgent => "update_agent",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use fake_synthflow::{FakeSynthflow, Fault, FaultRule, RecordedRequest, Route};
    use secrecy::SecretString;
    use serde_json::json;
    use synthflow::ClientOptions;

    use super::*;

    const API_KEY: &str = "sf-test-key-7c1e0d";
    const WORKSPACE: &str = "ws_test";
    const A: &str = "+14155550123";
    const B: &str = "+14155550124";
    const C: &str = "+14155550125";

    /// Trunk secrets held in memory: id → (username, password).
    struct MemorySecrets(HashMap<&'static str, (&'static str, &'static str)>);

    impl std::fmt::Debug for MemorySecrets {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("MemorySecrets")
        }
    }

    impl TrunkSecrets for MemorySecrets {
        async fn trunk_credentials(
            &self,
            secret_id: &str,
        ) -> Result<TrunkCredentials, shared::Error> {
            match self.0.get(secret_id) {
                Some((username, password)) => Ok(TrunkCredentials {
                    username: (*username).to_owned(),
                    password: SecretString::from(*password),
                }),
                None => Err(shared::Error::Secret {
                    secret_id: secret_id.to_owned(),
                    reason: "GetSecretValue failed: ResourceNotFoundException".into(),
                }),
            }
        }
    }

    fn secrets() -> MemorySecrets {
        MemorySecrets(HashMap::from([
            ("acme/synthflow-trunk", ("sf-acme", "<secret>")),
            ("acme/trunk-b", ("trunk-user-b", "trunk-password-b")),
        ]))
    }

    /// Short backoff; a timeout long enough for a loaded machine. Two agents per page, so that
    /// every run pages through the list.
    fn options(request_timeout: Duration) -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout,
            max_attempts: 4,
            create_attempts: 3,
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            page_size: 2,
        }
    }

    fn provisioner_with(
        fake: &FakeSynthflow,
        workspace: &str,
        api_key: &str,
        request_timeout: Duration,
    ) -> Provisioner<MemorySecrets> {
        let client = Client::new(
            url::Url::parse(&fake.base_url()).unwrap(),
            SecretString::from(api_key),
            options(request_timeout),
        )
        .unwrap();
        Provisioner::new(
            client,
            workspace.to_owned(),
            "sipin.synthflow.ai:32681".parse().unwrap(),
            3,
            secrets(),
        )
    }

    async fn setup() -> (FakeSynthflow, Provisioner<MemorySecrets>) {
        let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
        let provisioner = provisioner_with(&fake, WORKSPACE, API_KEY, Duration::from_secs(5));
        (fake, provisioner)
    }

    fn number(phone: &str) -> Value {
        json!({
            "phone_number": phone,
            "friendly_name": format!("line {phone}"),
            "termination_uri": "acme-trunk.pstn.twilio.com",
            "agent": {
                "name": format!("inbound {phone}"),
                "llm": "gpt-4.1",
                "language": "en-US",
                "prompt": "You answer calls for Acme.",
                "greeting_message": "Acme, how can I help?",
                "voice_id": "voice-1",
                "voice_stability": 0.5,
                "max_duration": {"duration_seconds": 600, "is_enabled": true}
            }
        })
    }

    fn event(mode: &str, phones: &[&str]) -> Value {
        json!({"mode": mode, "numbers": phones.iter().map(|p| number(p)).collect::<Vec<_>>()})
    }

    async fn run(provisioner: &Provisioner<MemorySecrets>, event: Value) -> Output {
        provisioner
            .handle(event, None)
            .await
            .expect("a valid event")
    }

    fn report<'a>(output: &'a Output, phone: &str) -> &'a NumberReport {
        output
            .numbers
            .iter()
            .find(|n| n.phone_number == phone)
            .expect("reported")
    }

    fn sip_uri(phone: &str) -> String {
        format!("sip:{phone}@sipin.synthflow.ai:32681")
    }

    fn count(requests: &[RecordedRequest], route: Route) -> usize {
        requests.iter().filter(|r| r.route == Some(route)).count()
    }

    /// Positions of the requests to `route` whose body is about `phone`.
    fn sent_for(requests: &[RecordedRequest], route: Route, phone: &str) -> Vec<usize> {
        (0..requests.len())
            .filter(|&i| {
                requests[i].route == Some(route)
                    && requests[i]
                        .body
                        .as_ref()
                        .is_some_and(|b| b["phone_number"] == phone)
            })
            .collect()
    }

    /// `(method, path)` of each write, oldest first.
    fn writes(fake: &FakeSynthflow) -> Vec<(String, String)> {
        fake.writes()
            .into_iter()
            .map(|r| (r.method, r.path))
            .collect()
    }

    fn model_id_of(fake: &FakeSynthflow, workspace: &str, phone: &str) -> String {
        let bound: Vec<String> = fake
            .assistants(workspace)
            .into_iter()
            .filter(|a| a["attached_phone_numbers"][0]["number"] == phone)
            .map(|a| a["model_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bound.len(), 1, "one agent bound to {phone}: {bound:?}");
        bound[0].clone()
    }

    fn events_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
    }

    fn read_json(path: PathBuf) -> Value {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[tokio::test]
    async fn fresh_workspace_imports_each_number_then_creates_its_agent() {
        let (fake, provisioner) = setup().await;
        let output = run(&provisioner, event("apply", &[A, B])).await;

        for phone in [A, B] {
            let r = report(&output, phone);
            assert_eq!(r.number, Some(NumberOutcome::Created));
            assert_eq!(r.agent, Some(AgentOutcome::Created));
            assert_eq!(r.error, None);
            assert_eq!(r.sip_uri, sip_uri(phone));
            assert_eq!(
                r.model_id.as_deref(),
                Some(model_id_of(&fake, WORKSPACE, phone).as_str())
            );
        }
        assert_eq!(
            output.summary,
            Summary {
                total: 2,
                succeeded: 2,
                failed: 0,
                changes: 4
            }
        );
        assert_eq!(fake.numbers(WORKSPACE).len(), 2);
        assert_eq!(fake.assistants(WORKSPACE).len(), 2);

        let requests = fake.requests();
        assert!(requests.iter().all(|r| r.authorized));
        // Numbers are looked up with `workspace` (not `workspace_id`), by slug.
        for phone in [A, B] {
            let lookup = requests
                .iter()
                .find(|r| r.route == Some(Route::GetNumber) && r.path.ends_with(&phone[1..]))
                .expect("looked up");
            assert_eq!(lookup.path, format!("/v2/numbers/{}", &phone[1..]));
            assert_eq!(lookup.query, vec![("workspace".into(), WORKSPACE.into())]);
            // The agent is created only after its number exists.
            let import = sent_for(&requests, Route::CreateCustomNumber, phone);
            let create = sent_for(&requests, Route::CreateAssistant, phone);
            assert_eq!((import.len(), create.len()), (1, 1));
            let (import, create) = (import[0], create[0]);
            assert!(import < create);
        }
        assert_eq!(count(&requests, Route::CreateCustomNumber), 2);
        assert_eq!(count(&requests, Route::CreateAssistant), 2);
        assert_eq!(fake.writes().len(), 4);
    }

    #[tokio::test]
    async fn a_second_run_of_the_same_event_writes_nothing() {
        let (fake, provisioner) = setup().await;
        let first = run(&provisioner, event("apply", &[A, B, C])).await;
        fake.clear_requests();

        let second = run(&provisioner, event("apply", &[A, B, C])).await;
        assert_eq!(writes(&fake), Vec::<(String, String)>::new());
        for phone in [A, B, C] {
            let r = report(&second, phone);
            assert_eq!(r.number, Some(NumberOutcome::Exists));
            assert_eq!(r.number_drift, Vec::<String>::new());
            assert_eq!(r.agent, Some(AgentOutcome::Unchanged));
            assert_eq!(r.model_id, report(&first, phone).model_id);
            assert_eq!(r.error, None);
        }
        assert_eq!(second.summary.changes, 0);
        // Three agents, two per page: the list is read once per run, page by page.
        let offsets: Vec<(String, String)> = fake
            .requests_to(Route::ListAssistants)
            .iter()
            .map(|r| {
                (
                    r.query_param("limit").unwrap().to_owned(),
                    r.query_param("offset").unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            offsets,
            vec![("2".into(), "0".into()), ("2".into(), "2".into())]
        );
    }

    #[tokio::test]
    async fn a_drifted_agent_gets_exactly_one_update_with_the_differing_fields() {
        let (fake, provisioner) = setup().await;
        run(&provisioner, event("apply", &[A, B])).await;
        let model_id = model_id_of(&fake, WORKSPACE, A);
        assert!(fake.edit_assistant(&model_id, |a| {
            a["agent"]["prompt"] = json!("Someone changed this in the dashboard.");
            a["max_duration"]["duration_seconds"] = json!(60);
        }));
        fake.clear_requests();

        let plan = run(&provisioner, event("plan", &[A, B])).await;
        assert_eq!(writes(&fake), Vec::<(String, String)>::new());
        let r = report(&plan, A);
        assert_eq!(r.agent, Some(AgentOutcome::WouldUpdate));
        assert_eq!(r.changed_fields, ["max_duration", "agent.prompt"]);
        assert_eq!(report(&plan, B).agent, Some(AgentOutcome::Unchanged));

        let output = run(&provisioner, event("apply", &[A, B])).await;
        assert_eq!(
            writes(&fake),
            [("PUT".to_owned(), format!("/v2/assistants/{model_id}"))]
        );
        let put = fake.requests_to(Route::UpdateAssistant).remove(0);
        let body = put.body.unwrap();
        let desired = number(A)["agent"].clone();
        assert_eq!(
            body["max_duration"],
            json!({"duration_seconds": 600, "is_enabled": true})
        );
        assert_eq!(body["agent"]["prompt"], desired["prompt"]);
        assert_eq!(body["agent"]["voice_id"], desired["voice_id"]);
        // Unchanged top-level fields, the type and the number are not sent.
        for unchanged in ["name", "type", "phone_number", "voice_engine_version"] {
            assert!(body.get(unchanged).is_none(), "{unchanged} sent: {body}");
        }
        let r = report(&output, A);
        assert_eq!(r.agent, Some(AgentOutcome::Updated));
        assert_eq!(r.model_id.as_deref(), Some(model_id.as_str()));
        assert_eq!(report(&output, B).agent, Some(AgentOutcome::Unchanged));
        assert_eq!(output.summary.changes, 1);

        fake.clear_requests();
        run(&provisioner, event("apply", &[A, B])).await;
        assert_eq!(writes(&fake), Vec::<(String, String)>::new());
    }

    #[tokio::test]
    async fn plan_reports_what_apply_would_do_and_writes_nothing() {
        let (fake, provisioner) = setup().await;
        let output = run(&provisioner, event("plan", &[A, B])).await;
        assert_eq!(output.mode, Mode::Plan);
        for phone in [A, B] {
            let r = report(&output, phone);
            assert_eq!(r.number, Some(NumberOutcome::WouldCreate));
            assert_eq!(r.agent, Some(AgentOutcome::WouldCreate));
            assert_eq!(r.model_id, None);
            assert_eq!(r.error, None);
        }
        assert_eq!(output.summary.changes, 4);
        assert!(fake.writes().is_empty());
        assert!(fake.numbers(WORKSPACE).is_empty());
        assert!(fake.assistants(WORKSPACE).is_empty());
    }

    #[tokio::test]
    async fn a_failing_number_does_not_stop_the_others_and_a_rerun_converges() {
        let (fake, provisioner) = setup().await;
        // B: the agent create keeps failing (500); C: the import is refused (403).
        fake.inject(FaultRule::new(Route::CreateAssistant, Fault::Status(500)).matching(&B[1..]));
        fake.inject(
            FaultRule::new(Route::CreateCustomNumber, Fault::Status(403)).matching(&C[1..]),
        );
        let output = run(&provisioner, event("apply", &[A, B, C])).await;

        let a = report(&output, A);
        assert_eq!(
            (a.number, a.agent, &a.error),
            (
                Some(NumberOutcome::Created),
                Some(AgentOutcome::Created),
                &None
            )
        );
        let b = report(&output, B);
        assert_eq!(b.number, Some(NumberOutcome::Created));
        assert_eq!(b.agent, None);
        assert_eq!(b.model_id, None);
        let error = b.error.as_ref().unwrap();
        assert_eq!((error.step, error.status), (Step::CreateAgent, Some(500)));
        assert!(error.message.contains("Internal Server Error"), "{error:?}");
        let c = report(&output, C);
        assert_eq!((c.number, c.agent), (None, None));
        let error = c.error.as_ref().unwrap();
        assert_eq!((error.step, error.status), (Step::ImportNumber, Some(403)));
        assert_eq!(
            output.summary,
            Summary {
                total: 3,
                succeeded: 1,
                failed: 2,
                changes: 3
            }
        );
        // A 403 is final: one import attempt for C, no agent attempt for it.
        let requests = fake.requests();
        let for_c = |route| sent_for(&requests, route, C).len();
        assert_eq!(for_c(Route::CreateCustomNumber), 1);
        assert_eq!(for_c(Route::CreateAssistant), 0);

        fake.clear_faults();
        let rerun = run(&provisioner, event("apply", &[A, B, C])).await;
        assert_eq!(rerun.summary.failed, 0);
        assert_eq!(report(&rerun, A).agent, Some(AgentOutcome::Unchanged));
        assert_eq!(report(&rerun, B).number, Some(NumberOutcome::Exists));
        assert_eq!(report(&rerun, B).agent, Some(AgentOutcome::Created));
        assert_eq!(report(&rerun, C).number, Some(NumberOutcome::Created));
        assert_eq!(report(&rerun, C).agent, Some(AgentOutcome::Created));
        assert_eq!(fake.numbers(WORKSPACE).len(), 3);
        assert_eq!(fake.assistants(WORKSPACE).len(), 3);
        for phone in [A, B, C] {
            model_id_of(&fake, WORKSPACE, phone);
        }
    }

    #[tokio::test]
    async fn each_bad_field_is_named_and_nothing_is_sent() {
        let (fake, provisioner) = setup().await;
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit)> = vec![
            ("mode", |e| {
                e.as_object_mut().unwrap().remove("mode");
            }),
            ("mode", |e| e["mode"] = json!("aply")),
            // serde's map form of an enum is not a mode (nor any other enum of the event).
            ("mode", |e| e["mode"] = json!({"plan": null})),
            ("mode", |e| e["mode"] = json!({"apply": []})),
            ("numbers[0].provider_name", |e| {
                e["numbers"][0]["provider_name"] = json!({"twilio": null})
            }),
            ("numbers[1].agent.greeting_message_mode", |e| {
                e["numbers"][1]["agent"]["greeting_message_mode"] = json!({"human": null})
            }),
            // Nor is serde's array form of a struct an object.
            ("(event)", |e| {
                *e = json!(["apply", [e["numbers"][0].clone()]])
            }),
            ("numbers[0]", |e| {
                e["numbers"][0] = json!([A, "line", null, "acme-trunk.pstn.twilio.com"])
            }),
            ("numbers[1].agent.max_duration", |e| {
                e["numbers"][1]["agent"]["max_duration"] = json!([600, true])
            }),
            ("numbers[1].agent.end_call_reasons_v2[0]", |e| {
                e["numbers"][1]["agent"]["end_call_reasons_v2"] = json!([["done"]])
            }),
            ("numbers", |e| e["numbers"] = json!([])),
            ("numbers", |e| {
                e.as_object_mut().unwrap().remove("numbers");
            }),
            ("dry_run", |e| e["dry_run"] = json!(true)),
            ("numbers[1].phone_number", |e| {
                e["numbers"][1]["phone_number"] = json!("4155550124")
            }),
            ("numbers[1].phone_number", |e| {
                e["numbers"][1]["phone_number"] = json!("+1 415 555 0124")
            }),
            ("numbers[1].phone_number", |e| {
                e["numbers"][1]["phone_number"] = json!(14155550124u64)
            }),
            ("numbers[2].phone_number", |e| {
                e["numbers"][2]["phone_number"] = json!(A)
            }),
            ("numbers[0].phone_number", |e| {
                e["numbers"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("phone_number");
            }),
            ("numbers[0].trunk_pwd", |e| {
                e["numbers"][0]["trunk_pwd"] = json!("hunter2")
            }),
            ("numbers[0].termination_uri", |e| {
                e["numbers"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("termination_uri");
            }),
            ("numbers[0].termination_uri", |e| {
                e["numbers"][0]["termination_uri"] = json!(" ")
            }),
            ("numbers[0].provider_name", |e| {
                e["numbers"][0]["provider_name"] = json!("plivo")
            }),
            ("numbers[0].trunk_credentials_secret_id", |e| {
                e["numbers"][0]["uac_enabled"] = json!(true)
            }),
            ("numbers[0].uac_register_expires", |e| {
                e["numbers"][0]["uac_register_expires"] = json!(30)
            }),
            ("numbers[0].agent", |e| {
                e["numbers"][0].as_object_mut().unwrap().remove("agent");
            }),
            ("numbers[0].agent.name", |e| {
                e["numbers"][0]["agent"]
                    .as_object_mut()
                    .unwrap()
                    .remove("name");
            }),
            ("numbers[1].agent.voice_id", |e| {
                e["numbers"][1]["agent"]
                    .as_object_mut()
                    .unwrap()
                    .remove("voice_id");
            }),
            ("numbers[1].agent.llm", |e| {
                e["numbers"][1]["agent"]["llm"] = json!("")
            }),
            ("numbers[1].agent.greeting_mesage", |e| {
                e["numbers"][1]["agent"]["greeting_mesage"] = json!("typo")
            }),
            ("numbers[1].agent.type", |e| {
                e["numbers"][1]["agent"]["type"] = json!("outbound")
            }),
            ("numbers[1].agent.end_call_reasons", |e| {
                e["numbers"][1]["agent"]["end_call_reasons"] = json!(["done"])
            }),
            ("numbers[1].agent.voice_stability", |e| {
                e["numbers"][1]["agent"]["voice_stability"] = json!(2)
            }),
            ("numbers[1].agent.min_words_to_interrupt", |e| {
                e["numbers"][1]["agent"]["min_words_to_interrupt"] = json!(3)
            }),
            ("numbers[1].agent.greeting_message_mode", |e| {
                e["numbers"][1]["agent"]["greeting_message_mode"] = json!("robot")
            }),
            ("numbers[1].agent.external_webhook_url", |e| {
                e["numbers"][1]["agent"]["external_webhook_url"] = json!("hooks.example.com")
            }),
            ("numbers[1].agent.max_duration.is_enabled", |e| {
                e["numbers"][1]["agent"]["max_duration"] = json!({"duration_seconds": 60})
            }),
            ("numbers[1].agent.end_call_reasons_v2[0].reason", |e| {
                e["numbers"][1]["agent"]["end_call_reasons_v2"] =
                    json!([{"closing_message": "bye"}])
            }),
            ("numbers[1].agent.voice_engine_version", |e| {
                e["numbers"][1]["agent"]["voice_engine_version"] = json!(2)
            }),
        ];
        for (field, edit) in cases {
            let mut bad = event("apply", &[A, B, C]);
            edit(&mut bad);
            let error = provisioner.handle(bad, None).await.expect_err(field);
            let ProvisionError::InvalidEvent {
                field: named,
                reason,
            } = &error;
            assert_eq!(named, field, "{error}");
            assert!(!reason.is_empty());
            assert!(!error.to_string().contains("hunter2"));
            let diagnostic = Diagnostic::from(error.clone());
            assert_eq!(diagnostic.error_type, "InvalidEvent");
            assert!(diagnostic.error_message.contains(field));
        }
        assert_eq!(fake.requests(), Vec::new());
    }

    /// The event text with `extra` (`"key": value`) added as the first key of the object that
    /// starts at `anchor`.
    fn with_key_added(text: &str, anchor: &str, extra: &str) -> String {
        let at = text.find(anchor).expect("anchor") + anchor.len();
        format!("{}{extra},{}", &text[..at], &text[at..])
    }

    #[tokio::test]
    async fn a_key_given_twice_is_refused_with_its_path_and_nothing_is_sent() {
        let (fake, provisioner) = setup().await;
        let text = event("apply", &[A, B]).to_string();
        let end_call_reasons = {
            let mut e = event("apply", &[A, B]);
            e["numbers"][1]["agent"]["end_call_reasons_v2"] =
                json!([{"reason": "done"}, {"reason": "bye"}]);
            e.to_string()
        };
        let cases = [
            // Last one wins in a `Value`: this plan would have been applied.
            ("mode", format!(r#"{{"mode":"plan",{}"#, &text[1..])),
            (
                "numbers[0].phone_number",
                with_key_added(
                    &text,
                    r#""numbers":[{"#,
                    &format!(r#""phone_number":"{C}""#),
                ),
            ),
            (
                "numbers[0].agent.prompt",
                with_key_added(&text, r#""agent":{"#, r#""prompt":"another prompt""#),
            ),
            (
                "numbers[0].agent.max_duration.is_enabled",
                with_key_added(&text, r#""max_duration":{"#, r#""is_enabled":false"#),
            ),
            (
                "numbers[1].agent.end_call_reasons_v2[1].reason",
                with_key_added(
                    &end_call_reasons,
                    r#"[{"reason":"done"},{"#,
                    r#""reason":"hi""#,
                ),
            ),
        ];
        for (path, text) in cases {
            // Valid JSON, which a parse into a `Value` takes without a word.
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let error = provisioner.handle_json(&text, None).await.expect_err(path);
            let ProvisionError::InvalidEvent { field, reason } = &error;
            assert_eq!(field, path, "{text}");
            assert!(reason.contains("twice"), "{error}");
            assert_eq!(Diagnostic::from(error.clone()).error_type, "InvalidEvent");
        }
        assert_eq!(fake.requests(), Vec::new());

        // The same key in different objects is no repetition.
        let output = provisioner
            .handle_json(&event("plan", &[A, B]).to_string(), None)
            .await
            .unwrap();
        assert_eq!(output.summary.failed, 0);
        assert!(fake.writes().is_empty());
    }

    /// A value of the wrong type is described by its type, never quoted: it may be a phone
    /// number. Internal type names are not shown either.
    #[tokio::test]
    async fn a_wrong_typed_value_is_not_echoed_in_the_error() {
        let (fake, provisioner) = setup().await;
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, &str, Edit)> = vec![
            (
                "numbers[0].phone_number",
                "invalid type: integer, expected a string",
                |e| e["numbers"][0]["phone_number"] = json!(14155550130u64),
            ),
            (
                "numbers[0].friendly_name",
                "invalid type: floating point, expected a string",
                |e| e["numbers"][0]["friendly_name"] = json!(14155550130.5),
            ),
            (
                "numbers[0].uac_enabled",
                "invalid type: string, expected a boolean",
                |e| e["numbers"][0]["uac_enabled"] = json!("+14155550130"),
            ),
            (
                "numbers[0].uac_register_expires",
                "invalid value: integer, expected u32",
                |e| e["numbers"][0]["uac_register_expires"] = json!(14155550130u64),
            ),
            (
                "numbers[0].provider_name",
                "unknown variant, expected one of `twilio`, `telnyx`, `vonage`, `ring_central`, \
                 `ringcx`, `custom`, `zoom`, `five9`, `8x8`",
                |e| e["numbers"][0]["provider_name"] = json!("+14155550130"),
            ),
            ("mode", "unknown variant, expected `plan` or `apply`", |e| {
                e["mode"] = json!("+14155550130, expected a string")
            }),
            (
                "numbers[0].agent.is_recording",
                "invalid type: string, expected a boolean",
                |e| e["numbers"][0]["agent"]["is_recording"] = json!("+14155550130"),
            ),
            (
                "numbers[0].agent.voice_stability",
                "invalid type: string, expected f64",
                |e| e["numbers"][0]["agent"]["voice_stability"] = json!("+14155550130"),
            ),
            (
                "numbers[0].agent.greeting_message_mode",
                "invalid type: integer, expected a string",
                |e| e["numbers"][0]["agent"]["greeting_message_mode"] = json!(14155550130u64),
            ),
            (
                "numbers[0].agent.max_duration",
                "invalid type: string, expected a JSON object",
                |e| e["numbers"][0]["agent"]["max_duration"] = json!("+14155550130"),
            ),
            (
                "numbers[0].agent",
                "invalid type: string, expected a JSON object",
                |e| e["numbers"][0]["agent"] = json!("+14155550130"),
            ),
            (
                "numbers[0]",
                "invalid type: string, expected a JSON object",
                |e| e["numbers"][0] = json!("+14155550130"),
            ),
            (
                "numbers",
                "invalid type: string, expected a JSON array",
                |e| e["numbers"] = json!("+14155550130"),
            ),
            (
                "(event)",
                "invalid type: null, expected a JSON object",
                |e| *e = Value::Null,
            ),
            (
                "(event)",
                "invalid type: sequence, expected a JSON object",
                |e| *e = json!(["+14155550130"]),
            ),
            (
                "(event)",
                "invalid type: string, expected a JSON object",
                |e| *e = json!("+14155550130"),
            ),
        ];
        for (path, expected, edit) in cases {
            let mut bad = event("apply", &[A, B]);
            edit(&mut bad);
            let error = provisioner
                .handle_json(&bad.to_string(), None)
                .await
                .expect_err(path);
            let ProvisionError::InvalidEvent { field, reason } = &error;
            assert_eq!((field.as_str(), reason.as_str()), (path, expected));
            let message = Diagnostic::from(error.clone()).error_message;
            for leak in ["4155550130", "Raw", "struct"] {
                assert!(!message.contains(leak), "{leak}: {message}");
            }
        }
        assert_eq!(fake.requests(), Vec::new());
    }

    /// A number that exists is never changed; the event's fields whose values differ from what
    /// `GET /v2/numbers/{slug}` answers are reported, in `plan` and in `apply`.
    #[tokio::test]
    async fn a_number_that_differs_from_the_event_is_reported_not_changed() {
        let (fake, provisioner) = setup().await;
        let mut first = event("apply", &[A, B]);
        first["numbers"][1]["uac_enabled"] = json!(true);
        first["numbers"][1]["uac_register_expires"] = json!(600);
        first["numbers"][1]["trunk_credentials_secret_id"] = json!("acme/trunk-b");
        let created = run(&provisioner, first.clone()).await;
        for phone in [A, B] {
            let r = report(&created, phone);
            assert_eq!(r.number, Some(NumberOutcome::Created));
            assert_eq!(r.number_drift, Vec::<String>::new());
        }
        // Stored as the reference's GET shape has them.
        let stored = fake
            .numbers(WORKSPACE)
            .into_iter()
            .find(|n| n["phone_number"] == A)
            .unwrap();
        assert_eq!(stored["sip_term_uri"], "acme-trunk.pstn.twilio.com");
        assert_eq!(stored["provider_name"], "custom");
        assert_eq!(stored["uac_enabled"], false);

        let mut changed = first.clone();
        let a = &mut changed["numbers"][0];
        a["friendly_name"] = json!("renamed line");
        a["provider_name"] = json!("twilio");
        a["termination_uri"] = json!("other-trunk.pstn.twilio.com");
        a["sip_outbound_proxy"] = json!("sip:proxy.acme.example:5065");
        a["sip_auth_username"] = json!("acme-register");
        a["uac_enabled"] = json!(true);
        a["trunk_credentials_secret_id"] = json!("acme/trunk-b");
        changed["numbers"][1]["uac_register_expires"] = json!(900);
        let expected_a = [
            "friendly_name",
            "provider_name",
            "termination_uri",
            "sip_outbound_proxy",
            "sip_auth_username",
            "uac_enabled",
        ];
        for mode in ["plan", "apply"] {
            fake.clear_requests();
            changed["mode"] = json!(mode);
            let output = run(&provisioner, changed.clone()).await;
            let a = report(&output, A);
            assert_eq!(a.number, Some(NumberOutcome::Exists), "{mode}");
            assert_eq!(a.number_drift, expected_a, "{mode}");
            assert_eq!(a.agent, Some(AgentOutcome::Unchanged), "{mode}");
            assert_eq!(a.error, None, "{mode}");
            assert_eq!(report(&output, B).number_drift, ["uac_register_expires"]);
            assert_eq!(output.summary.changes, 0, "{mode}");
            assert_eq!(writes(&fake), Vec::<(String, String)>::new(), "{mode}");
        }
        // Fields the event leaves out are not compared: the first event again shows nothing.
        let mut fewer = first.clone();
        fewer["numbers"][0]
            .as_object_mut()
            .unwrap()
            .remove("friendly_name");
        fewer["numbers"][1]
            .as_object_mut()
            .unwrap()
            .remove("uac_register_expires");
        for ev in [first, fewer] {
            let output = run(&provisioner, ev).await;
            for phone in [A, B] {
                assert_eq!(report(&output, phone).number_drift, Vec::<String>::new());
            }
        }
    }

    #[tokio::test]
    async fn the_example_event_and_the_golden_events_are_valid() {
        for file in [
            "provision.json",
            "provision/golden/event.json",
            "provision/golden/event-uac.json",
        ] {
            parse_event(read_json(events_dir().join(file)))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }

    /// The bodies of both creates, compared with the golden files written from the reference.
    #[tokio::test]
    async fn create_bodies_match_the_golden_files() {
        for (event, custom_number) in [
            ("event.json", "create-custom-number.json"),
            ("event-uac.json", "create-custom-number-uac.json"),
        ] {
            let golden = events_dir().join("provision/golden");
            let fake = FakeSynthflow::start(API_KEY, "<workspace id>")
                .await
                .unwrap();
            let provisioner =
                provisioner_with(&fake, "<workspace id>", API_KEY, Duration::from_secs(5));
            let output = run(&provisioner, read_json(golden.join(event))).await;
            assert_eq!(output.summary.failed, 0, "{output:?}");

            let body_of = |route| fake.requests_to(route).remove(0).body.unwrap();
            assert_eq!(
                body_of(Route::CreateCustomNumber),
                read_json(golden.join(custom_number)),
                "{event}"
            );
            assert_eq!(
                body_of(Route::CreateAssistant),
                read_json(golden.join("create-assistant.json")),
                "{event}"
            );
            // The trunk password reached Synthflow, and only Synthflow.
            let answer = serde_json::to_string(&output).unwrap();
            assert!(!answer.contains("<secret>"));
        }
    }

    /// Every key of the golden bodies is in the reference's field tables, and the required ones
    /// are there.
    #[test]
    fn golden_bodies_use_only_documented_fields() {
        // create-custom-number field table.
        let number_fields = [
            "workspace_id",
            "phone_number",
            "friendly_name",
            "provider_name",
            "termination_uri",
            "trunk_username",
            "trunk_pwd",
            "sip_outbound_proxy",
            "sip_auth_username",
            "uac_enabled",
            "uac_register_expires",
        ];
        // create-assistant top-level table (+ voice_engine_version from the SIP guides).
        let assistant_fields = [
            "type",
            "name",
            "agent",
            "phone_number",
            "description",
            "external_webhook_url",
            "inbound_call_webhook_url",
            "is_recording",
            "max_duration",
            "voicemail_message",
            "voice_engine_version",
        ];
        // The `agent` object's table (the fields the golden body uses are among them).
        let agent_fields = [
            "prompt",
            "greeting_message",
            "greeting_message_mode",
            "llm",
            "language",
            "voice_id",
            "timezone",
            "patience_level",
            "voice_synthesizer",
        ];
        let golden = events_dir().join("provision/golden");
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        for file in ["create-custom-number.json", "create-custom-number-uac.json"] {
            let body = read_json(golden.join(file));
            for key in keys(&body) {
                assert!(number_fields.contains(&key.as_str()), "{file}: {key}");
            }
            for required in ["workspace_id", "phone_number"] {
                assert!(body.get(required).is_some(), "{file}: {required}");
            }
        }
        let body = read_json(golden.join("create-assistant.json"));
        for key in keys(&body) {
            assert!(assistant_fields.contains(&key.as_str()), "{key}");
        }
        for key in keys(&body["agent"]) {
            assert!(agent_fields.contains(&key.as_str()), "agent.{key}");
        }
        for required in ["type", "name", "agent"] {
            assert!(body.get(required).is_some(), "{required}");
        }
        assert_eq!(body["type"], "inbound");
    }

    #[tokio::test]
    async fn reads_are_retried_after_429_500_and_dropped_connections() {
        let (fake, provisioner) = setup().await;
        fake.inject(
            FaultRule::new(Route::GetNumber, Fault::Status(429))
                .matching(&A[1..])
                .times(2),
        );
        fake.inject(
            FaultRule::new(Route::GetNumber, Fault::Drop)
                .matching(&B[1..])
                .times(1),
        );
        fake.inject(FaultRule::new(Route::ListAssistants, Fault::Status(500)).times(1));
        let output = run(&provisioner, event("apply", &[A, B])).await;
        assert_eq!(output.summary.failed, 0, "{output:?}");

        let requests = fake.requests();
        let lookups = |phone: &str| {
            requests
                .iter()
                .filter(|r| r.route == Some(Route::GetNumber) && r.path.ends_with(&phone[1..]))
                .count()
        };
        assert_eq!(lookups(A), 3);
        assert_eq!(lookups(B), 2);
        // The list is read once, before any agent exists: one page, after one 500.
        assert_eq!(count(&requests, Route::ListAssistants), 2);
        assert_eq!(fake.numbers(WORKSPACE).len(), 2);
        assert_eq!(fake.assistants(WORKSPACE).len(), 2);
    }

    #[tokio::test]
    async fn reads_stop_after_the_last_attempt_and_the_number_reports_it() {
        let (fake, provisioner) = setup().await;
        fake.inject(FaultRule::new(Route::GetNumber, Fault::Status(500)).matching(&A[1..]));
        let output = run(&provisioner, event("apply", &[A, B])).await;
        let a = report(&output, A);
        assert_eq!((a.number, a.agent), (None, None));
        let error = a.error.as_ref().unwrap();
        assert_eq!((error.step, error.status), (Step::LookupNumber, Some(500)));
        assert_eq!(fake.requests_to(Route::GetNumber).len(), 4 + 1);
        assert_eq!(report(&output, B).error, None);
        // Nothing was written for A.
        assert!(
            fake.writes()
                .iter()
                .all(|w| w.body.as_ref().unwrap()["phone_number"] != A)
        );
    }

    #[tokio::test]
    async fn a_number_answered_with_400_on_lookup_counts_as_absent() {
        let (fake, provisioner) = setup().await;
        fake.inject(FaultRule::new(Route::GetNumber, Fault::Status(400)).times(1));
        let output = run(&provisioner, event("apply", &[A])).await;
        assert_eq!(report(&output, A).number, Some(NumberOutcome::Created));
        assert_eq!(fake.requests_to(Route::GetNumber).len(), 1);
    }

    /// A create succeeds but its answer never arrives (the client times out, or the connection
    /// drops): the resource is looked up, found, and not created again.
    #[tokio::test]
    async fn a_create_whose_answer_is_lost_is_not_repeated() {
        for route in [Route::CreateCustomNumber, Route::CreateAssistant] {
            for fault in [
                Fault::CommitThenDelay(Duration::from_secs(60)),
                Fault::CommitThenDrop,
            ] {
                let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
                let provisioner =
                    provisioner_with(&fake, WORKSPACE, API_KEY, Duration::from_millis(1500));
                fake.inject(FaultRule::new(route, fault.clone()).times(1));
                let output = run(&provisioner, event("apply", &[A])).await;
                let a = report(&output, A);
                assert_eq!(a.error, None, "{route:?} {fault:?}");
                assert_eq!(a.number, Some(NumberOutcome::Created));
                assert_eq!(a.agent, Some(AgentOutcome::Created));
                assert_eq!(fake.requests_to(route).len(), 1, "{route:?} {fault:?}");
                assert_eq!(fake.numbers(WORKSPACE).len(), 1);
                let model_id = model_id_of(&fake, WORKSPACE, A);
                assert_eq!(a.model_id.as_deref(), Some(model_id.as_str()));
            }
        }
    }

    /// A create refused with 500 before anything was stored: looked up, not found, sent again.
    #[tokio::test]
    async fn a_create_that_failed_outright_is_tried_again_after_a_lookup() {
        let (fake, provisioner) = setup().await;
        fake.inject(FaultRule::new(Route::CreateCustomNumber, Fault::Status(500)).times(1));
        fake.inject(FaultRule::new(Route::CreateAssistant, Fault::Status(429)).times(1));
        let output = run(&provisioner, event("apply", &[A])).await;
        assert_eq!(report(&output, A).error, None);
        let routes: Vec<Route> = fake.requests().iter().filter_map(|r| r.route).collect();
        assert_eq!(
            routes,
            [
                Route::GetNumber,
                Route::CreateCustomNumber,
                Route::GetNumber,
                Route::CreateCustomNumber,
                Route::ListAssistants,
                Route::CreateAssistant,
                Route::ListAssistants,
                Route::CreateAssistant,
            ]
        );
        assert_eq!(fake.numbers(WORKSPACE).len(), 1);
        assert_eq!(fake.assistants(WORKSPACE).len(), 1);
    }

    #[tokio::test]
    async fn trunk_credentials_come_from_their_secret() {
        let (fake, provisioner) = setup().await;
        let mut ev = event("apply", &[A, B]);
        ev["numbers"][0]["uac_enabled"] = json!(true);
        ev["numbers"][0]["trunk_credentials_secret_id"] = json!("acme/trunk-b");
        ev["numbers"][1]["uac_enabled"] = json!(true);
        ev["numbers"][1]["trunk_credentials_secret_id"] = json!("acme/missing");
        let output = run(&provisioner, ev).await;

        let import = fake.requests_to(Route::CreateCustomNumber).remove(0);
        let body = import.body.unwrap();
        assert_eq!(body["phone_number"], A);
        assert_eq!(body["trunk_username"], "trunk-user-b");
        assert_eq!(body["trunk_pwd"], "trunk-password-b");
        assert_eq!(body["uac_enabled"], true);

        let b = report(&output, B);
        assert_eq!((b.number, b.agent), (None, None));
        let error = b.error.as_ref().unwrap();
        assert_eq!((error.step, error.status), (Step::TrunkCredentials, None));
        assert!(error.message.contains("acme/missing"), "{error:?}");
        assert_eq!(fake.requests_to(Route::CreateCustomNumber).len(), 1);
        assert!(
            !serde_json::to_string(&output)
                .unwrap()
                .contains("trunk-password-b")
        );
    }

    #[tokio::test]
    async fn a_wrong_api_key_fails_each_number_without_revealing_the_key() {
        let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
        let wrong_key = "sf-wrong-key-93b2";
        let provisioner = provisioner_with(&fake, WORKSPACE, wrong_key, Duration::from_secs(5));
        let output = run(&provisioner, event("apply", &[A, B])).await;
        assert_eq!(output.summary.failed, 2);
        for phone in [A, B] {
            let error = report(&output, phone).error.clone().unwrap();
            assert_eq!((error.step, error.status), (Step::LookupNumber, Some(401)));
        }
        // 401 is not retried.
        assert_eq!(fake.requests().len(), 2);
        assert!(fake.requests().iter().all(|r| !r.authorized));
        let answer = serde_json::to_string(&output).unwrap();
        assert!(!answer.contains(wrong_key));
        assert!(!format!("{provisioner:?}").contains(wrong_key));
    }

    #[tokio::test]
    async fn several_inbound_agents_on_one_number_are_reported_not_guessed() {
        let (fake, provisioner) = setup().await;
        run(&provisioner, event("apply", &[A, B])).await;
        let b_agent = model_id_of(&fake, WORKSPACE, B);
        fake.edit_assistant(&b_agent, |a| {
            a["attached_phone_numbers"]
                .as_array_mut()
                .unwrap()
                .push(json!({"number": A, "sid": null, "slug": &A[1..]}));
        });
        fake.clear_requests();
        let output = run(&provisioner, event("apply", &[A])).await;
        let error = report(&output, A).error.clone().unwrap();
        assert_eq!(error.step, Step::FindAgent);
        assert!(error.message.contains(&b_agent), "{error:?}");
        assert!(fake.writes().is_empty());
    }

    #[tokio::test]
    async fn numbers_not_started_before_the_deadline_are_reported() {
        let (fake, provisioner) = setup().await;
        let deadline = SystemTime::now();
        let output = provisioner
            .handle(event("apply", &[A, B]), Some(deadline))
            .await
            .unwrap();
        for phone in [A, B] {
            let r = report(&output, phone);
            assert_eq!(r.error.as_ref().unwrap().step, Step::NotStarted);
            assert_eq!((r.number, r.agent), (None, None));
        }
        assert!(fake.requests().is_empty());
        // With time to spare, the same event runs.
        let deadline = SystemTime::now() + Duration::from_secs(600);
        let output = provisioner
            .handle(event("apply", &[A, B]), Some(deadline))
            .await
            .unwrap();
        assert_eq!(output.summary.succeeded, 2);
    }

    #[test]
    fn only_a_point_in_time_is_a_deadline() {
        let mut context = lambda_runtime::Context::default();
        for relative in [0, 3_000, 600_000] {
            context.deadline = relative;
            assert_eq!(deadline_of(&context), None, "{relative}");
        }
        context.deadline = 1_795_976_050_675;
        assert_eq!(
            deadline_of(&context),
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_976_050_675))
        );
    }

    #[tokio::test]
    async fn the_answer_has_the_documented_shape() {
        let (_fake, provisioner) = setup().await;
        let output = run(&provisioner, event("apply", &[A])).await;
        let answer = serde_json::to_value(&output).unwrap();
        let model_id = answer["numbers"][0]["model_id"].clone();
        assert_eq!(
            answer,
            json!({
                "mode": "apply",
                "summary": {"total": 1, "succeeded": 1, "failed": 0, "changes": 2},
                "numbers": [{
                    "phone_number": A,
                    "number": "created",
                    "number_drift": [],
                    "agent": "created",
                    "model_id": model_id,
                    "changed_fields": [],
                    "sip_uri": "sip:+14155550123@sipin.synthflow.ai:32681",
                    "error": null
                }]
            })
        );
        assert!(model_id.is_string());
    }
}
