//! `redirect-call`: wires configuration, secrets and state, then serves Twilio's voice webhook.

use std::process::ExitCode;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use redirect_call::config::RedirectCallConfig;
use redirect_call::{State, handle_event};
use shared::secrets::{CachedSecret, DEFAULT_TTL, SecretStore};

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
    let twilio = match &config.twilio_secret_id {
        Some(id) => {
            let store = SecretStore::from_env().await?;
            Some(CachedSecret::load(store, id.clone(), DEFAULT_TTL).await?)
        }
        None => None,
    };
    State::new(config, twilio)
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
