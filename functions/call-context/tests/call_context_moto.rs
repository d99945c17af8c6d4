//! `call-context` against DynamoDB and Secrets Manager in `moto_server` (the real AWS SDK, on
//! loopback), on committed API Gateway events: the round trip from the webhook's dial to the
//! action's answer, and every refusal with what it must not read.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use call_context::context_store::DynamoDbContextStore;
use call_context::{State, handle_event};
use lambda_emulator::{Emulator, Outcome};
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::http::HeaderValue;
use moto_harness::MotoServer;
use redirect_call::context_recording::{ContextRecorder, ContextRecording};
use serde_json::{Value, json};
use shared::call_context::DEFAULT_PARAMETERS;
use shared::secrets::{CachedSecret, DEFAULT_TTL, FixedSecret, SecretStore};

const BIN: &str = env!("CARGO_BIN_EXE_call-context");
const TABLE: &str = "call-context-test";
const SECRET_ID: &str = "synthflow-sip-bridge/test/call-context";
/// The token the committed events carry.
const TOKEN: &str = "cc-test-token-5f0c2a9e7b1d4c3a8e6f0b2d4a6c8e0f";
const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";
/// The Twilio token `events/redirect-call` are signed with.
const TWILIO_TOKEN: &str = "7f3a9c2e5b1d4f8a6c0e2b4d6f8a0c1e";

fn events(dir: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(dir)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn action(name: &str) -> ApiGatewayV2httpRequest {
    serde_json::from_str(&events("call-context", name)).unwrap()
}

/// `post-action.json` with another JSON body.
fn action_with_body(body: &str) -> ApiGatewayV2httpRequest {
    let mut event = action("post-action.json");
    event.body = Some(body.to_owned());
    event
}

fn json_body(response: &ApiGatewayV2httpResponse) -> Value {
    let Some(lambda_http::Body::Text(text)) = &response.body else {
        panic!("no text body: {response:?}")
    };
    serde_json::from_str(text).unwrap()
}

async fn create_secret(moto: &MotoServer, secret: &Value) {
    moto.create_secret(SECRET_ID, &secret.to_string()).await;
}

/// State as the cold start builds it: the secret fetched from moto, the table in moto.
async fn state(moto: &MotoServer) -> State {
    let store = SecretStore::new(moto.client());
    State {
        secret: CachedSecret::load(store, SECRET_ID, DEFAULT_TTL)
            .await
            .unwrap(),
        store: DynamoDbContextStore::new(moto.dynamodb(), TABLE.into()),
    }
}

/// The webhook dials the committed call, recording its context in moto's table.
async fn dial_the_committed_call(moto: &MotoServer) {
    let twilio =
        json!({"account_sid": "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0", "auth_token": TWILIO_TOKEN});
    let config = redirect_call::config::RedirectCallConfig::from_lookup(|name| {
        (name == "TWILIO_SECRET_ID").then(|| "redirect-call/test".to_owned())
    })
    .unwrap();
    let twilio = FixedSecret::new(shared::secrets::parse_payload(&twilio.to_string()).unwrap());
    let recording = ContextRecording {
        table: TABLE.into(),
        parameters: DEFAULT_PARAMETERS.map(str::to_owned).to_vec(),
        ttl: Duration::from_secs(86_400),
        write_timeout: Duration::from_secs(2),
    };
    let webhook = redirect_call::State::new(config, Some(twilio))
        .unwrap()
        .with_recorder(ContextRecorder::new(recording, moto.dynamodb()));
    let event = serde_json::from_str(&events("redirect-call", "post-inbound-full.json")).unwrap();
    let response = redirect_call::handle_event(&webhook, event).await;
    assert_eq!(response.status_code, 200);
}

async fn moto_with_table_and_secret() -> MotoServer {
    let moto = MotoServer::start();
    moto.create_table(TABLE, "CallSid", "expires_at").await;
    create_secret(&moto, &json!({ "token": TOKEN })).await;
    moto
}

#[tokio::test]
async fn the_action_gets_the_variables_the_webhook_recorded() {
    let moto = moto_with_table_and_secret().await;
    dial_the_committed_call(&moto).await;
    let state = state(&moto).await;

    // What Twilio sent in events/redirect-call/post-inbound-full.json, of the default set.
    let expected = json!({
        "twilio_call_sid": CALL_SID,
        "Called": "+14155550123",
        "Caller": "+16175551212",
        "Direction": "inbound",
        "From": "+16175551212",
        "FromCity": "BOSTON",
        "FromCountry": "US",
        "FromState": "MA",
        "StirVerstat": "TN-Validation-Passed-A",
        "To": "+14155550123",
    });
    for name in ["post-action.json", "get-action.json"] {
        let response = handle_event(&state, action(name)).await;
        assert_eq!(response.status_code, 200, "{name}: {response:?}");
        assert_eq!(response.headers["content-type"], "application/json");
        assert_eq!(response.headers["cache-control"], "no-store");
        assert_eq!(json_body(&response), expected, "{name}");
    }
    // The pre-call action's <external_id> in either X-EI form names the same call.
    for external_id in [CALL_SID.to_owned(), format!("E.{CALL_SID};")] {
        let body = json!({ "external_id": external_id }).to_string();
        let response = handle_event(&state, action_with_body(&body)).await;
        assert_eq!(json_body(&response), expected, "{external_id}");
    }
    // A replay is answered alike and writes nothing.
    let again = handle_event(&state, action("post-action.json")).await;
    assert_eq!(json_body(&again), expected);
    assert_eq!(moto.calls("PutItem"), 1, "only the webhook wrote");
    assert_eq!(moto.calls("GetItem"), 5);
}

#[tokio::test]
async fn bad_or_missing_tokens_get_401_and_nothing_is_read() {
    let moto = moto_with_table_and_secret().await;
    dial_the_committed_call(&moto).await;
    let state = state(&moto).await;
    let wrong = "cc-wrong-token-00000000000000000000000000000000";
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no header", vec![]),
        (
            "wrong bearer",
            vec![("authorization", format!("Bearer {wrong}"))],
        ),
        ("wrong api key", vec![("x-api-key", wrong.to_owned())]),
        (
            "basic scheme",
            vec![("authorization", format!("Basic {TOKEN}"))],
        ),
        (
            "token prefix",
            vec![("authorization", format!("Bearer {}", &TOKEN[..20]))],
        ),
        (
            "both headers",
            vec![
                ("authorization", format!("Bearer {TOKEN}")),
                ("x-api-key", wrong.to_owned()),
            ],
        ),
    ];
    for (what, headers) in cases {
        let mut event = action("post-action.json");
        event.headers.remove("authorization");
        for (name, value) in headers {
            event
                .headers
                .append(name, HeaderValue::from_str(&value).unwrap());
        }
        let response = handle_event(&state, event).await;
        assert_eq!(response.status_code, 401, "{what}");
        assert_eq!(response.headers["www-authenticate"], "Bearer", "{what}");
        let error = json_body(&response)["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with("unauthorized: "), "{what}: {error}");
        assert!(
            !error.contains(TOKEN) && !error.contains(wrong),
            "{what}: {error}"
        );
    }
    assert_eq!(moto.calls("GetItem"), 0, "nothing read without the token");
    // One early refresh of the secret for the first wrong token, then rate limited.
    assert_eq!(moto.calls("GetSecretValue"), 2);
}

#[tokio::test]
async fn malformed_call_sids_get_400_and_nothing_is_read() {
    let moto = moto_with_table_and_secret().await;
    let state = state(&moto).await;
    for (body, says) in [
        (r#"{}"#.to_owned(), "no call SID"),
        (
            r#"{"twilio_call_sid":"CA123"}"#.to_owned(),
            "not a Twilio call SID",
        ),
        (
            r#"{"twilio_call_sid":"<twilio_call_sid>"}"#.to_owned(),
            "placeholder",
        ),
        (
            format!(r#"{{"twilio_call_sid":"{CALL_SID}\"}}"#),
            "not JSON",
        ),
        (
            r#"{"twilio_call_sid":{"S":"CA0123456789abcdef0123456789abcdef"}}"#.to_owned(),
            "not a string",
        ),
        (
            format!(r#"{{"twilio_call_sid":"{CALL_SID} OR 1=1"}}"#),
            "not a Twilio call SID",
        ),
        (
            format!(
                r#"{{"twilio_call_sid":"{CALL_SID}","external_id":"CAffffffffffffffffffffffffffffffff"}}"#
            ),
            "different values",
        ),
        (
            "twilio_call_sid=CA0123456789abcdef0123456789abcdef".to_owned(),
            "not JSON",
        ),
    ] {
        let response = handle_event(&state, action_with_body(&body)).await;
        assert_eq!(response.status_code, 400, "{body}");
        let error = json_body(&response)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(says), "{body}: {error}");
    }
    assert_eq!(moto.calls("GetItem"), 0);
}

#[tokio::test]
async fn unknown_and_expired_calls_get_404() {
    let moto = moto_with_table_and_secret().await;
    let state = state(&moto).await;
    let response = handle_event(&state, action("post-action.json")).await;
    assert_eq!(response.status_code, 404);
    assert_eq!(
        json_body(&response)["error"],
        "no context is stored for this call"
    );

    // Expired an hour ago, not yet deleted by DynamoDB's TTL.
    let now = shared::call_context::unix_now();
    moto.dynamodb()
        .put_item()
        .table_name(TABLE)
        .item("CallSid", AttributeValue::S(CALL_SID.into()))
        .item(
            "variables",
            AttributeValue::M(
                [("From".to_owned(), AttributeValue::S("+16175551212".into()))].into(),
            ),
        )
        .item("recorded_at", AttributeValue::N((now - 90_000).to_string()))
        .item("expires_at", AttributeValue::N((now - 3_600).to_string()))
        .send()
        .await
        .unwrap();
    let response = handle_event(&state, action("post-action.json")).await;
    assert_eq!(response.status_code, 404);
    assert_eq!(
        json_body(&response)["error"],
        "the call's context has expired"
    );
    assert!(!format!("{response:?}").contains("6175551212"));
}

#[tokio::test]
async fn large_requests_other_routes_and_methods_are_refused_unread() {
    let moto = moto_with_table_and_secret().await;
    dial_the_committed_call(&moto).await;
    let state = state(&moto).await;
    let padded = json!({ "twilio_call_sid": CALL_SID, "pad": "x".repeat(10_000) }).to_string();
    let response = handle_event(&state, action_with_body(&padded)).await;
    assert_eq!(response.status_code, 413);

    let mut long_query = action("get-action.json");
    long_query.raw_query_string = Some(format!(
        "twilio_call_sid={CALL_SID}&pad={}",
        "x".repeat(5_000)
    ));
    assert_eq!(handle_event(&state, long_query).await.status_code, 414);

    let mut other_route = action("post-action.json");
    other_route.raw_path = Some("/redirect_call".into());
    assert_eq!(handle_event(&state, other_route).await.status_code, 404);

    let mut delete = action("post-action.json");
    delete.request_context.http.method = lambda_http::http::Method::DELETE;
    let response = handle_event(&state, delete).await;
    assert_eq!(response.status_code, 405);
    assert_eq!(response.headers["allow"], "GET, POST");
    assert_eq!(moto.calls("GetItem"), 0);
}

#[tokio::test]
async fn a_rotated_token_is_accepted_after_one_refresh() {
    let moto = moto_with_table_and_secret().await;
    dial_the_committed_call(&moto).await;
    let state = state(&moto).await;
    let new_token = "cc-new-token-a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let rotated = json!({ "token": new_token, "previous_token": TOKEN });
    moto.put_secret_value(SECRET_ID, &rotated.to_string()).await;
    let mut event = action("post-action.json");
    event.headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {new_token}")).unwrap(),
    );
    assert_eq!(handle_event(&state, event).await.status_code, 200);
    // The old token works while previous_token is in the secret.
    assert_eq!(
        handle_event(&state, action("get-action.json"))
            .await
            .status_code,
        200
    );
    assert_eq!(
        moto.calls("GetSecretValue"),
        2,
        "cold start and one refresh"
    );
}

#[tokio::test]
async fn the_binary_answers_through_the_runtime_api_without_values_in_its_logs() {
    let moto = moto_with_table_and_secret().await;
    dial_the_committed_call(&moto).await;
    let mut emulator = Emulator::start().await;
    let vars: Vec<(&str, String)> = [
        ("CALL_CONTEXT_TABLE", TABLE.to_owned()),
        ("CALL_CONTEXT_SECRET_ID", SECRET_ID.to_owned()),
        // The most the template allows (TRACE would log raw events: see LogLevel there).
        ("AWS_LAMBDA_LOG_LEVEL", "DEBUG".to_owned()),
    ]
    .into_iter()
    .chain(moto.env())
    .collect();
    let function = emulator.spawn(BIN, "call-context", &vars);
    let mut statuses = Vec::new();
    for event in ["post-action.json", "get-action.json"] {
        emulator.invoke(events("call-context", event));
        match emulator.outcome(Duration::from_secs(60)).await {
            Some(Outcome::Response(json)) => {
                let response: Value = serde_json::from_str(&json).unwrap();
                statuses.push(response["statusCode"].as_i64().unwrap());
            }
            other => panic!("{event}: {other:?}"),
        }
    }
    assert_eq!(statuses, [200, 200]);
    let logs = function.stop().await;
    assert!(logs.contains("\"outcome\":\"answered\""), "{logs}");
    for value in [
        "+16175551212",
        "6175551212",
        "+14155550123",
        "BOSTON",
        TOKEN,
    ] {
        assert!(!logs.contains(value), "{value} reached the logs:\n{logs}");
    }
}

#[test]
fn a_missing_variable_or_secret_is_named_at_cold_start() {
    let message = lambda_emulator::failed_cold_start(BIN, &[]);
    assert!(
        message.contains("CALL_CONTEXT_TABLE: required"),
        "{message}"
    );
    let message = lambda_emulator::failed_cold_start(BIN, &[("CALL_CONTEXT_TABLE", TABLE.into())]);
    assert!(
        message.contains("CALL_CONTEXT_SECRET_ID: required"),
        "{message}"
    );
}
