//! The `provision` binary as Lambda runs it: a cold start against Secrets Manager
//! (`moto_server`), invocations through the Lambda Runtime API (a loopback emulator), and
//! Synthflow's API played by the fake server.

use std::path::Path;
use std::time::Duration;

use fake_synthflow::{FakeSynthflow, Route};
use lambda_emulator::{Emulator, Outcome};
use moto_harness::MotoServer;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_provision");
const API_KEY: &str = "sf-e2e-key-0d9c4be1";
const WORKSPACE: &str = "ws_e2e";
const TRUNK_PASSWORD: &str = "trunk-Passw0rd-e2e";

fn failed_cold_start(vars: &[(&str, String)]) -> String {
    lambda_emulator::failed_cold_start(BIN, vars)
}

#[test]
fn each_invalid_variable_is_named_in_one_line() {
    for (variable, value) in [
        ("SYNTHFLOW_SECRET_ID", ""),
        ("SYNTHFLOW_API_BASE", "http://api.synthflow.ai/v2"),
        ("SYNTHFLOW_SIP_ENDPOINT", "sipin.synthflow.ai"),
        ("PROVISION_CONCURRENCY", "0"),
        ("SDK_TRUST_ROOTS", "os"),
    ] {
        let mut vars = vec![(variable, value.to_owned())];
        if variable != "SYNTHFLOW_SECRET_ID" {
            vars.push(("SYNTHFLOW_SECRET_ID", "synthflow/test".into()));
        }
        let message = failed_cold_start(&vars);
        assert!(message.contains(&format!("{variable}: ")), "{message}");
    }
}

#[tokio::test]
async fn a_missing_or_malformed_synthflow_secret_is_named_at_cold_start() {
    let moto = MotoServer::start();
    moto.create_secret("synthflow/no-key", r#"{"workspace_id":"ws"}"#)
        .await;
    for (id, expected) in [
        ("synthflow/absent", "ResourceNotFoundException"),
        ("synthflow/no-key", "missing key api_key"),
    ] {
        let mut vars = moto.env();
        vars.push(("SYNTHFLOW_SECRET_ID", id.into()));
        let message = failed_cold_start(&vars);
        assert!(
            message.contains(&format!("secret {id}: ")) && message.contains(expected),
            "{message}"
        );
    }
}

/// `events/provision.json` through the runtime: applied, applied again without a write, a
/// changed number reported and left alone, and invalid events (a key given twice, a wrong
/// type) answered with an `InvalidEvent` error and no request. No secret and no full phone
/// number reaches the answers or the logs.
#[tokio::test(flavor = "multi_thread")]
async fn the_example_event_runs_through_the_lambda_runtime() {
    let moto = MotoServer::start();
    moto.create_secret(
        "synthflow/e2e",
        &json!({"api_key": API_KEY, "workspace_id": WORKSPACE}).to_string(),
    )
    .await;
    moto.create_secret(
        "synthflow-sip-bridge/local/trunk",
        &json!({"username": "acme-pbx", "password": TRUNK_PASSWORD}).to_string(),
    )
    .await;
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    let mut emulator = Emulator::start().await;
    let mut vars = moto.env();
    vars.push(("SYNTHFLOW_SECRET_ID", "synthflow/e2e".into()));
    vars.push(("SYNTHFLOW_API_BASE", fake.base_url()));
    let function = emulator.spawn(BIN, "provision", &vars);

    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/provision.json"),
    )
    .unwrap();
    let example_event: Value = serde_json::from_str(&example).unwrap();
    let mut answers = Vec::new();
    for _ in 0..2 {
        emulator.invoke(example.clone());
        match emulator.outcome(Duration::from_secs(120)).await {
            Some(Outcome::Response(body)) => {
                answers.push(serde_json::from_str::<Value>(&body).unwrap());
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        answers[0]["summary"],
        json!({"total": 2, "succeeded": 2, "failed": 0, "changes": 4}),
        "{answers:#?}"
    );
    assert_eq!(
        answers[1]["summary"],
        json!({"total": 2, "succeeded": 2, "failed": 0, "changes": 0}),
        "{answers:#?}"
    );
    for number in answers[1]["numbers"].as_array().unwrap() {
        assert_eq!(number["number"], "exists", "{number}");
        assert_eq!(number["number_drift"], json!([]), "{number}");
    }
    assert_eq!(fake.writes().len(), 4);
    let registering = fake
        .requests_to(Route::CreateCustomNumber)
        .into_iter()
        .find_map(|r| r.body.filter(|b| b["uac_enabled"] == true))
        .expect("the registering number was imported");
    assert_eq!(registering["trunk_username"], "acme-pbx");
    assert_eq!(registering["trunk_pwd"], TRUNK_PASSWORD);

    emulator.invoke(r#"{"mode": "apply", "numbers": [{"phone_number": "12345", "agent": {}}]}"#);
    match emulator.outcome(Duration::from_secs(60)).await {
        Some(Outcome::Error(body)) => {
            let error: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(error["errorType"], "InvalidEvent", "{error}");
            assert!(
                error["errorMessage"]
                    .as_str()
                    .unwrap()
                    .contains("numbers[0].phone_number"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.writes().len(), 4);

    // The first number's label changed in the event: reported, not written.
    let mut relabelled = example_event.clone();
    relabelled["numbers"][0]["friendly_name"] = json!("relabelled main line");
    emulator.invoke(relabelled.to_string());
    match emulator.outcome(Duration::from_secs(120)).await {
        Some(Outcome::Response(body)) => {
            let answer: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                answer["numbers"][0]["number_drift"],
                json!(["friendly_name"])
            );
            assert_eq!(answer["numbers"][1]["number_drift"], json!([]));
            assert_eq!(answer["summary"]["changes"], 0, "{answer}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.writes().len(), 4);

    // A key given twice: the last `mode` would make this plan an apply of a new number.
    let requests = fake.requests().len();
    let mut new_number = example_event["numbers"][0].clone();
    new_number["phone_number"] = json!("+14155550130");
    new_number["agent"]["name"] = json!("another line");
    emulator.invoke(format!(
        r#"{{"mode": "plan", "numbers": [{new_number}], "mode": "apply"}}"#
    ));
    // A number where a string belongs: named by its type only.
    new_number["phone_number"] = json!(14155550130_u64);
    emulator.invoke(json!({"mode": "plan", "numbers": [new_number]}).to_string());
    for (field, reason) in [
        ("mode", "given twice"),
        (
            "numbers[0].phone_number",
            "invalid type: integer, expected a string",
        ),
    ] {
        match emulator.outcome(Duration::from_secs(60)).await {
            Some(Outcome::Error(body)) => {
                let error: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(error["errorType"], "InvalidEvent", "{error}");
                let message = error["errorMessage"].as_str().unwrap();
                assert!(
                    message.starts_with(&format!("invalid event: {field}: {reason}")),
                    "{error}"
                );
                assert!(!message.contains("4155550130"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(fake.requests().len(), requests, "nothing was sent");

    assert_eq!(
        moto.calls("GetSecretValue"),
        1 + 1,
        "Synthflow's, then the trunk's"
    );

    let logs = function.stop().await;
    assert!(logs.contains("provision: number done"), "{logs}");
    assert!(logs.contains("+1415•••0124"), "{logs}");
    // One WARN line for the changed number: masked, the field's name, not its value.
    let drift: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["number_drift"].is_string())
        .collect();
    assert_eq!(drift.len(), 1, "{logs}");
    assert_eq!(drift[0]["level"], "WARN");
    assert_eq!(drift[0]["fields"]["number"], "+1415•••0123");
    assert_eq!(drift[0]["fields"]["number_drift"], "friendly_name");
    for secret in [
        API_KEY,
        TRUNK_PASSWORD,
        "+14155550123",
        "14155550124",
        "4155550130",
        "relabelled",
    ] {
        assert!(!logs.contains(secret), "{secret} reached the logs:\n{logs}");
    }
}
