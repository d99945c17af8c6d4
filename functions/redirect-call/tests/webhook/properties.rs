//! Properties over generated input: only the endpoint is ever dialed, no event panics.

use lambda_http::http::HeaderValue;
use lambda_http::http::header::HOST;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use redirect_call::handle_event;

use crate::support::*;

/// The status and body of the answer to `event`, which must be a 200 or a 400.
fn answered_200_or_400(
    runtime: &tokio::runtime::Runtime,
    state: &FixedState,
    event: lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest,
) -> Result<(i64, String), TestCaseError> {
    let response = runtime.block_on(handle_event(state, event));
    let body = text(response.body.as_ref()).to_owned();
    prop_assert!(
        response.status_code == 200 || response.status_code == 400,
        "{} {body}",
        response.status_code
    );
    Ok((response.status_code, body))
}

const DIAL_PREFIX: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>sip:+"#;

/// Whatever Twilio's parameters hold, the answer is 200 or 400, and a 200 dials the
/// configured endpoint with nothing but escaped headers after it.
#[test]
fn any_parameters_dial_only_the_endpoint() {
    let state = unsigned_state(&[
        ("SIP_EXTRA_HEADERS", "X-Name={CallerName},X-From={From}"),
        ("DIAL_ACTION", "none"),
        ("DIAL_REFER", "off"),
    ]);
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
                let (status, body) = answered_200_or_400(&runtime, &state, event)?;
                if status == 200 {
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

/// The numbers and hosts the transfer property allows.
const ALLOWED_NUMBERS: &str = "+14155550100,+1628*";
const ALLOWED_HOSTS: [&str; 2] = ["pbx.example.com", "sipin.synthflow.ai"];

/// Whether the TwiML dials only what the allow-list (or the agent's endpoint) permits: every
/// `<Number>` one of the allowed numbers or under the prefix, every `<Sip>` host an allowed
/// one. Read from the TwiML text, independently of the function's parser.
fn dials_only_allowed(twiml: &str) -> Result<(), String> {
    let texts = |tag: &str| -> Vec<String> {
        twiml
            .split(&format!("<{tag}"))
            .skip(1)
            .map(|rest| {
                let rest = &rest[rest.find('>').unwrap() + 1..];
                rest[..rest.find(&format!("</{tag}>")).unwrap()].replace("&amp;", "&")
            })
            .collect()
    };
    for number in texts("Number") {
        let ok = number == "+14155550100"
            || (number.starts_with("+1628")
                && number.len() <= 16
                && number[1..].bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(format!("dialed number {number:?}"));
        }
    }
    for uri in texts("Sip") {
        let rest = uri
            .strip_prefix("sip:")
            .or_else(|| uri.strip_prefix("sips:"))
            .ok_or(format!("dialed {uri:?}"))?;
        let (address, headers) = rest.split_once('?').unwrap_or((rest, ""));
        for header in headers.split('&').filter(|h| !h.is_empty()) {
            let value = header.split_once('=').map_or("", |(_, v)| v);
            let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            if decoded.chars().any(char::is_control) {
                return Err(format!("a control character in a header of {uri:?}"));
            }
        }
        if address.matches('@').count() != 1 {
            return Err(format!("dialed {uri:?}"));
        }
        let host = address.split('@').nth(1).unwrap();
        let host = host.split([':', ';']).next().unwrap().to_ascii_lowercase();
        if !ALLOWED_HOSTS.contains(&host.as_str()) || address.contains("maddr") {
            return Err(format!("dialed host {host:?} in {uri:?}"));
        }
    }
    Ok(())
}

/// Whatever `ReferTransferTarget` holds, a transfer request is answered 200 or 400 and never
/// dials a number or SIP host outside the allow-list.
#[test]
fn no_transfer_target_outside_the_allow_list_is_dialed() {
    let state = unsigned_state(&[
        ("TRANSFER_ALLOWED_NUMBERS", ALLOWED_NUMBERS),
        ("TRANSFER_ALLOWED_SIP_HOSTS", "pbx.example.com"),
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let allowed_looking = prop_oneof![
        Just("sip:agent@pbx.example.com".to_owned()),
        Just("tel:+14155550100".to_owned()),
        Just("+1628".to_owned()),
        Just("<sip:agent@pbx.example.com".to_owned()),
        Just("SIP:agent@pbx.example.com".to_owned()),
        Just("TEL:+1628".to_owned()),
    ];
    let strategy = prop_oneof![
        "\\PC{0,80}",
        "((?i:tel):)?\\+[0-9()\\-. ]{4,18}(;[a-z\\-=]{0,12})?",
        "(?i:sips?):[a-zA-Z0-9+.\\-]{0,10}@[a-zA-Z0-9.@:;=<> \\-]{1,40}(\\?[ -~]{0,40})?",
        "sip:agent@(pbx\\.example\\.com|sipin\\.synthflow\\.ai)[a-z.\\-]{0,12}(:[0-9]{1,5})?(;[a-z]{1,9}=[a-z.]{1,12})?",
        "sip:agent@[a-z.\\-]{0,12}(pbx\\.example\\.com|sipin\\.synthflow\\.ai)",
        "sip:agent@pbx\\.example\\.com\\?X-[A-Za-z]{1,5}=(%[0-9A-F]{2}|[a-z]){0,12}",
        (allowed_looking, "[ -~\\r\\n]{0,40}").prop_map(|(a, junk)| format!("{a}{junk}")),
    ];
    TestRunner::new(ProptestConfig::with_cases(1024))
        .run(&strategy, |target| {
            let mut event = load("refer-tel.json");
            event.body = Some(post_body(&[
                ("CallSid", "CA0123456789abcdef0123456789abcdef"),
                ("Called", "+14155550123"),
                ("From", "+16175551212"),
                ("ReferTransferTarget", &target),
            ]));
            let (_, body) = answered_200_or_400(&runtime, &state, event)?;
            if let Err(why) = dials_only_allowed(&body) {
                return Err(TestCaseError::fail(format!("{target:?}: {why}: {body}")));
            }
            Ok(())
        })
        .unwrap();
}
