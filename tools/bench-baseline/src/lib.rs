//! The baseline `make bench` measures `redirect-call` against: a `lambda_http` function that
//! answers every request with the same TwiML, as short as the runtime's `http-basic-lambda`
//! example. Whatever `redirect-call` costs beyond it is the cost of its own work.

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, Response};

/// The answer to every request: what `redirect-call` answers to `post-inbound-full.json`.
pub const TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="https://h3x9k2m4p1.execute-api.us-east-1.amazonaws.com/dial_status" referMethod="POST" referUrl="https://h3x9k2m4p1.execute-api.us-east-1.amazonaws.com/refer"><Sip>sip:+14155550123@sipin.synthflow.ai:32681?X-EI=CA0123456789abcdef0123456789abcdef</Sip></Dial></Response>"#;

/// Answers `200 text/xml` with [`TWIML`], whatever the request.
pub fn handle(_request: Request) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(CONTENT_TYPE, "text/xml")
        .body(Body::Text(TWIML.to_owned()))
        .expect("a valid static response")
}
