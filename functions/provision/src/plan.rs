//! What provisioning would change, computed from the event and what Synthflow holds: pure, no
//! requests. [`number_drift`] for a number that exists (numbers are never changed, only
//! reported), [`create_assistant_body`] for a missing agent, [`agent_update`] for one whose
//! settings differ.

use serde_json::Value;
use synthflow::{
    Assistant, AssistantType, CREATE_ONLY_AGENT_FIELDS, CreateAssistant, PhoneNumber, ProviderName,
    UpdateAssistant,
};

use crate::event::{AgentSpec, NumberSpec};

/// The fields the event sets for a number whose values differ from `stored`, what
/// `GET /v2/numbers/{slug}` answered, in the event's names. A field the answer leaves out or
/// gives as `null` differs from any value the event sets, except that `uac_enabled` left out is
/// Synthflow's default `false`, and `uac_register_expires` is only compared while it means
/// something: when Synthflow holds a lifetime or registers.
pub fn number_drift(spec: &NumberSpec, stored: &PhoneNumber) -> Vec<String> {
    fn differs<T: PartialEq>(desired: Option<T>, stored: &Option<T>) -> bool {
        desired.is_some_and(|desired| stored.as_ref() != Some(&desired))
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
        .filter(|(_, desired, stored)| differs(*desired, stored))
        .map(|(name, ..)| name.to_owned())
        .collect();
    if differs(spec.uac_enabled, &Some(stored.uac_enabled.unwrap_or(false))) {
        drift.push("uac_enabled".to_owned());
    }
    let registers = stored.uac_enabled == Some(true) || stored.uac_register_expires.is_some();
    if registers && differs(spec.uac_register_expires, &stored.uac_register_expires) {
        drift.push("uac_register_expires".to_owned());
    }
    drift
}

/// The `POST /v2/assistants` body: an inbound agent bound to the number.
pub fn create_assistant_body(spec: &NumberSpec) -> CreateAssistant {
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
pub fn agent_update(current: &Assistant, desired: &AgentSpec) -> (UpdateAssistant, Vec<String>) {
    let mut changes = UpdateAssistant::new();
    let mut names = Vec::new();
    if let Ok(Value::Object(top)) = serde_json::to_value(&desired.fields) {
        for (key, value) in top {
            if !already_matches(&value, current.settings.get(&key)) {
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
            .filter(|(key, value)| {
                !already_matches(value, stored.and_then(|s| s.get(key.as_str())))
            })
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
fn already_matches(desired: &Value, stored: Option<&Value>) -> bool {
    match (desired, stored) {
        (_, None) => false,
        (Value::Number(a), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Value::Object(a), Some(Value::Object(b))) => a
            .iter()
            .all(|(key, value)| already_matches(value, b.get(key))),
        (Value::Array(a), Some(Value::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| already_matches(x, Some(y)))
        }
        (a, Some(b)) => a == b,
    }
}
