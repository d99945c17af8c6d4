//! E.164 phone numbers as they arrive in Twilio's webhook parameters.
//!
//! Twilio writes numbers in E.164 (`+16175551212`) when it can normalise them, passes SIP URIs
//! (`sip:+14155550123@example.sip.twilio.com`) for calls that arrived over SIP, and raw strings
//! (`anonymous`, `client:alice`) otherwise.
//! Source: <https://www.twilio.com/docs/voice/twiml#request-parameters>,
//! <https://www.twilio.com/docs/voice/api/sip-twiml>.

use std::fmt;

/// Why a string is not accepted as an E.164 number. Used as the `reason` of
/// [`crate::Error::InvalidParameter`].
pub const NOT_E164: &str =
    "not an E.164 phone number (expected + then 7 to 15 digits, country code first)";
/// Why a SIP URI is not accepted as a phone number.
pub const SIP_URI_NOT_E164: &str = "SIP URI whose user part is not an E.164 phone number";
/// Why a SIP URI whose user part is a number is still not accepted.
pub const SIP_URI_BAD_HOST: &str =
    "SIP URI whose part after the @ is not host[:port] with ;name=value parameters";

/// Fewest digits accepted after the `+`. The shortest numbers in service (e.g. Niue, +683 and
/// four digits) have seven.
const MIN_DIGITS: usize = 7;
/// Most digits E.164 allows (ITU-T E.164 §6.1).
const MAX_DIGITS: usize = 15;

/// A phone number in E.164 form: `+`, a country code that does not start with `0`, and 7 to 15
/// digits in all. Nothing else (no spaces, no separators, no extension).
///
/// The only characters it can contain are `+` and ASCII digits, so it is safe to place in a SIP
/// URI user part and in a URL path. Its [`fmt::Display`] prints the full number; use
/// [`E164::masked`] in logs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// Parses a strict E.164 string such as `+14155550123`.
    ///
    /// # Errors
    /// Returns [`NOT_E164`] as the reason when the string is anything else.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let digits = s.strip_prefix('+').ok_or(NOT_E164)?;
        let valid = (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(E164(s.to_owned()))
        } else {
            Err(NOT_E164)
        }
    }

    /// Reads a number from a Twilio webhook parameter (`Called`, `To`, `From`), after form
    /// decoding.
    ///
    /// Accepts, besides strict E.164:
    /// - a SIP URI (`sip:` or `sips:`), whose user part must itself be strict E.164 and whose
    ///   rest must be `host[:port]` ([`crate::sip::parse_host_port`]) with `;name[=value]`
    ///   parameters of letters, digits and `-_.~` (no headers) — then the host and parameters are
    ///   discarded;
    /// - a single leading space followed by digits only, which is what a `+` becomes when a URL
    ///   with `?Called=+14155550123` is typed by hand (`+` decodes to a space in a form); it is
    ///   read as `+`.
    ///
    /// # Errors
    /// [`NOT_E164`], [`SIP_URI_NOT_E164`] or [`SIP_URI_BAD_HOST`] as the reason.
    pub fn from_twilio_param(value: &str) -> Result<Self, &'static str> {
        if let Some(rest) = strip_sip_scheme(value) {
            let (user, host_part) = rest.split_once('@').ok_or(SIP_URI_NOT_E164)?;
            let number = E164::parse(user).map_err(|_| SIP_URI_NOT_E164)?;
            return if is_host_part(host_part) {
                Ok(number)
            } else {
                Err(SIP_URI_BAD_HOST)
            };
        }
        match value.strip_prefix(' ') {
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                E164::parse(&format!("+{digits}"))
            }
            _ => E164::parse(value),
        }
    }

    /// The number as written, e.g. `+14155550123`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number without its `+` (`14155550123`): Synthflow's `phone_number_slug`, used as a
    /// path key by `GET /v2/numbers/{slug}`.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/get-phone-number>.
    pub fn slug(&self) -> &str {
        &self.0[1..]
    }

    /// A form safe to log: the first digits (up to four) and the last four, with the middle
    /// hidden, e.g. `+1415•••0123`. At least three digits are always hidden.
    pub fn masked(&self) -> Masked<'_> {
        Masked(&self.0)
    }
}

impl fmt::Debug for E164 {
    /// Debug output is masked too, so that numbers cannot reach logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.masked())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for E164 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Display adapter returned by [`E164::masked`].
#[derive(Clone, Copy)]
pub struct Masked<'a>(&'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = &self.0[1..];
        let tail = 4;
        let head = digits.len().saturating_sub(tail + 3).min(4);
        write!(
            f,
            "+{}•••{}",
            &digits[..head],
            &digits[digits.len() - tail..]
        )
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `host[:port](;name[=value])*`: what may follow the `@` of a SIP URI Twilio passes.
fn is_host_part(host_part: &str) -> bool {
    let mut parts = host_part.split(';');
    let hostport = parts.next().unwrap_or_default();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    };
    crate::sip::parse_host_port(hostport).is_ok()
        && parts.all(|param| match param.split_once('=') {
            Some((name, value)) => token(name) && token(value),
            None => token(param),
        })
}

fn strip_sip_scheme(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(':')?;
    (scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_e164() {
        for n in [
            "+14155550123",
            "+6831234",
            "+442071838750",
            "+123456789012345",
        ] {
            assert_eq!(E164::parse(n).unwrap().as_str(), n);
        }
    }

    #[test]
    fn rejects_everything_else() {
        for n in [
            "",
            "+",
            "14155550123",
            "+04155550123",
            "+123456",
            "+1234567890123456",
            "+1415 555 0123",
            "+1415-555-0123",
            "+14155550123 ",
            " +14155550123",
            "+1415@evil.example:5060;x=",
            "+14155550123;ext=1",
            "+14155550123\r\n",
            "+１４１５５５５０１２３",
            "anonymous",
            "client:alice",
        ] {
            assert_eq!(E164::parse(n), Err(NOT_E164), "{n:?}");
        }
    }

    #[test]
    fn twilio_param_forms() {
        let n = "+14155550123";
        for form in [
            "+14155550123",
            " 14155550123",
            "sip:+14155550123@example.sip.twilio.com",
            "sips:+14155550123@example.sip.twilio.com:5061;transport=tls",
            "SIP:+14155550123@example.sip.twilio.com",
            "sip:+14155550123@10.0.0.5:5060;user=phone",
        ] {
            assert_eq!(
                E164::from_twilio_param(form).unwrap().as_str(),
                n,
                "{form:?}"
            );
        }
        for (form, reason) in [
            ("sip:14155550123@example.sip.twilio.com", SIP_URI_NOT_E164),
            ("sip:+14155550123", SIP_URI_NOT_E164),
            ("sip:+1415;x=1@example.com", SIP_URI_NOT_E164),
            ("sip:alice@example.com", SIP_URI_NOT_E164),
            ("  14155550123", NOT_E164),
            (" 1415 5550123", NOT_E164),
            (" ", NOT_E164),
            ("+1415@evil.example:5060;x=", NOT_E164),
            // The part after the @ is read too, though only the number is used.
            ("sip:+14155550123@", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h\r\n", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h@evil.example", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h>;x", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h?X-EI=CAevil", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h;maddr=evil example", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h:0", SIP_URI_BAD_HOST),
            ("sip:+14155550123@h.:5060", SIP_URI_BAD_HOST),
        ] {
            assert_eq!(E164::from_twilio_param(form), Err(reason), "{form:?}");
        }
    }

    #[test]
    fn slug_drops_the_plus() {
        assert_eq!(E164::parse("+14155550123").unwrap().slug(), "14155550123");
    }

    #[test]
    fn masks_the_middle() {
        let masked = |n: &str| E164::parse(n).unwrap().masked().to_string();
        assert_eq!(masked("+14155550123"), "+1415•••0123");
        assert_eq!(masked("+6831234"), "+•••1234");
        assert_eq!(masked("+44207183875"), "+4420•••3875");
        assert_eq!(
            format!("{:?}", E164::parse("+14155550123").unwrap()),
            "E164(+1415•••0123)"
        );
    }

    proptest! {
        #[test]
        fn masking_hides_at_least_three_digits(digits in "[1-9][0-9]{6,14}") {
            let n = E164::parse(&format!("+{digits}")).unwrap();
            let shown = n.masked().to_string().chars().filter(char::is_ascii_digit).count();
            prop_assert!(shown + 3 <= digits.len());
        }

        #[test]
        fn parsed_numbers_hold_only_plus_and_digits(s in "\\PC{0,20}") {
            if let Ok(n) = E164::from_twilio_param(&s) {
                prop_assert!(n.as_str().starts_with('+'));
                prop_assert!(n.as_str()[1..].bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
