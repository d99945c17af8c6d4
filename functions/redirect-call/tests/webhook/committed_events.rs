//! Every committed event (written by `scripts/redirect_call_cases.py` with twilio-python) gets
//! the answer the script recorded, and the HTTP details around it.

use lambda_http::Body;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::http::header::{ALLOW, CONTENT_TYPE};
use redirect_call::{handle, handle_event};

use crate::support::*;

#[tokio::test]
async fn every_committed_event_gets_its_answer() {
    let cases = cases();
    assert!(cases.len() >= 50, "cases.json holds {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let json = read_event_text(&case.event);
        let event: ApiGatewayV2httpRequest = serde_json::from_str(&json).unwrap();
        let state = signed_state(&case.env, &case.secret);
        let response = handle_event(&state, event).await;
        let content_type = response
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let body = text(response.body.as_ref());
        let body_ok = match (&case.body, &case.mentions) {
            (Some(expected), _) => body == expected,
            (None, Some(field)) => {
                body.contains(field.as_str()) && !body.contains("<Dial") && !body.contains("sip:")
            }
            (None, None) => false,
        };
        let allow = response.headers.get(ALLOW).and_then(|v| v.to_str().ok());
        if i64::from(case.status) != response.status_code
            || content_type != Some(case.content_type.as_str())
            || !body_ok
            || allow != case.allow.as_deref()
        {
            failures.push(format!(
                "{}: got {} {content_type:?} {body:?}, want {} {} {:?}",
                case.name,
                response.status_code,
                case.status,
                case.content_type,
                case.body.as_ref().or(case.mentions.as_ref())
            ));
        }
        // The same event through lambda_http's public parser gives the same answer.
        if case.status == 200 {
            let request = lambda_http::request::from_str(&json).unwrap();
            let direct = handle(&state, &request).await;
            assert_eq!(direct.status(), 200, "{}", case.name);
            assert_eq!(text(Some(direct.body())), body, "{}", case.name);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn get_and_post_answer_alike() {
    let state = default_state();
    let get = handle_event(&state, load("get-inbound.json")).await;
    let post = handle_event(&state, load("post-inbound-full.json")).await;
    assert_eq!(get.status_code, 200);
    assert_eq!(get.body, post.body);
}

#[tokio::test]
async fn method_not_allowed_names_the_allowed_ones() {
    let response = handle_event(&default_state(), load("bad-method.json")).await;
    assert_eq!(response.status_code, 405);
    assert_eq!(response.headers.get(ALLOW).unwrap(), "GET, POST");
}

#[tokio::test]
async fn hand_built_requests() {
    let state = unsigned_state(&[]);
    let post = |body: Body| {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://example.com/redirect_call")
            .body(body)
            .unwrap()
    };
    let form = "CallSid=CA0123456789abcdef0123456789abcdef&Called=%2B14155550123";
    let response = handle(&state, &post(Body::from(form))).await;
    assert_eq!(response.status(), 415, "a form body needs its Content-Type");

    let response = handle(&state, &post(Body::Empty)).await;
    assert_eq!(response.status(), 400);
    assert!(text(Some(response.body())).contains("CallSid"));

    let signed = default_state();
    let response = handle(&signed, &post(Body::Empty)).await;
    assert_eq!(
        response.status(),
        403,
        "validation comes before the parameters"
    );
}
