//! The secrets `provision` reads: Synthflow's API credentials and SIP trunk credentials.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use shared::secrets::SecretPayload;

/// Synthflow API credentials: `{"api_key", "workspace_id"}`.
/// Source: <https://docs.synthflow.ai/authentication>.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthflowSecret {
    /// Sent as `Authorization: Bearer <api_key>`.
    pub api_key: SecretString,
    /// The workspace numbers and agents belong to.
    pub workspace_id: String,
}

impl fmt::Debug for SynthflowSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SynthflowSecret")
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

impl SecretPayload for SynthflowSecret {
    fn validate(&self) -> Result<(), String> {
        let key = self.api_key.expose_secret();
        if key.trim().is_empty() {
            return Err("api_key is empty".into());
        }
        // It travels in an HTTP header: visible ASCII only.
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("api_key holds spaces, line breaks or non-ASCII characters".into());
        }
        if self.workspace_id.trim().is_empty() {
            return Err("workspace_id is empty".into());
        }
        Ok(())
    }
}

/// SIP trunk credentials for a number Synthflow registers with (`trunk_username`/`trunk_pwd` of
/// `POST /v2/custom-numbers`): `{"username", "password"}`.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkCredentials {
    /// `trunk_username`.
    pub username: String,
    /// `trunk_pwd`.
    pub password: SecretString,
}

impl fmt::Debug for TrunkCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SecretPayload for TrunkCredentials {
    fn validate(&self) -> Result<(), String> {
        if self.username.is_empty() {
            return Err("username is empty".into());
        }
        if self.password.expose_secret().is_empty() {
            return Err("password is empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: SecretPayload>(json: &str) -> Result<T, String> {
        shared::secrets::parse_payload(json).map_err(std::borrow::Cow::into_owned)
    }

    #[test]
    fn synthflow_and_trunk_secrets() {
        let s: SynthflowSecret = parse(r#"{"api_key":"sk-live-1","workspace_id":"ws1"}"#).unwrap();
        assert_eq!(s.workspace_id, "ws1");
        assert!(!format!("{s:?}").contains("sk-live"));
        assert!(parse::<SynthflowSecret>(r#"{"api_key":" ","workspace_id":"ws1"}"#).is_err());
        let err = parse::<SynthflowSecret>(r#"{"api_key":"sk-1\r\nX: y","workspace_id":"ws1"}"#)
            .unwrap_err();
        assert!(
            err.starts_with("api_key holds") && !err.contains("sk-1"),
            "{err}"
        );
        let err = parse::<SynthflowSecret>(r#"{"api_key":"k","workspace_id":"w","workspace":"x"}"#)
            .unwrap_err();
        assert_eq!(err, "unknown key workspace");
        let err = parse::<TrunkCredentials>(r#"{"username":"u","password":"p","password":"q"}"#)
            .unwrap_err();
        assert_eq!(err, "key password is given twice");
        let t: TrunkCredentials = parse(r#"{"username":"u","password":"p4ss"}"#).unwrap();
        assert!(!format!("{t:?}").contains("p4ss"));
        assert!(
            parse::<TrunkCredentials>(r#"{"username":"u"}"#)
                .unwrap_err()
                .contains("missing key password")
        );
    }
}
