//! The Twilio secret: the account's auth token(s) that sign webhook requests, and optional SIP
//! digest credentials written as `<Sip>` attributes.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shared::env::is_printable;
use shared::secrets::SecretPayload;
use shared::twiml::SipAttributes;

/// The Twilio account's credentials: `{"account_sid", "auth_token", "previous_auth_token"?,
/// "sip_username"?, "sip_password"?}`.
///
/// - `auth_token` signs Twilio's webhook requests; `previous_auth_token`, while present, is
///   accepted too (rotation: Twilio signs with the primary token only once the secondary is
///   promoted). Source: <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.
/// - `sip_username`/`sip_password` (both or neither): digest credentials written as
///   `<Sip username=… password=…>` when the SIP endpoint challenges Twilio.
///   Source: <https://www.twilio.com/docs/voice/twiml/sip#attributes>.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSecret {
    /// `AC` and 32 hex digits.
    pub account_sid: String,
    /// The primary auth token.
    pub auth_token: SecretString,
    /// The token before the last rotation, accepted while present.
    #[serde(default)]
    pub previous_auth_token: Option<SecretString>,
    /// SIP digest user name.
    #[serde(default)]
    pub sip_username: Option<String>,
    /// SIP digest password.
    #[serde(default)]
    pub sip_password: Option<SecretString>,
}

impl fmt::Debug for TwilioSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSecret")
            .field("account_sid", &self.account_sid)
            .field("sip_username", &self.sip_username)
            .finish_non_exhaustive()
    }
}

impl TwilioSecret {
    /// `<Sip username password>` for dialing Synthflow's endpoint, when the secret has them.
    pub fn sip_attributes(&self) -> SipAttributes<'_> {
        SipAttributes {
            username: self.sip_username.as_deref(),
            password: self.sip_password.as_ref().map(ExposeSecret::expose_secret),
        }
    }

    /// The tokens a signature may have been made with: the current one first.
    pub fn auth_tokens(&self) -> impl Iterator<Item = &SecretString> {
        std::iter::once(&self.auth_token).chain(self.previous_auth_token.as_ref())
    }
}

impl SecretPayload for TwilioSecret {
    fn validate(&self) -> Result<(), String> {
        let sid_ok = self.account_sid.len() == 34
            && self.account_sid.starts_with("AC")
            && self.account_sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if !sid_ok {
            return Err("account_sid is not a Twilio account SID (AC and 32 hex digits)".into());
        }
        if self.auth_token.expose_secret().is_empty() {
            return Err("auth_token is empty".into());
        }
        if self
            .previous_auth_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().is_empty())
        {
            return Err("previous_auth_token is empty (remove the key instead)".into());
        }
        match (&self.sip_username, &self.sip_password) {
            (None, None) => Ok(()),
            (Some(user), Some(password)) => {
                if !is_printable(user) {
                    Err("sip_username is empty or holds control characters".into())
                } else if !is_printable(password.expose_secret()) {
                    Err("sip_password is empty or holds control characters".into())
                } else {
                    Ok(())
                }
            }
            (Some(_), None) => Err("missing key sip_password (sip_username is set)".into()),
            (None, Some(_)) => Err("missing key sip_username (sip_password is set)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: SecretPayload>(json: &str) -> Result<T, String> {
        shared::secrets::parse_payload(json).map_err(std::borrow::Cow::into_owned)
    }

    const SID: &str = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn twilio_secret_keys() {
        let s: TwilioSecret = parse(&format!(
            r#"{{"account_sid":"{SID}","auth_token":"tok1","previous_auth_token":"tok0"}}"#
        ))
        .unwrap();
        let tokens: Vec<_> = s
            .auth_tokens()
            .map(|t| t.expose_secret().to_owned())
            .collect();
        assert_eq!(tokens, ["tok1", "tok0"]);
        assert!(!format!("{s:?}").contains("tok"));
    }

    #[test]
    fn errors_name_the_key_not_the_value() {
        for (json, expected) in [
            (
                format!(r#"{{"account_sid":"{SID}"}}"#),
                "missing key auth_token",
            ),
            (
                r#"{"auth_token":"hunter2"}"#.to_owned(),
                "missing key account_sid",
            ),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":12345}}"#),
                "wrong type",
            ),
            ("not json hunter2".to_owned(), "not a JSON object"),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":""}}"#),
                "auth_token is empty",
            ),
            (
                r#"{"account_sid":"AC1","auth_token":"hunter2"}"#.to_owned(),
                "account_sid",
            ),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":"t","sip_username":"u"}}"#),
                "missing key sip_password",
            ),
            (
                format!(
                    r#"{{"account_sid":"{SID}","auth_token":"t","sip_username":"u","sip_password":"a\nb"}}"#
                ),
                "sip_password",
            ),
            (
                format!(r#"{{"account_sid":"{SID}","auth_token":"t","authToken":"x"}}"#),
                "authToken",
            ),
        ] {
            let err = parse::<TwilioSecret>(&json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
            assert!(!err.contains("hunter2") && !err.contains("12345"), "{err}");
        }
    }
}
