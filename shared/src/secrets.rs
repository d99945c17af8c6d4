//! Credentials from AWS Secrets Manager: fetched once at cold start, cached, refreshed lazily.
//!
//! Functions receive secret **ids** (name or ARN) through environment variables, never values.
//! Each secret's `SecretString` is a JSON object; its keys are described by the payload types
//! below ([`TwilioSecret`], [`SynthflowSecret`], [`TrunkCredentials`]). Values are held as
//! [`SecretString`], whose `Debug` prints `[REDACTED]`; error messages name the secret id and
//! the key, never a value.
//!
//! Source: <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::error::SdkError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::Error;

/// How long a fetched value is served before the next use refreshes it, by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// Shortest time between two refreshes forced by [`CachedSecret::refresh_early`], so that a
/// stream of badly signed requests cannot turn into a stream of `GetSecretValue` calls.
pub const MIN_EARLY_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// Whether `id` can name a secret: a name (1 to 2048 letters, digits and `/_+=.@-`) or an ARN
/// (which adds `:`). Checked before any call, so that a typo is named where it was made.
/// Source: <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html>,
/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>.
pub fn is_secret_id(id: &str) -> bool {
    (1..=2048).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-:".contains(&b))
}

/// Longest a `GetSecretValue` call may take, retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(4);

/// A secret's JSON payload.
pub trait SecretPayload: DeserializeOwned + Send + Sync + 'static {
    /// Checks the values once parsed. The message names the key, never its value.
    ///
    /// # Errors
    /// A description of the first invalid key.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Reads secrets through the AWS SDK.
///
/// Honours the standard AWS configuration: region, credentials and
/// `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL` (how tests and local runs point it at
/// `moto_server`).
#[derive(Clone, Debug)]
pub struct SecretStore {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretStore {
    /// A store using the default AWS configuration of the environment, with calls bounded by
    /// [`CALL_TIMEOUT`] so that a stuck call cannot eat Twilio's 15 s webhook budget.
    pub async fn from_env() -> SecretStore {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(CALL_TIMEOUT / 2)
            .operation_timeout(CALL_TIMEOUT)
            .build();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(timeouts)
            .load()
            .await;
        SecretStore::new(aws_sdk_secretsmanager::Client::new(&config))
    }

    /// A store using `client`.
    pub fn new(client: aws_sdk_secretsmanager::Client) -> SecretStore {
        SecretStore { client }
    }

    /// One `GetSecretValue` call; the `SecretString` parsed as JSON into `T` and validated.
    ///
    /// # Errors
    /// [`Error::Secret`] naming `secret_id` and what is wrong: the call failed (not found,
    /// access denied, network), the secret is binary, the JSON is malformed, a key is missing
    /// or invalid.
    pub async fn fetch<T: SecretPayload>(&self, secret_id: &str) -> Result<T, Error> {
        let fail = |reason: Cow<'static, str>| Error::Secret {
            secret_id: secret_id.to_owned(),
            reason,
        };
        let output = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| {
                fail(format!("GetSecretValue failed: {}", describe_sdk_error(&e)).into())
            })?;
        let text = output.secret_string().ok_or_else(|| {
            fail("holds no SecretString (binary secrets are not supported)".into())
        })?;
        let value: T = serde_json::from_str(text).map_err(|e| fail(describe_json_error(&e)))?;
        value.validate().map_err(|reason| fail(reason.into()))?;
        Ok(value)
    }
}

/// One line for a failed call: the service's error code and message when it answered
/// (`ResourceNotFoundException: Secrets Manager can't find the specified secret.`), else what
/// kept the request from being answered.
fn describe_sdk_error<E, R>(e: &SdkError<E, R>) -> String
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => err.to_string(),
            }
        }
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                "timed out connecting"
            } else if failure.is_io() {
                "could not connect"
            } else {
                "could not send the request"
            };
            match std::error::Error::source(e) {
                Some(source) => format!("{kind} ({})", first_line(&source.to_string())),
                None => kind.to_owned(),
            }
        }
        SdkError::ResponseError(_) => "the response could not be read".to_owned(),
        other => first_line(&other.to_string()).to_owned(),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// What is wrong with a secret's JSON, without quoting any value from it.
fn describe_json_error(e: &serde_json::Error) -> Cow<'static, str> {
    let message = e.to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return format!("missing key {field}").into();
    }
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        return format!("unknown key {field}").into();
    }
    if let Some(field) = message
        .strip_prefix("duplicate field `")
        .and_then(|rest| rest.split('`').next())
    {
        return format!("key {field} is given twice").into();
    }
    match e.classify() {
        serde_json::error::Category::Data => format!(
            "a key has a value of the wrong type (line {}, column {}); values must be strings",
            e.line(),
            e.column()
        )
        .into(),
        _ => format!(
            "SecretString is not a JSON object (line {}, column {})",
            e.line(),
            e.column()
        )
        .into(),
    }
}

/// A secret fetched once and served from memory, refreshed when older than its TTL.
///
/// A failed refresh keeps serving the value already held (and logs the failure); only the first
/// fetch, at cold start, can fail.
pub struct CachedSecret<T> {
    store: SecretStore,
    secret_id: String,
    ttl: Duration,
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    value: Arc<T>,
    /// When the value held was fetched, or a refresh last failed (a failure waits a TTL too).
    checked_at: Instant,
    /// When [`CachedSecret::refresh_early`] last called Secrets Manager.
    early_refresh_at: Option<Instant>,
}

impl<T> fmt::Debug for CachedSecret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedSecret")
            .field("secret_id", &self.secret_id)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<T: SecretPayload> CachedSecret<T> {
    /// Fetches the secret (one `GetSecretValue` call).
    ///
    /// # Errors
    /// As [`SecretStore::fetch`].
    pub async fn load(
        store: SecretStore,
        secret_id: impl Into<String>,
        ttl: Duration,
    ) -> Result<Self, Error> {
        let secret_id = secret_id.into();
        let value = store.fetch::<T>(&secret_id).await?;
        Ok(CachedSecret {
            store,
            secret_id,
            ttl,
            slot: Mutex::new(Slot {
                value: Arc::new(value),
                checked_at: Instant::now(),
                early_refresh_at: None,
            }),
        })
    }

    /// The secret's id.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The value, refreshed first if it is older than the TTL. Never fails: when the refresh
    /// fails, the value already held is returned and the failure logged.
    pub async fn current(&self) -> Arc<T> {
        let mut slot = self.slot.lock().await;
        if slot.checked_at.elapsed() >= self.ttl {
            self.refresh(&mut slot).await;
        }
        Arc::clone(&slot.value)
    }

    /// Refreshes now, unless the last early refresh was less than
    /// [`MIN_EARLY_REFRESH_INTERVAL`] ago. For a credential that just failed (e.g. a rotated
    /// token). Returns the new value, or `None` when nothing was fetched or the fetch failed.
    pub async fn refresh_early(&self) -> Option<Arc<T>> {
        let mut slot = self.slot.lock().await;
        if slot
            .early_refresh_at
            .is_some_and(|at| at.elapsed() < MIN_EARLY_REFRESH_INTERVAL)
        {
            return None;
        }
        slot.early_refresh_at = Some(Instant::now());
        self.refresh(&mut slot)
            .await
            .then(|| Arc::clone(&slot.value))
    }

    async fn refresh(&self, slot: &mut Slot<T>) -> bool {
        slot.checked_at = Instant::now();
        match self.store.fetch::<T>(&self.secret_id).await {
            Ok(value) => {
                slot.value = Arc::new(value);
                true
            }
            Err(error) => {
                tracing::warn!(%error, "secret refresh failed; serving the value fetched before");
                false
            }
        }
    }
}

/// The Twilio account's credentials: `{"account_sid", "auth_token", "previous_auth_token"?,
/// "sip_username"?, "sip_password"?}`.
///
/// - `auth_token` signs Twilio's webhook requests; `previous_auth_token`, while present, is
///   accepted too (rotation: Twilio signs with the primary token only once the secondary is
///   promoted). Source: <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.
/// - `sip_username`/`sip_password` (both or neither): digest credentials written as
///   `<Sip username=… password=…>` when the SIP endpoint challenges Twilio.
///   Source: <https://www.twilio.com/docs/voice/twiml/sip#attributes>.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSecret {
    /// `AC` and 32 hex digits.
    pub account_sid: String,
    /// The primary auth token.
    pub auth_token: SecretString,
    /// The token before the last rotation, accepted while present.
    #[serde(default)]
    pub previous_auth_token: Option<SecretString>,
    /// SIP digest user name.
    #[serde(default)]
    pub sip_username: Option<String>,
    /// SIP digest password.
    #[serde(default)]
    pub sip_password: Option<SecretString>,
}

impl fmt::Debug for TwilioSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSecret")
            .field("account_sid", &self.account_sid)
            .field("sip_username", &self.sip_username)
            .finish_non_exhaustive()
    }
}

impl TwilioSecret {
    /// The tokens a signature may have been made with: the current one first.
    pub fn auth_tokens(&self) -> impl Iterator<Item = &SecretString> {
        std::iter::once(&self.auth_token).chain(self.previous_auth_token.as_ref())
    }
}

impl SecretPayload for TwilioSecret {
    fn validate(&self) -> Result<(), String> {
        let sid_ok = self.account_sid.len() == 34
            && self.account_sid.starts_with("AC")
            && self.account_sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if !sid_ok {
            return Err("account_sid is not a Twilio account SID (AC and 32 hex digits)".into());
        }
        if self.auth_token.expose_secret().is_empty() {
            return Err("auth_token is empty".into());
        }
        if self
            .previous_auth_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().is_empty())
        {
            return Err("previous_auth_token is empty (remove the key instead)".into());
        }
        match (&self.sip_username, &self.sip_password) {
            (None, None) => Ok(()),
            (Some(user), Some(password)) => {
                let printable = |s: &str| !s.is_empty() && !s.chars().any(char::is_control);
                if !printable(user) {
                    Err("sip_username is empty or holds control characters".into())
                } else if !printable(password.expose_secret()) {
                    Err("sip_password is empty or holds control characters".into())
                } else {
                    Ok(())
                }
            }
            (Some(_), None) => Err("missing key sip_password (sip_username is set)".into()),
            (None, Some(_)) => Err("missing key sip_username (sip_password is set)".into()),
        }
    }
}

/// Synthflow API credentials: `{"api_key", "workspace_id"}`.
/// Source: <https://docs.synthflow.ai/authentication>.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthflowSecret {
    /// Sent as `Authorization: Bearer <api_key>`.
    pub api_key: SecretString,
    /// The workspace numbers and agents belong to.
    pub workspace_id: String,
}

impl fmt::Debug for SynthflowSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SynthflowSecret")
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

impl SecretPayload for SynthflowSecret {
    fn validate(&self) -> Result<(), String> {
        let key = self.api_key.expose_secret();
        if key.trim().is_empty() {
            return Err("api_key is empty".into());
        }
        // It travels in an HTTP header: visible ASCII only.
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("api_key holds spaces, line breaks or non-ASCII characters".into());
        }
        if self.workspace_id.trim().is_empty() {
            return Err("workspace_id is empty".into());
        }
        Ok(())
    }
}

/// SIP trunk credentials for a number Synthflow registers with (`trunk_username`/`trunk_pwd` of
/// `POST /v2/custom-numbers`): `{"username", "password"}`.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkCredentials {
    /// `trunk_username`.
    pub username: String,
    /// `trunk_pwd`.
    pub password: SecretString,
}

impl fmt::Debug for TrunkCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SecretPayload for TrunkCredentials {
    fn validate(&self) -> Result<(), String> {
        if self.username.is_empty() {
            return Err("username is empty".into());
        }
        if self.password.expose_secret().is_empty() {
            return Err("password is empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: SecretPayload>(json: &str) -> Result<T, String> {
        let value: T =
            serde_json::from_str(json).map_err(|e| describe_json_error(&e).into_owned())?;
        value.validate()?;
        Ok(value)
    }

    const SID: &str = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn twilio_secret_keys() {
        let s: TwilioSecret = parse(&format!(
            r#"{{"account_sid":"{SID}","auth_token":"tok1","previous_auth_token":"tok0"}}"#
        ))
        .unwrap();
        let tokens: Vec<_> = s
            .auth_tokens()
            .map(|t| t.expose_secret().to_owned())
            .collect();
        assert_eq!(tokens, ["tok1", "tok0"]);
        assert!(!format!("{s:?}").contains("tok"));
    }

    #[test]
    fn errors_name_the_key_not_the_value() {
        for (json, expected) in [
            (
                format!(r#"{{"account_sid":"{SID}"}}"#),
                "missing key auth_token",
            ),
            (
                r#"{"auth_token":"hunter2"}"#.to_owned(),
                "missing key account_sid",
            ),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":12345}}"#),
                "wrong type",
            ),
            ("not json hunter2".to_owned(), "not a JSON object"),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":""}}"#),
                "auth_token is empty",
            ),
            (
                r#"{"account_sid":"AC1","auth_token":"hunter2"}"#.to_owned(),
                "account_sid",
            ),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":"t","sip_username":"u"}}"#),
                "missing key sip_password",
            ),
            (
                format!(
                    r#"{{"account_sid":"{SID}","auth_token":"t","sip_username":"u","sip_password":"a\nb"}}"#
                ),
                "sip_password",
            ),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":"t","authToken":"x"}}"#),
                "authToken",
            ),
        ] {
            let err = parse::<TwilioSecret>(&json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
            assert!(!err.contains("hunter2") && !err.contains("12345"), "{err}");
        }
    }

    #[test]
    fn synthflow_and_trunk_secrets() {
        let s: SynthflowSecret = parse(r#"{"api_key":"sk-live-1","workspace_id":"ws1"}"#).unwrap();
        assert_eq!(s.workspace_id, "ws1");
        assert!(!format!("{s:?}").contains("sk-live"));
        assert!(parse::<SynthflowSecret>(r#"{"api_key":" ","workspace_id":"ws1"}"#).is_err());
        let err = parse::<SynthflowSecret>(r#"{"api_key":"sk-1\r\nX: y","workspace_id":"ws1"}"#)
            .unwrap_err();
        assert!(
            err.starts_with("api_key holds") && !err.contains("sk-1"),
            "{err}"
        );
        let err = parse::<SynthflowSecret>(r#"{"api_key":"k","workspace_id":"w","workspace":"x"}"#)
            .unwrap_err();
        assert_eq!(err, "unknown key workspace");
        let err = parse::<TrunkCredentials>(r#"{"username":"u","password":"p","password":"q"}"#)
            .unwrap_err();
        assert_eq!(err, "key password is given twice");
        let t: TrunkCredentials = parse(r#"{"username":"u","password":"p4ss"}"#).unwrap();
        assert!(!format!("{t:?}").contains("p4ss"));
        assert!(
            parse::<TrunkCredentials>(r#"{"username":"u"}"#)
                .unwrap_err()
                .contains("missing key password")
        );
    }
}
