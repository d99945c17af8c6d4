//! The AWS SDK's HTTPS client as `shared::aws_sdk` builds it, against a TLS server on loopback
//! whose certificate was issued by a throwaway CA: with Amazon's roots the connection is refused
//! (the certificate is verified), and with that CA added to the same trust store the same call
//! goes through (so the refusal is the trust store's doing, not a broken server).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_secretsmanager::config::{Credentials, Region};
use aws_sdk_secretsmanager::error::SdkError;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use shared::aws_sdk::{self, TrustRoots};
use shared::secrets::SecretStore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

const SECRET_STRING: &str = r#"{"auth_token":"not-a-real-token"}"#;

/// A TLS server on 127.0.0.1 answering every request with a `GetSecretValue` result, its
/// certificate (for the IP address 127.0.0.1) issued by a CA made for the test.
struct TlsServer {
    endpoint: String,
    /// The test CA's certificate, PEM.
    ca_pem: String,
    /// Requests answered: only requests that completed a handshake.
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsServer {
    async fn start() -> TlsServer {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.distinguished_name
            .push(DnType::CommonName, "shared aws_sdk_tls test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().expect("server key");
        let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .expect("server params")
            .signed_by(&key, &issuer)
            .expect("server certificate");
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server TLS config");
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let endpoint = format!("https://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    // A refused handshake ends here: the client sent an alert and closed.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |_request| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        async move { Ok::<_, std::convert::Infallible>(get_secret_value()) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TlsServer {
            endpoint,
            ca_pem,
            requests,
            task,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Secrets Manager's answer to `GetSecretValue` (JSON 1.1 protocol).
/// Source: <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>.
fn get_secret_value() -> hyper::Response<String> {
    let body = serde_json::json!({
        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:test/tls-AbCdEf",
        "Name": "test/tls",
        "SecretString": SECRET_STRING,
        "VersionId": "00000000-0000-0000-0000-000000000000",
        "VersionStages": ["AWSCURRENT"],
    });
    hyper::Response::builder()
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .expect("a response")
}

/// A Secrets Manager client built as the functions build theirs, trusting `trust_store`, pointed
/// at `endpoint` with dummy credentials.
async fn client(
    trust_store: aws_smithy_http_client::tls::TrustStore,
    endpoint: &str,
) -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk::loader(trust_store, Duration::from_secs(4))
        .expect("a loader")
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&config)
}

/// Every message in the error's chain of sources, outermost first.
fn chain(error: &dyn std::error::Error) -> Vec<String> {
    let mut messages = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        messages.push(e.to_string());
        source = e.source();
    }
    messages
}

#[tokio::test]
async fn amazon_roots_refuse_a_certificate_of_another_ca() {
    let server = TlsServer::start().await;
    let client = client(TrustRoots::Amazon.trust_store(), &server.endpoint).await;
    let result = client.get_secret_value().secret_id("test/tls").send().await;
    let error = result.expect_err("a certificate outside the trust store must be refused");
    assert!(
        matches!(error, SdkError::DispatchFailure(_)),
        "refused before any request: {error:?}"
    );
    let messages = chain(&error);
    assert!(
        messages.iter().any(|m| m.contains("UnknownIssuer")),
        "refused for its issuer: {messages:#?}"
    );
    assert_eq!(server.requests(), 0, "no request reached the server");

    // What a function logs when its cold start fails this way.
    let message = SecretStore::new(client)
        .fetch::<Payload>("test/tls")
        .await
        .expect_err("refused again")
        .to_string();
    assert_eq!(
        message,
        "secret test/tls: GetSecretValue failed: could not connect \
         (invalid peer certificate: UnknownIssuer)"
    );
}

/// Any payload: the call fails before one is read.
#[derive(Debug, serde::Deserialize)]
struct Payload {}

impl shared::secrets::SecretPayload for Payload {}

#[tokio::test]
async fn the_same_client_connects_once_the_test_ca_is_trusted() {
    let server = TlsServer::start().await;
    let trust_store = TrustRoots::Amazon
        .trust_store()
        .with_pem_certificate(server.ca_pem.as_bytes());
    let client = client(trust_store, &server.endpoint).await;
    let output = client
        .get_secret_value()
        .secret_id("test/tls")
        .send()
        .await
        .expect("the call goes through over TLS");
    assert_eq!(output.secret_string(), Some(SECRET_STRING));
    assert_eq!(server.requests(), 1);
}
