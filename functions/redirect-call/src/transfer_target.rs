//! `ReferTransferTarget`: the `Refer-To` URI of a SIP REFER, as Twilio passes it to `referUrl`,
//! read strictly into a phone number or a SIP URI Twilio can dial.
//!
//! Twilio accepts an inbound REFER (a blind transfer) on a `<Dial>` with `referUrl`, and sends
//! the `Refer-To` URI there as `ReferTransferTarget` — `sip:` or `tel:`
//! (<https://www.twilio.com/docs/voice/api/refer-to-twilio>). Synthflow transfers a SIP-dialed
//! call that way (<https://docs.synthflow.ai/sip-transfers>). Whoever can talk the agent into a
//! transfer chooses this value, so it is parsed to a closed grammar and anything outside it is
//! refused, never passed through:
//!
//! - `tel:+E164` (RFC 3966 visual separators `-` `.` `(` `)` removed, no parameters), or `+E164`;
//! - `sip:` / `sips:` `user@host[:port]`, with the parameters `transport` (`udp`, `tcp`, `tls`)
//!   and `user` (`phone`, `ip`) only — `maddr`, for one, would send the call to another host —
//!   and `X-` headers, which Twilio passes on; other headers, and values holding a control
//!   character, are dropped. One pair of `<…>` around it is accepted (`name-addr` form,
//!   RFC 3261 §20.30), and schemes in any case (`TEL:`, `SIP:`), written lowercase.

use std::fmt;

use percent_encoding::percent_decode_str;
use shared::phone::E164;
use shared::sip::{FORBIDDEN_IN_HEADER_VALUES, Header, HeaderName, parse_host_port};

/// Longest target read; a Refer-To URI Twilio could dial is under 255 characters.
pub const MAX_TARGET_LEN: usize = 1024;
/// Longest SIP user part accepted.
const MAX_USER_LEN: usize = 64;

/// A transfer target that can be dialed, if allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferTarget {
    /// A phone number, dialed with `<Number>`.
    Number(E164),
    /// A SIP URI, dialed with `<Sip>`.
    Sip(SipTarget),
}

/// A SIP URI read from a transfer target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipTarget {
    /// `sips` rather than `sip`.
    pub secure: bool,
    /// The user part, e.g. `agent` or `+14155550100`.
    pub user: String,
    /// The host as given (a DNS name or IPv4 address).
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
    /// `;transport=` and `;user=` as given, in order (lowercase values).
    pub params: Vec<(String, String)>,
    /// The `X-` headers, values decoded.
    pub headers: Vec<Header>,
    /// Names of the headers that were left out (not `X-`, `X-Twilio…`, or a value with a
    /// control character or line break).
    pub dropped_headers: Vec<String>,
}

/// Why a target was refused. Logged; the caller hears the refusal message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetProblem {
    /// Over [`MAX_TARGET_LEN`] characters.
    TooLong,
    /// Not `tel:`, `sip:`, `sips:` or `+`.
    UnknownScheme,
    /// A `tel:` or `+` number that is not E.164, or has parameters.
    NotE164,
    /// A SIP URI outside the accepted grammar (the reason names the part).
    MalformedSip(&'static str),
    /// A SIP URI parameter other than `transport` and `user`, or an unknown value of one.
    UnsupportedParameter,
}

impl fmt::Display for TargetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetProblem::TooLong => write!(f, "longer than {MAX_TARGET_LEN} characters"),
            TargetProblem::UnknownScheme => f.write_str("not a tel:, sip: or sips: URI"),
            TargetProblem::NotE164 => f.write_str("not an E.164 number without parameters"),
            TargetProblem::MalformedSip(part) => write!(f, "malformed SIP URI: {part}"),
            TargetProblem::UnsupportedParameter => {
                f.write_str("a SIP URI parameter other than transport or user")
            }
        }
    }
}

impl TransferTarget {
    /// Reads `ReferTransferTarget`.
    ///
    /// # Errors
    /// The [`TargetProblem`] found first.
    pub fn parse(value: &str) -> Result<TransferTarget, TargetProblem> {
        if value.len() > MAX_TARGET_LEN {
            return Err(TargetProblem::TooLong);
        }
        let value = value
            .strip_prefix('<')
            .and_then(|v| v.strip_suffix('>'))
            .unwrap_or(value);
        if value.starts_with('+') {
            return E164::parse(value)
                .map(TransferTarget::Number)
                .map_err(|_| TargetProblem::NotE164);
        }
        // Schemes are case-insensitive (RFC 3261 §19.1.4, RFC 3966 §3): `TEL:` is `tel:`.
        let (scheme, rest) = value.split_once(':').ok_or(TargetProblem::UnknownScheme)?;
        match scheme.to_ascii_lowercase().as_str() {
            "tel" => {
                let digits: String = rest
                    .chars()
                    .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
                    .collect();
                E164::parse(&digits)
                    .map(TransferTarget::Number)
                    .map_err(|_| TargetProblem::NotE164)
            }
            "sip" => SipTarget::parse(false, rest).map(TransferTarget::Sip),
            "sips" => SipTarget::parse(true, rest).map(TransferTarget::Sip),
            _ => Err(TargetProblem::UnknownScheme),
        }
    }

    /// The target for logs: numbers masked, SIP users that are numbers masked, hosts shown.
    pub fn masked(&self) -> String {
        match self {
            TransferTarget::Number(number) => format!("tel:{}", number.masked()),
            TransferTarget::Sip(sip) => {
                let user = match E164::parse(&sip.user) {
                    Ok(number) => number.masked().to_string(),
                    Err(_) if sip.user.bytes().filter(u8::is_ascii_digit).count() > 4 => {
                        "•••".to_owned()
                    }
                    Err(_) => sip.user.clone(),
                };
                format!("sip:{user}@{}", sip.host)
            }
        }
    }
}

impl SipTarget {
    fn parse(secure: bool, rest: &str) -> Result<SipTarget, TargetProblem> {
        let malformed = TargetProblem::MalformedSip;
        let (address, headers) = match rest.split_once('?') {
            Some((address, headers)) => (address, Some(headers)),
            None => (rest, None),
        };
        let mut parts = address.split(';');
        let userhost = parts.next().unwrap_or_default();
        let (user, hostport) = userhost.split_once('@').ok_or(malformed("no user@ part"))?;
        if user.is_empty()
            || user.len() > MAX_USER_LEN
            || !user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-_.".contains(&b))
        {
            return Err(malformed("the user part"));
        }
        let (host, port) = parse_host_port(hostport).map_err(malformed)?;
        let mut params = Vec::new();
        for param in parts {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            let name = name.to_ascii_lowercase();
            let value = value.to_ascii_lowercase();
            let known = match name.as_str() {
                "transport" => matches!(value.as_str(), "udp" | "tcp" | "tls"),
                "user" => matches!(value.as_str(), "phone" | "ip"),
                _ => false,
            };
            if !known || params.iter().any(|(n, _)| *n == name) {
                return Err(TargetProblem::UnsupportedParameter);
            }
            params.push((name, value));
        }
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        for header in headers.into_iter().flat_map(|h| h.split('&')) {
            let (name, value) = header.split_once('=').unwrap_or((header, ""));
            if !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!%*+`'~".contains(&b))
                || !value.bytes().all(|b| b.is_ascii_graphic())
                || value.contains(['<', '>', '"', '@'])
            {
                return Err(malformed("a header"));
            }
            let decoded = percent_decode_str(value).decode_utf8_lossy();
            match HeaderName::parse(name) {
                Ok(name) if is_passable_value(&decoded) => kept.push(Header {
                    name,
                    value: decoded.into_owned(),
                }),
                _ => dropped.push(name.to_owned()),
            }
        }
        Ok(SipTarget {
            secure,
            user: user.to_owned(),
            host: host.to_owned(),
            port,
            params,
            headers: kept,
            dropped_headers: dropped,
        })
    }

    /// The URI without headers: `sip[s]:user@host[:port][;name=value…]`.
    pub fn address(&self) -> String {
        let mut out = format!(
            "{}:{}@{}",
            if self.secure { "sips" } else { "sip" },
            self.user,
            self.host
        );
        if let Some(port) = self.port {
            out.push_str(&format!(":{port}"));
        }
        for (name, value) in &self.params {
            out.push_str(&format!(";{name}={value}"));
        }
        out
    }
}

/// Whether a decoded header value may travel on: no control character (C0, DEL, C1: CR, LF,
/// NUL, ESC, tab, NEL, …), no Unicode line or paragraph separator, and no U+FFFD (bytes that
/// were not UTF-8). Twilio drops a header with an illegal character (warnings 32110, 32112) and
/// Synthflow refuses line breaks (<https://docs.synthflow.ai/pass-call-context>); a value the
/// agent puts in a prompt variable has no use for either.
fn is_passable_value(value: &str) -> bool {
    !value.contains(FORBIDDEN_IN_HEADER_VALUES)
        && !value
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(value: &str) -> SipTarget {
        match TransferTarget::parse(value).unwrap() {
            TransferTarget::Sip(sip) => sip,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers() {
        for value in [
            "tel:+14155550100",
            "tel:+1-415-555-0100",
            "+14155550100",
            "<tel:+1(415)555.0100>",
        ] {
            assert_eq!(
                TransferTarget::parse(value),
                Ok(TransferTarget::Number(E164::parse("+14155550100").unwrap())),
                "{value}"
            );
        }
        for value in [
            "tel:4155550100",
            "tel:+14155550100;ext=12",
            "+1415 5550100",
            "tel:+0123456789",
        ] {
            assert_eq!(
                TransferTarget::parse(value),
                Err(TargetProblem::NotE164),
                "{value}"
            );
        }
    }

    #[test]
    fn sip_uris() {
        let t = sip(
            "sip:agent@pbx.example.com:5061;transport=TLS?X-Ref=abc%20123&Replaces=x&X-Team=sales",
        );
        assert_eq!(t.address(), "sip:agent@pbx.example.com:5061;transport=tls");
        let headers: Vec<_> = t
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(headers, [("X-Ref", "abc 123"), ("X-Team", "sales")]);
        assert_eq!(t.dropped_headers, ["Replaces"]);
        assert_eq!(
            sip("<sips:+14155550100@10.0.0.7;user=phone>").address(),
            "sips:+14155550100@10.0.0.7;user=phone"
        );
        assert_eq!(
            sip("sip:+14155550100@pbx.example.com").masked_user(),
            "+1415•••0100"
        );
    }

    impl SipTarget {
        fn masked_user(&self) -> String {
            TransferTarget::Sip(self.clone())
                .masked()
                .trim_start_matches("sip:")
                .split('@')
                .next()
                .unwrap()
                .to_owned()
        }
    }

    #[test]
    fn injections_are_refused() {
        for value in [
            "sip:agent@pbx.example.com@evil.example",
            "sip:agent@pbx.example.com;maddr=evil.example",
            "sip:agent@pbx.example.com;lr",
            "sip:a@pbx.example.com>;x=<sip:b@evil.example",
            "sip:agent@pbx.example.com\r\nX-Injected: 1",
            "sip:agent@pbx example.com",
            "sip:agent:password@pbx.example.com",
            "sip:@pbx.example.com",
            "sip:pbx.example.com",
            "sip:agent@pbx.example.com:0",
            "sip:agent@pbx.example.com:99999",
            "sip:agent@[::1]",
            "sip:agent@pbx.example.com?X-A=<b>",
            "sip:agent@pbx.example.com;transport=sctp",
            "sip:agent@pbx.example.com;transport=tcp;transport=udp",
            "http://evil.example/",
            "",
        ] {
            assert!(TransferTarget::parse(value).is_err(), "{value:?}");
        }
        assert_eq!(
            TransferTarget::parse(&format!("sip:a@{}.example", "b".repeat(1100))),
            Err(TargetProblem::TooLong)
        );
    }

    #[test]
    fn a_header_with_a_line_break_is_dropped() {
        let t = sip("sip:agent@pbx.example.com?X-A=1%0D%0AVia:%20x&X-B=2");
        assert_eq!(t.headers.len(), 1);
        assert_eq!(t.dropped_headers, ["X-A"]);
    }

    #[test]
    fn a_header_with_any_control_character_is_dropped() {
        for value in [
            "%00",
            "%01",
            "%09",
            "%1B%5B2J",
            "%7F",
            "%C2%85",
            "%E2%80%A8",
            "%E2%80%A9",
            "%FF",
        ] {
            let t = sip(&format!(
                "sip:agent@pbx.example.com?X-A=a{value}b&X-B=%C3%A9%2B1"
            ));
            assert_eq!(t.dropped_headers, ["X-A"], "{value}");
            assert_eq!(t.headers.len(), 1, "{value}");
            assert_eq!(t.headers[0].value, "é+1");
        }
    }

    #[test]
    fn schemes_in_any_case() {
        let number = Ok(TransferTarget::Number(E164::parse("+14155550100").unwrap()));
        for value in [
            "TEL:+14155550100",
            "Tel:+1-415-555-0100",
            "<tEl:+14155550100>",
        ] {
            assert_eq!(TransferTarget::parse(value), number, "{value}");
        }
        assert_eq!(
            sip("SIP:agent@pbx.example.com;transport=tcp").address(),
            "sip:agent@pbx.example.com;transport=tcp"
        );
        assert_eq!(
            sip("<Sips:agent@pbx.example.com:5061>").address(),
            "sips:agent@pbx.example.com:5061"
        );
        for value in [
            "TEL:4155550100",
            "SIP:agent@pbx.example.com@evil.example",
            "HTTP://x",
        ] {
            assert!(TransferTarget::parse(value).is_err(), "{value}");
        }
    }
}
