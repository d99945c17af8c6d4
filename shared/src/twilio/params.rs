//! Webhook parameters, decoded as Twilio encodes them.

use std::fmt;

use crate::Error;

/// The parameters of one webhook request, in the order received.
///
/// Decoding follows `application/x-www-form-urlencoded` as Twilio writes it: `+` is a space,
/// `%2B` is `+`, blank values (`CalledCity=`) are kept, and a repeated key keeps every value.
/// A GET request carries them in its query string, a POST in its body.
/// Source: <https://www.twilio.com/docs/voice/twiml#request-parameters>,
/// <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookParams(Vec<(String, String)>);

impl WebhookParams {
    /// Decodes a query string (without the `?`) or a form body. Percent-encoded bytes that are
    /// not UTF-8 become U+FFFD, which fails the checks on `CallSid`, `Called`, `To`, `From` and
    /// `Direction`, and keeps a value out of SIP headers.
    pub fn from_form(input: &[u8]) -> Self {
        WebhookParams(
            form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Every `(name, value)` pair, in the order received, repeats included.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The value of `name`, if present. A parameter given more than once with the same value
    /// counts once.
    ///
    /// # Errors
    /// [`Error::ConflictingParameter`] when it is given more than once with different values.
    pub fn get(&self, name: &'static str) -> Result<Option<&str>, Error> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.any(|v| v != first) {
            return Err(Error::ConflictingParameter { name });
        }
        Ok(Some(first))
    }

    /// Like [`WebhookParams::get`], but an empty value counts as absent.
    ///
    /// # Errors
    /// As [`WebhookParams::get`].
    pub fn get_non_empty(&self, name: &'static str) -> Result<Option<&str>, Error> {
        Ok(self.get(name)?.filter(|v| !v.is_empty()))
    }

    /// Like [`WebhookParams::get_non_empty`], for a parameter the call cannot do without.
    ///
    /// # Errors
    /// [`Error::MissingParameter`] when absent or empty, or as [`WebhookParams::get`].
    pub fn require(&self, name: &'static str) -> Result<&str, Error> {
        self.get_non_empty(name)?
            .ok_or(Error::MissingParameter { name })
    }

    /// `CallSid`, which every request about a call carries.
    ///
    /// # Errors
    /// [`Error::MissingParameter`] or [`Error::InvalidParameter`] naming `CallSid` when it is
    /// absent or not of Twilio's shape, or as [`WebhookParams::get`].
    pub fn call_sid(&self) -> Result<CallSid, Error> {
        CallSid::parse(self.require("CallSid")?).map_err(|reason| Error::InvalidParameter {
            name: "CallSid",
            reason,
        })
    }

    /// The value of a parameter whose name is only known at run time (configured header
    /// templates): `None` when absent, empty, or given more than once with different values.
    pub fn unique(&self, name: &str) -> Option<&str> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next().filter(|v| !v.is_empty())?;
        values.all(|v| v == first).then_some(first)
    }
}

impl fmt::Debug for WebhookParams {
    /// Lists parameter names only: values include phone numbers and call tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

/// The id of a call: `CA` followed by 32 hexadecimal digits, 34 characters in all.
///
/// Holds only ASCII letters and digits, so it is safe in a SIP header value without escaping.
/// Source: <https://www.twilio.com/docs/voice/twiml#request-parameters>.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallSid(String);

impl CallSid {
    /// Why a `CallSid` value is refused.
    pub const INVALID: &'static str =
        "not a Twilio call SID (CA followed by 32 hexadecimal digits)";

    /// Parses a call SID.
    ///
    /// # Errors
    /// [`CallSid::INVALID`] as the reason.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let valid = s.len() == 34
            && s.starts_with("CA")
            && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
        if valid {
            Ok(CallSid(s.to_owned()))
        } else {
            Err(Self::INVALID)
        }
    }

    /// The SID as Twilio wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CallSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way a call goes, from Twilio's `Direction` parameter.
/// Source: <https://www.twilio.com/docs/voice/twiml#request-parameters>.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Direction {
    /// `inbound`: someone called the Twilio number.
    Inbound,
    /// `outbound-api`: the call was created through the REST API.
    OutboundApi,
    /// `outbound-dial`: the call was created by `<Dial>` in another call's TwiML.
    OutboundDial,
}

impl Direction {
    /// Why a `Direction` value is refused.
    pub const INVALID: &'static str = "expected inbound, outbound-api or outbound-dial";

    /// Parses Twilio's value.
    ///
    /// # Errors
    /// [`Direction::INVALID`] as the reason.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        s.parse().map_err(|_| Self::INVALID)
    }

    /// Twilio's spelling of the value.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// `true` for both outbound kinds.
    pub fn is_outbound(self) -> bool {
        !matches!(self, Direction::Inbound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_follows_twilio() {
        let p = WebhookParams::from_form(
            b"Called=%2B14155550123&CalledCity=&Caller=+14155550199&Digits=1&Digits=2",
        );
        assert_eq!(p.get("Called").unwrap(), Some("+14155550123"));
        assert_eq!(p.get("CalledCity").unwrap(), Some(""));
        assert_eq!(p.get_non_empty("CalledCity").unwrap(), None);
        assert_eq!(p.get("Caller").unwrap(), Some(" 14155550199"));
        assert_eq!(
            p.pairs().iter().filter(|(k, _)| k == "Digits").count(),
            2,
            "repeated keys are kept"
        );
        assert_eq!(
            p.get("Digits"),
            Err(Error::ConflictingParameter { name: "Digits" })
        );
        assert_eq!(p.require("To"), Err(Error::MissingParameter { name: "To" }));
        assert_eq!(p.unique("Digits"), None, "conflicting repeats");
        assert_eq!(p.unique("CalledCity"), None, "blank");
        assert_eq!(p.unique("Called"), Some("+14155550123"));
    }

    #[test]
    fn same_value_twice_is_not_a_conflict() {
        let p = WebhookParams::from_form(b"To=%2B1&To=%2B1");
        assert_eq!(p.get("To").unwrap(), Some("+1"));
    }

    #[test]
    fn debug_lists_names_only() {
        let p = WebhookParams::from_form(b"From=%2B14155550123");
        assert_eq!(format!("{p:?}"), r#"{"From"}"#);
    }

    #[test]
    fn call_sid_shape() {
        assert!(CallSid::parse("CA0123456789abcdef0123456789ABCDEF").is_ok());
        for bad in [
            "",
            "CA",
            "CA0123456789abcdef0123456789abcde",
            "CA0123456789abcdef0123456789abcdef0",
            "AC0123456789abcdef0123456789abcdef",
            "CA0123456789abcdef0123456789abcdeg",
            "CA0123456789abcdef0123456789abcd&X",
            "ca0123456789abcdef0123456789abcdef",
        ] {
            assert!(CallSid::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn directions() {
        for d in [
            Direction::Inbound,
            Direction::OutboundApi,
            Direction::OutboundDial,
        ] {
            assert_eq!(Direction::parse(d.as_str()), Ok(d));
        }
        assert!(Direction::parse("Inbound").is_err());
        assert!(Direction::parse("trunking-terminating").is_err());
    }
}
