//! The webhook with its Twilio secret in Secrets Manager: the real AWS SDK against
//! `moto_server` on loopback, as a cold start loads it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use lambda_http::http::HeaderValue;
use moto_harness::MotoServer;
use redirect_call::twilio_secret::TwilioSecret;
use redirect_call::{State, handle_event};
use shared::secrets::{CachedSecret, DEFAULT_TTL, SecretStore};
use shared::twilio::signature::SIGNATURE_HEADER;

use crate::support::*;

/// State as a cold start builds it: the secret stored in moto and fetched through the SDK.
/// Returns the secret's id.
async fn moto_state(
    moto: &MotoServer,
    secret: &serde_json::Value,
) -> (State<CachedSecret<TwilioSecret>>, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let id = format!(
        "redirect-call/test-{}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    moto.create_secret(&id, &secret.to_string()).await;
    let store = SecretStore::new(moto.client());
    let twilio = CachedSecret::load(store, id.clone(), DEFAULT_TTL)
        .await
        .unwrap();
    (
        State::new(config_with(&BTreeMap::new()), Some(twilio)).unwrap(),
        id,
    )
}

#[tokio::test]
async fn committed_events_answer_alike_with_the_secret_from_secrets_manager() {
    let moto = MotoServer::start();
    let (state, _) = moto_state(&moto, &default_secret()).await;
    for name in [
        "post-inbound-full.json",
        "get-inbound.json",
        "forbidden-wrong-token.json",
    ] {
        let from_moto = handle_event(&state, load(name)).await;
        let fixed = handle_event(&default_state(), load(name)).await;
        assert_eq!(from_moto.status_code, fixed.status_code, "{name}");
        assert_eq!(from_moto.body, fixed.body, "{name}");
    }
}

#[tokio::test]
async fn a_rotated_token_is_picked_up_by_one_early_refresh() {
    let moto = MotoServer::start();
    let (state, id) = moto_state(&moto, &default_secret()).await;
    assert_eq!(moto.calls("GetSecretValue"), 1, "one fetch at cold start");
    // Rotation: the events' token becomes the previous one, a new token is current. The
    // state still holds the old secret; an event signed with the new token arrives.
    let new_token = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
    let rotated = serde_json::json!({
        "account_sid": ACCOUNT_SID, "auth_token": new_token, "previous_auth_token": TEST_AUTH_TOKEN
    });
    moto.put_secret_value(&id, &rotated.to_string()).await;
    let mut event = load("post-inbound.json");
    let signature = resign(&event, new_token);
    event
        .headers
        .insert(SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    assert_eq!(handle_event(&state, event).await.status_code, 200);
    // Old-token requests keep working while previous_auth_token is in the secret.
    assert_eq!(
        handle_event(&state, load("post-inbound-full.json"))
            .await
            .status_code,
        200
    );
    // A bad signature right after gets its 403 without another fetch.
    assert_eq!(
        handle_event(&state, load("forbidden-wrong-token.json"))
            .await
            .status_code,
        403
    );
    assert_eq!(
        moto.calls("GetSecretValue"),
        2,
        "one early refresh, then rate limited"
    );
}
