//! The webhook: one API Gateway event in, one answer out, one log line.

use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use secrecy::ExposeSecret;
use shared::secrets::{CachedSecret, SecretSource};
use shared::twiml::SipAttributes;

use crate::config::{self, RedirectCallConfig};
use crate::dial::{Dialed, dial};
use crate::raw_event::check_raw_event;
use crate::rejection::Rejection;
use crate::request_log::log_request;
use crate::request_target::{RequestTarget, Route};
use crate::response::{http_response, into_apigw_response};
use crate::signature_check::check_signature;
use crate::twilio_secret::TwilioSecret;
use crate::webhook_form::read_params;

/// What the function holds between invocations, built once at cold start: the configuration
/// and, when signature validation is on, the Twilio secret (a [`CachedSecret`] in the function,
/// any [`SecretSource`] in tests).
#[derive(Debug)]
pub struct State<S = CachedSecret<TwilioSecret>> {
    config: RedirectCallConfig,
    twilio: Option<S>,
}

impl<S: SecretSource<TwilioSecret>> State<S> {
    /// State for `config`. `twilio` holds the account's credentials: the auth token(s) that
    /// sign requests and optional SIP digest credentials written as `<Sip>` attributes.
    ///
    /// # Errors
    /// [`shared::Error::Config`] naming `TWILIO_SECRET_ID` when signature validation is on and
    /// there are no credentials to validate with.
    pub fn new(config: RedirectCallConfig, twilio: Option<S>) -> Result<Self, shared::Error> {
        if config.signature_validation && twilio.is_none() {
            return Err(shared::Error::config(
                config::TWILIO_SECRET_ID,
                "required while signature validation is on",
            ));
        }
        Ok(State { config, twilio })
    }
}

/// Entry point for the Lambda runtime: an API Gateway HTTP API (payload 2.0) event in, its
/// response out. Events `lambda_http` cannot convert get their 4xx here; the others are
/// converted and answered by [`handle`].
pub async fn handle_event<S: SecretSource<TwilioSecret>>(
    state: &State<S>,
    event: ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse {
    let response = match check_raw_event(&event) {
        Ok(()) => handle(state, &LambdaRequest::ApiGatewayV2(event).into()).await,
        Err(rejection) => {
            let result = Err(rejection);
            log_request(&result);
            http_response(result)
        }
    };
    into_apigw_response(response)
}

/// Answers one webhook request and logs one line about it.
pub async fn handle<S: SecretSource<TwilioSecret>>(
    state: &State<S>,
    request: &Request,
) -> Response<Body> {
    let result = answer(state, request).await;
    log_request(&result);
    http_response(result)
}

async fn answer<S: SecretSource<TwilioSecret>>(
    state: &State<S>,
    request: &Request,
) -> Result<Dialed, Rejection> {
    let target = RequestTarget::of(request, state.config.public_base_url.as_deref());
    if target.route != Some(Route::RedirectCall) {
        return Err(Rejection::NotFound);
    }
    let params = read_params(request)?;
    let secret = match &state.twilio {
        Some(source) if state.config.signature_validation => {
            let current = source.current().await;
            Some(check_signature(source, current, &target, request, &params).await?)
        }
        Some(source) => Some(source.current().await),
        None => None,
    };
    let sip = SipAttributes {
        username: secret.as_deref().and_then(|s| s.sip_username.as_deref()),
        password: secret
            .as_deref()
            .and_then(|s| s.sip_password.as_ref())
            .map(ExposeSecret::expose_secret),
    };
    Ok(dial(&state.config, &sip, &params)?)
}
