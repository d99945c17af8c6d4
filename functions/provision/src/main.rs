//! `provision`: wires configuration, secrets and the Synthflow client, then serves invocations.

use std::process::ExitCode;

use lambda_runtime::{LambdaEvent, service_fn};
use provision::config::ProvisionConfig;
use provision::secrets::SynthflowSecret;
use provision::{Provisioner, deadline_of};
use serde_json::value::RawValue;
use shared::secrets::SecretStore;
use synthflow::{Client, ClientOptions};

#[tokio::main]
async fn main() -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber();

    let config = match ProvisionConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("invalid configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let store = match SecretStore::from_env().await {
        Ok(store) => store,
        Err(error) => {
            tracing::error!("invalid configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let synthflow = match store.fetch::<SynthflowSecret>(&config.secret_id).await {
        Ok(secret) => secret,
        Err(error) => {
            tracing::error!("cannot read Synthflow's credentials: {error}");
            return ExitCode::FAILURE;
        }
    };
    let client = match Client::new(config.api_base, synthflow.api_key, ClientOptions::default()) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let provisioner = Provisioner::new(
        client,
        synthflow.workspace_id,
        config.sip_endpoint,
        config.sip_transport,
        config.concurrency,
        store,
    );

    // The event arrives as text, so that a key given twice is refused rather than overridden.
    let handler = service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let provisioner = &provisioner;
        let deadline = deadline_of(&event.context);
        async move { provisioner.handle_json(event.payload.get(), deadline).await }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("runtime stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
