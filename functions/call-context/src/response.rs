//! The answer: the call's variables as one flat JSON object, or `{"error": …}` with the
//! refusal's status, as API Gateway's HTTP API (payload 2.0) response.

use lambda_http::Body;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use shared::call_context::CallContext;

use crate::refusal::Refusal;

/// The key carrying the call's SID in the answer, named as Synthflow's variable.
pub const CALL_SID_VARIABLE: &str = "twilio_call_sid";

/// The variables of `context`: `{"twilio_call_sid": "CA…", "From": "+1…", …}`, each stored
/// Twilio parameter under its own name, every value a string. Synthflow makes each key of a
/// pre-call action's flat JSON answer a prompt variable
/// (<https://docs.synthflow.ai/use-action-variables-in-inbound-sip-calls>).
pub fn variables(context: &CallContext) -> Value {
    let mut object = Map::with_capacity(context.variables.len() + 1);
    object.insert(CALL_SID_VARIABLE.into(), context.call_sid.clone().into());
    for (name, value) in &context.variables {
        object.insert(name.clone(), value.clone().into());
    }
    Value::Object(object)
}

/// `200` with [`variables`], or the refusal's status with `{"error": message}`; JSON either
/// way, never cached (`Cache-Control: no-store`: the variables describe a caller).
pub fn response(result: &Result<CallContext, Refusal>) -> ApiGatewayV2httpResponse {
    let (status, body) = match result {
        Ok(context) => (StatusCode::OK, variables(context)),
        Err(refusal) => (
            refusal.status(),
            serde_json::json!({ "error": refusal.message() }),
        ),
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if matches!(result, Err(Refusal::MethodNotAllowed)) {
        headers.insert(ALLOW, HeaderValue::from_static("GET, POST"));
    }
    if matches!(result, Err(Refusal::Unauthorized(_))) {
        headers.insert(
            lambda_http::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer"),
        );
    }
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(status.as_u16());
    out.headers = headers;
    out.body = Some(Body::Text(body.to_string()));
    out
}
