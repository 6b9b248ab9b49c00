//! The dashboard (RMM-11): the built assets of `gururmm/web` served from `dashboard_dir`.
//!
//! It is the router's fallback, so every API route and `/ws` keep their own handlers. A path
//! whose last segment looks like a file name is served from the directory or answers 404; any
//! other path is a client-side route and gets `index.html` (the single-page-app fallback).
//! Paths under `/api` and `/ws` never fall back to the page: an unknown API path stays a JSON
//! 404, so a typo in a client is not mistaken for HTML.
//!
//! Files are looked up only through plain segments (letters, digits, `-`, `_`, `.`, `~`; no `.`
//! or `..` segment, no percent-encoding), and the resolved file must still lie inside the
//! directory after symlinks are followed: nothing outside `dashboard_dir` can be read.
//! `/favicon.ico` always answers: from the build if it has one, else the built-in icon.

use super::error::ApiError;
use crate::app::AppState;
use crate::config::Config;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};

/// The dashboard page's policy. `frame-src` comes from `dashboard_frame_src` (none by default;
/// the GuruConnect viewer's origin once it is embedded); nothing may frame the dashboard.
pub fn page_csp(frame_src: &[String]) -> String {
    let frames = if frame_src.is_empty() {
        "'none'".to_owned()
    } else {
        frame_src.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-src {frames}; frame-ancestors 'none'"
    )
}

/// Says at start whether the dashboard will be served, so a missing build is obvious.
pub fn announce(config: &Config) {
    let index = config.dashboard_dir.join("index.html");
    if index.is_file() {
        tracing::info!(dir = %config.dashboard_dir.display(), "serving the dashboard");
    } else {
        tracing::warn!(
            dir = %config.dashboard_dir.display(),
            "dashboard not found: {} does not exist, so only the API is served. Build it with \
             `npm ci && npm run build` in gururmm/web, or point dashboard_dir / \
             GURURMM_DASHBOARD_DIR at a built dist/ directory",
            index.display()
        );
    }
}

/// True for paths owned by the API or the agent socket, in any letter case.
fn is_api(path: &str) -> bool {
    let first = path
        .trim_start_matches('/')
        .split(['/', ';'])
        .next()
        .unwrap_or("");
    first.eq_ignore_ascii_case("api") || first.eq_ignore_ascii_case("ws")
}

/// The path's segments when every one is plain; None otherwise.
fn plain_segments(path: &str) -> Option<Vec<&str>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let plain = segments.iter().all(|s| {
        *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    });
    plain.then_some(segments)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Reads `relative` under `root` if it is a regular file inside `root` (symlinks resolved).
async fn read_inside(root: &Path, relative: &[&str]) -> Option<(PathBuf, Vec<u8>)> {
    let root = tokio::fs::canonicalize(root).await.ok()?;
    let candidate = relative.iter().fold(root.clone(), |p, s| p.join(s));
    let resolved = tokio::fs::canonicalize(&candidate).await.ok()?;
    if !resolved.starts_with(&root) || !tokio::fs::metadata(&resolved).await.ok()?.is_file() {
        return None;
    }
    let bytes = tokio::fs::read(&resolved).await.ok()?;
    Some((resolved, bytes))
}

fn respond(state: &AppState, path: &Path, bytes: Vec<u8>, hashed: bool) -> Response {
    let kind = content_type(path);
    let mut response = ([(header::CONTENT_TYPE, kind)], bytes).into_response();
    let headers = response.headers_mut();
    if kind.starts_with("text/html") {
        // The page is small and names the current asset hashes: never cache it.
        if let Ok(csp) = HeaderValue::from_str(&page_csp(&state.config.effective_frame_src())) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if hashed {
        // Vite puts a content hash in every name under assets/: a new build means new names.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// What `/favicon.ico` answers when the build has no such file: the dashboard's own icon,
/// built into the server. Browsers ask for it on every page that names no icon (the API docs,
/// JSON opened in a tab), so without it each of those logged a 404, dashboard built or not.
const FAVICON_SVG: &[u8] = include_bytes!("../../../../web/public/favicon.svg");

fn built_in_favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
        .into_response()
}

/// The router's fallback: dashboard files, the page for client-side routes, or a JSON 404.
pub async fn fallback(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if is_api(path) || (method != Method::GET && method != Method::HEAD) {
        return ApiError::NoRoute.into_response();
    }
    let Some(segments) = plain_segments(path) else {
        return ApiError::NoRoute.into_response();
    };
    let root = &state.config.dashboard_dir;
    let is_file = segments.last().is_some_and(|s| s.contains('.'));
    if is_file {
        return match read_inside(root, &segments).await {
            Some((file, bytes)) => {
                respond(&state, &file, bytes, segments.first() == Some(&"assets"))
            }
            None if segments == ["favicon.ico"] => built_in_favicon(),
            None => ApiError::NoRoute.into_response(),
        };
    }
    match read_inside(root, &["index.html"]).await {
        Some((file, bytes)) => respond(&state, &file, bytes, false),
        None => ApiError::DashboardMissing.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_and_socket_paths_never_fall_back_to_the_page() {
        for path in [
            "/api",
            "/api/",
            "/api/nope",
            "/API/agents",
            "/ws",
            "/Ws/x",
            "/api;x",
        ] {
            assert!(is_api(path), "{path}");
        }
        for path in ["/", "/agents", "/apis", "/wsx/1", "/clients/api"] {
            assert!(!is_api(path), "{path}");
        }
    }

    #[test]
    fn only_plain_segments_are_looked_up() {
        assert_eq!(
            plain_segments("/assets/index-AbC_1.js"),
            Some(vec!["assets", "index-AbC_1.js"])
        );
        for path in [
            "/../etc/passwd",
            "/assets/../../x",
            "/./index.html",
            "/%2e%2e/x",
            "/a\\b",
            "/C:/x",
        ] {
            assert_eq!(plain_segments(path), None, "{path}");
        }
    }

    /// Runs `announce` under a subscriber that writes into a buffer; returns what it logged.
    fn announced(dir: &Path) -> String {
        use std::sync::{Arc, Mutex};
        #[derive(Clone)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer(Arc::default());
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let config = Config {
            dashboard_dir: dir.to_path_buf(),
            ..Config::default()
        };
        tracing::subscriber::with_default(subscriber, || announce(&config));
        let bytes = buffer.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn a_missing_build_is_announced_with_the_path_and_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nowhere");
        let log = announced(&missing);
        assert!(log.contains("WARN"), "{log}");
        assert!(log.contains("dashboard not found"), "{log}");
        assert!(log.contains(&missing.display().to_string()), "{log}");
        assert!(log.contains("GURURMM_DASHBOARD_DIR"), "{log}");

        std::fs::write(dir.path().join("index.html"), "<!doctype html>").expect("index");
        let log = announced(dir.path());
        assert!(log.contains("serving the dashboard"), "{log}");
        assert!(!log.contains("WARN"), "{log}");
    }

    #[test]
    fn frame_src_is_none_unless_configured() {
        let csp = page_csp(&[]);
        assert!(csp.contains("frame-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        let csp = page_csp(&["https://gc.example".to_owned()]);
        assert!(csp.contains("frame-src https://gc.example;"), "{csp}");
    }
}
