//! Invalid configuration stops the function at cold start with one line naming the variable.

use std::process::Command;

fn cold_start(vars: &[(&str, &str)]) -> (bool, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_redirect-call"));
    command.env_clear().env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().expect("the binary runs");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&output.stderr).lines())
        .map(str::to_owned)
        .collect();
    (output.status.success(), lines)
}

#[test]
fn each_invalid_variable_is_named_in_one_line() {
    for (variable, value) in [
        ("SYNTHFLOW_SIP_ENDPOINT", "sipin.synthflow.ai"),
        ("SIP_TRANSPORT", "quic"),
        ("SIP_EXTRA_HEADERS", "X-Twilio-Caller={From}"),
        ("DIAL_TIMEOUT", "1000"),
        ("DIAL_RECORD", "yes"),
    ] {
        let (success, lines) = cold_start(&[(variable, value)]);
        assert!(!success, "{variable}={value} must stop the cold start");
        assert_eq!(lines.len(), 1, "{lines:#?}");
        let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(line["level"], "ERROR");
        let message = line["fields"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("{variable}: ")), "{message}");
    }
}
