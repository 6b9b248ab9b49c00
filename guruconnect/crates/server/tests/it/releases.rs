//! The agent release channel: a published build's metadata through the integration key, its
//! public download, and the digest and signature a machine checks before running it.

use crate::helpers::*;
use guruconnect_server::releases;
use serde_json::Value;

const KEY: &str = "integration-key-for-tests-0123456789abcdef";

#[tokio::test]
async fn a_published_build_downloads_and_verifies_and_a_tampered_one_does_not() {
    let app = TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(KEY))
    })
    .await;
    let (secret, public) = releases::keygen();
    let build = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(build.path(), b"#!/bin/sh\necho pretend agent\n").expect("write");
    let state = app.state();
    for version in ["0.1.0", "0.2.0"] {
        releases::publish(
            &state.db,
            &state.config.data_dir,
            version,
            "linux-x86_64",
            build.path(),
            &secret,
        )
        .await
        .expect("publish");
    }

    let latest: Value = app
        .get(
            "/api/integration/v1/agent-releases/latest?platform=linux-x86_64",
            KEY,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(latest["version"], "0.2.0", "{latest}");
    let url = latest["download_url"].as_str().expect("url");
    assert!(
        url.ends_with("/api/releases/linux-x86_64/0.2.0/download"),
        "{url}"
    );
    let bytes = app
        .client
        .get(url)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("body");
    let (sha, signature) = (
        latest["sha256"].as_str().expect("sha"),
        latest["signature"].as_str().expect("sig"),
    );
    assert!(releases::verify(&bytes, sha, signature, &public));
    let mut tampered = bytes.to_vec();
    tampered[0] ^= 1;
    assert!(!releases::verify(&tampered, sha, signature, &public));

    // Metadata needs the integration key; nothing is published for Windows yet.
    let anonymous = app
        .client
        .get(app.url("/api/integration/v1/agent-releases/latest?platform=linux-x86_64"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    let none = app
        .get(
            "/api/integration/v1/agent-releases/latest?platform=windows-x86_64",
            KEY,
        )
        .await;
    assert_eq!(none.status(), 404);
    let bad = app
        .get(
            "/api/integration/v1/agent-releases/latest?platform=../../etc",
            KEY,
        )
        .await;
    assert_eq!(bad.status(), 422);
    for path in [
        "/api/releases/linux-x86_64/..%2F..%2Fmaster.key/download",
        "/api/releases/linux-x86_64/9.9.9/download",
        "/api/releases/plan9/0.2.0/download",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("get");
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }
}

/// What the support-code page shows the end user: the relay URL an agent is started with and
/// the latest download per published platform; for signed-in technicians only.
#[tokio::test]
async fn technicians_get_the_relay_url_and_the_latest_download_per_published_platform() {
    let app = TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(KEY));
        c.public_url = Some("https://connect.example.com/".into());
    })
    .await;
    let empty: Value = app.get_json("/api/agent-downloads", &app.admin_token).await;
    assert_eq!(empty["relay_url"], "wss://connect.example.com", "{empty}");
    assert_eq!(
        empty["releases"],
        serde_json::json!([]),
        "nothing published yet"
    );

    let (secret, _) = releases::keygen();
    let build = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(build.path(), b"pretend agent").expect("write");
    let state = app.state();
    for version in ["1.0.0", "1.1.0"] {
        releases::publish(
            &state.db,
            &state.config.data_dir,
            version,
            "linux-x86_64",
            build.path(),
            &secret,
        )
        .await
        .expect("publish");
    }
    let technician = app.user("tech-downloads", "technician").await;
    let listed: Value = app.get_json("/api/agent-downloads", &technician).await;
    let releases = listed["releases"].as_array().expect("releases");
    assert_eq!(releases.len(), 1, "no Windows build is published: {listed}");
    assert_eq!(releases[0]["platform"], "linux-x86_64");
    assert_eq!(releases[0]["version"], "1.1.0");
    assert_eq!(releases[0]["file_name"], "guruconnect-agent");
    assert_eq!(releases[0]["size"], 13);
    assert_eq!(
        releases[0]["download_url"],
        "https://connect.example.com/api/releases/linux-x86_64/1.1.0/download"
    );

    // One mechanism: the technician's access token. Nothing, or the integration key, is refused.
    let anonymous = app
        .client
        .get(app.url("/api/agent-downloads"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.get("/api/agent-downloads", KEY).await.status(), 401);
}
