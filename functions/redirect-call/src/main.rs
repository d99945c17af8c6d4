//! `redirect-call`: wires configuration and state, then serves Twilio's voice webhook.

use std::process::ExitCode;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use redirect_call::{State, handle_event};
use shared::config::RedirectCallConfig;
use shared::twiml::SipAttributes;

#[tokio::main]
async fn main() -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber();

    let config = match RedirectCallConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("invalid configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let state = State::new(config, SipAttributes::default());

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
