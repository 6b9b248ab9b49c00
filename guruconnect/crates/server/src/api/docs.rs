//! `/api/openapi.json` and an offline docs page at `/api/docs` (GC-19): our own small renderer,
//! served from this binary, no CDN and no inline script (so the default CSP holds).

use crate::app::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

const PAGE: &str = include_str!("../../static/docs.html");
const SCRIPT: &str = include_str!("../../static/docs.js");
const STYLE: &str = include_str!("../../static/docs.css");

pub fn routes(spec: Arc<String>) -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let spec = spec.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        spec.as_str().to_owned(),
                    )
                }
            }),
        )
        .route(
            "/api/docs",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
            }),
        )
        .route(
            "/api/docs/docs.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
            }),
        )
        .route(
            "/api/docs/docs.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
}
