//! Environment variables → values, and the checks every function's configuration shares.
//!
//! An empty variable counts as unset (SAM passes blank template parameters as empty strings).
//! Every error is an [`Error::Config`] naming the variable and saying what it expects, never
//! echoing a secret. Each function's own configuration (its variables, defaults and rules)
//! lives in that function's crate and reads the environment through [`Env`].

use std::str::FromStr;

use strum::VariantNames;

use crate::Error;
use crate::sip::{DEFAULT_ENDPOINT, SipEndpoint, Transport};

/// `host:port` of Synthflow's SIP endpoint, read by every function that writes a SIP URI.
/// Default [`DEFAULT_ENDPOINT`].
pub const SYNTHFLOW_SIP_ENDPOINT: &str = "SYNTHFLOW_SIP_ENDPOINT";
/// The SIP transport to Synthflow: `udp` (default), `tcp` or `tls`; read by every function that
/// writes a SIP URI.
pub const SIP_TRANSPORT: &str = "SIP_TRANSPORT";
/// Synthflow's TLS port; its UDP/TCP port is 32681.
/// Source: <https://docs.synthflow.ai/connect-over-sip>.
pub const SYNTHFLOW_TLS_PORT: u16 = 32682;

/// A source of environment variables: the process environment, or a lookup in tests.
pub struct Env<F> {
    lookup: F,
}

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Env {
            lookup: |name| std::env::var(name).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// Variables read through `lookup`, which returns a variable's value if set.
    pub fn from_lookup(lookup: F) -> Self {
        Env { lookup }
    }

    /// The variable's value; `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.is_empty())
    }

    /// The variable parsed with `T`'s [`FromStr`], whose error says what is expected.
    ///
    /// # Errors
    /// [`Error::Config`] naming `name`, with `T`'s reason.
    pub fn parse<T>(&self, name: &'static str) -> Result<Option<T>, Error>
    where
        T: FromStr<Err = &'static str>,
    {
        self.get(name)
            .map(|v| v.parse::<T>().map_err(|reason| Error::config(name, reason)))
            .transpose()
    }

    /// The variable read as one of a closed set of names (an enum deriving strum's
    /// `EnumString` and `VariantNames`), or `None` when unset.
    ///
    /// # Errors
    /// [`Error::Config`] naming `name` and listing the accepted values
    /// ("expected udp, tcp or tls").
    pub fn choice<T>(&self, name: &'static str) -> Result<Option<T>, Error>
    where
        T: FromStr + VariantNames,
    {
        self.get(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| Error::config(name, expected_one_of(T::VARIANTS)))
            })
            .transpose()
    }

    /// The variable checked by `check`, which returns the value to keep or why it is refused.
    ///
    /// # Errors
    /// [`Error::Config`] naming `name`, with `check`'s reason.
    pub fn checked<T, R: Into<std::borrow::Cow<'static, str>>>(
        &self,
        name: &'static str,
        check: impl FnOnce(String) -> Result<T, R>,
    ) -> Result<Option<T>, Error> {
        self.get(name)
            .map(|v| check(v).map_err(|reason| Error::config(name, reason)))
            .transpose()
    }

    /// A whole number in `min..=max` (seconds, counts).
    ///
    /// # Errors
    /// [`Error::Config`] naming `name` and the range.
    pub fn whole_number<T>(&self, name: &'static str, min: T, max: T) -> Result<Option<T>, Error>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        self.checked(name, |v| {
            v.parse::<T>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("expected a whole number from {min} to {max}"))
        })
    }

    /// `true` or `false`, in any case.
    ///
    /// # Errors
    /// [`Error::Config`] naming `name`.
    pub fn bool(&self, name: &'static str) -> Result<Option<bool>, Error> {
        self.checked(name, |v| match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("expected true or false"),
        })
    }

    /// A Secrets Manager secret name or ARN ([`crate::secrets::is_secret_id`]).
    ///
    /// # Errors
    /// [`Error::Config`] naming `name`.
    pub fn secret_id(&self, name: &'static str) -> Result<Option<String>, Error> {
        self.checked(name, check_secret_id)
    }

    /// [`SYNTHFLOW_SIP_ENDPOINT`], or [`DEFAULT_ENDPOINT`] when unset.
    ///
    /// # Errors
    /// [`Error::Config`] naming [`SYNTHFLOW_SIP_ENDPOINT`] with [`SipEndpoint`]'s reason.
    pub fn sip_endpoint(&self) -> Result<SipEndpoint, Error> {
        self.get(SYNTHFLOW_SIP_ENDPOINT)
            .as_deref()
            .unwrap_or(DEFAULT_ENDPOINT)
            .parse()
            .map_err(|reason| Error::config(SYNTHFLOW_SIP_ENDPOINT, reason))
    }

    /// [`SIP_TRANSPORT`] for `endpoint`, [`Transport::Udp`] when unset. At a Synthflow endpoint
    /// the port must match: [`SYNTHFLOW_TLS_PORT`] for `tls` and only for `tls`.
    ///
    /// # Errors
    /// [`Error::Config`] naming [`SIP_TRANSPORT`]: not one of the transports, or a port that
    /// does not match it.
    pub fn sip_transport(&self, endpoint: &SipEndpoint) -> Result<Transport, Error> {
        let transport: Transport = self.choice(SIP_TRANSPORT)?.unwrap_or_default();
        if !endpoint.is_synthflow() {
            return Ok(transport);
        }
        match (transport, endpoint.port()) {
            (Transport::Tls, port) if port != SYNTHFLOW_TLS_PORT => Err(Error::config(
                SIP_TRANSPORT,
                format!(
                    "tls needs Synthflow's TLS port {SYNTHFLOW_TLS_PORT} in \
                     {SYNTHFLOW_SIP_ENDPOINT} (e.g. sip.us.synthflow.ai:{SYNTHFLOW_TLS_PORT})"
                ),
            )),
            (Transport::Udp | Transport::Tcp, SYNTHFLOW_TLS_PORT) => Err(Error::config(
                SIP_TRANSPORT,
                format!(
                    "port {SYNTHFLOW_TLS_PORT} is Synthflow's TLS port: set {SIP_TRANSPORT}=tls"
                ),
            )),
            _ => Ok(transport),
        }
    }
}

/// "expected a, b or c": the reason given for a value outside `names`.
pub fn expected_one_of(names: &[&str]) -> String {
    match names {
        [] => "expected nothing".to_owned(),
        [only] => format!("expected {only}"),
        [init @ .., last] => format!("expected {} or {last}", init.join(", ")),
    }
}

/// A secret name or ARN ([`crate::secrets::is_secret_id`]).
///
/// # Errors
/// What is expected, when `v` cannot name a secret.
pub fn check_secret_id(v: String) -> Result<String, &'static str> {
    if crate::secrets::is_secret_id(&v) {
        Ok(v)
    } else {
        Err("expected a secret name (letters, digits, /_+=.@-) or ARN")
    }
}

/// An absolute `http` or `https` URL with a host, and no whitespace or control characters
/// anywhere (the URL parser would drop some of them silently).
///
/// # Errors
/// What is expected, when `v` is not such a URL.
pub fn check_http_url(v: &str) -> Result<url::Url, &'static str> {
    const EXPECTED: &str = "expected an absolute http(s) URL";
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EXPECTED);
    }
    match url::Url::parse(v) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(EXPECTED),
    }
}

/// Whether `v` is text a person could type: not blank, no control characters (line breaks
/// included). For names, user names and other free text that travels in headers or JSON.
pub fn is_printable(v: &str) -> bool {
    !v.trim().is_empty() && !v.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> Env<impl Fn(&str) -> Option<String>> {
        Env::from_lookup(move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn empty_is_unset_and_errors_name_the_variable() {
        let e = env(&[("A", ""), ("N", "17"), ("B", "TRUE"), ("S", "my secret")]);
        assert_eq!(e.get("A"), None);
        assert_eq!(e.whole_number::<u32>("A", 1, 16).unwrap(), None);
        let err = e.whole_number::<u32>("N", 1, 16).unwrap_err();
        assert_eq!(err.to_string(), "N: expected a whole number from 1 to 16");
        assert_eq!(e.bool("B").unwrap(), Some(true));
        assert!(
            e.secret_id("S")
                .unwrap_err()
                .to_string()
                .starts_with("S: expected a secret")
        );
        assert_eq!(e.sip_endpoint().unwrap().to_string(), DEFAULT_ENDPOINT);
    }

    #[test]
    fn a_refused_choice_lists_what_is_accepted() {
        let env = env(&[("SIP_TRANSPORT", "sctp"), ("DIAL_RECORD", "yes")]);
        assert_eq!(
            env.choice::<crate::sip::Transport>("SIP_TRANSPORT"),
            Err(Error::config("SIP_TRANSPORT", "expected udp, tcp or tls"))
        );
        assert_eq!(
            env.choice::<crate::twiml::Record>("DIAL_RECORD"),
            Err(Error::config(
                "DIAL_RECORD",
                "expected do-not-record, record-from-answer, record-from-ringing, \
                 record-from-answer-dual or record-from-ringing-dual"
            ))
        );
        assert_eq!(env.choice::<crate::sip::Transport>("UNSET"), Ok(None));
        let env2 = super::Env::from_lookup(|name: &str| {
            Some(if name == "T" { "TLS" } else { "true" }.to_owned())
        });
        assert_eq!(env2.choice("T"), Ok(Some(crate::sip::Transport::Tls)));
        assert_eq!(
            env2.choice("DIAL_RECORD"),
            Ok(Some(crate::twiml::Record::RecordFromAnswer)),
            "Twilio's alias true"
        );
        assert_eq!(expected_one_of(&["a"]), "expected a");
    }

    #[test]
    fn urls_and_text() {
        assert!(check_http_url("https://hooks.example.com/x?y=1").is_ok());
        for bad in [
            "ftp://x.example/",
            "https://exa mple.com/",
            "/path",
            "https://a\n.b/",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad:?}");
        }
        assert!(is_printable("acme main line"));
        assert!(!is_printable(" "));
        assert!(!is_printable("a\r\nb"));
    }
}
