//! The committed events and the create bodies written from Synthflow's API reference.

use std::time::Duration;

use fake_synthflow::{FakeSynthflow, Route};
use provision::*;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn the_example_event_and_the_golden_events_are_valid() {
    for file in [
        "provision.json",
        "provision/golden/event.json",
        "provision/golden/event-uac.json",
    ] {
        parse_event(read_json(&events_dir().join(file))).unwrap_or_else(|e| panic!("{file}: {e}"));
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
        let output = provision_event(&provisioner, read_json(&golden.join(event))).await;
        assert_eq!(output.summary.failed, 0, "{output:?}");

        let body_of = |route| fake.requests_to(route).remove(0).body.unwrap();
        assert_eq!(
            body_of(Route::CreateCustomNumber),
            read_json(&golden.join(custom_number)),
            "{event}"
        );
        assert_eq!(
            body_of(Route::CreateAssistant),
            read_json(&golden.join("create-assistant.json")),
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
        let body = read_json(&golden.join(file));
        for key in keys(&body) {
            assert!(number_fields.contains(&key.as_str()), "{file}: {key}");
        }
        for required in ["workspace_id", "phone_number"] {
            assert!(body.get(required).is_some(), "{file}: {required}");
        }
    }
    let body = read_json(&golden.join("create-assistant.json"));
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
