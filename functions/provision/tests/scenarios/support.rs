//! What every scenario uses: a fake Synthflow, a provisioner wired to it, events and the
//! checks on what was sent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fake_synthflow::{FakeSynthflow, RecordedRequest, Route};
use provision::secrets::TrunkCredentials;
use provision::{NumberReport, Output, Provisioner, TrunkSecrets};
use secrecy::SecretString;
use serde_json::{Value, json};
use shared::sip::Transport;
use synthflow::{Client, ClientOptions};

pub const API_KEY: &str = "sf-test-key-7c1e0d";
pub const WORKSPACE: &str = "ws_test";
pub const A: &str = "+14155550123";
pub const B: &str = "+14155550124";
pub const C: &str = "+14155550125";

/// Trunk secrets held in memory: id → (username, password).
pub struct MemorySecrets(HashMap<&'static str, (&'static str, &'static str)>);

impl std::fmt::Debug for MemorySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemorySecrets")
    }
}

impl TrunkSecrets for MemorySecrets {
    async fn trunk_credentials(&self, secret_id: &str) -> Result<TrunkCredentials, shared::Error> {
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

pub fn secrets() -> MemorySecrets {
    MemorySecrets(HashMap::from([
        ("acme/synthflow-trunk", ("sf-acme", "<secret>")),
        ("acme/trunk-b", ("trunk-user-b", "trunk-password-b")),
    ]))
}

/// Short backoff; a timeout long enough for a loaded machine. Two agents per page, so that
/// every run pages through the list.
pub fn options(request_timeout: Duration) -> ClientOptions {
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

pub fn provisioner_with(
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
        Transport::Udp,
        3,
        secrets(),
    )
}

pub async fn setup() -> (FakeSynthflow, Provisioner<MemorySecrets>) {
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    let provisioner = provisioner_with(&fake, WORKSPACE, API_KEY, Duration::from_secs(5));
    (fake, provisioner)
}

pub fn number(phone: &str) -> Value {
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

pub fn event(mode: &str, phones: &[&str]) -> Value {
    json!({"mode": mode, "numbers": phones.iter().map(|p| number(p)).collect::<Vec<_>>()})
}

pub async fn provision_event(provisioner: &Provisioner<MemorySecrets>, event: Value) -> Output {
    provisioner
        .handle_json(&event.to_string(), None)
        .await
        .expect("a valid event")
}

pub fn report<'a>(output: &'a Output, phone: &str) -> &'a NumberReport {
    output
        .numbers
        .iter()
        .find(|n| n.phone_number == phone)
        .expect("reported")
}

pub fn sip_uri(phone: &str) -> String {
    format!("sip:{phone}@sipin.synthflow.ai:32681")
}

pub fn count(requests: &[RecordedRequest], route: Route) -> usize {
    requests.iter().filter(|r| r.route == Some(route)).count()
}

/// Positions of the requests to `route` whose body is about `phone`.
pub fn sent_for(requests: &[RecordedRequest], route: Route, phone: &str) -> Vec<usize> {
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
pub fn writes(fake: &FakeSynthflow) -> Vec<(String, String)> {
    fake.writes()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect()
}

pub fn model_id_of(fake: &FakeSynthflow, workspace: &str, phone: &str) -> String {
    let bound: Vec<String> = fake
        .assistants(workspace)
        .into_iter()
        .filter(|a| a["attached_phone_numbers"][0]["number"] == phone)
        .map(|a| a["model_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bound.len(), 1, "one agent bound to {phone}: {bound:?}");
    bound[0].clone()
}

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
