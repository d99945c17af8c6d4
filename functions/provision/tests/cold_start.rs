//! A function that cannot run stops at cold start with one line naming what is wrong.

use std::process::Command;

fn cold_start(vars: &[(&str, &str)]) -> (bool, Vec<serde_json::Value>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provision"));
    command.env_clear().env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().expect("the binary runs");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&output.stderr).lines())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    (output.status.success(), lines)
}

fn message(line: &serde_json::Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

#[test]
fn each_invalid_variable_is_named_in_one_line() {
    for (vars, variable) in [
        (vec![], "SYNTHFLOW_SECRET_ID"),
        (
            vec![("SYNTHFLOW_API_BASE", "http://api.synthflow.ai/v2")],
            "SYNTHFLOW_API_BASE",
        ),
        (
            vec![("SYNTHFLOW_SIP_ENDPOINT", "sipin.synthflow.ai")],
            "SYNTHFLOW_SIP_ENDPOINT",
        ),
        (
            vec![("PROVISION_CONCURRENCY", "0")],
            "PROVISION_CONCURRENCY",
        ),
    ] {
        let mut vars = vars;
        if variable != "SYNTHFLOW_SECRET_ID" {
            vars.push(("SYNTHFLOW_SECRET_ID", "synthflow/test"));
        }
        let (success, lines) = cold_start(&vars);
        assert!(!success, "{variable} must stop the cold start");
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert_eq!(lines[0]["level"], "ERROR");
        assert!(
            message(&lines[0]).contains(&format!("{variable}: ")),
            "{lines:#?}"
        );
    }
}

#[test]
fn an_unreadable_synthflow_secret_stops_the_cold_start_naming_the_secret() {
    // Nothing listens on this port: GetSecretValue fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (success, lines) = cold_start(&[
        ("SYNTHFLOW_SECRET_ID", "synthflow/test"),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", &endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    assert!(!success);
    let errors: Vec<&serde_json::Value> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "{lines:#?}");
    assert!(
        message(errors[0]).contains("secret synthflow/test: "),
        "{lines:#?}"
    );
}
