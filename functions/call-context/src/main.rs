//! `call-context`: wires configuration, the token secret and the table, then answers
//! Synthflow's pre-call action.

use std::process::ExitCode;

use call_context::config::CallContextConfig;
use call_context::context_store::DynamoDbContextStore;
use call_context::{State, handle_event};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use shared::call_context::dynamodb_client;
use shared::secrets::{CALL_TIMEOUT, CachedSecret, DEFAULT_TTL, SecretStore};

/// Longest a `GetItem` may take, retries included: a pre-call action waits for the answer
/// before the agent speaks.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

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
    let config = CallContextConfig::from_env()?;
    let sdk = shared::aws_sdk::load(CALL_TIMEOUT).await?;
    let secrets = SecretStore::from_sdk_config(&sdk);
    let secret = CachedSecret::load(secrets, config.secret_id, DEFAULT_TTL).await?;
    let client = dynamodb_client(&sdk, READ_TIMEOUT, READ_TIMEOUT / 2);
    Ok(State {
        secret,
        store: DynamoDbContextStore::new(client, config.table),
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
