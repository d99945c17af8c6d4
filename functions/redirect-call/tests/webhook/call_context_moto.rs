//! The call's context recorded when it is dialed: DynamoDB through the real AWS SDK against
//! `moto_server` on loopback, and DynamoDB down or hanging.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use moto_harness::MotoServer;
use redirect_call::context_recording::{ContextRecorder, ContextRecording, WriteOutcome};
use redirect_call::handle_event;
use shared::twilio::{CallSid, WebhookParams};

use crate::support::*;

const TABLE: &str = "call-context-test";
const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";
/// The default parameter set, as the issue lists it.
const DEFAULT_SET: [&str; 13] = [
    "From",
    "To",
    "Called",
    "Caller",
    "CallerName",
    "FromCity",
    "FromState",
    "FromCountry",
    "FromZip",
    "Direction",
    "ForwardedFrom",
    "StirVerstat",
    "ParentCallSid",
];

fn recording(timeout: Duration) -> ContextRecording {
    ContextRecording {
        table: TABLE.into(),
        parameters: DEFAULT_SET.map(str::to_owned).to_vec(),
        ttl: Duration::from_secs(86_400),
        write_timeout: timeout,
    }
}

fn client(
    builder: aws_sdk_dynamodb::config::Builder,
    timeout: Duration,
) -> aws_sdk_dynamodb::Client {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(timeout)
        .operation_attempt_timeout(timeout / 2)
        .build();
    aws_sdk_dynamodb::Client::from_conf(builder.timeout_config(timeouts).build())
}

/// The webhook parameters of a committed event, decoded here from its body.
fn event_params(name: &str) -> BTreeMap<String, String> {
    let event = load(name);
    let body = base64::engine::general_purpose::STANDARD
        .decode(event.body.unwrap())
        .unwrap();
    form_urlencoded::parse(&body).into_owned().collect()
}

async fn stored_item(
    moto: &MotoServer,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    moto.dynamodb()
        .get_item()
        .table_name(TABLE)
        .key("CallSid", AttributeValue::S(CALL_SID.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// moto with the table, and the default state recording into it.
async fn recording_state() -> (MotoServer, FixedState) {
    let moto = MotoServer::start();
    moto.create_table(TABLE, "CallSid", "expires_at").await;
    let timeout = Duration::from_secs(2);
    let state = default_state().with_recorder(ContextRecorder::new(
        recording(timeout),
        client(moto.dynamodb_config(), timeout),
    ));
    (moto, state)
}

#[tokio::test]
async fn a_dialed_call_is_recorded_with_the_configured_parameters_only() {
    let (moto, state) = recording_state().await;
    let before = shared::call_context::unix_now();
    let response = handle_event(&state, load("post-inbound-full.json")).await;
    let plain = handle_event(&default_state(), load("post-inbound-full.json")).await;
    assert_eq!(response.status_code, 200);
    assert_eq!(
        response.body, plain.body,
        "the TwiML is the same with recording on"
    );
    assert_eq!(moto.calls("PutItem"), 1);

    let item = stored_item(&moto).await.expect("the item is stored");
    let sent = event_params("post-inbound-full.json");
    let expected: BTreeMap<String, AttributeValue> = DEFAULT_SET
        .iter()
        .filter_map(|name| sent.get(*name).filter(|v| !v.is_empty()).map(|v| (name, v)))
        .map(|(name, value)| ((*name).to_owned(), AttributeValue::S(value.clone())))
        .collect();
    assert!(expected.contains_key("StirVerstat") && expected.contains_key("FromCity"));
    let Some(AttributeValue::M(stored)) = item.get("variables") else {
        panic!("no variables map: {item:?}")
    };
    assert_eq!(
        stored
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        expected
    );
    for outside in [
        "AccountSid",
        "CallToken",
        "ApiVersion",
        "CalledCity",
        "ToZip",
    ] {
        assert!(sent.contains_key(outside), "{outside} is in the event");
        assert!(!stored.contains_key(outside), "{outside} was stored");
    }
    let number = |name: &str| match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse::<u64>().unwrap(),
        other => panic!("{name}: {other:?}"),
    };
    let recorded_at = number("recorded_at");
    assert!((before..before + 60).contains(&recorded_at));
    assert_eq!(
        number("expires_at"),
        recorded_at + 86_400,
        "the TTL attribute"
    );
}

#[tokio::test]
async fn rejected_requests_record_nothing() {
    let (moto, state) = recording_state().await;
    for (name, status) in [
        ("forbidden-wrong-token.json", 403),
        ("forbidden-unsigned.json", 403),
        ("bad-called-at.json", 400),
        ("dial-status-busy.json", 200),
    ] {
        assert_eq!(
            handle_event(&state, load(name)).await.status_code,
            status,
            "{name}"
        );
    }
    assert_eq!(moto.calls("PutItem"), 0);
    assert_eq!(stored_item(&moto).await, None);
}

#[tokio::test]
async fn the_call_is_dialed_when_dynamodb_is_down_or_hangs() {
    let moto = MotoServer::start();
    let params = WebhookParams::from_form(
        format!("CallSid={CALL_SID}&From=%2B16175551212&To=%2B14155550123").as_bytes(),
    );
    let sid = CallSid::parse(CALL_SID).unwrap();
    let timeout = Duration::from_millis(200);

    // Nothing listens: connection refused.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = moto
        .dynamodb_config()
        .endpoint_url(format!("http://{closed}"));
    // Accepts connections and never answers.
    let hanging = TcpListener::bind("127.0.0.1:0").unwrap();
    let hung = moto
        .dynamodb_config()
        .endpoint_url(format!("http://{}", hanging.local_addr().unwrap()));

    for (what, builder, outcomes) in [
        ("down", down, [WriteOutcome::Failed, WriteOutcome::TimedOut]),
        (
            "hanging",
            hung,
            [WriteOutcome::TimedOut, WriteOutcome::Failed],
        ),
    ] {
        let recorder = ContextRecorder::new(recording(timeout), client(builder, timeout));
        let started = Instant::now();
        let outcome = recorder.record(&sid, &params).await;
        assert!(outcomes.contains(&outcome), "{what}: {outcome:?}");
        // Not a benchmark: without its bound the hanging write would never end.
        assert!(
            started.elapsed() < timeout + Duration::from_secs(2),
            "{what}"
        );

        let state = default_state().with_recorder(recorder);
        let response = handle_event(&state, load("post-inbound-full.json")).await;
        let plain = handle_event(&default_state(), load("post-inbound-full.json")).await;
        assert_eq!(response.status_code, 200, "{what}");
        assert_eq!(
            response.body, plain.body,
            "{what}: dialed as without recording"
        );
    }
    drop(hanging);
}

#[tokio::test]
async fn no_phone_number_reaches_the_logs() {
    let (_moto, state) = recording_state().await;
    let (logs, _guard) = capture_logs();
    handle_event(&state, load("post-inbound-full.json")).await;
    let lines = logs.lines();
    let all = serde_json::to_string(&lines).unwrap();
    assert!(all.contains("call context recorded"), "{all}");
    for number in [
        "+14155550123",
        "14155550123",
        "+16175551212",
        "6175551212",
        "BOSTON",
    ] {
        assert!(!all.contains(number), "{number} reached the logs: {all}");
    }
}
