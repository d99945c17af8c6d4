//! The environment of `provision` → [`ProvisionConfig`], validated once at cold start.

use shared::Error;
use shared::env::Env;
use shared::sip::{SipEndpoint, Transport};

/// Secrets Manager secret id (name or ARN) holding `{"api_key": …, "workspace_id": …}` for
/// Synthflow. Required by `provision`.
pub const SYNTHFLOW_SECRET_ID: &str = "SYNTHFLOW_SECRET_ID";
/// Base URL of Synthflow's API, matching the workspace's cluster. Default
/// [`synthflow::GLOBAL_API_BASE`].
pub const SYNTHFLOW_API_BASE: &str = "SYNTHFLOW_API_BASE";
/// How many numbers `provision` works on at once, 1–16. Default [`DEFAULT_CONCURRENCY`].
pub const PROVISION_CONCURRENCY: &str = "PROVISION_CONCURRENCY";
/// Default of [`PROVISION_CONCURRENCY`].
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Largest accepted [`PROVISION_CONCURRENCY`].
const MAX_CONCURRENCY: usize = 16;

/// Configuration of the `provision` function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionConfig {
    /// The Synthflow secret's id.
    pub secret_id: String,
    /// Synthflow's API base URL, without a trailing slash.
    pub api_base: url::Url,
    /// The SIP endpoint reported in each number's `sip_uri` (same variable and default as
    /// `redirect-call`'s).
    pub sip_endpoint: SipEndpoint,
    /// The SIP transport written into each `sip_uri` (same variable and default as
    /// `redirect-call`'s, `SIP_TRANSPORT`).
    pub sip_transport: Transport,
    /// Numbers worked on at once.
    pub concurrency: usize,
}

impl ProvisionConfig {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that is missing or invalid.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `get`, which returns a variable's value if set.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that is missing or invalid.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let env = Env::from_lookup(get);
        let secret_id = env.secret_id(SYNTHFLOW_SECRET_ID)?.ok_or(Error::config(
            SYNTHFLOW_SECRET_ID,
            "required: the id of the secret holding Synthflow's api_key and workspace_id",
        ))?;
        let api_base = parse_api_base(
            env.get(SYNTHFLOW_API_BASE)
                .as_deref()
                .unwrap_or(synthflow::GLOBAL_API_BASE),
        )
        .map_err(|reason| Error::config(SYNTHFLOW_API_BASE, reason))?;
        let sip_endpoint = env.sip_endpoint()?;
        Ok(ProvisionConfig {
            secret_id,
            api_base,
            sip_transport: env.sip_transport(&sip_endpoint)?,
            sip_endpoint,
            concurrency: env
                .whole_number(PROVISION_CONCURRENCY, 1, MAX_CONCURRENCY)?
                .unwrap_or(DEFAULT_CONCURRENCY),
        })
    }
}

/// An `https` URL (or `http` to a loopback address, for a local fake), without query, fragment
/// or credentials; a trailing slash is dropped.
fn parse_api_base(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value.trim_end_matches('/'))
        .map_err(|e| format!("not a URL ({e}); e.g. https://api.us.synthflow.ai/v2"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("expected an https URL (http only to localhost)".to_owned()),
    }
    if url.cannot_be_a_base()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("expected a base URL without query, fragment or credentials".to_owned());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use shared::env::{SIP_TRANSPORT, SYNTHFLOW_SIP_ENDPOINT};

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<ProvisionConfig, Error> {
        ProvisionConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults() {
        let c = config(&[(SYNTHFLOW_SECRET_ID, "synthflow/dev")]).unwrap();
        assert_eq!(c.secret_id, "synthflow/dev");
        assert_eq!(c.api_base.as_str(), "https://api.synthflow.ai/v2");
        assert_eq!(c.sip_endpoint.to_string(), "sipin.synthflow.ai:32681");
        assert_eq!(c.sip_transport, Transport::Udp);
        assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
    }

    #[test]
    fn regional_hosts_and_local_fake() {
        for (base, expected) in [
            (
                "https://api.eu.synthflow.ai/v2/",
                "https://api.eu.synthflow.ai/v2",
            ),
            (
                "https://api.us.synthflow.ai/v2",
                "https://api.us.synthflow.ai/v2",
            ),
            ("http://127.0.0.1:8181/v2", "http://127.0.0.1:8181/v2"),
            ("http://localhost:8181/v2", "http://localhost:8181/v2"),
        ] {
            let c = config(&[(SYNTHFLOW_SECRET_ID, "s"), (SYNTHFLOW_API_BASE, base)]).unwrap();
            assert_eq!(c.api_base.as_str(), expected);
        }
    }

    /// The TLS port Synthflow documents with `tls`, as `redirect-call` reads it
    /// (<https://docs.synthflow.ai/connect-over-sip>).
    #[test]
    fn tls_to_synthflow_uses_its_tls_port() {
        let c = config(&[
            (SYNTHFLOW_SECRET_ID, "s"),
            (SYNTHFLOW_SIP_ENDPOINT, "sip.us.synthflow.ai:32682"),
            (SIP_TRANSPORT, "tls"),
        ])
        .unwrap();
        assert_eq!(c.sip_transport, Transport::Tls);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        assert!(
            config(&[(SYNTHFLOW_SECRET_ID, "")])
                .unwrap_err()
                .to_string()
                .starts_with("SYNTHFLOW_SECRET_ID: ")
        );
        assert!(
            config(&[(SYNTHFLOW_SECRET_ID, "synthflow secret")])
                .unwrap_err()
                .to_string()
                .starts_with("SYNTHFLOW_SECRET_ID: expected a secret name")
        );
        for (var, value) in [
            (SYNTHFLOW_API_BASE, "http://api.synthflow.ai/v2"),
            (SYNTHFLOW_API_BASE, "api.synthflow.ai/v2"),
            (SYNTHFLOW_API_BASE, "https://api.synthflow.ai/v2?x=1"),
            (SYNTHFLOW_API_BASE, "https://user:pw@api.synthflow.ai/v2"),
            (SYNTHFLOW_SIP_ENDPOINT, "sipin.synthflow.ai"),
            (SIP_TRANSPORT, "quic"),
            (SIP_TRANSPORT, "tls"),
            (PROVISION_CONCURRENCY, "0"),
            (PROVISION_CONCURRENCY, "17"),
            (PROVISION_CONCURRENCY, "four"),
        ] {
            let err = config(&[(SYNTHFLOW_SECRET_ID, "s"), (var, value)]).expect_err(value);
            assert!(err.to_string().starts_with(&format!("{var}: ")), "{err}");
        }
    }
}
