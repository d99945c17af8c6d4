//! Synthflow's faults: retried reads, lost and failed creates, bad credentials, trunk secrets.

use std::time::Duration;

use fake_synthflow::{FakeSynthflow, Fault, FaultRule, Route};
use provision::*;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn reads_are_retried_after_429_500_and_dropped_connections() {
    let (fake, provisioner) = setup().await;
    fake.inject(
        FaultRule::new(Route::GetNumber, Fault::Status(429))
            .matching(&A[1..])
            .times(2),
    );
    fake.inject(
        FaultRule::new(Route::GetNumber, Fault::Drop)
            .matching(&B[1..])
            .times(1),
    );
    fake.inject(FaultRule::new(Route::ListAssistants, Fault::Status(500)).times(1));
    let output = provision_event(&provisioner, event("apply", &[A, B])).await;
    assert_eq!(output.summary.failed, 0, "{output:?}");

    let requests = fake.requests();
    let lookups = |phone: &str| {
        requests
            .iter()
            .filter(|r| r.route == Some(Route::GetNumber) && r.path.ends_with(&phone[1..]))
            .count()
    };
    assert_eq!(lookups(A), 3);
    assert_eq!(lookups(B), 2);
    // The list is read once, before any agent exists: one page, after one 500.
    assert_eq!(count(&requests, Route::ListAssistants), 2);
    assert_eq!(fake.numbers(WORKSPACE).len(), 2);
    assert_eq!(fake.assistants(WORKSPACE).len(), 2);
}

#[tokio::test]
async fn reads_stop_after_the_last_attempt_and_the_number_reports_it() {
    let (fake, provisioner) = setup().await;
    fake.inject(FaultRule::new(Route::GetNumber, Fault::Status(500)).matching(&A[1..]));
    let output = provision_event(&provisioner, event("apply", &[A, B])).await;
    let a = report(&output, A);
    assert_eq!((a.number, a.agent), (None, None));
    let error = a.error.as_ref().unwrap();
    assert_eq!((error.step, error.status), (Step::LookupNumber, Some(500)));
    assert_eq!(fake.requests_to(Route::GetNumber).len(), 4 + 1);
    assert_eq!(report(&output, B).error, None);
    // Nothing was written for A.
    assert!(
        fake.writes()
            .iter()
            .all(|w| w.body.as_ref().unwrap()["phone_number"] != A)
    );
}

#[tokio::test]
async fn a_number_answered_with_400_on_lookup_counts_as_absent() {
    let (fake, provisioner) = setup().await;
    fake.inject(FaultRule::new(Route::GetNumber, Fault::Status(400)).times(1));
    let output = provision_event(&provisioner, event("apply", &[A])).await;
    assert_eq!(report(&output, A).number, Some(NumberOutcome::Created));
    assert_eq!(fake.requests_to(Route::GetNumber).len(), 1);
}

/// A create succeeds but its answer never arrives (the client times out, or the connection
/// drops): the resource is looked up, found, and not created again.
#[tokio::test]
async fn a_create_whose_answer_is_lost_is_not_repeated() {
    for route in [Route::CreateCustomNumber, Route::CreateAssistant] {
        for fault in [
            Fault::CommitThenDelay(Duration::from_secs(60)),
            Fault::CommitThenDrop,
        ] {
            let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
            let provisioner =
                provisioner_with(&fake, WORKSPACE, API_KEY, Duration::from_millis(1500));
            fake.inject(FaultRule::new(route, fault.clone()).times(1));
            let output = provision_event(&provisioner, event("apply", &[A])).await;
            let a = report(&output, A);
            assert_eq!(a.error, None, "{route:?} {fault:?}");
            assert_eq!(a.number, Some(NumberOutcome::Created));
            assert_eq!(a.agent, Some(AgentOutcome::Created));
            assert_eq!(fake.requests_to(route).len(), 1, "{route:?} {fault:?}");
            assert_eq!(fake.numbers(WORKSPACE).len(), 1);
            let model_id = model_id_of(&fake, WORKSPACE, A);
            assert_eq!(a.model_id.as_deref(), Some(model_id.as_str()));
        }
    }
}

/// A create refused with 500 before anything was stored: looked up, not found, sent again.
#[tokio::test]
async fn a_create_that_failed_outright_is_tried_again_after_a_lookup() {
    let (fake, provisioner) = setup().await;
    fake.inject(FaultRule::new(Route::CreateCustomNumber, Fault::Status(500)).times(1));
    fake.inject(FaultRule::new(Route::CreateAssistant, Fault::Status(429)).times(1));
    let output = provision_event(&provisioner, event("apply", &[A])).await;
    assert_eq!(report(&output, A).error, None);
    let routes: Vec<Route> = fake.requests().iter().filter_map(|r| r.route).collect();
    assert_eq!(
        routes,
        [
            Route::GetNumber,
            Route::CreateCustomNumber,
            Route::GetNumber,
            Route::CreateCustomNumber,
            Route::ListAssistants,
            Route::CreateAssistant,
            Route::ListAssistants,
            Route::CreateAssistant,
        ]
    );
    assert_eq!(fake.numbers(WORKSPACE).len(), 1);
    assert_eq!(fake.assistants(WORKSPACE).len(), 1);
}

#[tokio::test]
async fn trunk_credentials_come_from_their_secret() {
    let (fake, provisioner) = setup().await;
    let mut ev = event("apply", &[A, B]);
    ev["numbers"][0]["uac_enabled"] = json!(true);
    ev["numbers"][0]["trunk_credentials_secret_id"] = json!("acme/trunk-b");
    ev["numbers"][1]["uac_enabled"] = json!(true);
    ev["numbers"][1]["trunk_credentials_secret_id"] = json!("acme/missing");
    let output = provision_event(&provisioner, ev).await;

    let import = fake.requests_to(Route::CreateCustomNumber).remove(0);
    let body = import.body.unwrap();
    assert_eq!(body["phone_number"], A);
    assert_eq!(body["trunk_username"], "trunk-user-b");
    assert_eq!(body["trunk_pwd"], "trunk-password-b");
    assert_eq!(body["uac_enabled"], true);

    let b = report(&output, B);
    assert_eq!((b.number, b.agent), (None, None));
    let error = b.error.as_ref().unwrap();
    assert_eq!((error.step, error.status), (Step::TrunkCredentials, None));
    assert!(error.message.contains("acme/missing"), "{error:?}");
    assert_eq!(fake.requests_to(Route::CreateCustomNumber).len(), 1);
    assert!(
        !serde_json::to_string(&output)
            .unwrap()
            .contains("trunk-password-b")
    );
}

#[tokio::test]
async fn a_wrong_api_key_fails_each_number_without_revealing_the_key() {
    let fake = FakeSynthflow::start(API_KEY, WORKSPACE).await.unwrap();
    let wrong_key = "sf-wrong-key-93b2";
    let provisioner = provisioner_with(&fake, WORKSPACE, wrong_key, Duration::from_secs(5));
    let output = provision_event(&provisioner, event("apply", &[A, B])).await;
    assert_eq!(output.summary.failed, 2);
    for phone in [A, B] {
        let error = report(&output, phone).error.clone().unwrap();
        assert_eq!((error.step, error.status), (Step::LookupNumber, Some(401)));
    }
    // 401 is not retried.
    assert_eq!(fake.requests().len(), 2);
    assert!(fake.requests().iter().all(|r| !r.authorized));
    let answer = serde_json::to_string(&output).unwrap();
    assert!(!answer.contains(wrong_key));
    assert!(!format!("{provisioner:?}").contains(wrong_key));
}
