//! Only Twilio gets a call dialed: `X-Twilio-Signature` checked against the account's current
//! or previous auth token, with one early refresh of the secret when it does not match.
//! Source: <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.

use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::Method;
use shared::secrets::SecretSource;
use shared::twilio::WebhookParams;
use shared::twilio::signature::{self, SHARED_KEY_SETTINGS_HEADER, SIGNATURE_HEADER};

use crate::rejection::Rejection;
use crate::request_target::RequestTarget;
use crate::twilio_secret::TwilioSecret;

/// Checks the request's signature and returns the Twilio secret to answer it with.
///
/// The signature must have been made over `target.url` (and, for a POST, `params` sorted by
/// name) with the current or previous auth token of `current`. On a mismatch the secret is
/// fetched again once through `source` (it may just have been rotated; the source limits how
/// often), and the request is accepted if the fresh secret validates it: that secret is
/// returned, so the answer uses the credentials that signed the request.
///
/// # Errors
/// [`Rejection::Forbidden`] with the reason and the URL checked: no header, not ASCII, a
/// webhook shared-key signature (HMAC-SHA256, not supported), or no token matches.
pub async fn check_signature(
    source: &impl SecretSource<TwilioSecret>,
    current: Arc<TwilioSecret>,
    target: &RequestTarget,
    request: &Request,
    params: &WebhookParams,
) -> Result<Arc<TwilioSecret>, Rejection> {
    let forbidden = |reason| Rejection::Forbidden {
        reason,
        url: target.url_without_query().to_owned(),
    };
    if request.headers().contains_key(SHARED_KEY_SETTINGS_HEADER) {
        return Err(forbidden(
            "signed with a webhook shared key (HMAC-SHA256), which is not supported",
        ));
    }
    let Some(header) = request.headers().get(SIGNATURE_HEADER) else {
        return Err(forbidden("no X-Twilio-Signature header"));
    };
    let header = header
        .to_str()
        .map_err(|_| forbidden("X-Twilio-Signature is not ASCII"))?;
    // GET requests sign the URL alone: the parameters are in its query string.
    let signed_params = if request.method() == Method::POST {
        params.pairs()
    } else {
        &[]
    };
    if signature::is_valid(&target.url, signed_params, header, current.auth_tokens()) {
        return Ok(current);
    }
    if let Some(fresh) = source.refresh_early().await
        && signature::is_valid(&target.url, signed_params, header, fresh.auth_tokens())
    {
        tracing::info!("auth token rotated: the refreshed secret validates the request");
        return Ok(fresh);
    }
    Err(forbidden("signature does not match"))
}
