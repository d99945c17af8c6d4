//! Properties over generated input: only the endpoint is ever dialed, no event panics.

use lambda_http::http::HeaderValue;
use lambda_http::http::header::HOST;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use redirect_call::handle_event;

use crate::support::*;

const DIAL_PREFIX: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>sip:+"#;

/// Whatever Twilio's parameters hold, the answer is 200 or 400, and a 200 dials the
/// configured endpoint with nothing but escaped headers after it.
#[test]
fn any_parameters_dial_only_the_endpoint() {
    let state = unsigned_state(&[("SIP_EXTRA_HEADERS", "X-Name={CallerName},X-From={From}")]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let strategy = (
        prop_oneof![
            "\\PC{0,40}",
            "[+ ]?[0-9]{5,16}",
            "sip:\\+[0-9]{11}@[a-z.:;=]{0,20}"
        ],
        prop_oneof!["\\PC{0,40}", "CA[0-9a-f]{32}"],
        prop_oneof!["inbound", "outbound-api", "outbound-dial", "\\PC{0,12}"],
        prop_oneof!["\\PC{0,40}", "\\+[1-9][0-9]{10}"],
        "\\PC{0,300}",
    );
    TestRunner::new(ProptestConfig::with_cases(512))
        .run(
            &strategy,
            |(called, call_sid, direction, from, caller_name)| {
                let event = post_event(&[
                    ("CallSid", &call_sid),
                    ("Called", &called),
                    ("Direction", &direction),
                    ("From", &from),
                    ("CallerName", &caller_name),
                ]);
                let response = runtime.block_on(handle_event(&state, event));
                let body = text(response.body.as_ref());
                prop_assert!(
                    response.status_code == 200 || response.status_code == 400,
                    "{} {body}",
                    response.status_code
                );
                if response.status_code == 200 {
                    let rest = body.strip_prefix(DIAL_PREFIX).expect("dials a number");
                    let (digits, rest) = rest.split_once('@').unwrap();
                    prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                    let headers = rest
                        .strip_prefix("sipin.synthflow.ai:32681?X-EI=CA")
                        .unwrap();
                    let headers = headers.strip_suffix("</Sip></Dial></Response>").unwrap();
                    prop_assert!(
                        headers
                            .replace("&amp;", "&")
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"&=%-".contains(&b)),
                        "{headers}"
                    );
                }
                Ok(())
            },
        )
        .unwrap();
}

/// No event API Gateway could deliver makes the function panic or answer 5xx, and none
/// that is not signed gets past the signature check.
#[test]
fn no_event_panics_or_dials_unsigned() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = default_state();
    let strategy = (
        "\\PC{0,60}",
        prop_oneof!["/redirect_call", "\\PC{0,20}"],
        "\\PC{0,80}",
        any::<bool>(),
        prop_oneof![
            "h3x9k2m4p1.execute-api.us-east-1.amazonaws.com",
            "\\PC{0,20}"
        ],
        prop_oneof!["GET", "POST", "PUT", "HEAD", "OPTIONS"],
    );
    TestRunner::new(ProptestConfig::with_cases(512))
        .run(
            &strategy,
            |(raw_query, raw_path, body, base64_flag, host, method)| {
                let mut event = load("post-inbound.json");
                event.raw_query_string = Some(raw_query);
                event.raw_path = Some(raw_path);
                event.body = Some(body);
                event.is_base64_encoded = base64_flag;
                event.request_context.http.method = method.parse().unwrap();
                if let Ok(host) = HeaderValue::from_str(&host) {
                    event.headers.insert(HOST, host);
                }
                let response = runtime.block_on(handle_event(&state, event));
                prop_assert!(
                    (400..500).contains(&response.status_code),
                    "{}",
                    response.status_code
                );
                Ok(())
            },
        )
        .unwrap();
}
