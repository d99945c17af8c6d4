//! The `redirect-call` binary as Lambda runs it: a cold start against Secrets Manager
//! (`moto_server`) and invocations through the Lambda Runtime API (a loopback emulator).

use std::path::Path;
use std::time::Duration;

use lambda_emulator::{Emulator, Outcome};
use moto_harness::MotoServer;

const BIN: &str = env!("CARGO_BIN_EXE_redirect-call");
const TEST_AUTH_TOKEN: &str = "7f3a9c2e5b1d4f8a6c0e2b4d6f8a0c1e";
const SIP_PASSWORD: &str = "s1p-Passw0rd-4-synthflow";

fn event(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/redirect-call")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn twilio_secret(extra: &str) -> String {
    format!(
        r#"{{"account_sid":"AC0f1e2d3c4b5a69788796a5b4c3d2e1f0","auth_token":"{TEST_AUTH_TOKEN}"{extra}}}"#
    )
}

fn cold_start(vars: &[(&str, String)]) -> (bool, Vec<String>) {
    lambda_emulator::run_to_exit(BIN, vars)
}

fn failed_cold_start(vars: &[(&str, String)]) -> String {
    lambda_emulator::failed_cold_start(BIN, vars)
}

#[test]
fn each_invalid_variable_is_named_in_one_line() {
    for (variable, value) in [
        ("SYNTHFLOW_SIP_ENDPOINT", "sipin.synthflow.ai"),
        ("SIP_TRANSPORT", "quic"),
        ("SIP_EXTRA_HEADERS", "X-Twilio-Caller={From}"),
        ("DIAL_TIMEOUT", "1000"),
        ("DIAL_RECORD", "yes"),
        ("TWILIO_SIGNATURE_VALIDATION", "no"),
        ("PUBLIC_BASE_URL", "voice.example.com"),
        ("SDK_TRUST_ROOTS", "os"),
        ("TRANSFER_ALLOWED_NUMBERS", "+1415"),
        ("TRANSFER_ALLOWED_SIP_HOSTS", "*"),
        ("FALLBACK_NUMBER", "+14155550100"),
        ("CALL_CONTEXT_TABLE", "call context"),
        ("CALL_CONTEXT_TTL", "86400"),
    ] {
        let message = failed_cold_start(&[
            ("TWILIO_SECRET_ID", "twilio".into()),
            (variable, value.into()),
        ]);
        assert!(message.contains(&format!("{variable}: ")), "{message}");
    }
    let message = failed_cold_start(&[
        ("TWILIO_SECRET_ID", "twilio".into()),
        ("FALLBACK_ACTION", "forward".into()),
    ]);
    assert!(
        message.contains("FALLBACK_NUMBER: required by FALLBACK_ACTION=forward"),
        "{message}"
    );
    let message = failed_cold_start(&[]);
    assert!(message.contains("TWILIO_SECRET_ID: required"), "{message}");
}

#[test]
fn validation_off_is_announced_at_every_cold_start() {
    // No Runtime API to reach: the function stops right after its cold start.
    let (_, lines) = cold_start(&[
        ("TWILIO_SIGNATURE_VALIDATION", "off".into()),
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9".into()),
    ]);
    let warning = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["level"] == "WARN")
        .unwrap_or_else(|| panic!("no warning in {lines:#?}"));
    let message = warning["fields"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("TWILIO_SIGNATURE_VALIDATION=off"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_or_malformed_secret_is_named_at_cold_start() {
    let moto = MotoServer::start();
    moto.create_secret(
        "twilio/no-token",
        r#"{"account_sid":"AC0f1e2d3c4b5a69788796a5b4c3d2e1f0"}"#,
    )
    .await;
    for (id, expected) in [
        ("twilio/absent", "ResourceNotFoundException"),
        ("twilio/no-token", "missing key auth_token"),
    ] {
        let mut vars = moto.env();
        vars.push(("TWILIO_SECRET_ID", id.into()));
        let message = failed_cold_start(&vars);
        assert!(
            message.contains(&format!("secret {id}: ")) && message.contains(expected),
            "{message}"
        );
    }
}

#[tokio::test]
async fn one_secret_fetch_per_cold_start_and_no_secret_in_the_logs() {
    let moto = MotoServer::start();
    moto.create_secret(
        "twilio/live",
        &twilio_secret(&format!(
            r#","sip_username":"acme","sip_password":"{SIP_PASSWORD}""#
        )),
    )
    .await;
    let mut emulator = Emulator::start().await;
    let function = emulator.spawn(
        BIN,
        "redirect-call",
        &[
            ("TWILIO_SECRET_ID", "twilio/live".into()),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE".into()),
        ]
        .into_iter()
        .chain(moto.env())
        .collect::<Vec<_>>(),
    );

    let mut statuses = Vec::new();
    for name in [
        "post-inbound.json",
        "get-inbound.json",
        "forbidden-unsigned.json",
        "post-inbound-full.json",
    ] {
        emulator.invoke(event(name));
        match emulator.outcome(Duration::from_secs(60)).await {
            Some(Outcome::Response(json)) => {
                let response: serde_json::Value = serde_json::from_str(&json).unwrap();
                if response["statusCode"] == 200 {
                    let body = response["body"].as_str().unwrap();
                    assert!(
                        body.contains(
                            r#"<Sip password="s1p-Passw0rd-4-synthflow" username="acme">"#
                        ),
                        "{body}"
                    );
                }
                statuses.push(response["statusCode"].as_i64().unwrap());
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(statuses, [200, 200, 403, 200]);
    assert_eq!(
        moto.calls("GetSecretValue"),
        1,
        "one fetch at cold start, none per call"
    );

    let logs = function.stop().await;
    assert!(
        logs.contains("\"outcome\":\"dialed\""),
        "the request lines are there: {logs}"
    );
    assert!(
        logs.contains("\"level\":\"TRACE\""),
        "logs were captured at TRACE: {logs}"
    );
    for secret in [TEST_AUTH_TOKEN, SIP_PASSWORD] {
        assert!(!logs.contains(secret), "a secret reached the logs:\n{logs}");
    }
}
