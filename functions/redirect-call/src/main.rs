//! `redirect-call`: wires configuration, secrets and state, then serves Twilio's voice webhook.

use std::process::ExitCode;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use redirect_call::config::RedirectCallConfig;
use redirect_call::context_recording::ContextRecorder;
use redirect_call::{State, handle_event};
use shared::call_context::dynamodb_client;
use shared::secrets::{CALL_TIMEOUT, CachedSecret, DEFAULT_TTL, SecretStore};

#[tokio::main]
async fn main() -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber();
    match cold_start().await {
        Ok(state) => serve(state).await,
        Err(error) => {
            tracing::error!("cold start failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn cold_start() -> Result<State, shared::Error> {
    let config = RedirectCallConfig::from_env()?;
    if !config.signature_validation {
        tracing::warn!(
            "TWILIO_SIGNATURE_VALIDATION=off: requests are answered without checking \
             X-Twilio-Signature; anyone who knows the URL can make it dial (local development only)"
        );
    }
    // One SDK configuration for every client; none is loaded when nothing needs AWS.
    let sdk = if config.twilio_secret_id.is_some() || config.call_context.is_some() {
        Some(shared::aws_sdk::load(CALL_TIMEOUT).await?)
    } else {
        None
    };
    let twilio = match (&config.twilio_secret_id, &sdk) {
        (Some(id), Some(sdk)) => {
            let store = SecretStore::from_sdk_config(sdk);
            Some(CachedSecret::load(store, id.clone(), DEFAULT_TTL).await?)
        }
        _ => None,
    };
    let recorder = match (&config.call_context, &sdk) {
        (Some(recording), Some(sdk)) => {
            let timeout = recording.write_timeout;
            let client = dynamodb_client(sdk, timeout, timeout / 2);
            Some(ContextRecorder::new(recording.clone(), client))
        }
        _ => None,
    };
    let state = State::new(config, twilio)?;
    Ok(match recorder {
        Some(recorder) => state.with_recorder(recorder),
        None => state,
    })
}

async fn serve(state: State) -> ExitCode {
    let handler = service_fn(|event: LambdaEvent<ApiGatewayV2httpRequest>| {
        let state = &state;
        async move { Ok::<_, std::convert::Infallible>(handle_event(state, event.payload).await) }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("runtime stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
