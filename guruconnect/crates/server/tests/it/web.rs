//! The web front end's routes: pages and bundles served from `web_dir`, only `/viewer` framable
//! and only by the configured origins, which also reach the page; a missing build explains itself.

use crate::helpers::*;

const EMBEDDER: &str = "https://rmm.example.com";

/// A stand-in `dist/` with the shape Vite produces (the real build is tested by Playwright).
fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("assets")).expect("assets dir");
    std::fs::write(
        dir.path().join("index.html"),
        "<title>technician app</title>",
    )
    .expect("index");
    std::fs::write(
        dir.path().join("viewer.html"),
        r#"<head><meta name="gc-embed-origins" content=""></head><title>viewer</title>"#,
    )
    .expect("viewer");
    std::fs::write(dir.path().join("assets/viewer-abc123.js"), "console.log(1)").expect("js");
    std::fs::write(
        dir.path().join("assets/decode-worker-abc123.js"),
        "onmessage = null",
    )
    .expect("js");
    std::fs::write(dir.path().join("secret.txt"), "not an asset").expect("txt");
    std::fs::write(dir.path().join("favicon.ico"), b"\0\0\x01\0icon").expect("ico");
    dir
}

async fn web_app(dist: &tempfile::TempDir) -> TestApp {
    let path = dist.path().to_owned();
    TestApp::spawn_with(move |c| {
        c.web_dir = Some(path);
        c.embed_allowed_origins = vec![EMBEDDER.into()];
    })
    .await
}

#[tokio::test]
async fn only_the_viewer_may_be_framed_and_only_by_the_allowlist() {
    let dist = fake_dist();
    let app = web_app(&dist).await;

    let viewer = app
        .client
        .get(app.url("/viewer"))
        .send()
        .await
        .expect("req");
    assert_eq!(viewer.status(), 200);
    let h = viewer.headers().clone();
    let csp = h["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains(&format!("frame-ancestors {EMBEDDER}")),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !h.contains_key("x-frame-options"),
        "XFO would forbid the allowed embedder"
    );
    let body = viewer.text().await.expect("body");
    assert!(
        body.contains(&format!(
            r#"<meta name="gc-embed-origins" content="{EMBEDDER}">"#
        )),
        "{body}"
    );

    for path in ["/", "/assets/viewer-abc123.js", "/api/version", "/api/docs"] {
        let res = app.client.get(app.url(path)).send().await.expect("req");
        assert_eq!(res.status(), 200, "{path}");
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn bundles_are_served_with_their_type_and_nothing_else_is() {
    let dist = fake_dist();
    let app = web_app(&dist).await;
    let js = app
        .client
        .get(app.url("/assets/viewer-abc123.js"))
        .send()
        .await
        .expect("req");
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(js.headers()["cache-control"]
        .to_str()
        .expect("cc")
        .contains("immutable"));
    for path in [
        "/assets/missing.js",
        "/assets/..%2Fsecret.txt",
        "/assets/../secret.txt",
        "/secret.txt",
        "/viewer.html",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("req");
        assert_eq!(res.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn without_embedders_the_viewer_cannot_be_framed_either() {
    let dist = fake_dist();
    let path = dist.path().to_owned();
    let app = TestApp::spawn_with(move |c| c.web_dir = Some(path)).await;
    let res = app
        .client
        .get(app.url("/viewer"))
        .send()
        .await
        .expect("req");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn an_unbuilt_front_end_says_how_to_build_it() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/")).send().await.expect("req");
    assert_eq!(res.status(), 503);
    assert!(res.text().await.expect("body").contains("npm run build"));
}

/// Browsers ask every page's origin for /favicon.ico; a 404 there is an error in the console.
#[tokio::test]
async fn the_favicon_is_served_as_an_icon() {
    let dist = fake_dist();
    let app = web_app(&dist).await;
    let res = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/x-icon");
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"\0\0\x01\0icon");
}

#[tokio::test]
async fn only_the_decode_worker_may_compile_webassembly_and_it_may_reach_nothing() {
    let dist = fake_dist();
    let app = web_app(&dist).await;
    let csp_of = |path: &'static str| {
        let app = &app;
        async move {
            let res = app.client.get(app.url(path)).send().await.expect("get");
            assert_eq!(res.status(), 200, "{path}");
            res.headers()["content-security-policy"]
                .to_str()
                .expect("csp")
                .to_owned()
        }
    };
    let worker = csp_of("/assets/decode-worker-abc123.js").await;
    assert!(worker.contains("'wasm-unsafe-eval'"), "{worker}");
    assert!(worker.contains("default-src 'none'"), "{worker}");
    assert!(
        !worker.contains("'unsafe-eval'"),
        "WebAssembly only: {worker}"
    );
    assert!(!worker.contains("http"), "no network: {worker}");
    for path in ["/assets/viewer-abc123.js", "/"] {
        let csp = csp_of(path).await;
        assert!(!csp.contains("wasm-unsafe-eval"), "{path}: {csp}");
    }
}
