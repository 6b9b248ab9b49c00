//! The dashboard's static files (RMM-11): served from `dashboard_dir` with the page's CSP, the
//! single-page-app fallback for client routes, API and socket paths untouched, nothing outside
//! the directory readable, and a clear 404 when the dashboard is not built.

use crate::helpers::TestApp;
use std::path::Path;

/// A fake build: index.html, a hashed asset, a favicon; a secret beside (not inside) it and a
/// symlink inside pointing at the secret.
fn fake_dist(root: &Path) -> std::path::PathBuf {
    let dist = root.join("dist");
    std::fs::create_dir_all(dist.join("assets")).expect("mkdir");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><div id=\"root\"></div><script type=\"module\" src=\"/assets/app-1a2b.js\"></script>",
    )
    .expect("index");
    std::fs::write(dist.join("assets/app-1a2b.js"), "console.log('dashboard')").expect("js");
    std::fs::write(dist.join("favicon.svg"), "<svg/>").expect("svg");
    std::fs::write(root.join("secret.txt"), "TOP-SECRET").expect("secret");
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("secret.txt"), dist.join("assets/link.txt"))
        .expect("symlink");
    dist
}

async fn app_with_dashboard(frame_src: Vec<String>) -> (TestApp, tempfile::TempDir) {
    let files = tempfile::tempdir().expect("tempdir");
    let dist = fake_dist(files.path());
    let app = TestApp::spawn_with(|c| {
        c.dashboard_dir = dist;
        c.dashboard_frame_src = frame_src;
    })
    .await;
    (app, files)
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_csp_and_client_routes_fall_back_to_it() {
    let (app, _files) = app_with_dashboard(Vec::new()).await;
    for path in [
        "/",
        "/agents",
        "/agents/0b7d3c1e-aaaa-bbbb-cccc-000000000000",
        "/index.html",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            header(&res, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
        let csp = header(&res, "content-security-policy");
        for directive in [
            "script-src 'self';",
            "frame-ancestors 'none'",
            "frame-src 'none'",
            "object-src 'none'",
            "connect-src 'self'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains('*'),
            "{csp}"
        );
        assert!(res.text().await.expect("body").contains("id=\"root\""));
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_and_typed_other_files_revalidate() {
    let (app, _files) = app_with_dashboard(Vec::new()).await;
    let res = app
        .client
        .get(app.url("/assets/app-1a2b.js"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(header(&res, "cache-control").contains("immutable"));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let res = app
        .client
        .get(app.url("/favicon.svg"))
        .send()
        .await
        .expect("get");
    assert_eq!(header(&res, "content-type"), "image/svg+xml");
    assert_eq!(header(&res, "cache-control"), "no-cache");
}

#[tokio::test]
async fn api_socket_and_missing_file_paths_stay_json_404s_not_the_page() {
    let (app, _files) = app_with_dashboard(Vec::new()).await;
    for path in [
        "/api/nope",
        "/api",
        "/API/agents/x",
        "/ws/extra",
        "/assets/missing-9z.js",
        "/robots.txt",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            header(&res, "content-type").starts_with("application/json"),
            "{path}"
        );
        let body: serde_json::Value = res.json().await.expect("envelope");
        assert_eq!(body["error_code"], "no_route", "{path}");
    }
    // Real routes keep their own answers.
    let res = app
        .client
        .get(app.url("/api/agents"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 401, "the API is still authenticated");
    let res = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    // Writes to a page path are not pages.
    let res = app
        .client
        .post(app.url("/agents"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 404);
    assert!(header(&res, "content-type").starts_with("application/json"));
}

#[tokio::test]
async fn nothing_outside_the_dashboard_directory_is_readable() {
    let (app, _files) = app_with_dashboard(Vec::new()).await;
    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/assets/..\\..\\secret.txt",
        "/assets/link.txt",
        "//etc/passwd",
        "/C:/Windows/win.ini",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("get");
        let status = res.status();
        let body = res.text().await.expect("body");
        assert!(!body.contains("TOP-SECRET"), "{path} leaked the file");
        assert!(!body.contains("root:"), "{path} leaked /etc/passwd");
        assert_ne!(status, 500, "{path}");
    }
}

#[tokio::test]
async fn a_missing_build_is_a_clear_404_and_the_api_still_works() {
    let missing = tempfile::tempdir().expect("tempdir");
    let dir = missing.path().join("no-such-dist");
    let app = TestApp::spawn_with(|c| c.dashboard_dir = dir).await;
    let res = app
        .client
        .get(app.url("/agents"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.expect("envelope");
    assert_eq!(body["error_code"], "dashboard_not_installed");
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("not installed")));
    let res = app.get("/api/agents", &app.admin_token).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn configured_frame_sources_reach_the_pages_csp_only() {
    let origin = "https://viewer.example:8443".to_owned();
    let (app, _files) = app_with_dashboard(vec![origin.clone()]).await;
    let res = app.client.get(app.url("/")).send().await.expect("get");
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains(&format!("frame-src {origin};")), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let res = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("get");
    let api_csp = header(&res, "content-security-policy");
    assert!(!api_csp.contains(&origin), "{api_csp}");
}

/// Browsers fetch `/favicon.ico` on every page that names no icon (the API docs, JSON opened
/// in a tab): it answers with the dashboard's icon, with a build or without one, and a build
/// that ships its own favicon.ico wins.
#[tokio::test]
async fn favicon_ico_always_answers_with_an_icon() {
    let svg = include_str!("../../../../web/public/favicon.svg");
    let (built, files) = app_with_dashboard(Vec::new()).await;
    let missing = tempfile::tempdir().expect("tempdir");
    let dir = missing.path().join("no-such-dist");
    let bare = TestApp::spawn_with(|c| c.dashboard_dir = dir).await;
    for app in [&built, &bare] {
        let res = app
            .client
            .get(app.url("/favicon.ico"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "image/svg+xml");
        assert_eq!(res.text().await.expect("body"), svg);
    }
    std::fs::write(files.path().join("dist/favicon.ico"), "ICO").expect("ico");
    let res = built
        .client
        .get(built.url("/favicon.ico"))
        .send()
        .await
        .expect("get");
    assert_eq!(header(&res, "content-type"), "image/x-icon");
    assert_eq!(res.text().await.expect("body"), "ICO");
}
