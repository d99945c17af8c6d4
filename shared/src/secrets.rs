//! Credentials from AWS Secrets Manager: fetched once at cold start, cached, refreshed lazily.
//!
//! Functions receive secret **ids** (name or ARN) through environment variables, never values.
//! Each secret's `SecretString` is a JSON object, read strictly ([`crate::strict_json`]: a key
//! given twice is refused) into a [`SecretPayload`] type of the function that uses it. Payloads
//! hold their values as `secrecy::SecretString`, whose `Debug` prints `[REDACTED]`; error
//! messages name the secret id and the key, never a value.
//!
//! Handlers see a secret through [`SecretSource`]: [`CachedSecret`] in the functions,
//! [`FixedSecret`] where a test needs no Secrets Manager.
//!
//! Source: <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::Error;
use crate::strict_json::{self, JsonError, JsonErrorKind};

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
    /// A store using the AWS configuration of the environment ([`crate::aws_sdk::load`]: its
    /// HTTPS client and trust store), with calls bounded by [`CALL_TIMEOUT`] so that a stuck call
    /// cannot eat Twilio's 15 s webhook budget.
    ///
    /// # Errors
    /// [`Error::Config`] naming [`crate::aws_sdk::SDK_TRUST_ROOTS`] when its value is invalid.
    pub async fn from_env() -> Result<SecretStore, Error> {
        let config = crate::aws_sdk::load(CALL_TIMEOUT).await?;
        Ok(SecretStore::from_sdk_config(&config))
    }

    /// A store using `config` (from [`crate::aws_sdk::load`], when a function builds more than
    /// one client from one configuration).
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> SecretStore {
        SecretStore::new(aws_sdk_secretsmanager::Client::new(config))
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
                fail(
                    format!(
                        "GetSecretValue failed: {}",
                        crate::aws_sdk::describe_sdk_error(&e)
                    )
                    .into(),
                )
            })?;
        let text = output.secret_string().ok_or_else(|| {
            fail("holds no SecretString (binary secrets are not supported)".into())
        })?;
        parse_payload(text).map_err(fail)
    }
}

/// A secret's `SecretString` read strictly into `T` and validated, as [`SecretStore::fetch`]
/// reads it.
///
/// # Errors
/// What is wrong, naming the key and never quoting a value: `missing key auth_token`,
/// `unknown key authToken`, `key password is given twice`, a wrong type, text that is not a
/// JSON object, or `T`'s own [`SecretPayload::validate`] reason.
pub fn parse_payload<T: SecretPayload>(text: &str) -> Result<T, Cow<'static, str>> {
    let value: T = strict_json::from_str(text).map_err(|e| describe_json_error(&e))?;
    value.validate()?;
    Ok(value)
}

/// What is wrong with a secret's JSON, naming the key, never quoting a value.
fn describe_json_error(e: &JsonError) -> Cow<'static, str> {
    let key = &e.path;
    match &e.kind {
        JsonErrorKind::MissingKey => format!("missing key {key}").into(),
        JsonErrorKind::UnknownKey { .. } => format!("unknown key {key}").into(),
        JsonErrorKind::RepeatedKey => format!("key {key} is given twice").into(),
        JsonErrorKind::Invalid(_) if key.is_empty() => "SecretString is not a JSON object".into(),
        JsonErrorKind::Invalid(reason) => {
            format!("key {key} has a value of the wrong type ({reason}); values must be strings")
                .into()
        }
        JsonErrorKind::NotJson(reason) => {
            format!("SecretString is not a JSON object ({reason})").into()
        }
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

/// A secret as a handler uses it: the value to use now, and a fresher one on demand (after a
/// credential was refused, say). Implemented by [`CachedSecret`] and [`FixedSecret`].
pub trait SecretSource<T>: Send + Sync {
    /// The value to use now. Never fails (see [`CachedSecret::current`]).
    fn current(&self) -> impl Future<Output = Arc<T>> + Send;

    /// A value fetched again now, if a fetch was allowed and succeeded (see
    /// [`CachedSecret::refresh_early`]); `None` otherwise.
    fn refresh_early(&self) -> impl Future<Output = Option<Arc<T>>> + Send;
}

impl<T: SecretPayload> SecretSource<T> for CachedSecret<T> {
    async fn current(&self) -> Arc<T> {
        CachedSecret::current(self).await
    }

    async fn refresh_early(&self) -> Option<Arc<T>> {
        CachedSecret::refresh_early(self).await
    }
}

/// A value that never changes and is never fetched: for tests of handlers.
pub struct FixedSecret<T>(Arc<T>);

impl<T> FixedSecret<T> {
    /// Serves `value`.
    pub fn new(value: T) -> Self {
        FixedSecret(Arc::new(value))
    }
}

impl<T> fmt::Debug for FixedSecret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedSecret").finish_non_exhaustive()
    }
}

impl<T: Send + Sync> SecretSource<T> for FixedSecret<T> {
    async fn current(&self) -> Arc<T> {
        Arc::clone(&self.0)
    }

    async fn refresh_early(&self) -> Option<Arc<T>> {
        None
    }
}
