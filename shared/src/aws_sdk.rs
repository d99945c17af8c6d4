//! The AWS SDK configuration every function uses: its timeouts, and the HTTPS client with the
//! trust store that client verifies AWS's certificates against.
//!
//! Every SDK client of the functions (Secrets Manager today, any later one alike) is built from
//! the [`SdkConfig`] of [`load`]: the standard AWS configuration of the environment (region,
//! credentials, `AWS_ENDPOINT_URL_*`), each call bounded by the caller's operation timeout, and
//! one HTTPS client (hyper 1, rustls with aws-lc-rs, as the SDK's `default-https-client` builds
//! it) whose trust store is chosen by [`SDK_TRUST_ROOTS`]:
//!
//! - `amazon` (the default): the five root CAs of Amazon Trust Services, compiled into the binary
//!   from `shared/certs/amazon-trust-services.pem` ([`AMAZON_TRUST_SERVICES_ROOTS`]): Amazon Root
//!   CA 1–4 and Starfield Services Root Certificate Authority – G2. No file is read: the SDK's
//!   default client instead reads the operating system's whole CA store when it builds its
//!   connector for the first request (`rustls-native-certs`: the bundle file and every file of
//!   `/etc/ssl/certs`), which on Lambda every cold start of every function pays.
//! - `native`: the operating system's CA store, which is what the SDK's default client trusts and
//!   what the functions trusted before. It exists to compare the two (`make bench` runs both) and
//!   to diagnose a failing connection; it is not needed to run in AWS.
//!
//! Why Amazon's roots suffice for Secrets Manager and DynamoDB in the regions the README deploys
//! to (`us-east-1` by default; any other region of the commercial `aws` partition,
//! `*.amazonaws.com`):
//!
//! - AWS moved the certificates of its service endpoints to its own CA, Amazon Trust Services
//!   (ATS), in a migration announced in 2018 for "services such as Amazon EC2 and Amazon
//!   DynamoDB": <https://aws.amazon.com/blogs/security/how-to-prepare-for-aws-move-to-its-own-certificate-authority/>.
//!   By 2021 "most other AWS services have already migrated" and S3 and CloudFront followed,
//!   finishing in June 2022: <https://aws.amazon.com/blogs/storage/reminder-amazon-s3-and-amazon-cloudfront-migrating-service-certificates-to-amazon-trust-services-starting-march-23-2021/>.
//!   DynamoDB documents its endpoints' move to ATS certificates, every region launched since
//!   December 2017 having started with them: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ats-certs.html>.
//!   For Secrets Manager no page of its own says so; it is among the services the migration
//!   covers. The tests cannot check it: they reach nothing but loopback (moto is plain HTTP).
//!   After deploying, `openssl s_client -connect secretsmanager.<region>.amazonaws.com:443`
//!   shows the chain.
//! - Amazon Trust Services recommends exactly these five roots to anyone keeping a custom trust
//!   store ("Including all five of the roots ensure maximum compatibility"):
//!   <https://www.amazontrust.com/repository/>, which also publishes the SHA-256 of each root's
//!   public key; the tests below hold the compiled-in certificates to those values.
//! - Not covered, and not checked: the China (`amazonaws.com.cn`) and GovCloud partitions, the
//!   European Sovereign Cloud (whose own roots ATS lists separately), and endpoints behind a
//!   TLS-inspecting proxy. There, and if AWS ever served a Secrets Manager or DynamoDB endpoint
//!   from another CA, the call fails at cold start with `invalid peer certificate: UnknownIssuer`
//!   in the log; `SDK_TRUST_ROOTS=native` restores the operating system's store.
//!
//! Certificates are verified either way (rustls' WebPKI verifier: chain to a trust anchor, validity
//! dates, the endpoint's host name); only the set of anchors differs. Plain-HTTP endpoints, such as
//! `moto_server` in tests, never use it.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};

use crate::Error;

/// `amazon` (default) or `native`: the trust store of the SDK's HTTPS client ([`TrustRoots`]).
pub const SDK_TRUST_ROOTS: &str = "SDK_TRUST_ROOTS";

/// The Amazon Trust Services root CAs as PEM (five certificates, with comment lines naming
/// each): Amazon Root CA 1, 2, 3, 4 and Starfield Services Root Certificate Authority – G2.
/// Source: <https://www.amazontrust.com/repository/>.
pub const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// Which root CAs the SDK's HTTPS client trusts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrustRoots {
    /// [`AMAZON_TRUST_SERVICES_ROOTS`], compiled in: no file is read.
    #[default]
    Amazon,
    /// The operating system's CA store, read when the first connection is made (what the SDK's
    /// default client does). For comparison and diagnosis.
    Native,
}

impl TrustRoots {
    /// Reads [`SDK_TRUST_ROOTS`] from the process environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming [`SDK_TRUST_ROOTS`] when it is neither `amazon` nor `native`.
    pub fn from_env() -> Result<TrustRoots, Error> {
        TrustRoots::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads [`SDK_TRUST_ROOTS`] through `get`, which returns a variable's value if set. Unset
    /// or empty means [`TrustRoots::Amazon`].
    ///
    /// # Errors
    /// [`Error::Config`] naming [`SDK_TRUST_ROOTS`] when it is neither `amazon` nor `native`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<TrustRoots, Error> {
        match get(SDK_TRUST_ROOTS).as_deref() {
            None | Some("" | "amazon") => Ok(TrustRoots::Amazon),
            Some("native") => Ok(TrustRoots::Native),
            Some(_) => Err(Error::config(SDK_TRUST_ROOTS, "expected amazon or native")),
        }
    }

    /// The trust store these roots make. Add a certificate with
    /// [`TrustStore::with_pem_certificate`].
    pub fn trust_store(self) -> TrustStore {
        match self {
            TrustRoots::Amazon => {
                TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS)
            }
            TrustRoots::Native => TrustStore::default(),
        }
    }
}

/// The SDK configuration of the environment, with the HTTPS client and trust store of
/// [`SDK_TRUST_ROOTS`]; each call (retries included) bounded by `operation_timeout`, each attempt
/// by half of it.
///
/// # Errors
/// [`Error::Config`] naming [`SDK_TRUST_ROOTS`] when its value is invalid.
pub async fn load(operation_timeout: Duration) -> Result<SdkConfig, Error> {
    let trust_store = TrustRoots::from_env()?.trust_store();
    Ok(loader(trust_store, operation_timeout)?.load().await)
}

/// What [`load`] loads, before loading: the standard configuration loader with the timeouts and
/// an HTTPS client trusting `trust_store`, for a caller (a test) that sets more on it.
///
/// # Errors
/// [`Error::Config`] naming [`SDK_TRUST_ROOTS`] if the SDK refuses the TLS configuration.
pub fn loader(trust_store: TrustStore, operation_timeout: Duration) -> Result<ConfigLoader, Error> {
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(operation_timeout / 2)
        .operation_timeout(operation_timeout)
        .build();
    let tls_context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .map_err(|e| Error::config(SDK_TRUST_ROOTS, format!("TLS configuration refused: {e}")))?;
    // What the SDK's default client is (aws-smithy-runtime 1.16, `default_https_client`: rustls
    // with aws-lc-rs, the connector settings and sleep of the client, proxies from
    // `HTTPS_PROXY`/`NO_PROXY`), with `tls_context` for its trust store. The connector is built
    // once per settings and cached, so connections are pooled.
    let http_client = Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.tls_context(tls_context.clone()).build()
    });
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .http_client(http_client))
}

/// One line for a failed call of any SDK client: the service's error code and message when it answered
/// (`ResourceNotFoundException: Secrets Manager can't find the specified secret.`), else what
/// kept the request from being answered.
pub fn describe_sdk_error<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
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
            // The innermost cause says what happened (`Connection refused (os error 111)`,
            // `invalid peer certificate: UnknownIssuer`); the layers above it say `io error`.
            match std::iter::successors(std::error::Error::source(e), |s| s.source()).last() {
                Some(cause) => format!("{kind} ({})", first_line(&cause.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use tokio_rustls::rustls::RootCertStore;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;

    /// SHA-256 of each root's SubjectPublicKeyInfo, as <https://www.amazontrust.com/repository/>
    /// lists them, in the file's order.
    const PUBLISHED_SPKI_SHA256: [(&str, &str); 5] = [
        (
            "Amazon Root CA 1",
            "fbe3018031f9586bcbf41727e417b7d1c45c2f47f93be372a17b96b50757d5a2",
        ),
        (
            "Amazon Root CA 2",
            "7f4296fc5b6a4e3b35d3c369623e364ab1af381d8fa7121533c9d6c633ea2461",
        ),
        (
            "Amazon Root CA 3",
            "36abc32656acfc645c61b71613c4bf21c787f5cabbee48348d58597803d7abc9",
        ),
        (
            "Amazon Root CA 4",
            "f7ecded5c66047d28ed6466b543c40e0743abe81d109254dcf845d4c2c7853c5",
        ),
        (
            "Starfield Services Root Certificate Authority - G2",
            "2b071c59a0a0ae76b0eadb2bad23bad4580b69c3601b630c2eaf0613afa83f92",
        ),
    ];

    /// `value` wrapped as a DER SEQUENCE (tag, definite length), as it stands in a certificate.
    fn der_sequence(value: &[u8]) -> Vec<u8> {
        let len = value.len();
        let mut out = vec![0x30];
        match len {
            0..=0x7f => out.push(len as u8),
            0x80..=0xff => out.extend([0x81, len as u8]),
            _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(value);
        out
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn compiled_in_roots_are_the_published_amazon_roots() {
        // Parsed as the SDK parses them (rustls-pki-types PEM, then a rustls root store).
        let certs: Vec<CertificateDer<'_>> =
            CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES_ROOTS)
                .collect::<Result<_, _>>()
                .expect("valid PEM");
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(certs);
        assert_eq!((added, ignored), (5, 0));
        for (anchor, (name, published)) in roots.roots.iter().zip(PUBLISHED_SPKI_SHA256) {
            let spki = der_sequence(anchor.subject_public_key_info.as_ref());
            assert_eq!(hex(&Sha256::digest(&spki)), published, "{name}");
            let subject = String::from_utf8_lossy(anchor.subject.as_ref()).into_owned();
            assert!(subject.contains(name), "{name} in {subject:?}");
        }
    }

    #[test]
    fn trust_roots_from_the_environment() {
        let roots = |value: Option<&str>| {
            TrustRoots::from_lookup(|name| {
                assert_eq!(name, SDK_TRUST_ROOTS);
                value.map(str::to_owned)
            })
        };
        assert_eq!(roots(None), Ok(TrustRoots::Amazon));
        assert_eq!(roots(Some("")), Ok(TrustRoots::Amazon));
        assert_eq!(roots(Some("amazon")), Ok(TrustRoots::Amazon));
        assert_eq!(roots(Some("native")), Ok(TrustRoots::Native));
        for bad in ["Native", "os", "none", "amazon "] {
            let err = roots(Some(bad)).unwrap_err();
            assert_eq!(
                err.to_string(),
                "SDK_TRUST_ROOTS: expected amazon or native",
                "{bad:?}"
            );
        }
    }
}
