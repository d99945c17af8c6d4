//! The environment of `call-context` → [`CallContextConfig`], validated once at cold start.

use shared::Error;
use shared::call_context::{CALL_CONTEXT_TABLE, check_table_name};
use shared::env::Env;

/// Id (name or ARN) of the Secrets Manager secret holding the accepted tokens
/// ([`crate::access_token::CallContextSecret`]).
pub const CALL_CONTEXT_SECRET_ID: &str = "CALL_CONTEXT_SECRET_ID";

/// Configuration of the `call-context` function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContextConfig {
    /// The table contexts are read from ([`CALL_CONTEXT_TABLE`]).
    pub table: String,
    /// The token secret's id.
    pub secret_id: String,
}

impl CallContextConfig {
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
        let table = env
            .checked(CALL_CONTEXT_TABLE, check_table_name)?
            .ok_or_else(|| Error::config(CALL_CONTEXT_TABLE, "required: the call-context table"))?;
        let secret_id = env.secret_id(CALL_CONTEXT_SECRET_ID)?.ok_or_else(|| {
            Error::config(
                CALL_CONTEXT_SECRET_ID,
                "required: the secret holding the token Synthflow's action sends",
            )
        })?;
        Ok(CallContextConfig { table, secret_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<CallContextConfig, String> {
        CallContextConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn both_variables_are_required_and_checked() {
        let ok = config(&[
            ("CALL_CONTEXT_TABLE", "stack-CallContextTable-1X"),
            (
                "CALL_CONTEXT_SECRET_ID",
                "synthflow-sip-bridge/call-context",
            ),
        ]);
        assert_eq!(
            ok,
            Ok(CallContextConfig {
                table: "stack-CallContextTable-1X".into(),
                secret_id: "synthflow-sip-bridge/call-context".into(),
            })
        );
        assert!(
            config(&[("CALL_CONTEXT_SECRET_ID", "s")])
                .unwrap_err()
                .starts_with("CALL_CONTEXT_TABLE: required")
        );
        assert!(
            config(&[("CALL_CONTEXT_TABLE", "tbl")])
                .unwrap_err()
                .starts_with("CALL_CONTEXT_SECRET_ID: required")
        );
        assert!(
            config(&[
                ("CALL_CONTEXT_TABLE", "a b"),
                ("CALL_CONTEXT_SECRET_ID", "s")
            ])
            .unwrap_err()
            .contains("DynamoDB table name")
        );
        assert!(
            config(&[
                ("CALL_CONTEXT_TABLE", "tbl"),
                ("CALL_CONTEXT_SECRET_ID", "bad id!")
            ])
            .unwrap_err()
            .starts_with("CALL_CONTEXT_SECRET_ID")
        );
    }
}
