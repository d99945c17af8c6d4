//! The call's context, recorded when the agent is dialed: the Twilio parameters configuration
//! chose, stored by `CallSid` in the call-context table for Synthflow's pre-call action to read
//! (through the `call-context` function).
//!
//! The write happens in the handler, before the TwiML is answered, bounded by
//! [`CALL_CONTEXT_WRITE_TIMEOUT_MS`] (default [`DEFAULT_WRITE_TIMEOUT`]): Lambda freezes the
//! process once the answer is sent, so work left for after it is not sure to run before the
//! next request thaws it, which may be never — and the action reads the context a moment after
//! the dial. A write that fails or runs out of time is logged and the call is dialed all the
//! same: no caller waits longer than the bound or loses the call for it. `make bench` measures
//! the write (cold and warm, on and off).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use shared::Error;
use shared::call_context::{
    CALL_CONTEXT_TABLE, CallContext, DEFAULT_PARAMETERS, DEFAULT_TTL, check_table_name, unix_now,
};
use shared::env::Env;
use shared::twilio::{CallSid, WebhookParams};

/// Comma-separated Twilio parameter names to store; `default` stands for
/// [`DEFAULT_PARAMETERS`]. Unset: the defaults. E.g. `default,CustomerId`.
pub const CALL_CONTEXT_PARAMETERS: &str = "CALL_CONTEXT_PARAMETERS";
/// Seconds a context is kept, 60 to 2,592,000 (30 days). Default 86,400 (24 h).
pub const CALL_CONTEXT_TTL: &str = "CALL_CONTEXT_TTL";
/// Milliseconds the write may add to the answer, 10 to 2,000. Default 250.
pub const CALL_CONTEXT_WRITE_TIMEOUT_MS: &str = "CALL_CONTEXT_WRITE_TIMEOUT_MS";

/// The default bound on the write: far above a warm `PutItem` within a region (single-digit
/// milliseconds) and a cold one that opens its TLS connection, far below what a caller notices
/// before the ring (`make bench` shows both).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_millis(250);
/// Most parameters one configuration may name.
pub const MAX_PARAMETERS: usize = 50;
/// Longest value stored, in bytes; longer ones are left out (and named in the log). With
/// [`MAX_PARAMETERS`], an item stays far below DynamoDB's 400 KB.
pub const MAX_VALUE_LEN: usize = 2048;

/// What is recorded and for how long: configuration of `redirect-call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextRecording {
    /// The table ([`CALL_CONTEXT_TABLE`]).
    pub table: String,
    /// The parameters stored, in configuration order, each once.
    pub parameters: Vec<String>,
    /// How long a context is kept.
    pub ttl: Duration,
    /// Longest the write may take.
    pub write_timeout: Duration,
}

impl ContextRecording {
    /// Reads the recording's variables; `None` when [`CALL_CONTEXT_TABLE`] is unset (nothing is
    /// recorded).
    ///
    /// # Errors
    /// [`Error::Config`] naming the first invalid variable.
    pub fn from_env<F: Fn(&str) -> Option<String>>(
        env: &Env<F>,
    ) -> Result<Option<ContextRecording>, Error> {
        let Some(table) = env.checked(CALL_CONTEXT_TABLE, check_table_name)? else {
            for name in [
                CALL_CONTEXT_PARAMETERS,
                CALL_CONTEXT_TTL,
                CALL_CONTEXT_WRITE_TIMEOUT_MS,
            ] {
                if env.get(name).is_some() {
                    return Err(Error::config(
                        name,
                        "set, but CALL_CONTEXT_TABLE is not: nothing would be recorded",
                    ));
                }
            }
            return Ok(None);
        };
        let parameters = env
            .checked(CALL_CONTEXT_PARAMETERS, |v| parse_parameters(&v))?
            .unwrap_or_else(|| DEFAULT_PARAMETERS.map(str::to_owned).to_vec());
        let ttl = env
            .whole_number(CALL_CONTEXT_TTL, 60u64, 2_592_000)?
            .map_or(DEFAULT_TTL, Duration::from_secs);
        let write_timeout = env
            .whole_number(CALL_CONTEXT_WRITE_TIMEOUT_MS, 10u64, 2_000)?
            .map_or(DEFAULT_WRITE_TIMEOUT, Duration::from_millis);
        Ok(Some(ContextRecording {
            table,
            parameters,
            ttl,
            write_timeout,
        }))
    }

    /// The context of the call `params` describe, at `now` (seconds since the Unix epoch):
    /// each configured parameter Twilio sent once (or with one value), not empty and at most
    /// [`MAX_VALUE_LEN`] bytes. Returns the names of the values left out for their length.
    pub fn context_of(
        &self,
        call_sid: &CallSid,
        params: &WebhookParams,
        now: u64,
    ) -> (CallContext, Vec<&str>) {
        let mut variables = BTreeMap::new();
        let mut too_long = Vec::new();
        for name in &self.parameters {
            match params.unique(name) {
                Some(value) if value.len() > MAX_VALUE_LEN => too_long.push(name.as_str()),
                Some(value) => {
                    variables.insert(name.clone(), value.to_owned());
                }
                None => {}
            }
        }
        let context = CallContext {
            call_sid: call_sid.as_str().to_owned(),
            variables,
            recorded_at: now,
            expires_at: now + self.ttl.as_secs(),
        };
        (context, too_long)
    }
}

/// `default` and parameter names (letters, digits, `_`, `-`, `.`, up to 64 characters).
fn parse_parameters(spec: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let new: Vec<String> = if item == "default" {
            DEFAULT_PARAMETERS.map(str::to_owned).to_vec()
        } else if item.len() <= 64
            && item
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            vec![item.to_owned()]
        } else {
            return Err(format!(
                "item {} is not a parameter name (letters, digits, _ - . up to 64 characters) nor default",
                names.len() + 1
            ));
        };
        for name in new {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        return Err("names no parameter (leave it empty for the default set)".into());
    }
    if names.len() > MAX_PARAMETERS {
        return Err(format!("names more than {MAX_PARAMETERS} parameters"));
    }
    Ok(names)
}

/// Writes contexts to the table: [`ContextRecording`] and a DynamoDB client whose calls end
/// within its write timeout.
#[derive(Clone, Debug)]
pub struct ContextRecorder {
    recording: ContextRecording,
    client: Client,
}

/// How a write ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The item is stored.
    Stored,
    /// DynamoDB refused or could not be reached.
    Failed,
    /// The write ran out of time and was abandoned.
    TimedOut,
}

impl ContextRecorder {
    /// A recorder writing with `client` (see [`shared::call_context::dynamodb_client`]).
    pub fn new(recording: ContextRecording, client: Client) -> Self {
        ContextRecorder { recording, client }
    }

    /// What is recorded.
    pub fn recording(&self) -> &ContextRecording {
        &self.recording
    }

    /// Stores the context of the call `params` describe, taking at most the write timeout, and
    /// logs how it ended (the call SID, the parameter names, never a value). Never fails the
    /// call: the outcome is returned for tests and benchmarks only.
    pub async fn record(&self, call_sid: &CallSid, params: &WebhookParams) -> WriteOutcome {
        let started = Instant::now();
        let (context, too_long) = self.recording.context_of(call_sid, params, unix_now());
        if !too_long.is_empty() {
            tracing::warn!(call_sid = %call_sid, parameters = ?too_long,
                "call context: values over {MAX_VALUE_LEN} bytes left out");
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.recording.table)
            .set_item(Some(context.to_item()))
            .send();
        let outcome = match tokio::time::timeout(self.recording.write_timeout, put).await {
            Ok(Ok(_)) => WriteOutcome::Stored,
            Ok(Err(error)) => {
                tracing::error!(call_sid = %call_sid,
                    error = shared::aws_sdk::describe_sdk_error(&error),
                    "call context not recorded: PutItem failed; the call is dialed without it");
                WriteOutcome::Failed
            }
            Err(_) => {
                tracing::error!(call_sid = %call_sid,
                    timeout_ms = self.recording.write_timeout.as_millis() as u64,
                    "call context not recorded: PutItem timed out; the call is dialed without it");
                WriteOutcome::TimedOut
            }
        };
        if outcome == WriteOutcome::Stored {
            tracing::info!(call_sid = %call_sid,
                parameters = ?context.variables.keys().collect::<Vec<_>>(),
                elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
                "call context recorded");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(vars: &[(&str, &str)]) -> Result<Option<ContextRecording>, String> {
        let env = Env::from_lookup(|name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        });
        ContextRecording::from_env(&env).map_err(|e| e.to_string())
    }

    #[test]
    fn off_without_a_table_and_defaults_with_one() {
        assert_eq!(recording(&[]), Ok(None));
        assert!(
            recording(&[("CALL_CONTEXT_TTL", "60")])
                .unwrap_err()
                .starts_with("CALL_CONTEXT_TTL: set, but CALL_CONTEXT_TABLE is not")
        );
        let r = recording(&[("CALL_CONTEXT_TABLE", "tbl")])
            .unwrap()
            .unwrap();
        assert_eq!(r.parameters, DEFAULT_PARAMETERS.map(str::to_owned).to_vec());
        assert_eq!(r.ttl, Duration::from_secs(86_400));
        assert_eq!(r.write_timeout, Duration::from_millis(250));
    }

    #[test]
    fn parameters_ttl_and_timeout_are_checked() {
        let r = recording(&[
            ("CALL_CONTEXT_TABLE", "tbl"),
            ("CALL_CONTEXT_PARAMETERS", "From, CustomerId,default,From"),
            ("CALL_CONTEXT_TTL", "3600"),
            ("CALL_CONTEXT_WRITE_TIMEOUT_MS", "100"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            r.parameters[..2],
            ["From".to_owned(), "CustomerId".to_owned()]
        );
        assert_eq!(r.parameters.len(), 2 + DEFAULT_PARAMETERS.len() - 1);
        assert_eq!(r.ttl, Duration::from_secs(3600));
        assert_eq!(r.write_timeout, Duration::from_millis(100));
        for (name, value, expected) in [
            (
                "CALL_CONTEXT_PARAMETERS",
                "From,X Y",
                "item 2 is not a parameter name",
            ),
            ("CALL_CONTEXT_PARAMETERS", ",", "names no parameter"),
            ("CALL_CONTEXT_TTL", "59", "from 60 to 2592000"),
            ("CALL_CONTEXT_WRITE_TIMEOUT_MS", "5000", "from 10 to 2000"),
            ("CALL_CONTEXT_TABLE", "a b", "DynamoDB table name"),
        ] {
            let mut vars = vec![("CALL_CONTEXT_TABLE", "tbl")];
            vars.retain(|(k, _)| *k != name);
            vars.push((name, value));
            let err = recording(&vars).unwrap_err();
            assert!(err.starts_with(name) && err.contains(expected), "{err}");
        }
        let many: Vec<String> = (0..51).map(|i| format!("P{i}")).collect();
        let many = many.join(",");
        assert!(
            recording(&[
                ("CALL_CONTEXT_TABLE", "tbl"),
                ("CALL_CONTEXT_PARAMETERS", &many)
            ])
            .unwrap_err()
            .contains("more than 50")
        );
    }

    #[test]
    fn only_configured_unique_values_are_stored() {
        let r = recording(&[
            ("CALL_CONTEXT_TABLE", "tbl"),
            ("CALL_CONTEXT_PARAMETERS", "From,FromCity,Empty,Twice,Long"),
        ])
        .unwrap()
        .unwrap();
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        let body = format!(
            "From=%2B14155550100&FromCity=OAKLAND&Empty=&Twice=a&Twice=b&Long={long}&To=%2B14155550123&AuthToken=x"
        );
        let params = WebhookParams::from_form(body.as_bytes());
        let sid = CallSid::parse("CA0123456789abcdef0123456789abcdef").unwrap();
        let (context, too_long) = r.context_of(&sid, &params, 1_000);
        assert_eq!(
            context.variables,
            BTreeMap::from([
                ("From".to_owned(), "+14155550100".to_owned()),
                ("FromCity".to_owned(), "OAKLAND".to_owned()),
            ])
        );
        assert_eq!(too_long, ["Long"]);
        assert_eq!(
            (context.recorded_at, context.expires_at),
            (1_000, 1_000 + 86_400)
        );
    }
}
