//! What the webhook tests share: the committed cases and events, states as a cold start builds
//! them, log capture, re-signing.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lambda_http::Body;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::http::header::HOST;
use redirect_call::State;
use redirect_call::config::{self, RedirectCallConfig};
use redirect_call::twilio_secret::TwilioSecret;
use serde::Deserialize;
use shared::secrets::{FixedSecret, parse_payload};
use shared::twilio::WebhookParams;

/// One entry of `events/redirect-call/cases.json`, written by
/// `scripts/redirect_call_cases.py` from twilio-python's output.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub event: String,
    pub name: String,
    pub env: BTreeMap<String, String>,
    pub secret: serde_json::Value,
    pub status: u16,
    pub content_type: String,
    pub body: Option<String>,
    pub mentions: Option<String>,
    /// The `Allow` header a 405 must carry.
    pub allow: Option<String>,
}

/// The token the committed events are signed with (`TEST_AUTH_TOKEN` in the script).
pub const TEST_AUTH_TOKEN: &str = "7f3a9c2e5b1d4f8a6c0e2b4d6f8a0c1e";
pub const ACCOUNT_SID: &str = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// The secret id the configurations of these tests name.
pub const SECRET_ID: &str = "redirect-call/test";

pub type FixedState = State<FixedSecret<TwilioSecret>>;

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/redirect-call")
}

pub fn read_event_text(name: &str) -> String {
    let path = events_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn cases() -> Vec<Case> {
    serde_json::from_str(&read_event_text("cases.json")).unwrap()
}

pub fn load(name: &str) -> ApiGatewayV2httpRequest {
    serde_json::from_str(&read_event_text(name)).unwrap()
}

pub fn default_secret() -> serde_json::Value {
    serde_json::json!({"account_sid": ACCOUNT_SID, "auth_token": TEST_AUTH_TOKEN})
}

/// Configuration from `env`, naming [`SECRET_ID`].
pub fn config_with(env: &BTreeMap<String, String>) -> RedirectCallConfig {
    RedirectCallConfig::from_lookup(|k| match k {
        config::TWILIO_SECRET_ID => Some(SECRET_ID.to_owned()),
        _ => env.get(k).cloned(),
    })
    .expect("valid configuration")
}

/// State as a cold start builds it, configuration from `env`, with `secret` read as the
/// function reads a `SecretString`, served without Secrets Manager.
pub fn signed_state(env: &BTreeMap<String, String>, secret: &serde_json::Value) -> FixedState {
    let twilio: TwilioSecret = parse_payload(&secret.to_string()).expect("a valid Twilio secret");
    State::new(config_with(env), Some(FixedSecret::new(twilio))).unwrap()
}

pub fn default_state() -> FixedState {
    signed_state(&BTreeMap::new(), &default_secret())
}

/// Validation off, no secret: what `make run-unsigned` runs.
pub fn unsigned_state(env: &[(&str, &str)]) -> FixedState {
    let config = RedirectCallConfig::from_lookup(|k| match k {
        config::TWILIO_SIGNATURE_VALIDATION => Some("off".to_owned()),
        _ => env
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| (*v).to_owned()),
    })
    .unwrap();
    State::new(config, None).unwrap()
}

pub fn text(body: Option<&Body>) -> &str {
    match body {
        Some(Body::Text(s)) => s,
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// Signs a committed POST event again with `token` (twilio-python's algorithm, checked
/// against Twilio's vectors in `shared::twilio::signature`).
pub fn resign(event: &ApiGatewayV2httpRequest, token: &str) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    let body = base64::engine::general_purpose::STANDARD
        .decode(event.body.as_deref().unwrap())
        .unwrap();
    let mut pairs = WebhookParams::from_form(&body).pairs().to_vec();
    pairs.sort();
    let mut data = format!(
        "https://{}{}",
        event.headers[HOST].to_str().unwrap(),
        event.raw_path.as_deref().unwrap()
    );
    for (k, v) in pairs {
        data.push_str(&k);
        data.push_str(&v);
    }
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `form` as the base64 form body API Gateway delivers.
pub fn post_body(form: &[(&str, &str)]) -> String {
    use base64::Engine as _;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    base64::engine::general_purpose::STANDARD.encode(body)
}

/// `post-inbound.json` with its form body replaced by `form` (no longer validly signed).
pub fn post_event(form: &[(&str, &str)]) -> ApiGatewayV2httpRequest {
    let mut event = load("post-inbound.json");
    event.body = Some(post_body(form));
    event
}

/// Captures what the function logs, as Lambda's JSON log format would.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

thread_local! {
    /// Where this thread's log lines go while a [`capture_logs`] guard is alive.
    static CAPTURE: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// Writes a log line to the current thread's capture, or nowhere.
struct ThreadCapture;

impl io::Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        CAPTURE.with(|c| match c.borrow_mut().as_mut() {
            Some(captured) => captured.write(buf),
            None => Ok(buf.len()),
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Stops the capture [`capture_logs`] started on this thread when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

/// Logs of the function's crate, at INFO and above, written on this thread until the guard
/// drops.
///
/// One global subscriber serves every test of the binary, so tracing's per-callsite interest
/// cache never depends on which test thread reached a callsite first (a thread-local subscriber
/// did, and lost lines when tests ran in parallel); its writer routes each line to the capture
/// of the thread that logged it.
pub fn capture_logs() -> (Captured, CaptureGuard) {
    static GLOBAL: std::sync::Once = std::sync::Once::new();
    GLOBAL.call_once(|| {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter("redirect_call=info")
            .with_writer(|| ThreadCapture)
            .init();
    });
    let captured = Captured::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some(captured.clone()));
    (captured, CaptureGuard(()))
}
