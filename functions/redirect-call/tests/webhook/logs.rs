//! One log line per request: the number masked, never a token or a signature.

use redirect_call::handle_event;
use shared::twilio::signature::SIGNATURE_HEADER;

use crate::support::*;

#[tokio::test]
async fn one_log_line_per_request_with_the_number_masked() {
    let state = default_state();
    let (logs, _guard) = capture_logs();
    handle_event(&state, load("post-inbound-full.json")).await;
    handle_event(&state, load("post-outbound-api.json")).await;
    handle_event(&state, load("bad-called-at.json")).await;

    let lines = logs.lines();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let fields = |i: usize| &lines[i]["fields"];
    assert_eq!(fields(0)["call_sid"], "CA0123456789abcdef0123456789abcdef");
    assert_eq!(fields(0)["direction"], "inbound");
    assert_eq!(fields(0)["outcome"], "dialed");
    assert_eq!(fields(0)["number"], "+1415•••0123");
    assert_eq!(fields(1)["direction"], "outbound-api");
    assert_eq!(fields(2)["outcome"], "rejected");
    assert_eq!(fields(2)["status"], 400);
    let all = serde_json::to_string(&lines).unwrap();
    for number in ["+14155550123", "14155550123", "+16175551212", "6175551212"] {
        assert!(!all.contains(number), "{number} reached the logs: {all}");
    }
}

#[tokio::test]
async fn forbidden_requests_log_why_without_secrets() {
    let state = default_state();
    let (logs, _guard) = capture_logs();
    handle_event(&state, load("forbidden-unsigned.json")).await;
    handle_event(&state, load("forbidden-wrong-token.json")).await;
    let lines = logs.lines();
    let reasons: Vec<_> = lines
        .iter()
        .map(|l| l["fields"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["no X-Twilio-Signature header", "signature does not match"]
    );
    assert_eq!(
        lines[1]["fields"]["url"],
        "https://h3x9k2m4p1.execute-api.us-east-1.amazonaws.com/redirect_call"
    );
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains(TEST_AUTH_TOKEN));
    let sent = load("forbidden-wrong-token.json").headers[SIGNATURE_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    let expected = resign(&load("forbidden-wrong-token.json"), TEST_AUTH_TOKEN);
    assert!(
        !all.contains(&sent) && !all.contains(&expected),
        "signatures are not logged"
    );
}

#[tokio::test]
async fn dropped_headers_are_logged_as_a_warning() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "post-header-overflow")
        .unwrap();
    let state = signed_state(&case.env, &case.secret);
    let (logs, _guard) = capture_logs();
    let response = handle_event(&state, load(&case.event)).await;
    assert_eq!(response.status_code, 200);
    let lines = logs.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["level"], "WARN");
    assert_eq!(lines[0]["fields"]["dropped_headers"], "X-Caller-Name");
}

#[tokio::test]
async fn transfers_dial_status_and_fallback_log_masked_numbers_and_the_sip_code() {
    let case = |name: &str| cases().into_iter().find(|c| c.name == name).unwrap();
    let (logs, _guard) = capture_logs();
    for name in [
        "refer-tel",
        "refer-refused-premium-882",
        "dial-status-completed-503",
        "fallback-post",
    ] {
        let case = case(name);
        let state = signed_state(&case.env, &case.secret);
        assert_eq!(
            handle_event(&state, load(&case.event)).await.status_code,
            200
        );
    }
    let lines = logs.lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let fields = |i: usize| &lines[i]["fields"];
    assert_eq!(fields(0)["outcome"], "transferred");
    assert_eq!(fields(0)["target"], "tel:+1415•••0100");
    assert_eq!(fields(1)["outcome"], "transfer_refused");
    assert_eq!(fields(1)["reason"], "not in the transfer allow-list");
    assert_eq!(fields(1)["reconnected"], true);
    assert_eq!(lines[1]["level"], "WARN");
    assert_eq!(fields(2)["outcome"], "fallback");
    assert_eq!(fields(2)["sip_response_code"], 503);
    assert_eq!(fields(2)["dial_call_status"], "completed");
    assert_eq!(fields(2)["from"], "+1617•••1212");
    assert_eq!(fields(3)["error_code"], 11205);
    let all = serde_json::to_string(&lines).unwrap();
    for number in [
        "+14155550100",
        "+882345678901",
        "+16175551212",
        "+14155550123",
    ] {
        assert!(!all.contains(number), "{number} reached the logs: {all}");
    }
}
