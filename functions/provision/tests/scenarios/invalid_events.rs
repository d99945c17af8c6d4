//! Invalid events: each bad field is named, no value is quoted, and nothing is sent to Synthflow.

use lambda_runtime::Diagnostic;
use provision::*;
use serde_json::{Value, json};

use crate::support::*;

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
            e["numbers"][0]["provider_name"] = json!({"twilio": null});
        }),
        ("numbers[1].agent.greeting_message_mode", |e| {
            e["numbers"][1]["agent"]["greeting_message_mode"] = json!({"human": null});
        }),
        // Nor is serde's array form of a struct an object.
        ("(event)", |e| {
            *e = json!(["apply", [e["numbers"][0].clone()]]);
        }),
        ("numbers[0]", |e| {
            e["numbers"][0] = json!([A, "line", null, "acme-trunk.pstn.twilio.com"]);
        }),
        ("numbers[1].agent.max_duration", |e| {
            e["numbers"][1]["agent"]["max_duration"] = json!([600, true]);
        }),
        ("numbers[1].agent.end_call_reasons_v2[0]", |e| {
            e["numbers"][1]["agent"]["end_call_reasons_v2"] = json!([["done"]]);
        }),
        ("numbers", |e| e["numbers"] = json!([])),
        ("numbers", |e| {
            e.as_object_mut().unwrap().remove("numbers");
        }),
        ("dry_run", |e| e["dry_run"] = json!(true)),
        ("numbers[1].phone_number", |e| {
            e["numbers"][1]["phone_number"] = json!("4155550124");
        }),
        ("numbers[1].phone_number", |e| {
            e["numbers"][1]["phone_number"] = json!("+1 415 555 0124");
        }),
        ("numbers[1].phone_number", |e| {
            e["numbers"][1]["phone_number"] = json!(14155550124u64);
        }),
        ("numbers[2].phone_number", |e| {
            e["numbers"][2]["phone_number"] = json!(A);
        }),
        ("numbers[0].phone_number", |e| {
            e["numbers"][0]
                .as_object_mut()
                .unwrap()
                .remove("phone_number");
        }),
        ("numbers[0].trunk_pwd", |e| {
            e["numbers"][0]["trunk_pwd"] = json!("hunter2");
        }),
        ("numbers[0].termination_uri", |e| {
            e["numbers"][0]
                .as_object_mut()
                .unwrap()
                .remove("termination_uri");
        }),
        ("numbers[0].termination_uri", |e| {
            e["numbers"][0]["termination_uri"] = json!(" ");
        }),
        ("numbers[0].provider_name", |e| {
            e["numbers"][0]["provider_name"] = json!("plivo");
        }),
        ("numbers[0].trunk_credentials_secret_id", |e| {
            e["numbers"][0]["uac_enabled"] = json!(true);
        }),
        ("numbers[0].uac_register_expires", |e| {
            e["numbers"][0]["uac_register_expires"] = json!(30);
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
            e["numbers"][1]["agent"]["llm"] = json!("");
        }),
        ("numbers[1].agent.greeting_mesage", |e| {
            e["numbers"][1]["agent"]["greeting_mesage"] = json!("typo");
        }),
        ("numbers[1].agent.type", |e| {
            e["numbers"][1]["agent"]["type"] = json!("outbound");
        }),
        ("numbers[1].agent.end_call_reasons", |e| {
            e["numbers"][1]["agent"]["end_call_reasons"] = json!(["done"]);
        }),
        ("numbers[1].agent.voice_stability", |e| {
            e["numbers"][1]["agent"]["voice_stability"] = json!(2);
        }),
        ("numbers[1].agent.min_words_to_interrupt", |e| {
            e["numbers"][1]["agent"]["min_words_to_interrupt"] = json!(3);
        }),
        ("numbers[1].agent.greeting_message_mode", |e| {
            e["numbers"][1]["agent"]["greeting_message_mode"] = json!("robot");
        }),
        ("numbers[1].agent.external_webhook_url", |e| {
            e["numbers"][1]["agent"]["external_webhook_url"] = json!("hooks.example.com");
        }),
        ("numbers[1].agent.max_duration.is_enabled", |e| {
            e["numbers"][1]["agent"]["max_duration"] = json!({"duration_seconds": 60});
        }),
        ("numbers[1].agent.end_call_reasons_v2[0].reason", |e| {
            e["numbers"][1]["agent"]["end_call_reasons_v2"] = json!([{"closing_message": "bye"}]);
        }),
        ("numbers[1].agent.voice_engine_version", |e| {
            e["numbers"][1]["agent"]["voice_engine_version"] = json!(2);
        }),
    ];
    for (field, edit) in cases {
        let mut bad = event("apply", &[A, B, C]);
        edit(&mut bad);
        let error = provisioner
            .handle_json(&bad.to_string(), None)
            .await
            .expect_err(field);
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
            e["mode"] = json!("+14155550130, expected a string");
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
