//! Convergence: a fresh workspace is provisioned, a second run writes nothing, drift is updated or reported, one failing number does not stop the others, and the deadline is kept.

use std::time::{Duration, SystemTime};

use fake_synthflow::{Fault, FaultRule, Route};
use provision::*;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn fresh_workspace_imports_each_number_then_creates_its_agent() {
    let (fake, provisioner) = setup().await;
    let output = provision_event(&provisioner, event("apply", &[A, B])).await;

    for phone in [A, B] {
        let r = report(&output, phone);
        assert_eq!(r.number, Some(NumberOutcome::Created));
        assert_eq!(r.agent, Some(AgentOutcome::Created));
        assert_eq!(r.error, None);
        assert_eq!(r.sip_uri, sip_uri(phone));
        assert_eq!(
            r.model_id.as_deref(),
            Some(model_id_of(&fake, WORKSPACE, phone).as_str())
        );
    }
    assert_eq!(
        output.summary,
        Summary {
            total: 2,
            succeeded: 2,
            failed: 0,
            changes: 4
        }
    );
    assert_eq!(fake.numbers(WORKSPACE).len(), 2);
    assert_eq!(fake.assistants(WORKSPACE).len(), 2);

    let requests = fake.requests();
    assert!(requests.iter().all(|r| r.authorized));
    // Numbers are looked up with `workspace` (not `workspace_id`), by slug.
    for phone in [A, B] {
        let lookup = requests
            .iter()
            .find(|r| r.route == Some(Route::GetNumber) && r.path.ends_with(&phone[1..]))
            .expect("looked up");
        assert_eq!(lookup.path, format!("/v2/numbers/{}", &phone[1..]));
        assert_eq!(lookup.query, vec![("workspace".into(), WORKSPACE.into())]);
        // The agent is created only after its number exists.
        let import = sent_for(&requests, Route::CreateCustomNumber, phone);
        let create = sent_for(&requests, Route::CreateAssistant, phone);
        assert_eq!((import.len(), create.len()), (1, 1));
        let (import, create) = (import[0], create[0]);
        assert!(import < create);
    }
    assert_eq!(count(&requests, Route::CreateCustomNumber), 2);
    assert_eq!(count(&requests, Route::CreateAssistant), 2);
    assert_eq!(fake.writes().len(), 4);
}

#[tokio::test]
async fn a_second_run_of_the_same_event_writes_nothing() {
    let (fake, provisioner) = setup().await;
    let first = provision_event(&provisioner, event("apply", &[A, B, C])).await;
    fake.clear_requests();

    let second = provision_event(&provisioner, event("apply", &[A, B, C])).await;
    assert_eq!(writes(&fake), Vec::<(String, String)>::new());
    for phone in [A, B, C] {
        let r = report(&second, phone);
        assert_eq!(r.number, Some(NumberOutcome::Exists));
        assert_eq!(r.number_drift, Vec::<String>::new());
        assert_eq!(r.agent, Some(AgentOutcome::Unchanged));
        assert_eq!(r.model_id, report(&first, phone).model_id);
        assert_eq!(r.error, None);
    }
    assert_eq!(second.summary.changes, 0);
    // Three agents, two per page: the list is read once per run, page by page.
    let offsets: Vec<(String, String)> = fake
        .requests_to(Route::ListAssistants)
        .iter()
        .map(|r| {
            (
                r.query_param("limit").unwrap().to_owned(),
                r.query_param("offset").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        offsets,
        vec![("2".into(), "0".into()), ("2".into(), "2".into())]
    );
}

#[tokio::test]
async fn a_drifted_agent_gets_exactly_one_update_with_the_differing_fields() {
    let (fake, provisioner) = setup().await;
    provision_event(&provisioner, event("apply", &[A, B])).await;
    let model_id = model_id_of(&fake, WORKSPACE, A);
    assert!(fake.edit_assistant(&model_id, |a| {
        a["agent"]["prompt"] = json!("Someone changed this in the dashboard.");
        a["max_duration"]["duration_seconds"] = json!(60);
    }));
    fake.clear_requests();

    let plan = provision_event(&provisioner, event("plan", &[A, B])).await;
    assert_eq!(writes(&fake), Vec::<(String, String)>::new());
    let r = report(&plan, A);
    assert_eq!(r.agent, Some(AgentOutcome::WouldUpdate));
    assert_eq!(r.changed_fields, ["max_duration", "agent.prompt"]);
    assert_eq!(report(&plan, B).agent, Some(AgentOutcome::Unchanged));

    let output = provision_event(&provisioner, event("apply", &[A, B])).await;
    assert_eq!(
        writes(&fake),
        [("PUT".to_owned(), format!("/v2/assistants/{model_id}"))]
    );
    let put = fake.requests_to(Route::UpdateAssistant).remove(0);
    let body = put.body.unwrap();
    let desired = number(A)["agent"].clone();
    assert_eq!(
        body["max_duration"],
        json!({"duration_seconds": 600, "is_enabled": true})
    );
    assert_eq!(body["agent"]["prompt"], desired["prompt"]);
    assert_eq!(body["agent"]["voice_id"], desired["voice_id"]);
    // Unchanged top-level fields, the type and the number are not sent.
    for unchanged in ["name", "type", "phone_number", "voice_engine_version"] {
        assert!(body.get(unchanged).is_none(), "{unchanged} sent: {body}");
    }
    let r = report(&output, A);
    assert_eq!(r.agent, Some(AgentOutcome::Updated));
    assert_eq!(r.model_id.as_deref(), Some(model_id.as_str()));
    assert_eq!(report(&output, B).agent, Some(AgentOutcome::Unchanged));
    assert_eq!(output.summary.changes, 1);

    fake.clear_requests();
    provision_event(&provisioner, event("apply", &[A, B])).await;
    assert_eq!(writes(&fake), Vec::<(String, String)>::new());
}

#[tokio::test]
async fn plan_reports_what_apply_would_do_and_writes_nothing() {
    let (fake, provisioner) = setup().await;
    let output = provision_event(&provisioner, event("plan", &[A, B])).await;
    assert_eq!(output.mode, Mode::Plan);
    for phone in [A, B] {
        let r = report(&output, phone);
        assert_eq!(r.number, Some(NumberOutcome::WouldCreate));
        assert_eq!(r.agent, Some(AgentOutcome::WouldCreate));
        assert_eq!(r.model_id, None);
        assert_eq!(r.error, None);
    }
    assert_eq!(output.summary.changes, 4);
    assert!(fake.writes().is_empty());
    assert!(fake.numbers(WORKSPACE).is_empty());
    assert!(fake.assistants(WORKSPACE).is_empty());
}

#[tokio::test]
async fn a_failing_number_does_not_stop_the_others_and_a_rerun_converges() {
    let (fake, provisioner) = setup().await;
    // B: the agent create keeps failing (500); C: the import is refused (403).
    fake.inject(FaultRule::new(Route::CreateAssistant, Fault::Status(500)).matching(&B[1..]));
    fake.inject(FaultRule::new(Route::CreateCustomNumber, Fault::Status(403)).matching(&C[1..]));
    let output = provision_event(&provisioner, event("apply", &[A, B, C])).await;

    let a = report(&output, A);
    assert_eq!(
        (a.number, a.agent, &a.error),
        (
            Some(NumberOutcome::Created),
            Some(AgentOutcome::Created),
            &None
        )
    );
    let b = report(&output, B);
    assert_eq!(b.number, Some(NumberOutcome::Created));
    assert_eq!(b.agent, None);
    assert_eq!(b.model_id, None);
    let error = b.error.as_ref().unwrap();
    assert_eq!((error.step, error.status), (Step::CreateAgent, Some(500)));
    assert!(error.message.contains("Internal Server Error"), "{error:?}");
    let c = report(&output, C);
    assert_eq!((c.number, c.agent), (None, None));
    let error = c.error.as_ref().unwrap();
    assert_eq!((error.step, error.status), (Step::ImportNumber, Some(403)));
    assert_eq!(
        output.summary,
        Summary {
            total: 3,
            succeeded: 1,
            failed: 2,
            changes: 3
        }
    );
    // A 403 is final: one import attempt for C, no agent attempt for it.
    let requests = fake.requests();
    let for_c = |route| sent_for(&requests, route, C).len();
    assert_eq!(for_c(Route::CreateCustomNumber), 1);
    assert_eq!(for_c(Route::CreateAssistant), 0);

    fake.clear_faults();
    let rerun = provision_event(&provisioner, event("apply", &[A, B, C])).await;
    assert_eq!(rerun.summary.failed, 0);
    assert_eq!(report(&rerun, A).agent, Some(AgentOutcome::Unchanged));
    assert_eq!(report(&rerun, B).number, Some(NumberOutcome::Exists));
    assert_eq!(report(&rerun, B).agent, Some(AgentOutcome::Created));
    assert_eq!(report(&rerun, C).number, Some(NumberOutcome::Created));
    assert_eq!(report(&rerun, C).agent, Some(AgentOutcome::Created));
    assert_eq!(fake.numbers(WORKSPACE).len(), 3);
    assert_eq!(fake.assistants(WORKSPACE).len(), 3);
    for phone in [A, B, C] {
        model_id_of(&fake, WORKSPACE, phone);
    }
}

/// A number that exists is never changed; the event's fields whose values differ from what
/// `GET /v2/numbers/{slug}` answers are reported, in `plan` and in `apply`.
#[tokio::test]
async fn a_number_that_differs_from_the_event_is_reported_not_changed() {
    let (fake, provisioner) = setup().await;
    let mut first = event("apply", &[A, B]);
    first["numbers"][1]["uac_enabled"] = json!(true);
    first["numbers"][1]["uac_register_expires"] = json!(600);
    first["numbers"][1]["trunk_credentials_secret_id"] = json!("acme/trunk-b");
    let created = provision_event(&provisioner, first.clone()).await;
    for phone in [A, B] {
        let r = report(&created, phone);
        assert_eq!(r.number, Some(NumberOutcome::Created));
        assert_eq!(r.number_drift, Vec::<String>::new());
    }
    // Stored as the reference's GET shape has them.
    let stored = fake
        .numbers(WORKSPACE)
        .into_iter()
        .find(|n| n["phone_number"] == A)
        .unwrap();
    assert_eq!(stored["sip_term_uri"], "acme-trunk.pstn.twilio.com");
    assert_eq!(stored["provider_name"], "custom");
    assert_eq!(stored["uac_enabled"], false);

    let mut changed = first.clone();
    let a = &mut changed["numbers"][0];
    a["friendly_name"] = json!("renamed line");
    a["provider_name"] = json!("twilio");
    a["termination_uri"] = json!("other-trunk.pstn.twilio.com");
    a["sip_outbound_proxy"] = json!("sip:proxy.acme.example:5065");
    a["sip_auth_username"] = json!("acme-register");
    a["uac_enabled"] = json!(true);
    a["trunk_credentials_secret_id"] = json!("acme/trunk-b");
    changed["numbers"][1]["uac_register_expires"] = json!(900);
    let expected_a = [
        "friendly_name",
        "provider_name",
        "termination_uri",
        "sip_outbound_proxy",
        "sip_auth_username",
        "uac_enabled",
    ];
    for mode in ["plan", "apply"] {
        fake.clear_requests();
        changed["mode"] = json!(mode);
        let output = provision_event(&provisioner, changed.clone()).await;
        let a = report(&output, A);
        assert_eq!(a.number, Some(NumberOutcome::Exists), "{mode}");
        assert_eq!(a.number_drift, expected_a, "{mode}");
        assert_eq!(a.agent, Some(AgentOutcome::Unchanged), "{mode}");
        assert_eq!(a.error, None, "{mode}");
        assert_eq!(report(&output, B).number_drift, ["uac_register_expires"]);
        assert_eq!(output.summary.changes, 0, "{mode}");
        assert_eq!(writes(&fake), Vec::<(String, String)>::new(), "{mode}");
    }
    // Fields the event leaves out are not compared: the first event again shows nothing.
    let mut fewer = first.clone();
    fewer["numbers"][0]
        .as_object_mut()
        .unwrap()
        .remove("friendly_name");
    fewer["numbers"][1]
        .as_object_mut()
        .unwrap()
        .remove("uac_register_expires");
    for ev in [first, fewer] {
        let output = provision_event(&provisioner, ev).await;
        for phone in [A, B] {
            assert_eq!(report(&output, phone).number_drift, Vec::<String>::new());
        }
    }
}

#[tokio::test]
async fn several_inbound_agents_on_one_number_are_reported_not_guessed() {
    let (fake, provisioner) = setup().await;
    provision_event(&provisioner, event("apply", &[A, B])).await;
    let b_agent = model_id_of(&fake, WORKSPACE, B);
    fake.edit_assistant(&b_agent, |a| {
        a["attached_phone_numbers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"number": A, "sid": null, "slug": &A[1..]}));
    });
    fake.clear_requests();
    let output = provision_event(&provisioner, event("apply", &[A])).await;
    let error = report(&output, A).error.clone().unwrap();
    assert_eq!(error.step, Step::FindAgent);
    assert!(error.message.contains(&b_agent), "{error:?}");
    assert!(fake.writes().is_empty());
}

#[tokio::test]
async fn numbers_not_started_before_the_deadline_are_reported() {
    let (fake, provisioner) = setup().await;
    let deadline = SystemTime::now();
    let output = provisioner
        .handle_json(&event("apply", &[A, B]).to_string(), Some(deadline))
        .await
        .unwrap();
    for phone in [A, B] {
        let r = report(&output, phone);
        assert_eq!(r.error.as_ref().unwrap().step, Step::NotStarted);
        assert_eq!((r.number, r.agent), (None, None));
    }
    assert!(fake.requests().is_empty());
    // With time to spare, the same event runs.
    let deadline = SystemTime::now() + Duration::from_secs(600);
    let output = provisioner
        .handle_json(&event("apply", &[A, B]).to_string(), Some(deadline))
        .await
        .unwrap();
    assert_eq!(output.summary.succeeded, 2);
}
