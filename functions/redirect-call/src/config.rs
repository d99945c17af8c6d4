//! The environment of `redirect-call` → [`RedirectCallConfig`], validated once at cold start.
//!
//! An empty variable counts as unset (SAM passes blank template parameters as empty strings).
//! Every error names the variable and says what it expects, never echoing a secret.

use shared::Error;
pub use shared::env::SYNTHFLOW_SIP_ENDPOINT;
use shared::env::{Env, check_http_url};
use shared::sip::{HeaderName, HeaderTemplate, MAX_URI_LEN, SipEndpoint, SipUri, Transport};
use shared::twiml::{DialAttributes, Record};

use crate::dial::{CALLEE_HEADER, DIRECTION_HEADER};
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
/// ([`crate::twilio_secret::TwilioSecret`]). Required while signature validation is on.
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
pub const RESERVED_HEADERS: [&str; 3] = [HeaderName::EXTERNAL_ID, DIRECTION_HEADER, CALLEE_HEADER];
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
        let env = Env::from_lookup(get);

        let sip_endpoint = env.sip_endpoint()?;
        let sip_transport: Transport = env.parse(SIP_TRANSPORT)?.unwrap_or_default();
        check_synthflow_port(&sip_endpoint, sip_transport)?;
        let extra_headers = env
            .checked(SIP_EXTRA_HEADERS, |spec| parse_extra_headers(&spec))?
            .unwrap_or_default();

        let dial = DialAttributes {
            action: env.checked(DIAL_ACTION, check_action)?,
            answer_on_bridge: env.bool(DIAL_ANSWER_ON_BRIDGE)?,
            caller_id: env.checked(DIAL_CALLER_ID, check_caller_id)?,
            record: env.parse::<Record>(DIAL_RECORD)?,
            time_limit: env.whole_number(DIAL_TIME_LIMIT, 1, 86_400)?,
            timeout: env.whole_number(DIAL_TIMEOUT, 5, 600)?,
        };

        let signature_validation = env
            .checked(TWILIO_SIGNATURE_VALIDATION, |v| match v.as_str() {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err("expected on or off"),
            })?
            .unwrap_or(true);
        let twilio_secret_id = env.secret_id(TWILIO_SECRET_ID)?;
        if signature_validation && twilio_secret_id.is_none() {
            return Err(Error::config(
                TWILIO_SECRET_ID,
                "required while signature validation is on (the secret holds the auth token); \
                 TWILIO_SIGNATURE_VALIDATION=off turns validation off for local development",
            ));
        }
        let public_base_url = env.checked(PUBLIC_BASE_URL, check_public_base_url)?;

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

fn check_caller_id(v: String) -> Result<String, &'static str> {
    let ok = v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-_.".contains(&b));
    if ok {
        Ok(v)
    } else {
        Err("expected up to 64 letters, digits and + - _ . (Twilio's rule for <Sip> caller ids)")
    }
}

/// An absolute http(s) URL, or a path on the webhook's own host.
fn check_action(v: String) -> Result<String, &'static str> {
    const EXPECTED: &str = "expected an absolute http(s) URL or a path starting with / (no spaces)";
    if v.starts_with('/') && !v.starts_with("//") {
        return if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Err(EXPECTED)
        } else {
            Ok(v)
        };
    }
    check_http_url(&v).map(|_| v).map_err(|_| EXPECTED)
}

fn check_public_base_url(v: String) -> Result<String, &'static str> {
    let base = v.trim_end_matches('/');
    match check_http_url(base) {
        Ok(url) if url.query().is_none() && url.fragment().is_none() => Ok(base.to_owned()),
        _ => Err(
            "expected the public http(s) URL without /redirect_call, query or fragment, \
             e.g. https://voice.example.com/twilio",
        ),
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
