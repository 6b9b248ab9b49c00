//! `/api/openapi.json` and an offline docs page at `/api/docs` that renders it: a small
//! renderer served from the binary (no CDN, no inline script, so the default CSP holds).

use axum::http::header;
use axum::routing::get;
use axum::Router;

const SCRIPT: &str = include_str!("../../static/docs.js");
const STYLE: &str = include_str!("../../static/docs.css");

/// The page, for a product named `title` with a line of `note` under the heading. Both are
/// the product's own constants, written as HTML text.
fn page(title: &str, note: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="/api/docs/docs.css">
  <script src="/api/docs/docs.js" defer></script>
</head>
<body>
  <header><h1>{title}</h1><p>Generated from the server's code: <a href="/api/openapi.json">openapi.json</a>. {note}</p></header>
  <main id="endpoints"><p>Loading…</p></main>
</body>
</html>
"#
    )
}

/// The routes, serving `spec` (as [`super::served_document`] corrects it) and a page titled
/// `title`.
pub fn docs_routes<S>(
    spec: &utoipa::openapi::OpenApi,
    title: &'static str,
    note: &'static str,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let spec_json = serde_json::to_string_pretty(&super::served_document(spec)).unwrap_or_default();
    let html = page(title, note);
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], spec_json) }),
        )
        .route(
            "/api/docs",
            get(
                move || async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html) },
            ),
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
