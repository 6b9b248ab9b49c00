//! The browser front end built from `guruconnect/web` (`dist/`): the technician app at `/`, the
//! viewer at `/viewer`, their hashed bundles under `/assets/`, and `/favicon.ico` (which
//! browsers ask for on every page). Files are read once at start,
//! so a request never touches the file system and no path from a request reaches it.
//!
//! Framing: `/viewer` is the only page another site may frame, and only the origins in
//! `embed_allowed_origins`; its CSP says so and the list also reaches the page (a `<meta>`), which
//! posts its lifecycle events to exactly that parent origin. Every other page keeps the default
//! `frame-ancestors 'none'` from the security-header middleware.

use crate::app::AppState;
use crate::config::Config;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;

/// The placeholder in `viewer.html` that receives the embed allowlist.
const EMBED_META_PLACEHOLDER: &str = r#"<meta name="gc-embed-origins" content="">"#;

/// The CSP of `/viewer`: the default policy with the embedding allowlist as its ancestors.
pub fn viewer_csp(embed_origins: &[String]) -> String {
    let ancestors = match embed_origins.is_empty() {
        true => "'none'".to_owned(),
        false => embed_origins.join(" "),
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {ancestors}"
    )
}

/// The CSP of the viewer's decode worker (`assets/decode-worker-*.js`), which governs what the
/// worker may do: load its own chunks, compile its WebAssembly zstd decoder (`wasm-unsafe-eval`
/// allows WebAssembly only, not JavaScript `eval`), and read that module from the `data:` URL
/// it is bundled in. Nothing else: no network, no other origin.
pub const DECODE_WORKER_CSP: &str =
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src data:";

/// The built front end held in memory.
#[derive(Debug, Default)]
struct Assets {
    index: Option<Bytes>,
    viewer: Option<Bytes>,
    favicon: Option<Bytes>,
    /// File name under `assets/` → (body, content type).
    bundles: HashMap<String, (Bytes, &'static str)>,
}

impl Assets {
    fn load(config: &Config) -> Self {
        let Some(dir) = &config.web_dir else {
            tracing::info!("web_dir is not set: serving the API only");
            return Self::default();
        };
        let read = |name: &str| std::fs::read(dir.join(name)).ok().map(Bytes::from);
        let index = read("index.html");
        let viewer = read("viewer.html").map(|html| with_embed_origins(&html, config));
        if index.is_none() || viewer.is_none() {
            tracing::warn!(dir = %dir.display(),
                "web_dir has no index.html/viewer.html: build it with `npm run build` in guruconnect/web");
        }
        let mut bundles = HashMap::new();
        if let Ok(entries) = std::fs::read_dir(dir.join("assets")) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let (Some(kind), Ok(body)) = (content_type(&name), std::fs::read(entry.path())) {
                    bundles.insert(name, (Bytes::from(body), kind));
                }
            }
        }
        tracing::info!(dir = %dir.display(), assets = bundles.len(), "web front end loaded");
        Self {
            index,
            viewer,
            favicon: read("favicon.ico"),
            bundles,
        }
    }
}

/// Writes the embed allowlist into the viewer page (space-separated origins, which the config
/// validated as `scheme://host[:port]`, escaped anyway).
fn with_embed_origins(html: &[u8], config: &Config) -> Bytes {
    let text = String::from_utf8_lossy(html);
    let list = config.embed_allowed_origins.join(" ");
    let escaped: String = list
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '&' | '\''))
        .collect();
    let meta = format!(r#"<meta name="gc-embed-origins" content="{escaped}">"#);
    Bytes::from(text.replacen(EMBED_META_PLACEHOLDER, &meta, 1))
}

fn content_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1;
    Some(match ext {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        "map" => "application/json",
        _ => return None,
    })
}

fn html(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "The GuruConnect web UI is not built or not configured.\n\
         Build it with `npm ci && npm run build` in guruconnect/web and set web_dir \
         (GURUCONNECT_WEB_DIR) to guruconnect/web/dist; `./dev run` does both.\n",
    )
        .into_response()
}

/// `/`, `/viewer`, `/favicon.ico` and `/assets/{file}`.
pub fn routes(config: &Config) -> Router<AppState> {
    let assets = Arc::new(Assets::load(config));
    let csp = HeaderValue::from_str(&viewer_csp(&config.embed_allowed_origins))
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"));
    let (index, viewer, favicon, bundles) =
        (assets.clone(), assets.clone(), assets.clone(), assets);
    Router::new()
        .route(
            "/",
            get(move || async move { index.index.clone().map_or_else(not_built, html) }),
        )
        .route(
            "/viewer",
            get(move || async move {
                let mut response = viewer.viewer.clone().map_or_else(not_built, html);
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, csp.clone());
                response
            }),
        )
        .route(
            "/favicon.ico",
            get(move || async move {
                match favicon.favicon.clone() {
                    Some(body) => (
                        [
                            (header::CONTENT_TYPE, "image/x-icon"),
                            (header::CACHE_CONTROL, "public, max-age=86400"),
                        ],
                        body,
                    )
                        .into_response(),
                    None => crate::http::error::ApiError::NoRoute.into_response(),
                }
            }),
        )
        .route(
            "/assets/{file}",
            get(move |Path(file): Path<String>| async move {
                match bundles.bundles.get(&file) {
                    Some((body, kind)) => {
                        let mut response = (
                            [
                                (header::CONTENT_TYPE, *kind),
                                // Vite puts a content hash in every name: a changed file is a
                                // new URL.
                                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                            ],
                            body.clone(),
                        )
                            .into_response();
                        if file.starts_with("decode-worker-") {
                            response.headers_mut().insert(
                                header::CONTENT_SECURITY_POLICY,
                                HeaderValue::from_static(DECODE_WORKER_CSP),
                            );
                        }
                        response
                    }
                    None => crate::http::error::ApiError::NoRoute.into_response(),
                }
            }),
        )
}
