//! The function's entry point: one API Gateway event in — Synthflow's action asking about a
//! call — one answer out, one log line.
//!
//! Checks run in this order, each before anything more is read: the route and method, the
//! body's size, the token, the call SID's shape; only then is the table read.

use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use shared::call_context::{CallContext, unix_now};
use shared::secrets::{CachedSecret, SecretSource};

use crate::access_token::{CallContextSecret, authorize};
use crate::context_store::{ContextStore, DynamoDbContextStore};
use crate::lookup_log::log_lookup;
use crate::lookup_request::{body_text, check_route, requested_call_sid};
use crate::refusal::Refusal;
use crate::response::response;

/// What the function holds between invocations: the token's secret and the table.
#[derive(Debug)]
pub struct State<S = CachedSecret<CallContextSecret>, C = DynamoDbContextStore> {
    /// The secret holding the accepted tokens.
    pub secret: S,
    /// Where contexts are read.
    pub store: C,
}

/// Entry point for the Lambda runtime: an API Gateway HTTP API (payload 2.0) event in, its
/// response out. Never fails: every outcome is an answer.
pub async fn handle_event<S, C>(
    state: &State<S, C>,
    event: ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse
where
    S: SecretSource<CallContextSecret>,
    C: ContextStore,
{
    let result = look_up_context(state, &event).await;
    log_lookup(&result);
    response(&result)
}

async fn look_up_context<S, C>(
    state: &State<S, C>,
    event: &ApiGatewayV2httpRequest,
) -> Result<CallContext, Refusal>
where
    S: SecretSource<CallContextSecret>,
    C: ContextStore,
{
    check_route(event)?;
    let body = body_text(event)?;
    authorize(&state.secret, &event.headers)
        .await
        .map_err(Refusal::Unauthorized)?;
    let call_sid = requested_call_sid(event, &body)?;
    let context = state.store.context(&call_sid).await.map_err(|error| {
        tracing::error!(call_sid = %call_sid, %error, "call-context table read failed");
        Refusal::StoreUnavailable
    })?;
    match context {
        None => {
            tracing::info!(call_sid = %call_sid, "no context stored for the call");
            Err(Refusal::UnknownCall)
        }
        Some(context) if context.is_expired(unix_now()) => Err(Refusal::Expired),
        Some(context) => Ok(context),
    }
}
