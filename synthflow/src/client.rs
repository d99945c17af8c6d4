//! The HTTP client: one `reqwest::Client` (rustls), timeouts on every call, retries with
//! exponential backoff and jitter, creates that never duplicate.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBuilder, Retryable as _};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::Error;
use crate::types::{
    Assistant, AssistantCreated, AssistantPage, CreateAssistant, CreateCustomNumber,
    CustomNumberCreated, Envelope, MaybeEnveloped, PhoneNumber, UpdateAssistant, error_message,
};
use shared::phone::E164;

/// Operation names, after the pages of Synthflow's API reference. They appear in errors and logs.
mod op {
    pub const GET_PHONE_NUMBER: &str = "get-phone-number";
    pub const CREATE_CUSTOM_NUMBER: &str = "create-custom-number";
    pub const LIST_ASSISTANTS: &str = "list-assistants";
    pub const CREATE_ASSISTANT: &str = "create-assistant";
    pub const UPDATE_ASSISTANT: &str = "update-assistant";
}

/// Most pages read from one list, so that a server that never stops paginating cannot hold a
/// run forever.
const MAX_PAGES: usize = 1000;

/// Timeouts, retries and page size.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Longest wait for a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest wait for one whole request (connect, send, answer, body).
    pub request_timeout: Duration,
    /// Attempts for a read or an update (`GET`, `PUT`), the first included. Retried on 429, 5xx
    /// and network errors.
    pub max_attempts: usize,
    /// Attempts for a create (`POST`), the first included. Before each new attempt the resource
    /// is looked up, and found means created.
    pub create_attempts: usize,
    /// First delay between attempts; it doubles each time, with jitter.
    pub min_backoff: Duration,
    /// Longest delay between attempts.
    pub max_backoff: Duration,
    /// `limit` of list requests (Synthflow's default is 20; its maximum is not documented).
    pub page_size: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_attempts: 4,
            create_attempts: 3,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            page_size: 50,
        }
    }
}

/// Client of Synthflow's Platform API for one workspace's API key.
///
/// Holds one `reqwest::Client` (connection pool) for all calls. The key is sent as
/// `Authorization: Bearer <key>` (a header marked sensitive) and is never part of `Debug`
/// output, errors or logs: messages Synthflow returns have it replaced by `[redacted]`.
/// Source: <https://docs.synthflow.ai/authentication>.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: SecretString,
    options: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("api_key", &"[redacted]")
            .field("options", &self.options)
            .finish()
    }
}

/// Why one attempt failed.
#[derive(Debug)]
enum Failure {
    /// Synthflow answered with a non-2xx status.
    Status { status: u16, message: String },
    /// No answer: connection refused or lost, or timed out. The request may have been processed.
    Network(String),
}

impl Failure {
    /// 429, 5xx and network errors may pass when tried again.
    fn is_transient(&self) -> bool {
        match self {
            Failure::Status { status, .. } => *status == 429 || *status >= 500,
            Failure::Network(_) => true,
        }
    }

    fn into_error(self, operation: &'static str) -> Error {
        match self {
            Failure::Status { status, message } => Error::Status {
                operation,
                status,
                message,
            },
            Failure::Network(reason) => Error::Unreachable { operation, reason },
        }
    }
}

/// A create's result: answered by Synthflow, or found by a lookup after the answer was lost.
enum Created<T> {
    Answered(Vec<u8>),
    Found(T),
}

impl Client {
    /// A client for the API at `base` (e.g. [`super::GLOBAL_API_BASE`]) with `api_key`.
    ///
    /// # Errors
    /// [`Error::Unreachable`] when the HTTP client cannot be built (TLS set-up).
    pub fn new(base: Url, api_key: SecretString, options: ClientOptions) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("synthflow-sip-bridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Unreachable {
                operation: "client",
                reason: format!("cannot build the HTTP client: {}", e.without_url()),
            })?;
        Ok(Client {
            http,
            base,
            api_key,
            options,
        })
    }

    /// The base URL, e.g. `https://api.synthflow.ai/v2`.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /v2/numbers/{slug}?workspace={workspace_id}`: the number if the workspace has it.
    ///
    /// `404` and `400` both mean absent (the reference declares only `400` for an unknown slug
    /// and regional hosts answer `404 {"detail": "Not Found"}`). Retried on 429, 5xx and network
    /// errors.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/get-phone-number>.
    ///
    /// # Errors
    /// [`Error::Status`] for other error statuses (e.g. 401 for a wrong key),
    /// [`Error::Unreachable`], [`Error::Response`].
    pub async fn get_phone_number(
        &self,
        workspace_id: &str,
        number: &E164,
    ) -> Result<Option<PhoneNumber>, Error> {
        let url = self.url(&["numbers", number.slug()], &[("workspace", workspace_id)]);
        match self
            .call(op::GET_PHONE_NUMBER, Method::GET, &url, None::<&()>)
            .await
        {
            Ok(body) => parse::<MaybeEnveloped<PhoneNumber>>(op::GET_PHONE_NUMBER, &body)
                .map(|n| Some(n.into_inner())),
            Err(Error::Status {
                status: 400 | 404, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v2/custom-numbers`: imports `body.phone_number` into `body.workspace_id`.
    ///
    /// Not idempotent on Synthflow's side, so never re-sent blindly: when an attempt gets no
    /// clear answer (timeout, lost connection, 429, 5xx) the number is looked up with
    /// [`Client::get_phone_number`]; found means imported (`key` is then `None`), otherwise the
    /// import is tried again, up to [`ClientOptions::create_attempts`] times.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>.
    ///
    /// # Errors
    /// [`Error::Status`] (e.g. 400 when `termination_uri` is missing for the provider,
    /// 403 when provider import is not enabled), [`Error::Unreachable`],
    /// [`Error::Response`].
    pub async fn create_custom_number(
        &self,
        body: &CreateCustomNumber,
    ) -> Result<CustomNumberCreated, Error> {
        let url = self.url(&["custom-numbers"], &[]);
        let lookup = || async {
            Ok(self
                .get_phone_number(&body.workspace_id, &body.phone_number)
                .await?
                .map(|n| CustomNumberCreated {
                    key: None,
                    phone_number: n.phone_number,
                }))
        };
        match self
            .create(op::CREATE_CUSTOM_NUMBER, &url, body, lookup)
            .await?
        {
            Created::Answered(bytes) => {
                parse::<Envelope<CustomNumberCreated>>(op::CREATE_CUSTOM_NUMBER, &bytes)
                    .map(|e| e.response)
            }
            Created::Found(found) => Ok(found),
        }
    }

    /// `GET /v2/assistants/?limit=…&offset=…`, every page: all agents the key's workspace has.
    ///
    /// Pages are read until `offset` reaches `total_records` (or a page comes back short or
    /// empty when `total_records` is missing). Each page is retried on 429, 5xx and network
    /// errors. Agents met twice (the list moved while paging) are kept once.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/list-assistant>.
    ///
    /// # Errors
    /// [`Error::Status`], [`Error::Unreachable`], [`Error::Response`].
    pub async fn list_assistants(&self) -> Result<Vec<Assistant>, Error> {
        let limit = self.options.page_size.max(1);
        let mut all: Vec<Assistant> = Vec::new();
        let mut offset: u64 = 0;
        for _ in 0..MAX_PAGES {
            let url = self.url(
                &["assistants", ""],
                &[
                    ("limit", &limit.to_string()),
                    ("offset", &offset.to_string()),
                ],
            );
            let body = self
                .call(op::LIST_ASSISTANTS, Method::GET, &url, None::<&()>)
                .await?;
            let page = parse::<Envelope<AssistantPage>>(op::LIST_ASSISTANTS, &body)?.response;
            let received = page.assistants.len() as u64;
            for assistant in page.assistants {
                if !all.iter().any(|a| a.model_id == assistant.model_id) {
                    all.push(assistant);
                }
            }
            offset += received;
            let done = match page.pagination.total_records {
                Some(total) => received == 0 || offset >= total,
                None => received < u64::from(limit),
            };
            if done {
                return Ok(all);
            }
        }
        Err(Error::Response {
            operation: op::LIST_ASSISTANTS,
            reason: format!("still paginating after {MAX_PAGES} pages"),
        })
    }

    /// `POST /v2/assistants`: creates an agent and returns its `model_id`.
    ///
    /// Never re-sent blindly: when an attempt gets no clear answer the agents are listed again,
    /// and an agent of the same type that is bound to `body.phone_number`, or that is bound to
    /// no number, has the same name and is not among `known` (the agents listed before the
    /// create), is the one created.
    /// Otherwise the create is tried again, up to [`ClientOptions::create_attempts`] times.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>.
    ///
    /// # Errors
    /// [`Error::Status`] (400 with `{"detail": {…}}` for invalid settings),
    /// [`Error::Unreachable`], [`Error::Response`].
    pub async fn create_assistant(
        &self,
        body: &CreateAssistant,
        known: &[Assistant],
    ) -> Result<String, Error> {
        let url = self.url(&["assistants"], &[]);
        let lookup = || async {
            let found = self.list_assistants().await?.into_iter().find(|a| {
                let new_with_our_name = a.name() == Some(body.fields.name.as_str())
                    && a.attached_phone_numbers.is_empty()
                    && !known.iter().any(|k| k.model_id == a.model_id);
                a.is(body.kind)
                    && (new_with_our_name
                        || body.phone_number.as_ref().is_some_and(|n| a.is_bound_to(n)))
            });
            Ok(found.map(|a| a.model_id))
        };
        match self
            .create(op::CREATE_ASSISTANT, &url, body, lookup)
            .await?
        {
            Created::Answered(bytes) => {
                parse::<Envelope<AssistantCreated>>(op::CREATE_ASSISTANT, &bytes)
                    .map(|e| e.response.model_id)
            }
            Created::Found(model_id) => Ok(model_id),
        }
    }

    /// `PUT /v2/assistants/{model_id}` with only the fields to change (a partial update).
    ///
    /// Sending the same fields twice has the same effect as once, so it is retried like a read.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/update-assistant>.
    ///
    /// # Errors
    /// [`Error::Status`], [`Error::Unreachable`].
    pub async fn update_assistant(
        &self,
        model_id: &str,
        changes: &UpdateAssistant,
    ) -> Result<(), Error> {
        let url = self.url(&["assistants", model_id], &[]);
        self.call(op::UPDATE_ASSISTANT, Method::PUT, &url, Some(changes))
            .await
            .map(drop)
    }

    /// `{base}/{segments…}?{query}`, each segment percent-encoded.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// One request, retried on transient failures with exponential backoff and jitter.
    async fn call<B: Serialize + ?Sized>(
        &self,
        operation: &'static str,
        method: Method,
        url: &Url,
        body: Option<&B>,
    ) -> Result<Vec<u8>, Error> {
        (|| self.attempt(method.clone(), url, body))
            .retry(self.backoff(self.options.max_attempts))
            .sleep(tokio::time::sleep)
            .when(Failure::is_transient)
            .notify(|failure, delay| {
                tracing::warn!(
                    operation,
                    failure = %self.describe(failure),
                    retry_in_ms = delay.as_millis() as u64,
                    "synthflow: retrying"
                );
            })
            .await
            .map_err(|failure| self.scrub(failure).into_error(operation))
    }

    /// A create that is never repeated before `lookup` has said the resource does not exist.
    async fn create<B, T, L, F>(
        &self,
        operation: &'static str,
        url: &Url,
        body: &B,
        lookup: L,
    ) -> Result<Created<T>, Error>
    where
        B: Serialize + ?Sized,
        L: Fn() -> F,
        F: Future<Output = Result<Option<T>, Error>>,
    {
        let mut delays = self.backoff(self.options.create_attempts).build();
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(Method::POST, url, Some(body)).await {
                Ok(bytes) => return Ok(Created::Answered(bytes)),
                Err(failure) if !failure.is_transient() => {
                    return Err(self.scrub(failure).into_error(operation));
                }
                Err(failure) => self.scrub(failure),
            };
            tracing::warn!(
                operation,
                attempt,
                failure = %self.describe(&failure),
                "synthflow: no clear answer to a create; looking the resource up before trying again"
            );
            if let Some(delay) = delays.next() {
                tokio::time::sleep(delay).await;
            }
            match lookup().await {
                Ok(Some(found)) => return Ok(Created::Found(found)),
                Ok(None) if attempt < self.options.create_attempts.max(1) => attempt += 1,
                Ok(None) => return Err(failure.into_error(operation)),
                Err(lookup_error) => {
                    let mut error = failure.into_error(operation);
                    let note = format!(
                        "; whether it was created is unknown, the lookup failed too ({lookup_error})"
                    );
                    match &mut error {
                        Error::Status { message: text, .. }
                        | Error::Unreachable { reason: text, .. } => {
                            text.push_str(&note);
                        }
                        _ => {}
                    }
                    return Err(error);
                }
            }
        }
    }

    /// One HTTP exchange: 2xx gives the body, anything else a [`Failure`].
    async fn attempt<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: &Url,
        body: Option<&B>,
    ) -> Result<Vec<u8>, Failure> {
        let mut request = self
            .http
            .request(method, url.clone())
            .bearer_auth(self.api_key.expose_secret())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.network(&e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.network(&e))?
            .to_vec();
        if status.is_success() {
            Ok(bytes)
        } else {
            let message = error_message(&bytes)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
            Err(Failure::Status {
                status: status.as_u16(),
                message,
            })
        }
    }

    /// What went wrong on the wire, in words that hold neither the URL (it holds the number)
    /// nor the key.
    fn network(&self, error: &reqwest::Error) -> Failure {
        Failure::Network(if error.is_timeout() {
            format!(
                "no answer within {} s",
                self.options.request_timeout.as_secs_f64()
            )
        } else if error.is_connect() {
            "could not connect".to_owned()
        } else {
            "the connection was lost before an answer".to_owned()
        })
    }

    /// Removes the API key from a message Synthflow sent back.
    fn scrub(&self, failure: Failure) -> Failure {
        let key = self.api_key.expose_secret();
        match failure {
            Failure::Status { status, message } if !key.is_empty() && message.contains(key) => {
                Failure::Status {
                    status,
                    message: message.replace(key, "[redacted]"),
                }
            }
            other => other,
        }
    }

    fn describe(&self, failure: &Failure) -> String {
        match failure {
            Failure::Status { status, .. } => format!("HTTP {status}"),
            Failure::Network(reason) => reason.clone(),
        }
    }

    fn backoff(&self, attempts: usize) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.options.min_backoff)
            .with_max_delay(self.options.max_backoff)
            .with_max_times(attempts.saturating_sub(1))
    }
}

fn parse<T: DeserializeOwned>(operation: &'static str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Response {
        operation,
        reason: e.to_string(),
    })
}
