//! The call-context record: the Twilio parameters `redirect-call` stores about a call when it
//! dials, which `call-context` reads back for Synthflow's pre-call action.
//!
//! One DynamoDB item per call, keyed by the call's `CallSid`:
//!
//! ```text
//! { "CallSid":     S  "CA…" (partition key),
//!   "variables":   M  { "From": S "+14155550100", "FromCity": S "SAN FRANCISCO", … },
//!   "recorded_at": N  seconds since the Unix epoch,
//!   "expires_at":  N  seconds since the Unix epoch: the table's TTL attribute }
//! ```
//!
//! DynamoDB deletes an expired item within days, not at once, so readers treat an item whose
//! `expires_at` has passed as absent. Source:
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html>
//! ("items that have expired, but haven't yet been deleted by TTL, still appear in reads").

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::types::AttributeValue;

/// Name of the DynamoDB table holding call contexts, in both functions' environment.
pub const CALL_CONTEXT_TABLE: &str = "CALL_CONTEXT_TABLE";

/// The partition key: the call's `CallSid` (string).
pub const CALL_SID_ATTRIBUTE: &str = "CallSid";
/// The stored Twilio parameters: a map of parameter name to string value.
pub const VARIABLES_ATTRIBUTE: &str = "variables";
/// When the item was written: seconds since the Unix epoch (number).
pub const RECORDED_AT_ATTRIBUTE: &str = "recorded_at";
/// When the item expires: seconds since the Unix epoch (number), the table's TTL attribute.
pub const EXPIRES_AT_ATTRIBUTE: &str = "expires_at";

/// Twilio's voice webhook parameters stored by default: the caller and callee, their
/// geography, the caller's name (CNAM, when the number has lookups on), forwarding, STIR/SHAKEN
/// attestation and the parent call. Source:
/// <https://www.twilio.com/docs/voice/twiml#request-parameters>.
pub const DEFAULT_PARAMETERS: [&str; 13] = [
    "From",
    "To",
    "Called",
    "Caller",
    "CallerName",
    "FromCity",
    "FromState",
    "FromCountry",
    "FromZip",
    "Direction",
    "ForwardedFrom",
    "StirVerstat",
    "ParentCallSid",
];

/// How long a context is kept by default: 24 hours.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Whether `name` can name a DynamoDB table: 3 to 255 letters, digits and `_ - .`. Source:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html>.
pub fn is_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// What is known about one call: the stored parameters and the item's times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// The call's `CallSid`.
    pub call_sid: String,
    /// Parameter name → value, as Twilio sent them.
    pub variables: BTreeMap<String, String>,
    /// Seconds since the Unix epoch when it was written.
    pub recorded_at: u64,
    /// Seconds since the Unix epoch when it expires.
    pub expires_at: u64,
}

impl CallContext {
    /// The DynamoDB item for this context.
    pub fn to_item(&self) -> HashMap<String, AttributeValue> {
        let variables = self
            .variables
            .iter()
            .map(|(name, value)| (name.clone(), AttributeValue::S(value.clone())))
            .collect();
        HashMap::from([
            (
                CALL_SID_ATTRIBUTE.to_owned(),
                AttributeValue::S(self.call_sid.clone()),
            ),
            (VARIABLES_ATTRIBUTE.to_owned(), AttributeValue::M(variables)),
            (
                RECORDED_AT_ATTRIBUTE.to_owned(),
                AttributeValue::N(self.recorded_at.to_string()),
            ),
            (
                EXPIRES_AT_ATTRIBUTE.to_owned(),
                AttributeValue::N(self.expires_at.to_string()),
            ),
        ])
    }

    /// The context an item holds.
    ///
    /// # Errors
    /// The name of the first attribute that is missing or of the wrong type (never a value).
    pub fn from_item(item: &HashMap<String, AttributeValue>) -> Result<CallContext, String> {
        let wrong = |name: &str| format!("attribute {name} is missing or not of its type");
        let string = |name: &str| match item.get(name) {
            Some(AttributeValue::S(v)) => Ok(v.clone()),
            _ => Err(wrong(name)),
        };
        let number = |name: &str| match item.get(name) {
            Some(AttributeValue::N(v)) => v.parse::<u64>().map_err(|_| wrong(name)),
            _ => Err(wrong(name)),
        };
        let Some(AttributeValue::M(map)) = item.get(VARIABLES_ATTRIBUTE) else {
            return Err(wrong(VARIABLES_ATTRIBUTE));
        };
        let variables = map
            .iter()
            .map(|(name, value)| match value {
                AttributeValue::S(v) => Ok((name.clone(), v.clone())),
                _ => Err(format!("{VARIABLES_ATTRIBUTE}.{name} is not a string")),
            })
            .collect::<Result<_, _>>()?;
        Ok(CallContext {
            call_sid: string(CALL_SID_ATTRIBUTE)?,
            variables,
            recorded_at: number(RECORDED_AT_ATTRIBUTE)?,
            expires_at: number(EXPIRES_AT_ATTRIBUTE)?,
        })
    }

    /// Whether it has expired at `now` (seconds since the Unix epoch).
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at <= now
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A DynamoDB client from `sdk_config` (see [`crate::aws_sdk::load`]) whose calls, retries
/// included, end within `operation_timeout`, each attempt within `attempt_timeout`.
pub fn dynamodb_client(
    sdk_config: &SdkConfig,
    operation_timeout: Duration,
    attempt_timeout: Duration,
) -> aws_sdk_dynamodb::Client {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(operation_timeout)
        .operation_attempt_timeout(attempt_timeout)
        .build();
    let config = aws_sdk_dynamodb::config::Builder::from(sdk_config)
        .timeout_config(timeouts)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Checks [`CALL_CONTEXT_TABLE`]'s value.
///
/// # Errors
/// A description of what a table name must be.
pub fn check_table_name(name: String) -> Result<String, &'static str> {
    if is_table_name(&name) {
        Ok(name)
    } else {
        Err("expected a DynamoDB table name: 3 to 255 letters, digits and _ - .")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> CallContext {
        CallContext {
            call_sid: "CA0123456789abcdef0123456789abcdef".into(),
            variables: BTreeMap::from([
                ("From".into(), "+14155550100".into()),
                ("FromCity".into(), "SAN FRANCISCO".into()),
            ]),
            recorded_at: 1_780_000_000,
            expires_at: 1_780_086_400,
        }
    }

    #[test]
    fn item_round_trip() {
        let item = context().to_item();
        assert_eq!(
            item.get("CallSid"),
            Some(&AttributeValue::S(
                "CA0123456789abcdef0123456789abcdef".into()
            ))
        );
        assert_eq!(
            item.get("expires_at"),
            Some(&AttributeValue::N("1780086400".into()))
        );
        assert_eq!(CallContext::from_item(&item), Ok(context()));
    }

    #[test]
    fn malformed_items_name_the_attribute() {
        let mut item = context().to_item();
        item.insert("expires_at".into(), AttributeValue::S("soon".into()));
        assert_eq!(
            CallContext::from_item(&item),
            Err("attribute expires_at is missing or not of its type".into())
        );
        let mut item = context().to_item();
        item.remove("variables");
        assert!(
            CallContext::from_item(&item)
                .unwrap_err()
                .contains("variables")
        );
    }

    #[test]
    fn expiry_is_inclusive_of_its_second() {
        let c = context();
        assert!(!c.is_expired(c.expires_at - 1));
        assert!(c.is_expired(c.expires_at));
    }

    #[test]
    fn table_names() {
        for ok in ["abc", "synthflow-sip-bridge-CallContext-1AB2", "a.b_c-d"] {
            assert!(is_table_name(ok), "{ok}");
        }
        for bad in ["ab", "with space", "a/b", &"x".repeat(256), ""] {
            assert!(!is_table_name(bad), "{bad}");
        }
    }
}
