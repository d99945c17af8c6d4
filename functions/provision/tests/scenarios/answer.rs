//! The answer's documented shape, and what counts as a deadline.

use std::time::{Duration, SystemTime};

use provision::*;
use serde_json::json;

use crate::support::*;

#[test]
fn only_a_point_in_time_is_a_deadline() {
    let mut context = lambda_runtime::Context::default();
    for relative in [0, 3_000, 600_000] {
        context.deadline = relative;
        assert_eq!(deadline_of(&context), None, "{relative}");
    }
    context.deadline = 1_795_976_050_675;
    assert_eq!(
        deadline_of(&context),
        Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_976_050_675))
    );
}

#[tokio::test]
async fn the_answer_has_the_documented_shape() {
    let (_fake, provisioner) = setup().await;
    let output = provision_event(&provisioner, event("apply", &[A])).await;
    let answer = serde_json::to_value(&output).unwrap();
    let model_id = answer["numbers"][0]["model_id"].clone();
    assert_eq!(
        answer,
        json!({
            "mode": "apply",
            "summary": {"total": 1, "succeeded": 1, "failed": 0, "changes": 2},
            "numbers": [{
                "phone_number": A,
                "number": "created",
                "number_drift": [],
                "agent": "created",
                "model_id": model_id,
                "changed_fields": [],
                "sip_uri": "sip:+14155550123@sipin.synthflow.ai:32681",
                "error": null
            }]
        })
    );
    assert!(model_id.is_string());
}
