//! The function's entry point: one API Gateway event in — the webhook, a transfer, a dial
//! status, a fallback — one answer out, one log line.

use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use shared::secrets::{CachedSecret, SecretSource};

use crate::answer::{Answer, CallNumbers};
use crate::config::{self, RedirectCallConfig};
use crate::context_recording::ContextRecorder;
use crate::dial::dial;
use crate::dial_status::answer_dial_status;
use crate::number_fallback::answer_fallback;
use crate::raw_event::check_raw_event;
use crate::refer::answer_refer;
use crate::rejection::Rejection;
use crate::request_log::log_request;
use crate::request_target::{RequestTarget, Route};
use crate::response::{http_response, into_apigw_response};
use crate::signature_check::check_signature;
use crate::twilio_secret::TwilioSecret;
use crate::webhook_form::read_params;

/// What the function holds between invocations, built once at cold start: the configuration,
/// the Twilio secret when signature validation is on (a [`CachedSecret`] in the function, any
/// [`SecretSource`] in tests), and the recorder of call contexts when one is configured.
#[derive(Debug)]
pub struct State<S = CachedSecret<TwilioSecret>> {
    config: RedirectCallConfig,
    twilio: Option<S>,
    recorder: Option<ContextRecorder>,
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
        Ok(State {
            config,
            twilio,
            recorder: None,
        })
    }

    /// The same state, recording each dialed call's context with `recorder`.
    #[must_use]
    pub fn with_recorder(self, recorder: ContextRecorder) -> Self {
        State {
            recorder: Some(recorder),
            ..self
        }
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
) -> Result<Answer, Rejection> {
    let config = &state.config;
    let target = RequestTarget::of(request, config.public_base_url.as_deref());
    let route = target.route.ok_or(Rejection::NotFound)?;
    let params = read_params(route, request)?;
    let secret = match &state.twilio {
        Some(source) if config.signature_validation => {
            let current = source.current().await;
            Some(check_signature(source, current, &target, request, &params).await?)
        }
        Some(source) => Some(source.current().await),
        None => None,
    };
    let secret = secret.as_deref();
    Ok(match route {
        Route::RedirectCall => {
            let sip = secret.map(TwilioSecret::sip_attributes).unwrap_or_default();
            let dialed = dial(config, &target, &sip, &params)?;
            if let Some(recorder) = &state.recorder {
                recorder.record(&dialed.agent.call_sid, &params).await;
            }
            Answer::Dialed(dialed)
        }
        Route::Refer => Answer::Transfer(answer_refer(config, secret, &target, &params)?),
        Route::DialStatus => Answer::DialStatus(
            answer_dial_status(config, &params)?,
            CallNumbers::of(&params),
        ),
        Route::Fallback => {
            Answer::NumberFallback(answer_fallback(config, &params)?, CallNumbers::of(&params))
        }
    })
}
