//! The envelope as a caller meets it: through real routes behind the request-id layer.

use super::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

#[derive(Debug, thiserror::Error)]
enum TestError {
    #[error("slow down")]
    Slow(u64),
    #[error("sign in first")]
    Unauthenticated,
    #[error("internal error")]
    Broken(anyhow::Error),
}

impl Failure for TestError {
    fn status(&self) -> StatusCode {
        match self {
            TestError::Slow(_) => StatusCode::TOO_MANY_REQUESTS,
            TestError::Unauthenticated => StatusCode::UNAUTHORIZED,
            TestError::Broken(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            TestError::Slow(_) => "rate_limited",
            TestError::Unauthenticated => "unauthorized",
            TestError::Broken(_) => "internal_error",
        }
    }
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            TestError::Slow(secs) => Some(*secs),
            _ => None,
        }
    }
    fn internal_cause(&self) -> Option<&anyhow::Error> {
        match self {
            TestError::Broken(cause) => Some(cause),
            _ => None,
        }
    }
}

impl axum::response::IntoResponse for TestError {
    fn into_response(self) -> axum::response::Response {
        failure_response(&self, |envelope| envelope)
    }
}

#[derive(serde::Deserialize)]
struct Body1 {
    #[allow(dead_code)]
    count: u32,
}

fn app() -> Router {
    let routes = Router::new()
        .route("/slow", get(|| async { TestError::Slow(0) }))
        .route("/private", get(|| async { TestError::Unauthenticated }))
        .route(
            "/broken",
            get(|| async { TestError::Broken(anyhow::anyhow!("db password is hunter2")) }),
        )
        .route("/body", post(|Json(_): Json<Body1>| async { "ok" }))
        .route("/items/{id}", get(|Path(_id): Path<u32>| async { "ok" }))
        .route(
            "/search",
            get(|Query(_q): Query<std::collections::HashMap<String, u32>>| async { "ok" }),
        );
    with_common_layers(routes, &[], false)
}

async fn envelope_of(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 16).await.expect("body");
    let json: Value = serde_json::from_slice(&bytes).expect("an envelope");
    (parts.status, parts.headers, json)
}

fn get_req(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn post_req(body: &'static str, content_type: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/body");
    if let Some(kind) = content_type {
        builder = builder.header(header::CONTENT_TYPE, kind);
    }
    builder.body(Body::from(body)).expect("request")
}

#[tokio::test]
async fn the_envelope_carries_the_request_id_the_header_names() {
    let (status, headers, body) = envelope_of(get_req("/private")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"], "sign in first");
    assert_eq!(body["error_code"], "unauthorized");
    assert_eq!(body["status_code"], 401);
    assert_eq!(
        body["correlation_id"],
        headers[&REQUEST_ID].to_str().expect("ascii")
    );
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
}

#[tokio::test]
async fn a_429_says_when_to_come_back_never_in_zero_seconds() {
    let (status, headers, body) = envelope_of(get_req("/slow")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert_eq!(body["error_code"], "rate_limited");
}

#[tokio::test]
async fn an_internal_error_tells_the_client_nothing_but_the_id() {
    let (status, _, body) = envelope_of(get_req("/broken")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["detail"], "internal error");
    assert!(!body.to_string().contains("hunter2"), "{body}");
}

#[tokio::test]
async fn bodies_that_cannot_be_read_are_400_and_wrong_ones_422() {
    let cases = [
        (post_req("{", Some("application/json")), 400, "bad_request"),
        (post_req(r#"{"count":1}"#, None), 400, "bad_request"),
        (
            post_req(r#"{"count":"many"}"#, Some("application/json")),
            422,
            "validation_failed",
        ),
        (get_req("/items/not-a-number"), 400, "bad_request"),
        (get_req("/search?n=not-a-number"), 422, "validation_failed"),
    ];
    for (request, status, code) in cases {
        let uri = request.uri().clone();
        let (got, headers, body) = envelope_of(request).await;
        assert_eq!(got.as_u16(), status, "{uri}: {body}");
        assert_eq!(body["error_code"], code, "{uri}");
        assert_eq!(
            body["correlation_id"],
            headers[&REQUEST_ID].to_str().expect("ascii")
        );
    }
    let (_, _, body) = envelope_of(post_req(r#"{"count":1}"#, None)).await;
    assert_eq!(body["detail"], "expected Content-Type: application/json");
}
