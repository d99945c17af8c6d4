//! Warm cost of one invocation, as the Lambda runtime drives it: the event's JSON parsed into
//! the API Gateway type, the handler, the answer serialised back to JSON.
//!
//! - `warm/redirect-call`: `handle_event` with signature validation on (the committed
//!   `post-inbound-full.json`, signed) and the Twilio secret loaded once from `moto_server`
//!   before the loop — within the cache's TTL nothing in the loop touches the network.
//! - `warm/redirect-call-logged`: the same, with the JSON log line Lambda writes (formatted
//!   into a sink).
//! - `warm/baseline`: the same parse, `lambda_http`'s conversion to `http::Request`,
//!   `bench-baseline`'s fixed TwiML, the same serialisation.
//!
//! `make bench` runs it and prints the medians; alone: `cargo bench -p bench --bench warm`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::Request;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::request::LambdaRequest;
use moto_harness::MotoServer;
use redirect_call::config::{self, RedirectCallConfig};
use redirect_call::response::into_apigw_response;
use redirect_call::{State, handle_event};
use shared::secrets::{CachedSecret, DEFAULT_TTL, SecretStore};
use tracing_subscriber::util::SubscriberInitExt as _;

const SECRET_ID: &str = "bench/twilio";
const SECRET: &str = r#"{"account_sid":"AC0f1e2d3c4b5a69788796a5b4c3d2e1f0","auth_token":"7f3a9c2e5b1d4f8a6c0e2b4d6f8a0c1e"}"#;

fn event_json() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/redirect-call/post-inbound-full.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One invocation of `redirect-call`: JSON in, JSON out.
async fn redirect_call(state: &State, json: &str) -> Vec<u8> {
    let event: ApiGatewayV2httpRequest = serde_json::from_str(json).expect("an HTTP API event");
    let response = handle_event(state, event).await;
    serde_json::to_vec(&response).expect("serialisable")
}

/// One invocation of the baseline: JSON in, JSON out, as `lambda_http::run` does it.
async fn baseline(json: &str) -> Vec<u8> {
    let event: ApiGatewayV2httpRequest = serde_json::from_str(json).expect("an HTTP API event");
    let request: Request = LambdaRequest::ApiGatewayV2(event).into();
    let response = into_apigw_response(bench_baseline::handle(request));
    serde_json::to_vec(&response).expect("serialisable")
}

fn warm(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let moto = MotoServer::start();
    let state = rt.block_on(async {
        moto.create_secret(SECRET_ID, SECRET).await;
        let config = RedirectCallConfig::from_lookup(|name| {
            (name == config::TWILIO_SECRET_ID).then(|| SECRET_ID.to_owned())
        })
        .expect("the default configuration");
        let twilio = CachedSecret::load(SecretStore::new(moto.client()), SECRET_ID, DEFAULT_TTL)
            .await
            .expect("the secret from moto");
        State::new(config, Some(twilio)).expect("a state")
    });
    let json = event_json();

    // Both answer the same TwiML, and the signature was checked (a 200, not a 403).
    let answer = |bytes: Vec<u8>| -> serde_json::Value { serde_json::from_slice(&bytes).unwrap() };
    let ours = answer(rt.block_on(redirect_call(&state, &json)));
    let theirs = answer(rt.block_on(baseline(&json)));
    assert_eq!(ours["statusCode"], 200, "{ours}");
    assert_eq!(ours["body"], bench_baseline::TWIML, "{ours}");
    assert_eq!(ours["body"], theirs["body"]);
    let fetches = moto.calls("GetSecretValue");

    let mut group = c.benchmark_group("warm");
    group.bench_function("baseline", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(baseline(black_box(&json)).await) });
    });
    group.bench_function("redirect-call", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(redirect_call(&state, black_box(&json)).await) });
    });
    {
        // What `lambda_runtime::tracing::init_default_subscriber` sets up in Lambda
        // (`AWS_LAMBDA_LOG_FORMAT=JSON`, INFO), writing into a sink.
        let _logs = tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .json()
            .with_writer(std::io::sink)
            .finish()
            .set_default();
        group.bench_function("redirect-call-logged", |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(redirect_call(&state, black_box(&json)).await) });
        });
    }
    group.finish();
    assert_eq!(
        moto.calls("GetSecretValue"),
        fetches,
        "no Secrets Manager call in the measured loop"
    );
}

criterion_group!(benches, warm);
criterion_main!(benches);
