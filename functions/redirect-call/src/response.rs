//! A decision turned into the answer: the HTTP response, then the API Gateway HTTP API
//! (payload 2.0) response the runtime sends back.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::header::{ALLOW, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};

use crate::answer::Answer;
use crate::rejection::Rejection;

/// `Content-Type` of TwiML answers.
pub const TWIML_CONTENT_TYPE: &str = "text/xml";
/// `Content-Type` of error answers.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// `200 text/xml` with the answer's TwiML, or the rejection's 4xx `text/plain` with its
/// message on one line (and `Allow` on a 405).
pub fn http_response(result: Result<Answer, Rejection>) -> Response<Body> {
    match result {
        Ok(answer) => text_response(StatusCode::OK, TWIML_CONTENT_TYPE, answer.into_twiml()),
        Err(rejection) => {
            let status = rejection.status();
            let mut response = text_response(status, TEXT_CONTENT_TYPE, format!("{rejection}\n"));
            if let Rejection::MethodNotAllowed(route) = &rejection {
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static(route.allow()));
            }
            response
        }
    }
}

fn text_response(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An HTTP response as API Gateway's HTTP API (payload 2.0) takes it: status, headers, and the
/// body as text, or base64 with `isBase64Encoded` for a binary body.
/// Source: <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html>.
pub fn into_apigw_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.is_base64_encoded = matches!(body, Body::Binary(_));
    out.headers = parts.headers;
    out.body = Some(body);
    out
}
