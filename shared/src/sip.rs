//! The SIP URI Twilio dials at Synthflow: `sip:+E164@host:port[;transport=…]?X-Name=value&…`.
//!
//! Twilio's rules (source: <https://www.twilio.com/docs/voice/twiml/sip>, error codes 21227,
//! 13252, 32111–32113):
//! - the whole URI must be under 255 characters, and the headers part (after `?`) under 1024;
//! - custom header names start with `X-`/`x-`, hold only letters, digits and hyphens, and must
//!   not start with `X-Twilio`;
//! - header values are percent-escaped (every character that is not alphanumeric);
//! - the transport is UDP unless `;transport=tcp|tls` is given.
//!
//! Synthflow reads every `X-` header as a prompt variable (names `^X-[A-Za-z0-9_-]+$`) and the
//! legacy `X-EI` header as the call's external id.
//! Source: <https://docs.synthflow.ai/pass-call-context>, <https://docs.synthflow.ai/x-ei-sip-header>.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;
use crate::phone::E164;

/// A SIP URI must be shorter than this many characters (Twilio).
pub const MAX_URI_LEN: usize = 255;
/// The headers part of a SIP URI (after `?`) must be shorter than this many characters
/// (Twilio error 21227).
pub const MAX_HEADERS_LEN: usize = 1024;
/// The longest user part a URI can get: `+` and 15 digits.
const MAX_USER_LEN: usize = 16;

/// Characters a header value must not hold: CR, LF and NUL, which Synthflow refuses in header
/// values (<https://docs.synthflow.ai/pass-call-context>), and U+FFFD, which stands for bytes
/// that were not UTF-8 when the webhook's form was decoded.
pub const FORBIDDEN_IN_HEADER_VALUES: [char; 4] = ['\r', '\n', '\0', '\u{FFFD}'];

/// Synthflow's SIP endpoint for direct dialing, host and port.
pub const DEFAULT_ENDPOINT: &str = "sipin.synthflow.ai:32681";

/// Where Twilio sends the SIP INVITE: a host name or IP address, and a port.
///
/// Parsed from `host:port` (`[v6addr]:port` for IPv6). The port is required: Synthflow listens on
/// 32681 (UDP/TCP) and 32682 (TLS), never on SIP's default 5060.
/// Source: <https://docs.synthflow.ai/connect-over-sip>.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipEndpoint {
    host: String,
    port: u16,
}

impl SipEndpoint {
    /// The host as it appears in the URI (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `true` for Synthflow's own hosts (`*.synthflow.ai`).
    pub fn is_synthflow(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "synthflow.ai" || host.ends_with(".synthflow.ai")
    }
}

impl FromStr for SipEndpoint {
    type Err = &'static str;

    /// # Errors
    /// A reason naming what is wrong: missing port, bad port, bad host.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (host, port) = s
            .rsplit_once(':')
            .ok_or("expected host:port, e.g. sipin.synthflow.ai:32681")?;
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or("port must be a number from 1 to 65535")?;
        let valid_host = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'))
        {
            v6.parse::<Ipv6Addr>().is_ok()
        } else {
            host.parse::<Ipv4Addr>().is_ok() || is_dns_name(host)
        };
        if !valid_host {
            return Err(
                "host must be a DNS name (letters, digits, hyphens, dots) or an IP address",
            );
        }
        Ok(SipEndpoint {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for SipEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A host as a SIP URI names it outside brackets: an IPv4 address, or an RFC 1123 host name
/// without a trailing dot (`pbx.example.com`, `10.0.0.5`).
pub fn is_host(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok() || (!host.ends_with('.') && is_dns_name(host))
}

/// Reads `host[:port]` as a SIP URI writes it (RFC 3261 §25.1 `hostport`, IPv6 aside): the host
/// as [`is_host`] accepts it, the port 1–65535 in digits only.
///
/// # Errors
/// `"the host"` or `"the port"`, naming the part that is wrong.
pub fn parse_host_port(hostport: &str) -> Result<(&str, Option<u16>), &'static str> {
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0 && port.bytes().all(|b| b.is_ascii_digit()))
                .ok_or("the port")?;
            (host, Some(port))
        }
        None => (hostport, None),
    };
    if is_host(host) {
        Ok((host, port))
    } else {
        Err("the host")
    }
}

/// RFC 1123 host name: dot-separated labels of 1–63 letters, digits and inner hyphens,
/// 253 characters at most, not all-numeric at the top level.
fn is_dns_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(label_ok)
        && !host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

/// SIP transport for the INVITE. Twilio uses UDP unless the URI says otherwise.
/// Source: <https://www.twilio.com/docs/voice/twiml/sip#transport>.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Transport {
    /// UDP (Twilio's default; no URI parameter is written).
    #[default]
    Udp,
    /// TCP: `;transport=tcp`.
    Tcp,
    /// TLS: `;transport=tls`.
    Tls,
}

impl Transport {
    /// The URI parameter for this transport; empty for UDP, Twilio's default.
    fn uri_param(self) -> &'static str {
        match self {
            Transport::Udp => "",
            Transport::Tcp => ";transport=tcp",
            Transport::Tls => ";transport=tls",
        }
    }
}

/// A custom SIP header name Twilio will pass on: `X-` or `x-`, then letters, digits and hyphens
/// (an RFC 3261 token Synthflow also accepts as a variable name), and not `X-Twilio…`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeaderName(String);

impl HeaderName {
    /// `X-EI`: the external id Synthflow attaches to the call (`call.external_id` in its
    /// post-call webhook). Carries the Twilio `CallSid`.
    pub const EXTERNAL_ID: &'static str = "X-EI";

    /// Validates a header name.
    ///
    /// # Errors
    /// A reason naming the rule that was broken.
    pub fn parse(name: &str) -> Result<Self, &'static str> {
        let rest = name
            .strip_prefix("X-")
            .or_else(|| name.strip_prefix("x-"))
            .ok_or("header names must start with X-")?;
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err("header names hold only letters, digits and hyphens after X-");
        }
        if rest.len() >= 6 && rest[..6].eq_ignore_ascii_case("twilio") {
            return Err("Twilio drops headers whose names start with X-Twilio");
        }
        Ok(HeaderName(name.to_owned()))
    }

    /// The name as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A header to add to the URI: its name and its value before percent-encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The header's name.
    pub name: HeaderName,
    /// The raw value; [`SipUri::build`] percent-encodes it.
    pub value: String,
}

/// The URI to dial, and the optional headers that did not fit and were left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipUri {
    /// The URI, as it goes into `<Sip>` (before XML escaping). Under [`MAX_URI_LEN`] characters.
    pub uri: String,
    /// Names of optional headers dropped to stay within Twilio's limits, in the order given.
    pub dropped: Vec<HeaderName>,
}

impl SipUri {
    /// Writes `sip:{user}@{endpoint}{;transport}?{headers}`.
    ///
    /// Every header in `required` is written; each in `optional` is written in turn if the URI
    /// stays under [`MAX_URI_LEN`] characters and its headers part under [`MAX_HEADERS_LEN`],
    /// and is listed in [`SipUri::dropped`] otherwise. Values are percent-encoded: every byte of
    /// their UTF-8 that is not an ASCII letter or digit becomes `%XX`.
    ///
    /// # Errors
    /// [`Error::SipUriTooLong`] when the required headers alone break a limit.
    pub fn build(
        user: &E164,
        endpoint: &SipEndpoint,
        transport: Transport,
        required: &[Header],
        optional: &[Header],
    ) -> Result<SipUri, Error> {
        SipUri::with_headers(
            SipUri::address(user, endpoint, transport),
            required,
            optional,
        )
    }

    /// `sip:{user}@{endpoint}{;transport}`: the address Twilio dials, without headers, e.g.
    /// `sip:+14155550123@sipin.synthflow.ai:32681` or
    /// `sip:+14155550123@sip.us.synthflow.ai:32682;transport=tls`.
    pub fn address(user: &E164, endpoint: &SipEndpoint, transport: Transport) -> String {
        format!(
            "sip:{}@{}{}",
            user.as_str(),
            endpoint,
            transport.uri_param()
        )
    }

    /// `address` (a SIP URI without headers) followed by `?` and the headers, under the same
    /// rules as [`SipUri::build`]: every `required` header, then each `optional` one that fits.
    ///
    /// # Errors
    /// [`Error::SipUriTooLong`] when the address and the required headers alone break a limit.
    pub fn with_headers(
        address: String,
        required: &[Header],
        optional: &[Header],
    ) -> Result<SipUri, Error> {
        let mut uri = address;
        let headers_start = uri.len() + 1;
        for header in required {
            push_header(&mut uri, header);
        }
        let headers_len = uri.len().saturating_sub(headers_start);
        if uri.len() >= MAX_URI_LEN || headers_len >= MAX_HEADERS_LEN {
            return Err(Error::SipUriTooLong {
                length: uri.len(),
                limit: MAX_URI_LEN,
            });
        }
        let mut dropped = Vec::new();
        for header in optional {
            let before = uri.len();
            push_header(&mut uri, header);
            if uri.len() >= MAX_URI_LEN || uri.len() - headers_start >= MAX_HEADERS_LEN {
                uri.truncate(before);
                dropped.push(header.name.clone());
            }
        }
        Ok(SipUri { uri, dropped })
    }

    /// Length of the longest URI [`SipUri::build`] can write for `endpoint` and `transport` with
    /// the given required headers, whatever the number (15 digits at most). Used at cold start
    /// to refuse an endpoint that could not fit.
    pub fn longest_required_len(
        endpoint: &SipEndpoint,
        transport: Transport,
        required: &[(HeaderName, usize)],
    ) -> usize {
        let base = "sip:".len()
            + MAX_USER_LEN
            + "@".len()
            + endpoint.to_string().len()
            + transport.uri_param().len();
        let headers: usize = required
            .iter()
            .map(|(name, value_len)| 1 + name.as_str().len() + 1 + value_len)
            .sum();
        base + headers
    }
}

fn push_header(uri: &mut String, header: &Header) {
    uri.push(if uri.contains('?') { '&' } else { '?' });
    uri.push_str(header.name.as_str());
    uri.push('=');
    uri.extend(utf8_percent_encode(&header.value, NON_ALPHANUMERIC));
}

/// The value of a configured header: literal text and `{Param}` placeholders, each replaced by
/// the webhook parameter of that name (e.g. `{From}`, `{CallerName}`, `{SipHeader_X-Ref}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderTemplate {
    parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TemplatePart {
    Literal(String),
    Param(String),
}

impl HeaderTemplate {
    /// Parses `text{Param}text…`. Parameter names are letters, digits, `_` and `-`.
    ///
    /// # Errors
    /// A reason when braces do not pair up, a placeholder is empty or names an impossible
    /// parameter, or the literal text holds a control character.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                Some(i) if rest.as_bytes()[i] == b'{' => {
                    if i > 0 {
                        parts.push(TemplatePart::Literal(rest[..i].to_owned()));
                    }
                    let close = rest[i..].find('}').ok_or("unclosed { in header value")?;
                    let name = &rest[i + 1..i + close];
                    let name_ok = !name.is_empty()
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !name_ok {
                        return Err("a {placeholder} must name a Twilio parameter, e.g. {From}");
                    }
                    parts.push(TemplatePart::Param(name.to_owned()));
                    rest = &rest[i + close + 1..];
                }
                Some(_) => return Err("unmatched } in header value"),
                None => {
                    parts.push(TemplatePart::Literal(rest.to_owned()));
                    rest = "";
                }
            }
        }
        if parts.is_empty() {
            return Err("header value is empty");
        }
        if parts
            .iter()
            .any(|p| matches!(p, TemplatePart::Literal(l) if l.chars().any(char::is_control)))
        {
            return Err("header value holds a control character");
        }
        Ok(HeaderTemplate { parts })
    }

    /// Fills the placeholders from `lookup`. Returns `None` when a parameter is absent or empty
    /// (the header is then left out), or when a value holds one of
    /// [`FORBIDDEN_IN_HEADER_VALUES`].
    pub fn render<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Literal(text) => out.push_str(text),
                TemplatePart::Param(name) => {
                    let value = lookup(name)?;
                    if value.contains(FORBIDDEN_IN_HEADER_VALUES) {
                        return None;
                    }
                    out.push_str(value);
                }
            }
        }
        Some(out)
    }

    /// The longest value this template can render to, when it has no placeholders.
    pub fn literal_len(&self) -> Option<usize> {
        self.parts
            .iter()
            .map(|p| match p {
                TemplatePart::Literal(text) => Some(text.len()),
                TemplatePart::Param(_) => None,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> E164 {
        E164::parse(s).unwrap()
    }
    fn h(name: &str, value: &str) -> Header {
        Header {
            name: HeaderName::parse(name).unwrap(),
            value: value.to_owned(),
        }
    }
    fn ep() -> SipEndpoint {
        DEFAULT_ENDPOINT.parse().unwrap()
    }

    #[test]
    fn endpoints() {
        for ok in [
            "sipin.synthflow.ai:32681",
            "sip.eu.synthflow.ai:32682",
            "10.0.0.1:5060",
            "[2001:db8::1]:5060",
            "localhost:5060",
        ] {
            let e: SipEndpoint = ok.parse().unwrap();
            assert_eq!(e.to_string(), ok);
        }
        for bad in [
            "",
            "sipin.synthflow.ai",
            "sipin.synthflow.ai:",
            "sipin.synthflow.ai:0",
            "sipin.synthflow.ai:70000",
            ":32681",
            "evil.example;x=1:5060",
            "user@evil.example:5060",
            "a..b:5060",
            "-a.b:5060",
            "a b:5060",
            "sip:host:5060",
            "[::1:5060",
            "1.2.3.999:5060",
        ] {
            assert!(bad.parse::<SipEndpoint>().is_err(), "{bad:?}");
        }
        assert!(ep().is_synthflow());
        assert!(
            !"evil-synthflow.ai:1"
                .parse::<SipEndpoint>()
                .unwrap()
                .is_synthflow()
        );
    }

    #[test]
    fn header_names() {
        for ok in ["X-EI", "x-caller", "X-Account-Ref", "X-1"] {
            assert!(HeaderName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "EI",
            "X-",
            "X-Twilio-Foo",
            "x-twilio",
            "X-TWILIOX",
            "X_Foo",
            "X-Foo_Bar",
            "X-Foo=Bar",
            "X-Foo&X-Bar",
            "X-Fo o",
            "User-to-User",
        ] {
            assert!(HeaderName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_uri_matches_the_seed() {
        let uri = SipUri::build(
            &n("+14155550123"),
            &ep(),
            Transport::Udp,
            &[h("X-EI", "CA0123456789abcdef0123456789abcdef")],
            &[],
        )
        .unwrap();
        assert_eq!(
            uri.uri,
            "sip:+14155550123@sipin.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef"
        );
    }

    #[test]
    fn transport_and_escaping() {
        let uri = SipUri::build(
            &n("+14155550123"),
            &ep(),
            Transport::Tcp,
            &[h("X-EI", "CA1")],
            &[h("X-Caller", "+1 a;b=c,d&e\u{e9}")],
        )
        .unwrap();
        assert_eq!(
            uri.uri,
            "sip:+14155550123@sipin.synthflow.ai:32681;transport=tcp?X-EI=CA1&X-Caller=%2B1%20a%3Bb%3Dc%2Cd%26e%C3%A9"
        );
    }

    #[test]
    fn optional_headers_are_dropped_to_fit() {
        let big = "a".repeat(150);
        let uri = SipUri::build(
            &n("+14155550123"),
            &ep(),
            Transport::Udp,
            &[h("X-EI", "CA1")],
            &[h("X-A", &big), h("X-B", &big), h("X-C", "small")],
        )
        .unwrap();
        assert!(uri.uri.len() < MAX_URI_LEN);
        assert!(uri.uri.ends_with("&X-C=small"));
        assert_eq!(uri.dropped, vec![HeaderName::parse("X-B").unwrap()]);
    }

    #[test]
    fn required_headers_must_fit() {
        let err = SipUri::build(
            &n("+14155550123"),
            &ep(),
            Transport::Udp,
            &[h("X-EI", &"a".repeat(300))],
            &[],
        )
        .unwrap_err();
        assert!(matches!(err, Error::SipUriTooLong { .. }));
    }

    #[test]
    fn templates() {
        let t = HeaderTemplate::parse("ref-{CallSid}/{From}").unwrap();
        let lookup = |k: &str| match k {
            "CallSid" => Some("CA1"),
            "From" => Some("+1"),
            _ => None,
        };
        assert_eq!(t.render(lookup).as_deref(), Some("ref-CA1/+1"));
        assert_eq!(
            HeaderTemplate::parse("{Missing}").unwrap().render(lookup),
            None
        );
        assert_eq!(
            HeaderTemplate::parse("{From}")
                .unwrap()
                .render(|_| Some("a\r\nb")),
            None
        );
        assert_eq!(
            HeaderTemplate::parse("prod").unwrap().literal_len(),
            Some(4)
        );
        assert_eq!(t.literal_len(), None);
        for bad in ["", "{", "}", "{}", "{a b}", "a{From", "a}b", "x\ny"] {
            assert!(HeaderTemplate::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn uri_never_leaves_the_endpoint(value in "\\PC{0,300}", digits in "[1-9][0-9]{6,14}") {
            let uri = SipUri::build(
                &n(&format!("+{digits}")),
                &ep(),
                Transport::Udp,
                &[h("X-EI", "CA1")],
                &[h("X-V", &value)],
            ).unwrap();
            let prefix = format!("sip:+{digits}@sipin.synthflow.ai:32681?X-EI=CA1");
            prop_assert!(uri.uri.starts_with(&prefix));
            prop_assert!(uri.uri.len() < MAX_URI_LEN);
            let rest = &uri.uri[prefix.len()..];
            prop_assert!(rest.is_empty() || rest.starts_with("&X-V="));
            prop_assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"&=%-".contains(&b)));
        }
    }
}
