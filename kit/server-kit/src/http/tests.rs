//! The layers on a real axum router: what a caller sends, what comes back.

use super::*;
use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;

const FRAMEABLE_CSP: &str = "default-src 'self'; frame-ancestors https://rmm.example";

/// `/id` answers with the correlation id its handler sees; `/frameable` and `/sealed` set their
/// own CSP; `/cached` its own Cache-Control.
fn app(origins: &[String]) -> Router {
    let app = Router::new()
        .route("/id", get(|| async { correlation_id() }))
        .route(
            "/frameable",
            get(|| async { ([(header::CONTENT_SECURITY_POLICY, FRAMEABLE_CSP)], "page") }),
        )
        .route(
            "/sealed",
            get(|| async {
                (
                    [(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'")],
                    "page",
                )
            }),
        )
        .route(
            "/worker",
            get(|| async {
                (
                    [(header::CONTENT_SECURITY_POLICY, "default-src 'none'")],
                    "js",
                )
            }),
        )
        .route(
            "/cached",
            get(|| async { ([(header::CACHE_CONTROL, "max-age=60")], "asset").into_response() }),
        );
    with_common_layers(app, origins, false)
}

async fn call(app: Router, request: Request<Body>) -> axum::response::Response {
    app.oneshot(request).await.expect("infallible")
}

fn get_with(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::get(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("request")
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn a_plain_caller_id_is_kept_and_is_the_handlers_correlation_id() {
    let response = call(
        app(&[]),
        get_with("/id", &[("x-request-id", "support-ticket-42")]),
    )
    .await;
    assert_eq!(response.headers()[&REQUEST_ID], "support-ticket-42");
    assert_eq!(body_text(response).await, "support-ticket-42");
}

#[tokio::test]
async fn an_unplain_or_long_caller_id_is_replaced() {
    let long = "a".repeat(65);
    for given in ["forged\" level=ERROR", "a b", long.as_str(), ""] {
        let response = call(app(&[]), get_with("/id", &[("x-request-id", given)])).await;
        let sent = response.headers()[&REQUEST_ID]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_ne!(sent, given);
        assert!(uuid::Uuid::parse_str(&sent).is_ok(), "{sent}");
        assert_eq!(
            body_text(response).await,
            sent,
            "the handler saw the same id"
        );
    }
}

#[tokio::test]
async fn outside_a_request_each_correlation_id_is_fresh() {
    assert_ne!(correlation_id(), correlation_id());
}

#[tokio::test]
async fn every_response_gets_the_defaults() {
    let response = call(app(&[]), get_with("/id", &[])).await;
    let h = response.headers();
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], DEFAULT_CSP);
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    assert!(
        h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
        "HSTS is opt-in"
    );
    // 404s too: the layers wrap the fallback.
    let missing = call(app(&[]), get_with("/nowhere", &[])).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()[header::X_FRAME_OPTIONS], "DENY");
}

#[tokio::test]
async fn a_route_that_may_be_framed_decides_its_own_framing() {
    let response = call(app(&[]), get_with("/frameable", &[])).await;
    let h = response.headers();
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], FRAMEABLE_CSP);
    assert!(
        h.get(header::X_FRAME_OPTIONS).is_none(),
        "DENY would override frame-ancestors"
    );
    let sealed = call(app(&[]), get_with("/sealed", &[])).await;
    assert_eq!(sealed.headers()[header::X_FRAME_OPTIONS], "DENY");
    // A CSP that says nothing of framing does not lift DENY.
    let silent = call(app(&[]), get_with("/worker", &[])).await;
    assert_eq!(silent.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(
        silent.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'"
    );
    let cached = call(app(&[]), get_with("/cached", &[])).await;
    assert_eq!(cached.headers()[header::CACHE_CONTROL], "max-age=60");
}

#[tokio::test]
async fn hsts_only_when_the_server_speaks_tls() {
    let tls = with_common_layers(Router::new().route("/", get(|| async { "ok" })), &[], true);
    let response = call(tls, get_with("/", &[])).await;
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains"
    );
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/id")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn without_configured_origins_no_other_origin_may_read() {
    let response = call(app(&[]), preflight("https://evil.example")).await;
    assert!(response
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    let junk_only = vec!["bad\norigin".to_owned()];
    assert!(
        cors_layer(&junk_only).is_none(),
        "no valid origin, no layer"
    );
}

#[tokio::test]
async fn a_configured_origin_may_read_and_no_other() {
    let origins = vec!["https://tech.example".to_owned()];
    let allowed = call(app(&origins), preflight("https://tech.example")).await;
    let h = allowed.headers();
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        HeaderValue::from_static("https://tech.example")
    );
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
    let methods = h[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .expect("ascii");
    assert!(methods.contains("DELETE"), "{methods}");
    let other = call(app(&origins), preflight("https://evil.example")).await;
    assert!(other
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    let read = call(
        app(&origins),
        get_with("/id", &[("origin", "https://tech.example")]),
    )
    .await;
    let exposed = read.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .expect("ascii");
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

#[tokio::test]
async fn the_docs_are_served_from_the_binary() {
    let spec = utoipa::openapi::OpenApiBuilder::new().build();
    let docs = || docs_routes::<()>(&spec, "Kit API", "A note.");
    let page = call(docs(), get_with("/api/docs", &[])).await;
    assert_eq!(
        page.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = body_text(page).await;
    assert!(
        html.contains("<title>Kit API</title>") && html.contains("A note."),
        "{html}"
    );
    assert!(html.contains(r#"src="/api/docs/docs.js""#), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-hosted: {html}"
    );
    for (path, kind) in [
        ("/api/docs/docs.js", "text/javascript; charset=utf-8"),
        ("/api/docs/docs.css", "text/css; charset=utf-8"),
        ("/api/openapi.json", "application/json"),
    ] {
        let response = call(docs(), get_with(path, &[])).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], kind, "{path}");
        assert!(!body_text(response).await.is_empty(), "{path}");
    }
}

#[test]
fn only_a_non_empty_bearer_token_is_read() {
    let token = |value: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("value"),
        );
        bearer_token(&headers).map(str::to_owned)
    };
    assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
    assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
    assert_eq!(token("Basic abc"), None);
    assert_eq!(token("Bearer "), None);
    assert_eq!(token("Bearerabc"), None);
    assert_eq!(bearer_token(&HeaderMap::new()), None);
}
