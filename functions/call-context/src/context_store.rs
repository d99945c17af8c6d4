//! Where contexts are read from: the call-context table, through [`ContextStore`] so that
//! handler tests can use a map.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use shared::call_context::{CALL_SID_ATTRIBUTE, CallContext};
use shared::twilio::CallSid;

/// Reads one call's context.
pub trait ContextStore: Send + Sync {
    /// The stored context of `call_sid`, if any (expired or not).
    ///
    /// # Errors
    /// What failed, without values: the call, or an item of the wrong shape.
    fn context(
        &self,
        call_sid: &CallSid,
    ) -> impl Future<Output = Result<Option<CallContext>, String>> + Send;
}

/// The DynamoDB table. Reads are strongly consistent: the action runs a moment after the
/// webhook's `PutItem`, sooner than an eventually consistent read is sure to see it. Source:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html>.
#[derive(Clone, Debug)]
pub struct DynamoDbContextStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDbContextStore {
    /// The store reading `table` through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        DynamoDbContextStore { client, table }
    }
}

impl ContextStore for DynamoDbContextStore {
    async fn context(&self, call_sid: &CallSid) -> Result<Option<CallContext>, String> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(
                CALL_SID_ATTRIBUTE,
                AttributeValue::S(call_sid.as_str().to_owned()),
            )
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "GetItem failed: {}",
                    shared::aws_sdk::describe_sdk_error(&e)
                )
            })?;
        output.item().map(CallContext::from_item).transpose()
    }
}

/// Contexts held in memory: for tests.
#[derive(Debug, Default)]
pub struct MemoryContextStore(pub HashMap<String, CallContext>);

impl ContextStore for MemoryContextStore {
    async fn context(&self, call_sid: &CallSid) -> Result<Option<CallContext>, String> {
        Ok(self.0.get(call_sid.as_str()).cloned())
    }
}
