//! The provisioning event: its types, read strictly from the JSON text the function receives
//! and validated whole before any request is made.
//!
//! An invalid event is a [`ProvisionError::InvalidEvent`] naming the field
//! (`numbers[1].phone_number`), never quoting its value: a value may be a phone number.

use lambda_runtime::Diagnostic;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use shared::phone::E164;
use shared::strict_json::{self, JsonError, JsonErrorKind};
use strum::VariantNames as _;
use synthflow::{
    ASSISTANT_FIELDS, AgentSettings, AssistantFields, OBJECT_AGENT_FIELDS, ProviderName,
    REQUIRED_AGENT_SETTINGS, VOICE_ENGINE_VERSION,
};

/// Agent fields provisioning writes itself, refused in the event.
const SET_BY_PROVISION: [&str; 3] = ["type", "phone_number", "model_id"];

/// `plan`: read only, report what would change. `apply`: make the changes.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Mode {
    /// Report only.
    Plan,
    /// Write.
    Apply,
}

impl Mode {
    /// `plan` or `apply`, as the event and the answer write it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Only the strings `plan` and `apply` (serde's derive would also take `{"plan": null}`).
impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|_| D::Error::unknown_variant(&name, Mode::VARIANTS))
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
    /// The numbers, in the event's order; no number twice.
    pub numbers: Vec<NumberSpec>,
}

/// One validated number of the event: the fields of Synthflow's create-custom-number request
/// (trunk credentials by secret id, never inline) and its agent.
#[derive(Debug)]
pub struct NumberSpec {
    /// The number, E.164.
    pub phone_number: E164,
    /// `friendly_name`.
    pub friendly_name: Option<String>,
    /// `provider_name` (Synthflow's default, `custom`, when left out).
    pub provider_name: Option<ProviderName>,
    /// `termination_uri`: the trunk's termination host.
    pub termination_uri: Option<String>,
    /// The Secrets Manager secret holding `{"username", "password"}` for the trunk.
    pub trunk_credentials_secret_id: Option<String>,
    /// `sip_outbound_proxy`.
    pub sip_outbound_proxy: Option<String>,
    /// `sip_auth_username`.
    pub sip_auth_username: Option<String>,
    /// `uac_enabled`: Synthflow registers with the trunk.
    pub uac_enabled: Option<bool>,
    /// `uac_register_expires`, whole seconds from 60 to 3600.
    pub uac_register_expires: Option<u32>,
    /// The inbound agent to bind to the number.
    pub agent: AgentSpec,
}

/// A validated agent block: Synthflow's top-level agent fields, its `agent` object, and the
/// voice engine version.
#[derive(Debug)]
pub struct AgentSpec {
    /// The top-level fields (`name`, `description`, …).
    pub fields: AssistantFields,
    /// The `agent` object (`llm`, `prompt`, `voice_id`, …).
    pub settings: AgentSettings,
    /// `voice_engine_version`; [`VOICE_ENGINE_VERSION`] unless the event gives `null`.
    pub voice_engine_version: Option<String>,
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

/// A [`JsonError`] about a value read under `prefix` (`numbers[0].agent`), as the event's
/// error: its path joined to `prefix`, `(event)` for the event itself.
fn from_json_error(prefix: &str, error: JsonError) -> ProvisionError {
    let field = match (prefix, error.path.as_str()) {
        ("", "") => "(event)".to_owned(),
        (prefix, "") => prefix.to_owned(),
        ("", path) => path.to_owned(),
        (prefix, path) => format!("{prefix}.{path}"),
    };
    match error.kind {
        JsonErrorKind::NotJson(reason) => invalid("(event)", format!("not JSON: {reason}")),
        JsonErrorKind::RepeatedKey => {
            invalid(field, "given twice in the same object: give each key once")
        }
        JsonErrorKind::MissingKey => invalid(field, "required"),
        // The list serde gives would leave out the top-level agent fields.
        JsonErrorKind::UnknownKey { .. } if prefix.ends_with(".agent") => invalid(
            field,
            "not a field of Synthflow's agent schema (Synthflow would ignore it, and every run \
             would find the agent different); see the README for the fields",
        ),
        JsonErrorKind::UnknownKey { reason } | JsonErrorKind::Invalid(reason) => {
            invalid(field, reason)
        }
    }
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
    strict_json::parse(text).map_err(|e| from_json_error("", e))
}

/// Checks the whole event: types, required fields, E.164 numbers, duplicates, provider rules,
/// ranges, documented agent fields only.
///
/// # Errors
/// [`ProvisionError::InvalidEvent`] for the first problem found.
pub fn parse_event(event: Value) -> Result<Event, ProvisionError> {
    no_object_as_array(&event)?;
    no_inline_trunk_credentials(&event)?;
    let raw: RawEvent = strict_json::deserialize(event).map_err(|e| from_json_error("", e))?;
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

/// Trunk credentials are named by secret, never given in the event, where they would reach
/// logs and deployment tools.
fn no_inline_trunk_credentials(event: &Value) -> Result<(), ProvisionError> {
    let numbers = event.get("numbers").and_then(Value::as_array);
    for (i, number) in numbers.into_iter().flatten().enumerate() {
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
    Ok(())
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
        for key in OBJECT_AGENT_FIELDS {
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
        strict_json::deserialize(Value::Object(top)).map_err(|e| from_json_error(&prefix, e))?;
    let settings: AgentSettings =
        strict_json::deserialize(Value::Object(inner)).map_err(|e| from_json_error(&prefix, e))?;
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
