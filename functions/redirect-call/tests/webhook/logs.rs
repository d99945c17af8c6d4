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
