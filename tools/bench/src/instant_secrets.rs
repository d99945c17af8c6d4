//! A loopback Secrets Manager endpoint that answers `GetSecretValue` at once, for the cold-start
//! arm that measures what the function itself spends on its secret fetch.
//!
//! moto_server, which the tests and the other arms use, is a Python process: it takes
//! milliseconds to answer one call (the bench prints its time from a warm client), which is
//! neither the function's cost nor Secrets Manager's. This endpoint speaks the same AWS JSON 1.1
//! protocol the SDK sends (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`,
//! <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>)
//! and answers one fixed secret from memory, so the arm's time is the SDK's and the function's
//! alone: configuration, request signing, the connection, parsing the answer.
//!
//! It also answers DynamoDB's `PutItem` (AWS JSON 1.0, `X-Amz-Target:
//! DynamoDB_20120810.PutItem`, an empty object when no return values are asked for:
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html>), for the
//! arms that record the call's context, and counts the items it was given.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

/// The target header values of the operations answered.
const GET_SECRET_VALUE: &str = "secretsmanager.GetSecretValue";
const PUT_ITEM: &str = "DynamoDB_20120810.PutItem";

struct Secret {
    name: String,
    value: String,
    answered: AtomicUsize,
    put_items: AtomicUsize,
}

/// A running endpoint holding one secret; stops when dropped.
pub struct InstantSecrets {
    addr: SocketAddr,
    secret: Arc<Secret>,
    server: tokio::task::JoinHandle<()>,
}

impl InstantSecrets {
    /// Serves the secret `name` with the string `value` on a free loopback port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(name: &str, value: &str) -> Result<InstantSecrets, String> {
        let secret = Arc::new(Secret {
            name: name.to_owned(),
            value: value.to_owned(),
            answered: AtomicUsize::new(0),
            put_items: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/", post(get_secret_value))
            .with_state(Arc::clone(&secret));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("instant secrets endpoint: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("instant secrets endpoint: {e}"))?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(InstantSecrets {
            addr,
            secret,
            server,
        })
    }

    /// The value of `AWS_ENDPOINT_URL_SECRETS_MANAGER` that reaches it.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `GetSecretValue` calls answered with the secret so far.
    pub fn answered(&self) -> usize {
        self.secret.answered.load(Ordering::Relaxed)
    }

    /// `PutItem` calls answered so far.
    pub fn put_items(&self) -> usize {
        self.secret.put_items.load(Ordering::Relaxed)
    }
}

impl Drop for InstantSecrets {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The `GetSecretValue` answer for the one secret, or the protocol's error shape for anything
/// else (another operation, another secret id).
async fn get_secret_value(
    State(secret): State<Arc<Secret>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let asked = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|b| b["SecretId"].as_str().map(str::to_owned));
    let answer = |status: StatusCode, body: serde_json::Value| {
        (
            status,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
            body.to_string(),
        )
            .into_response()
    };
    if target == Some(PUT_ITEM) {
        secret.put_items.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
            "{}",
        )
            .into_response();
    }
    if target != Some(GET_SECRET_VALUE) || asked.as_deref() != Some(secret.name.as_str()) {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"__type": "ResourceNotFoundException",
                   "message": "Secrets Manager can't find the specified secret."}),
        );
    }
    secret.answered.fetch_add(1, Ordering::Relaxed);
    answer(
        StatusCode::OK,
        json!({
            "ARN": format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{}-AbCdEf", secret.name),
            "Name": secret.name,
            "VersionId": "00000000-0000-4000-8000-000000000000",
            "SecretString": secret.value,
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1.7e9,
        }),
    )
}
