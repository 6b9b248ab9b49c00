//! The integration contract cannot drift silently (NRC-11): the surface the server serves is
//! the checked-in `guruconnect/integration-v1.openapi.json`, CONTRACT.md states the same
//! version as the code, and a shape is tied to its version in `contract-versions.txt`, so a
//! changed shape needs a new version line (a bump), not just a regenerated file.
//!
//! Regenerate after an intended change: `UPDATE_CONTRACT=1 cargo test -p guruconnect-server
//! --test contract`, then bump `CONTRACT_VERSION`, CONTRACT.md and add the version line.

use guruconnect_server::api::{integration::CONTRACT_VERSION, integration_openapi, openapi};
use guruconnect_testkit::TestApp;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .join(path)
}

fn generated() -> serde_json::Value {
    integration_openapi(&openapi())
}

/// The shape without the version, hashed: what a version promises.
fn shape_hash(value: &serde_json::Value) -> String {
    let mut shape = value.clone();
    shape["info"]["version"] = serde_json::Value::Null;
    hex::encode(Sha256::digest(shape.to_string().as_bytes()))
}

#[test]
fn the_checked_in_contract_document_is_what_the_code_defines() {
    let path = repo("guruconnect/integration-v1.openapi.json");
    if let Err(e) = server_kit::golden::check_json(&path, &generated(), "UPDATE_CONTRACT") {
        panic!("{e}, and bump the contract version");
    }
}

#[test]
fn each_contract_version_names_exactly_one_shape() {
    let lines =
        std::fs::read_to_string(repo("guruconnect/contract-versions.txt")).expect("versions file");
    let hash = shape_hash(&generated());
    let recorded = lines
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .find_map(|l| {
            l.split_once(' ')
                .filter(|(v, _)| *v == CONTRACT_VERSION)
                .map(|(_, h)| h.trim().to_owned())
        });
    match recorded {
        Some(h) => assert_eq!(
            h, hash,
            "the integration surface changed but CONTRACT_VERSION is still {CONTRACT_VERSION}: \
             bump it (major for anything incompatible) and add `<version> {hash}` to contract-versions.txt"
        ),
        None => panic!("contract-versions.txt has no line for {CONTRACT_VERSION}; add `{CONTRACT_VERSION} {hash}`"),
    }
}

#[test]
fn contract_md_states_the_code_version() {
    let text = std::fs::read_to_string(repo("CONTRACT.md")).expect("CONTRACT.md");
    assert!(
        text.contains(&format!("**Contract version: {CONTRACT_VERSION}**")),
        "CONTRACT.md must say **Contract version: {CONTRACT_VERSION}**"
    );
}

#[tokio::test]
async fn the_running_server_serves_that_surface() {
    let app = TestApp::spawn().await;
    let served: serde_json::Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(integration_openapi(&served), generated());
    let caps: serde_json::Value = app
        .client
        .get(app.url("/api/integration/v1/capabilities"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(caps["contract_version"], CONTRACT_VERSION);
}
