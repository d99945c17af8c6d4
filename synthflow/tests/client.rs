//! `synthflow::Client` over real HTTP against the fake Synthflow server.

use std::time::Duration;

use fake_synthflow::{FakeSynthflow, Fault, FaultRule, Route};
use secrecy::SecretString;
use serde_json::json;
use shared::phone::E164;
use synthflow::Error;
use synthflow::{
    AgentSettings, AssistantFields, AssistantType, Client, ClientOptions, CreateAssistant,
};
use url::Url;

const API_KEY: &str = "sf-client-test-key-51f0";
const WORKSPACE: &str = "ws_client";

fn client(base: &str, request_timeout: Duration) -> Client {
    Client::new(
        Url::parse(base).unwrap(),
        SecretString::from(API_KEY),
        ClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout,
            max_attempts: 3,
            create_attempts: 3,
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            page_size: 2,
        },
    )
    .unwrap()
}

fn number() -> E164 {
    E164::parse("+14155550123").unwrap()
}

fn outbound_agent(name: &str) -> CreateAssistant {
    CreateAssistant {
        kind: AssistantType::Outbound,
        phone_number: None,
        voice_engine_version: None,
        fields: AssistantFields {
            name: name.to_owned(),
            ..AssistantFields::default()
        },
        agent: AgentSettings {
            llm: Some("gpt-4.1".into()),
            ..AgentSettings::default()
        },
    }
}

#[tokio::test]
async fn a_read_that_outlives_the_timeout_is_tried_again() {
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    fake.inject(FaultRule::new(Route::GetNumber, Fault::Delay(Duration::from_secs(60))).times(1));
    let client = client(&fake.base_url(), Duration::from_millis(1500));
    let found = client.get_phone_number(WORKSPACE, &number()).await.unwrap();
    assert_eq!(found, None);
    assert_eq!(fake.requests_to(Route::GetNumber).len(), 2);
}

#[tokio::test]
async fn an_unreachable_host_is_reported_without_url_or_key() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(
        &format!("http://127.0.0.1:{port}/v2"),
        Duration::from_secs(2),
    );
    let error = client
        .get_phone_number(WORKSPACE, &number())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::Unreachable {
            operation: "get-phone-number",
            reason: "could not connect".into()
        }
    );
    assert!(!format!("{error} {client:?}").contains(API_KEY));
    assert!(!error.to_string().contains("4155550123"));
}

#[tokio::test]
async fn an_agent_error_carries_synthflows_status_and_description_and_is_not_retried() {
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    let client = client(&fake.base_url(), Duration::from_secs(5));
    let mut body = outbound_agent("bound to a number the workspace lacks");
    body.kind = AssistantType::Inbound;
    body.phone_number = Some(number());
    let error = client.create_assistant(&body, &[]).await.unwrap_err();
    match error {
        Error::Status {
            operation,
            status,
            message,
        } => {
            assert_eq!((operation, status), ("create-assistant", 400));
            assert!(message.starts_with("Phone number not found"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests_to(Route::CreateAssistant).len(), 1);
    assert!(fake.assistants(WORKSPACE).is_empty());
}

#[tokio::test]
async fn the_agent_list_is_read_page_by_page() {
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    let client = client(&fake.base_url(), Duration::from_secs(5));
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            client
                .create_assistant(&outbound_agent(&format!("agent {i}")), &[])
                .await
                .unwrap(),
        );
    }
    fake.clear_requests();
    let listed: Vec<String> = client
        .list_assistants()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.model_id)
        .collect();
    assert_eq!(listed, created);
    let pages: Vec<(String, Option<String>, Option<String>)> = fake
        .requests()
        .into_iter()
        .map(|r| {
            (
                r.path.clone(),
                r.query_param("limit").map(str::to_owned),
                r.query_param("offset").map(str::to_owned),
            )
        })
        .collect();
    let page = |offset: &str| {
        (
            "/v2/assistants/".to_owned(),
            Some("2".to_owned()),
            Some(offset.to_owned()),
        )
    };
    assert_eq!(pages, [page("0"), page("2"), page("4")]);
}

/// The fake holds the client to the reference's parameter names and key check.
#[tokio::test]
async fn the_fake_refuses_workspace_id_for_workspace_and_requests_without_the_key() {
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/numbers/14155550123", fake.base_url());
    let wrong_param = http
        .get(format!("{url}?workspace_id={WORKSPACE}"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_param.status(), 422);
    let no_key = http
        .get(format!("{url}?workspace={WORKSPACE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 401);
    let body: serde_json::Value = no_key.json().await.unwrap();
    assert!(body["detail"].is_string());
    let absent = http
        .get(format!("{url}?workspace={WORKSPACE}"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(absent.status(), 404);
    assert_eq!(
        absent.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
}
