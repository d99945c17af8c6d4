//! Who may read a call's context: the token Synthflow's action sends, checked against the
//! secret `{"token", "previous_token"?}` in constant time, before anything is read.
//!
//! Synthflow's custom actions send the headers configured on the action
//! (<https://docs.synthflow.ai/docs/alex-custom-action>): the token travels as
//! `Authorization: Bearer <token>` or, for clients that cannot set `Authorization`, as
//! `X-Api-Key: <token>`.

use lambda_http::http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shared::env::is_printable;
use shared::secrets::{SecretPayload, SecretSource};
use subtle::ConstantTimeEq;

/// The header holding `Bearer <token>`.
pub const AUTHORIZATION_HEADER: &str = "authorization";
/// The header holding the bare token, when `Authorization` is not used.
pub const API_KEY_HEADER: &str = "x-api-key";
/// Shortest token accepted in the secret: 32 characters (a 192-bit random value in base64).
pub const MIN_TOKEN_LEN: usize = 32;

/// The call-context secret: `{"token", "previous_token"?}`.
///
/// `previous_token`, while present, is accepted too, so that a rotation does not refuse the
/// actions still sending the old token: put the new token in `token` and the old one in
/// `previous_token`, update the Synthflow action, then remove `previous_token` (as the Twilio
/// secret's `previous_auth_token`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallContextSecret {
    /// The token actions send.
    pub token: SecretString,
    /// The token before the last rotation, accepted while present.
    #[serde(default)]
    pub previous_token: Option<SecretString>,
}

impl std::fmt::Debug for CallContextSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContextSecret").finish_non_exhaustive()
    }
}

impl CallContextSecret {
    /// Whether `provided` equals the token or the previous token. Each comparison is
    /// constant-time in the tokens' contents (only their lengths may show).
    pub fn accepts(&self, provided: &str) -> bool {
        let mut accepted = subtle::Choice::from(0);
        for token in std::iter::once(&self.token).chain(self.previous_token.as_ref()) {
            accepted |= provided.as_bytes().ct_eq(token.expose_secret().as_bytes());
        }
        accepted.into()
    }
}

impl SecretPayload for CallContextSecret {
    fn validate(&self) -> Result<(), String> {
        let check = |key: &str, token: &SecretString| {
            let token = token.expose_secret();
            if token.len() < MIN_TOKEN_LEN {
                Err(format!(
                    "{key} is shorter than {MIN_TOKEN_LEN} characters (use a random value, e.g. `openssl rand -base64 32`)"
                ))
            } else if !is_printable(token) || token.contains(' ') {
                Err(format!("{key} holds spaces or control characters"))
            } else {
                Ok(())
            }
        };
        check("token", &self.token)?;
        match &self.previous_token {
            Some(previous) => check("previous_token", previous),
            None => Ok(()),
        }
    }
}

/// Why a request is not authorized. The messages never quote what was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unauthorized {
    /// Neither header.
    Missing,
    /// `Authorization` without the `Bearer` scheme, or a header that is not text.
    Malformed,
    /// Both headers, which could disagree.
    Ambiguous,
    /// No token matches.
    Wrong,
}

impl Unauthorized {
    /// The reason, for the answer and the log.
    pub fn reason(self) -> &'static str {
        match self {
            Unauthorized::Missing => "no Authorization: Bearer <token> or X-Api-Key header",
            Unauthorized::Malformed => "Authorization is not Bearer <token>",
            Unauthorized::Ambiguous => "both Authorization and X-Api-Key are given; send one",
            Unauthorized::Wrong => "the token does not match",
        }
    }
}

/// The token a request carries.
///
/// # Errors
/// [`Unauthorized::Missing`], [`Unauthorized::Malformed`] or [`Unauthorized::Ambiguous`].
pub fn presented_token(headers: &HeaderMap) -> Result<&str, Unauthorized> {
    let one = |name: &str| -> Result<Option<&str>, Unauthorized> {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => v.to_str().map(Some).map_err(|_| Unauthorized::Malformed),
            (Some(_), Some(_)) => Err(Unauthorized::Ambiguous),
        }
    };
    match (one(AUTHORIZATION_HEADER)?, one(API_KEY_HEADER)?) {
        (Some(_), Some(_)) => Err(Unauthorized::Ambiguous),
        (Some(authorization), None) => {
            let (scheme, token) = authorization
                .split_once(' ')
                .ok_or(Unauthorized::Malformed)?;
            if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
                return Err(Unauthorized::Malformed);
            }
            Ok(token.trim())
        }
        (None, Some(key)) if !key.trim().is_empty() => Ok(key.trim()),
        (None, Some(_)) | (None, None) => Err(Unauthorized::Missing),
    }
}

/// Checks the request's token against `source`'s secret; on a mismatch the secret is fetched
/// again once (it may just have been rotated; the source limits how often) and checked again.
///
/// # Errors
/// [`Unauthorized`] saying why.
pub async fn authorize(
    source: &impl SecretSource<CallContextSecret>,
    headers: &HeaderMap,
) -> Result<(), Unauthorized> {
    let provided = presented_token(headers)?;
    if source.current().await.accepts(provided) {
        return Ok(());
    }
    if let Some(fresh) = source.refresh_early().await
        && fresh.accepts(provided)
    {
        tracing::info!("call-context token rotated: the refreshed secret accepts the request");
        return Ok(());
    }
    Err(Unauthorized::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    const TOKEN: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
    const OLD: &str = "old-0123456789abcdefghijklmnopqrstuvwxyz";

    fn secret(previous: Option<&str>) -> CallContextSecret {
        CallContextSecret {
            token: TOKEN.into(),
            previous_token: previous.map(Into::into),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn current_and_previous_tokens_are_accepted() {
        assert!(secret(None).accepts(TOKEN));
        assert!(!secret(None).accepts(OLD));
        assert!(secret(Some(OLD)).accepts(OLD));
        assert!(!secret(Some(OLD)).accepts(&TOKEN[..TOKEN.len() - 1]));
        assert!(!secret(Some(OLD)).accepts(""));
    }

    #[test]
    fn tokens_from_headers() {
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(
            presented_token(&headers(&[("authorization", &bearer)])),
            Ok(TOKEN)
        );
        let lower = format!("bearer {TOKEN}");
        assert_eq!(
            presented_token(&headers(&[("authorization", &lower)])),
            Ok(TOKEN)
        );
        assert_eq!(
            presented_token(&headers(&[("x-api-key", TOKEN)])),
            Ok(TOKEN)
        );
        assert_eq!(presented_token(&headers(&[])), Err(Unauthorized::Missing));
        assert_eq!(
            presented_token(&headers(&[("x-api-key", " ")])),
            Err(Unauthorized::Missing)
        );
        let basic = format!("Basic {TOKEN}");
        assert_eq!(
            presented_token(&headers(&[("authorization", &basic)])),
            Err(Unauthorized::Malformed)
        );
        assert_eq!(
            presented_token(&headers(&[("authorization", TOKEN)])),
            Err(Unauthorized::Malformed)
        );
        assert_eq!(
            presented_token(&headers(&[
                ("authorization", &bearer),
                ("x-api-key", TOKEN)
            ])),
            Err(Unauthorized::Ambiguous)
        );
        assert_eq!(
            presented_token(&headers(&[("x-api-key", TOKEN), ("x-api-key", "other")])),
            Err(Unauthorized::Ambiguous)
        );
    }

    #[test]
    fn secret_payload_rules() {
        let parse = |json: &str| {
            shared::secrets::parse_payload::<CallContextSecret>(json)
                .map(|_| ())
                .map_err(std::borrow::Cow::into_owned)
        };
        assert_eq!(parse(&format!(r#"{{"token":"{TOKEN}"}}"#)), Ok(()));
        assert_eq!(
            parse(&format!(
                r#"{{"token":"{TOKEN}","previous_token":"{OLD}"}}"#
            )),
            Ok(())
        );
        assert!(
            parse(r#"{"token":"short"}"#)
                .unwrap_err()
                .contains("shorter than 32")
        );
        assert!(
            parse(&format!(r#"{{"token":"{TOKEN}","previous_token":""}}"#))
                .unwrap_err()
                .contains("previous_token")
        );
        let err = parse(&format!(r#"{{"tokn":"{TOKEN}"}}"#)).unwrap_err();
        assert!(err.contains("tokn"), "{err}");
        assert!(!err.contains(TOKEN), "{err}");
        assert!(!format!("{:?}", secret(Some(OLD))).contains(TOKEN));
    }
}
