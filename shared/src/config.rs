//! Environment variables → typed configuration, validated once at cold start.
//!
//! An empty variable counts as unset (SAM passes blank template parameters as empty strings).
//! Every error names the variable and says what it expects, never echoing a secret.

use crate::Error;
use crate::sip::{
    DEFAULT_ENDPOINT, HeaderName, HeaderTemplate, MAX_URI_LEN, SipEndpoint, SipUri, Transport,
};
use crate::twiml::{DialAttributes, Record};

/// `host:port` of Synthflow's SIP endpoint. Default [`DEFAULT_ENDPOINT`].
pub const SYNTHFLOW_SIP_ENDPOINT: &str = "SYNTHFLOW_SIP_ENDPOINT";
/// `udp` (default), `tcp` or `tls`.
pub const SIP_TRANSPORT: &str = "SIP_TRANSPORT";
/// Comma-separated `X-Name=value` pairs; `{Param}` in a value is replaced by the webhook
/// parameter of that name, e.g. `X-Caller={From},X-Env=prod`.
pub const SIP_EXTRA_HEADERS: &str = "SIP_EXTRA_HEADERS";
/// `true`/`false` → `<Dial answerOnBridge>`.
pub const DIAL_ANSWER_ON_BRIDGE: &str = "DIAL_ANSWER_ON_BRIDGE";
/// Seconds, 5–600 → `<Dial timeout>`.
pub const DIAL_TIMEOUT: &str = "DIAL_TIMEOUT";
/// Seconds, 1–86400 → `<Dial timeLimit>`.
pub const DIAL_TIME_LIMIT: &str = "DIAL_TIME_LIMIT";
/// Letters, digits, `+ - _ .` → `<Dial callerId>`.
pub const DIAL_CALLER_ID: &str = "DIAL_CALLER_ID";
/// One of Twilio's `record` values → `<Dial record>`.
pub const DIAL_RECORD: &str = "DIAL_RECORD";
/// Absolute http(s) URL or a path starting with `/` → `<Dial action>`.
pub const DIAL_ACTION: &str = "DIAL_ACTION";

/// Id (name or ARN) of the Secrets Manager secret holding the Twilio credentials
/// ([`crate::secrets::TwilioSecret`]). Required while signature validation is on.
pub const TWILIO_SECRET_ID: &str = "TWILIO_SECRET_ID";
/// `on` (default) or `off`. Off accepts unsigned requests: for local development only.
pub const TWILIO_SIGNATURE_VALIDATION: &str = "TWILIO_SIGNATURE_VALIDATION";
/// The public URL Twilio calls, without the `/redirect_call` path: `https://host[/prefix]`.
/// Needed only when it cannot be rebuilt from the API Gateway event (a proxy in front).
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";

/// Synthflow's TLS port; its UDP/TCP port is 32681.
/// Source: <https://docs.synthflow.ai/connect-over-sip>.
const SYNTHFLOW_TLS_PORT: u16 = 32682;
/// Header names the function writes itself, which configuration may not reuse.
pub const RESERVED_HEADERS: [&str; 3] = [HeaderName::EXTERNAL_ID, "X-Direction", "X-Callee"];
/// Length of a `CallSid`, the value of `X-EI`.
const CALL_SID_LEN: usize = 34;

/// A header added to every dialed URI, from [`SIP_EXTRA_HEADERS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraHeader {
    /// The header name.
    pub name: HeaderName,
    /// Its value, with `{Param}` placeholders.
    pub value: HeaderTemplate,
}

/// Configuration of the `redirect-call` function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectCallConfig {
    /// Where calls are dialed.
    pub sip_endpoint: SipEndpoint,
    /// SIP transport.
    pub sip_transport: Transport,
    /// Headers added after `X-EI` (and, for outbound calls, `X-Direction` and `X-Callee`).
    pub extra_headers: Vec<ExtraHeader>,
    /// `<Dial>` attributes.
    pub dial: DialAttributes,
    /// The Twilio secret's id, when one is configured.
    pub twilio_secret_id: Option<String>,
    /// Whether `X-Twilio-Signature` is checked.
    pub signature_validation: bool,
    /// The public base URL signatures are checked against, without a trailing `/`.
    pub public_base_url: Option<String>,
}

impl RedirectCallConfig {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that is invalid.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `get`, which returns a variable's value if set.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that is invalid.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| get(name).filter(|v| !v.is_empty());

        let sip_endpoint: SipEndpoint = var(SYNTHFLOW_SIP_ENDPOINT)
            .as_deref()
            .unwrap_or(DEFAULT_ENDPOINT)
            .parse()
            .map_err(|reason| Error::config(SYNTHFLOW_SIP_ENDPOINT, reason))?;
        let sip_transport: Transport = parse_var(&var, SIP_TRANSPORT)?.unwrap_or_default();
        check_synthflow_port(&sip_endpoint, sip_transport)?;

        let extra_headers = match var(SIP_EXTRA_HEADERS) {
            Some(spec) => parse_extra_headers(&spec)
                .map_err(|reason| Error::config(SIP_EXTRA_HEADERS, reason))?,
            None => Vec::new(),
        };

        let dial = DialAttributes {
            action: var(DIAL_ACTION).map(check_action).transpose()?,
            answer_on_bridge: var(DIAL_ANSWER_ON_BRIDGE)
                .map(|v| {
                    parse_bool(&v).ok_or(Error::config(
                        DIAL_ANSWER_ON_BRIDGE,
                        "expected true or false",
                    ))
                })
                .transpose()?,
            caller_id: var(DIAL_CALLER_ID).map(check_caller_id).transpose()?,
            record: parse_var::<Record>(&var, DIAL_RECORD)?,
            time_limit: parse_seconds(&var, DIAL_TIME_LIMIT, 1, 86_400)?,
            timeout: parse_seconds(&var, DIAL_TIMEOUT, 5, 600)?,
        };

        let signature_validation = match var(TWILIO_SIGNATURE_VALIDATION).as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(Error::config(
                    TWILIO_SIGNATURE_VALIDATION,
                    "expected on or off",
                ));
            }
        };
        let twilio_secret_id = var(TWILIO_SECRET_ID)
            .map(|v| check_secret_id(TWILIO_SECRET_ID, v))
            .transpose()?;
        if signature_validation && twilio_secret_id.is_none() {
            return Err(Error::config(
                TWILIO_SECRET_ID,
                "required while signature validation is on (the secret holds the auth token); \
                 TWILIO_SIGNATURE_VALIDATION=off turns validation off for local development",
            ));
        }
        let public_base_url = var(PUBLIC_BASE_URL)
            .map(check_public_base_url)
            .transpose()?;

        let config = RedirectCallConfig {
            sip_endpoint,
            sip_transport,
            extra_headers,
            dial,
            twilio_secret_id,
            signature_validation,
            public_base_url,
        };
        config.check_lengths()?;
        Ok(config)
    }

    /// Refuses an endpoint, or constant headers, that could never fit Twilio's URI limit.
    fn check_lengths(&self) -> Result<(), Error> {
        let external_id = HeaderName::parse(HeaderName::EXTERNAL_ID).expect("valid name");
        let mut required = vec![(external_id, CALL_SID_LEN)];
        let longest =
            SipUri::longest_required_len(&self.sip_endpoint, self.sip_transport, &required);
        if longest >= MAX_URI_LEN {
            return Err(Error::config(
                SYNTHFLOW_SIP_ENDPOINT,
                format!(
                    "too long: the dialed URI could reach {longest} characters, Twilio's limit is {}",
                    MAX_URI_LEN - 1
                ),
            ));
        }
        for header in &self.extra_headers {
            if let Some(len) = header.value.literal_len() {
                // Percent-encoding at most triples a value.
                required.push((header.name.clone(), len * 3));
            }
        }
        let longest =
            SipUri::longest_required_len(&self.sip_endpoint, self.sip_transport, &required);
        if longest >= MAX_URI_LEN {
            return Err(Error::config(
                SIP_EXTRA_HEADERS,
                format!(
                    "constant headers are too long: the dialed URI could reach {longest} characters, \
                     Twilio's limit is {}",
                    MAX_URI_LEN - 1
                ),
            ));
        }
        Ok(())
    }
}

fn parse_var<T>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, Error>
where
    T: std::str::FromStr<Err = &'static str>,
{
    var(name)
        .map(|v| v.parse::<T>().map_err(|reason| Error::config(name, reason)))
        .transpose()
}

fn parse_seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    min: u32,
    max: u32,
) -> Result<Option<u32>, Error> {
    var(name)
        .map(|v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    Error::config(name, format!("expected whole seconds from {min} to {max}"))
                })
        })
        .transpose()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn check_synthflow_port(endpoint: &SipEndpoint, transport: Transport) -> Result<(), Error> {
    if !endpoint.is_synthflow() {
        return Ok(());
    }
    match (transport, endpoint.port()) {
        (Transport::Tls, port) if port != SYNTHFLOW_TLS_PORT => Err(Error::config(
            SIP_TRANSPORT,
            format!(
                "tls needs Synthflow's TLS port {SYNTHFLOW_TLS_PORT} in {SYNTHFLOW_SIP_ENDPOINT} \
                 (e.g. sip.us.synthflow.ai:{SYNTHFLOW_TLS_PORT})"
            ),
        )),
        (Transport::Udp | Transport::Tcp, SYNTHFLOW_TLS_PORT) => Err(Error::config(
            SIP_TRANSPORT,
            format!("port {SYNTHFLOW_TLS_PORT} is Synthflow's TLS port: set {SIP_TRANSPORT}=tls"),
        )),
        _ => Ok(()),
    }
}

fn check_caller_id(v: String) -> Result<String, Error> {
    let ok = v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-_.".contains(&b));
    if ok {
        Ok(v)
    } else {
        Err(Error::config(
            DIAL_CALLER_ID,
            "expected up to 64 letters, digits and + - _ . (Twilio's rule for <Sip> caller ids)",
        ))
    }
}

fn check_action(v: String) -> Result<String, Error> {
    let invalid = || {
        Error::config(
            DIAL_ACTION,
            "expected an absolute http(s) URL or a path starting with / (no spaces)",
        )
    };
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    if v.starts_with('/') && !v.starts_with("//") {
        return Ok(v);
    }
    match url::Url::parse(&v) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(v),
        _ => Err(invalid()),
    }
}

/// A secret name or ARN ([`crate::secrets::is_secret_id`]) in `variable`.
fn check_secret_id(variable: &'static str, v: String) -> Result<String, Error> {
    if crate::secrets::is_secret_id(&v) {
        Ok(v)
    } else {
        Err(Error::config(
            variable,
            "expected a secret name (letters, digits, /_+=.@-) or ARN",
        ))
    }
}

fn check_public_base_url(v: String) -> Result<String, Error> {
    let base = v.trim_end_matches('/');
    match url::Url::parse(base) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.query().is_none()
                && url.fragment().is_none()
                && !base.contains(char::is_whitespace) =>
        {
            Ok(base.to_owned())
        }
        _ => Err(Error::config(
            PUBLIC_BASE_URL,
            "expected the public http(s) URL without /redirect_call, query or fragment, \
             e.g. https://voice.example.com/twilio",
        )),
    }
}

fn parse_extra_headers(spec: &str) -> Result<Vec<ExtraHeader>, String> {
    let mut headers: Vec<ExtraHeader> = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let (name, value) = item.split_once('=').ok_or_else(|| {
            format!("expected X-Name=value pairs separated by commas, got {item:?}")
        })?;
        let name = name.trim();
        let name = HeaderName::parse(name).map_err(|reason| format!("{name:?}: {reason}"))?;
        if RESERVED_HEADERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name.as_str()))
        {
            return Err(format!("{name} is written by the function itself"));
        }
        if headers
            .iter()
            .any(|h| h.name.as_str().eq_ignore_ascii_case(name.as_str()))
        {
            return Err(format!("{name} is given twice"));
        }
        let value =
            HeaderTemplate::parse(value.trim()).map_err(|reason| format!("{name}: {reason}"))?;
        headers.push(ExtraHeader { name, value });
    }
    Ok(headers)
}

/// Secrets Manager secret id (name or ARN) holding `{"api_key": …, "workspace_id": …}` for
/// Synthflow. Required by `provision`.
pub const SYNTHFLOW_SECRET_ID: &str = "SYNTHFLOW_SECRET_ID";
/// Base URL of Synthflow's API, matching the workspace's cluster. Default
/// [`crate::synthflow::GLOBAL_API_BASE`].
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
        let var = |name: &str| get(name).filter(|v| !v.is_empty());
        let secret_id = var(SYNTHFLOW_SECRET_ID).ok_or(Error::config(
            SYNTHFLOW_SECRET_ID,
            "required: the id of the secret holding Synthflow's api_key and workspace_id",
        ))?;
        let secret_id = check_secret_id(SYNTHFLOW_SECRET_ID, secret_id)?;
        let api_base = parse_api_base(
            var(SYNTHFLOW_API_BASE)
                .as_deref()
                .unwrap_or(crate::synthflow::GLOBAL_API_BASE),
        )
        .map_err(|reason| Error::config(SYNTHFLOW_API_BASE, reason))?;
        let sip_endpoint: SipEndpoint = var(SYNTHFLOW_SIP_ENDPOINT)
            .as_deref()
            .unwrap_or(DEFAULT_ENDPOINT)
            .parse()
            .map_err(|reason| Error::config(SYNTHFLOW_SIP_ENDPOINT, reason))?;
        let concurrency = match var(PROVISION_CONCURRENCY) {
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
                .ok_or_else(|| {
                    Error::config(
                        PROVISION_CONCURRENCY,
                        format!("expected a whole number from 1 to {MAX_CONCURRENCY}"),
                    )
                })?,
            None => DEFAULT_CONCURRENCY,
        };
        Ok(ProvisionConfig {
            secret_id,
            api_base,
            sip_endpoint,
            concurrency,
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
mod provision_tests {
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
            (PROVISION_CONCURRENCY, "0"),
            (PROVISION_CONCURRENCY, "17"),
            (PROVISION_CONCURRENCY, "four"),
        ] {
            let err = config(&[(SYNTHFLOW_SECRET_ID, "s"), (var, value)]).expect_err(value);
            assert!(err.to_string().starts_with(&format!("{var}: ")), "{err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Configuration from `vars`, on top of a Twilio secret id (required by default).
    fn config(vars: &[(&str, &str)]) -> Result<RedirectCallConfig, Error> {
        RedirectCallConfig::from_lookup(|name| {
            vars.iter()
                .chain(&[(TWILIO_SECRET_ID, "synthflow-sip-bridge/twilio")])
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn variable_of(err: Error) -> &'static str {
        match err {
            Error::Config { variable, .. } => variable,
            other => panic!("not a config error: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.sip_endpoint.to_string(), "sipin.synthflow.ai:32681");
        assert_eq!(c.sip_transport, Transport::Udp);
        assert!(c.extra_headers.is_empty());
        assert_eq!(c.dial, DialAttributes::default());
        assert!(c.signature_validation);
        assert_eq!(
            c.twilio_secret_id.as_deref(),
            Some("synthflow-sip-bridge/twilio")
        );
        assert_eq!(c.public_base_url, None);
    }

    #[test]
    fn validation_needs_a_secret_unless_off() {
        let none = |_: &str| None;
        let err = RedirectCallConfig::from_lookup(none).unwrap_err();
        assert!(
            err.to_string().starts_with("TWILIO_SECRET_ID: required"),
            "{err}"
        );
        let off = RedirectCallConfig::from_lookup(|k| {
            (k == TWILIO_SIGNATURE_VALIDATION).then(|| "off".to_owned())
        })
        .unwrap();
        assert!(!off.signature_validation);
        assert_eq!(off.twilio_secret_id, None);
        let c = config(&[(PUBLIC_BASE_URL, "https://voice.example.com/twilio/")]).unwrap();
        assert_eq!(
            c.public_base_url.as_deref(),
            Some("https://voice.example.com/twilio")
        );
    }

    #[test]
    fn empty_means_unset() {
        let all_empty: Vec<(&str, &str)> = [
            SYNTHFLOW_SIP_ENDPOINT,
            SIP_TRANSPORT,
            SIP_EXTRA_HEADERS,
            DIAL_ANSWER_ON_BRIDGE,
            DIAL_TIMEOUT,
            DIAL_TIME_LIMIT,
            DIAL_CALLER_ID,
            DIAL_RECORD,
            DIAL_ACTION,
            PUBLIC_BASE_URL,
            TWILIO_SIGNATURE_VALIDATION,
        ]
        .iter()
        .map(|k| (*k, ""))
        .collect();
        assert_eq!(config(&all_empty).unwrap(), config(&[]).unwrap());
    }

    #[test]
    fn everything_set() {
        let c = config(&[
            (SYNTHFLOW_SIP_ENDPOINT, "sip.eu.synthflow.ai:32682"),
            (SIP_TRANSPORT, "TLS"),
            (SIP_EXTRA_HEADERS, " X-Caller={From} , X-Env=prod,"),
            (DIAL_ANSWER_ON_BRIDGE, "true"),
            (DIAL_TIMEOUT, "45"),
            (DIAL_TIME_LIMIT, "3600"),
            (DIAL_CALLER_ID, "+14155550199"),
            (DIAL_RECORD, "record-from-answer-dual"),
            (DIAL_ACTION, "https://hooks.example.com/dial-status?x=1"),
        ])
        .unwrap();
        assert_eq!(c.sip_transport, Transport::Tls);
        assert_eq!(c.extra_headers.len(), 2);
        assert_eq!(c.extra_headers[1].name.as_str(), "X-Env");
        assert_eq!(c.dial.timeout, Some(45));
        assert_eq!(c.dial.time_limit, Some(3600));
        assert_eq!(c.dial.record, Some(Record::RecordFromAnswerDual));
        assert_eq!(c.dial.answer_on_bridge, Some(true));
        assert_eq!(
            config(&[(DIAL_ACTION, "/dial-status")])
                .unwrap()
                .dial
                .action
                .as_deref(),
            Some("/dial-status")
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let long_host = format!(
            "{}.example:5060",
            "a".repeat(60) + "." + &"b".repeat(60) + "." + &"c".repeat(60) + "." + &"d".repeat(40)
        );
        let long_const = format!("X-Pad={}", "p".repeat(80));
        let cases: Vec<(&str, &str)> = vec![
            (SYNTHFLOW_SIP_ENDPOINT, "sipin.synthflow.ai"),
            (SYNTHFLOW_SIP_ENDPOINT, "evil.example;x=:5060"),
            (SYNTHFLOW_SIP_ENDPOINT, &long_host),
            (SIP_TRANSPORT, "quic"),
            (SIP_TRANSPORT, "tls"),
            (SIP_EXTRA_HEADERS, "X-Twilio-Foo={From}"),
            (SIP_EXTRA_HEADERS, "Caller={From}"),
            (SIP_EXTRA_HEADERS, "X-EI={From}"),
            (SIP_EXTRA_HEADERS, "x-callee={To}"),
            (SIP_EXTRA_HEADERS, "X-A={From},X-a={To}"),
            (SIP_EXTRA_HEADERS, "X-A"),
            (SIP_EXTRA_HEADERS, "X-A={From"),
            (SIP_EXTRA_HEADERS, "X-A="),
            (SIP_EXTRA_HEADERS, &long_const),
            (DIAL_ANSWER_ON_BRIDGE, "yes"),
            (DIAL_TIMEOUT, "4"),
            (DIAL_TIMEOUT, "601"),
            (DIAL_TIMEOUT, "30s"),
            (DIAL_TIME_LIMIT, "0"),
            (DIAL_TIME_LIMIT, "-1"),
            (DIAL_CALLER_ID, "+1 415"),
            (DIAL_CALLER_ID, "a\"b"),
            (DIAL_RECORD, "always"),
            (DIAL_ACTION, "ftp://example.com/x"),
            (DIAL_ACTION, "https://exa mple.com/"),
            (DIAL_ACTION, "//evil.example/x"),
            (DIAL_ACTION, "dial-status"),
            (TWILIO_SIGNATURE_VALIDATION, "false"),
            (TWILIO_SECRET_ID, "my secret"),
            (PUBLIC_BASE_URL, "voice.example.com"),
            (PUBLIC_BASE_URL, "https://voice.example.com/x?y=1"),
            (PUBLIC_BASE_URL, "ftp://voice.example.com"),
        ];
        for (var, value) in cases {
            let err = config(&[(var, value)]).expect_err(value);
            let message = err.to_string();
            assert!(message.starts_with(&format!("{var}: ")), "{message}");
            assert_eq!(variable_of(err), var);
        }
    }

    #[test]
    fn tls_port_mismatch_names_the_transport() {
        assert!(config(&[(SYNTHFLOW_SIP_ENDPOINT, "sip.us.synthflow.ai:32682")]).is_err());
        assert!(
            config(&[
                (SYNTHFLOW_SIP_ENDPOINT, "sip.us.synthflow.ai:32682"),
                (SIP_TRANSPORT, "tls")
            ])
            .is_ok()
        );
        assert!(
            config(&[
                (SYNTHFLOW_SIP_ENDPOINT, "pbx.example.com:5061"),
                (SIP_TRANSPORT, "tls")
            ])
            .is_ok()
        );
    }
}
