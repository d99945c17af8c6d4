//! Secrets Manager through the real AWS SDK against `moto_server` on loopback.

use std::time::Duration;

use moto_harness::MotoServer;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shared::Error;
use shared::secrets::{CachedSecret, SecretPayload, SecretStore};

/// A payload of the shape the functions' secrets have: a required token, an optional
/// previous one, unknown keys refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TwilioSecret {
    #[allow(dead_code)]
    account_sid: String,
    auth_token: SecretString,
    #[serde(default)]
    previous_auth_token: Option<SecretString>,
}

impl SecretPayload for TwilioSecret {}

impl TwilioSecret {
    fn auth_tokens(&self) -> impl Iterator<Item = &SecretString> {
        std::iter::once(&self.auth_token).chain(self.previous_auth_token.as_ref())
    }
}

const SID: &str = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn twilio_json(token: &str, previous: Option<&str>) -> String {
    match previous {
        Some(p) => format!(
            r#"{{"account_sid":"{SID}","auth_token":"{token}","previous_auth_token":"{p}"}}"#
        ),
        None => format!(r#"{{"account_sid":"{SID}","auth_token":"{token}"}}"#),
    }
}

fn reason(e: Error) -> (String, String) {
    match e {
        Error::Secret { secret_id, reason } => (secret_id, reason.into_owned()),
        other => panic!("not a secret error: {other:?}"),
    }
}

#[tokio::test]
async fn present_missing_and_malformed() {
    let moto = MotoServer::start();
    let store = SecretStore::new(moto.client());
    moto.create_secret("twilio/ok", &twilio_json("tok-1", None))
        .await;
    moto.create_secret("twilio/not-json", "auth_token=tok-2")
        .await;
    moto.create_secret("twilio/no-token", &format!(r#"{{"account_sid":"{SID}"}}"#))
        .await;

    let ok: TwilioSecret = store.fetch("twilio/ok").await.unwrap();
    assert_eq!(ok.auth_token.expose_secret(), "tok-1");

    let (id, why) = reason(
        store
            .fetch::<TwilioSecret>("twilio/absent")
            .await
            .unwrap_err(),
    );
    assert_eq!(id, "twilio/absent");
    assert!(
        why.starts_with("GetSecretValue failed: ResourceNotFoundException: "),
        "{why}"
    );
    assert_eq!(why.lines().count(), 1, "one line: {why}");

    let (id, why) = reason(
        store
            .fetch::<TwilioSecret>("twilio/not-json")
            .await
            .unwrap_err(),
    );
    assert_eq!(id, "twilio/not-json");
    assert!(
        why.contains("not a JSON object") && !why.contains("tok-2"),
        "{why}"
    );

    let (_, why) = reason(
        store
            .fetch::<TwilioSecret>("twilio/no-token")
            .await
            .unwrap_err(),
    );
    assert_eq!(why, "missing key auth_token");
}

#[tokio::test]
async fn one_fetch_per_cold_start_then_lazy_refresh() {
    let moto = MotoServer::start();
    moto.create_secret("twilio/cache", &twilio_json("tok-1", None))
        .await;
    let store = SecretStore::new(moto.client());

    let cached =
        CachedSecret::<TwilioSecret>::load(store, "twilio/cache", Duration::from_secs(3600))
            .await
            .unwrap();
    for _ in 0..5 {
        assert_eq!(cached.current().await.auth_token.expose_secret(), "tok-1");
    }
    assert_eq!(
        moto.calls("GetSecretValue"),
        1,
        "one call at load, none while fresh"
    );

    // Rotation: the new value is picked up by an early refresh, at most once per interval.
    moto.put_secret_value("twilio/cache", &twilio_json("tok-2", Some("tok-1")))
        .await;
    assert_eq!(
        cached.current().await.auth_token.expose_secret(),
        "tok-1",
        "still fresh"
    );
    let refreshed = cached.refresh_early().await.expect("refreshed");
    let tokens: Vec<_> = refreshed
        .auth_tokens()
        .map(|t| t.expose_secret().to_owned())
        .collect();
    assert_eq!(tokens, ["tok-2", "tok-1"]);
    assert!(cached.refresh_early().await.is_none(), "rate limited");
    assert_eq!(moto.calls("GetSecretValue"), 2);
}

#[tokio::test]
async fn expired_value_is_refreshed_and_a_failed_refresh_serves_the_old_one() {
    let moto = MotoServer::start();
    moto.create_secret("twilio/ttl", &twilio_json("tok-1", None))
        .await;
    let cached = CachedSecret::<TwilioSecret>::load(
        SecretStore::new(moto.client()),
        "twilio/ttl",
        Duration::ZERO,
    )
    .await
    .unwrap();
    moto.put_secret_value("twilio/ttl", &twilio_json("tok-2", None))
        .await;
    assert_eq!(cached.current().await.auth_token.expose_secret(), "tok-2");

    moto.put_secret_value("twilio/ttl", "{broken").await;
    assert_eq!(cached.current().await.auth_token.expose_secret(), "tok-2");
    drop(moto);
    assert_eq!(
        cached.current().await.auth_token.expose_secret(),
        "tok-2",
        "server gone"
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_one_line() {
    let moto = MotoServer::start();
    let client = moto.client();
    drop(moto);
    let (_, why) = reason(
        SecretStore::new(client)
            .fetch::<TwilioSecret>("twilio/any")
            .await
            .unwrap_err(),
    );
    assert!(
        why.starts_with("GetSecretValue failed: could not connect"),
        "{why}"
    );
    assert_eq!(why.lines().count(), 1, "{why}");
}
