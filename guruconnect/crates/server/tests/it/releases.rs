//! The agent release channel: a published build's metadata through the integration key, its
//! public download, and the digest and signature a machine checks before running it.

use crate::helpers::*;
use guruconnect_server::releases::{self, Build};
use serde_json::Value;
use server_kit::signing;

const KEY: &str = "integration-key-for-tests-0123456789abcdef";

/// Signs the build at `path` as `release sign` does (where it was built, with the secret seed
/// `secret`) and publishes it on `app` as `version`.
async fn publish_signed(app: &TestApp, secret: &str, path: &std::path::Path, version: &str) {
    let key = signing::signing_key(secret).expect("key");
    let signed = signing::sign(&std::fs::read(path).expect("build"), &key);
    let state = app.state();
    let build = Build {
        version,
        platform: "linux-x86_64",
        binary: path,
    };
    releases::publish(&state.db, &state.config, build, &signed)
        .await
        .expect("publish");
}

#[tokio::test]
async fn a_published_build_downloads_and_verifies_and_a_tampered_one_does_not() {
    let app = TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(KEY))
    })
    .await;
    let (secret, public) = signing::keygen();
    let build = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(build.path(), b"#!/bin/sh\necho pretend agent\n").expect("write");
    for version in ["0.1.0", "0.2.0"] {
        publish_signed(&app, &secret, build.path(), version).await;
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

    let (secret, _) = signing::keygen();
    let build = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(build.path(), b"pretend agent").expect("write");
    for version in ["1.0.0", "1.1.0"] {
        publish_signed(&app, &secret, build.path(), version).await;
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

#[tokio::test]
async fn a_build_changed_after_signing_or_signed_under_another_key_is_not_published() {
    let (pinned_secret, pinned_public) = signing::keygen();
    let app = TestApp::spawn_with(|c| c.release_public_key = Some(pinned_public.clone())).await;
    let state = app.state();
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("guruconnect-agent");
    std::fs::write(&path, b"the build that was signed").expect("write");
    let build = Build {
        version: "2.0.0",
        platform: "linux-x86_64",
        binary: &path,
    };
    let sign = |secret: &str| {
        let key = signing::signing_key(secret).expect("key");
        signing::sign(&std::fs::read(&path).expect("read"), &key)
    };

    // Whoever holds the server but not the key: their own key is refused...
    let (intruder_secret, _) = signing::keygen();
    let err = releases::publish(&state.db, &state.config, build, &sign(&intruder_secret))
        .await
        .expect_err("another key");
    assert!(err.to_string().contains("release_public_key"), "{err}");
    // ...and so is a signed build swapped for another binary.
    let genuine = sign(&pinned_secret);
    std::fs::write(&path, b"a binary slipped in after signing").expect("write");
    let err = releases::publish(&state.db, &state.config, build, &genuine)
        .await
        .expect_err("changed after signing");
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(
        guruconnect_server::db::releases::latest(&state.db, "linux-x86_64")
            .await
            .expect("query")
            .is_none(),
        "nothing was published"
    );

    std::fs::write(&path, b"the build that was signed").expect("write");
    releases::publish(&state.db, &state.config, build, &genuine)
        .await
        .expect("the genuine build");
}

/// The CLI as a release manager uses it: keygen and sign away from the server, publish on it
/// with the signature file only; the server has no way to take a signing key.
#[test]
fn the_command_line_signs_off_the_server_and_publishes_only_the_signed_build() {
    let server = env!("CARGO_BIN_EXE_guruconnect-server");
    let build_machine = tempfile::tempdir().expect("dir");
    let data_dir = tempfile::tempdir().expect("dir");
    let key = build_machine.path().join("release-signing.key");
    let binary = build_machine.path().join("guruconnect-agent");
    let signature = build_machine.path().join("guruconnect-agent.sig");
    std::fs::write(&binary, b"a build").expect("write");
    let run = |args: &[&str]| {
        std::process::Command::new(server)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .expect("run")
    };
    let path = |p: &std::path::Path| p.to_str().expect("utf-8").to_owned();

    let keygen = run(&["release", "keygen", "--out", &path(&key)]);
    assert!(keygen.status.success(), "{keygen:?}");
    let sign = run(&[
        "release",
        "sign",
        "--signing-key",
        &path(&key),
        "--file",
        &path(&binary),
        "--out",
        &path(&signature),
    ]);
    assert!(sign.status.success(), "{sign:?}");

    let publish = |extra: &[&str]| {
        let data = path(data_dir.path());
        let mut args = vec![
            "--data-dir",
            &data,
            "release",
            "publish",
            "--version",
            "1.0.0",
        ];
        args.extend(["--platform", "linux-x86_64"]);
        let (file, sig) = (path(&binary), path(&signature));
        args.extend(["--file", &file, "--signature", &sig]);
        args.extend(extra);
        run(&args)
    };
    let key_path = path(&key);
    let refused = publish(&["--signing-key", &key_path]);
    assert!(!refused.status.success(), "publish took a signing key");
    let published = publish(&[]);
    assert!(published.status.success(), "{published:?}");
    let stdout = String::from_utf8_lossy(&published.stdout);
    assert!(stdout.contains("published linux-x86_64 1.0.0"), "{stdout}");

    // The secret is nowhere in what the server keeps.
    let secret = std::fs::read(&key).expect("key");
    let secret = String::from_utf8_lossy(&secret).trim().to_owned();
    for entry in walk(data_dir.path()) {
        let bytes = std::fs::read(&entry).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&secret),
            "{} holds the signing key",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
