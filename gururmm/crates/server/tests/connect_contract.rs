//! Contract tests, GuruRMM side (NRC-11): GuruRMM's GuruConnect client parses and
//! version-gates recorded capability documents (`tests/fixtures/connect/`), and its HTTP calls
//! match CONTRACT.md v1 — exercised against a GuruConnect STAND-IN (`support/gc_standin.rs`),
//! never against a guruconnect crate (GuruRMM depends on none).

#[path = "support/gc_standin.rs"]
mod gc_standin;

use gc_standin::StandIn;
use gururmm_server::config::{ConnectConfig, SecretString};
use gururmm_server::connect::capabilities::{Capabilities, Compatibility, Mode};
use gururmm_server::connect::client::NewSession;
use gururmm_server::connect::{Connect, ConnectClient, ConnectError};
use serde_json::json;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

const KEY: &str = "integration-key-0123456789abcdef0123";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/connect")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parsed(name: &str) -> Capabilities {
    Capabilities::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_current_document_allows_both_modes() {
    let caps = parsed("current.json");
    assert_eq!(caps.compatibility(), Compatibility::Compatible);
    assert_eq!(caps.unavailable_reason(), None);
    assert_eq!(caps.modes(), vec![Mode::Unattended, Mode::Attended]);
    assert!(caps.features.embedded_viewer);
}

#[test]
fn session_documents_of_either_minor_parse() {
    use gururmm_server::connect::client::SessionState;
    let waiting: SessionState =
        serde_json::from_str(&fixture("session-waiting-refused.json")).expect("1.1.0 session");
    assert_eq!(waiting.status, "waiting");
    assert_eq!(
        waiting.agent_refused.map(|r| r.cause).as_deref(),
        Some("machine identity does not match this agent")
    );
    let ended: SessionState =
        serde_json::from_str(&fixture("session-ended-1.0.json")).expect("1.0.0 session");
    assert_eq!(ended.status, "ended");
    assert_eq!(ended.end_reason.as_deref(), Some("consent_declined"));
    assert!(ended.agent_refused.is_none());
}

#[test]
fn an_older_minor_without_a_later_flag_is_accepted_and_the_flag_counts_as_off() {
    let caps = parsed("older-minor.json");
    assert_eq!(caps.compatibility(), Compatibility::Compatible);
    assert!(!caps.features.embedded_viewer);
    assert_eq!(caps.modes(), vec![Mode::Unattended, Mode::Attended]);
}

#[test]
fn a_newer_minor_with_unknown_fields_and_flags_is_accepted() {
    let caps = parsed("newer-minor.json");
    assert_eq!(caps.compatibility(), Compatibility::Compatible);
    assert_eq!(caps.refuses(Mode::Attended), None);
    assert_eq!(caps.refuses(Mode::Unattended), None);
    // Unknown flags are kept for the log line, and change nothing.
    assert!(caps.features.other.contains_key("file_transfer"));
    assert!(caps.feature_map().contains("file_transfer"));
}

#[test]
fn another_major_disables_everything_with_a_reason_naming_both_versions() {
    for (name, served) in [("newer-major.json", "2.0.0"), ("older-major.json", "0.9.0")] {
        let caps = parsed(name);
        assert_eq!(
            caps.compatibility(),
            Compatibility::MajorMismatch {
                served: served.into()
            },
            "{name}"
        );
        assert!(caps.modes().is_empty(), "{name}");
        let reason = caps.refuses(Mode::Unattended).expect("refused");
        assert!(
            reason.contains(served) && reason.contains("1.x"),
            "{reason}"
        );
    }
}

#[test]
fn features_off_offer_nothing() {
    let caps = parsed("features-off.json");
    assert_eq!(caps.compatibility(), Compatibility::Compatible);
    let reason = caps.unavailable_reason().expect("unavailable");
    assert!(reason.contains("programmatic_sessions"), "{reason}");
    assert!(caps.modes().is_empty());
}

#[test]
fn without_the_consent_prompt_attended_is_refused_and_unattended_allowed() {
    let caps = parsed("no-consent.json");
    assert_eq!(caps.modes(), vec![Mode::Unattended]);
    let reason = caps.refuses(Mode::Attended).expect("refused");
    assert!(reason.contains("consent_prompt"), "{reason}");
    assert_eq!(caps.refuses(Mode::Unattended), None);
}

#[test]
fn a_document_that_is_not_one_is_an_error() {
    assert!(Capabilities::parse(r#"{"features":{}}"#).is_err());
    assert!(Capabilities::parse("<html>").is_err());
    let caps = Capabilities::parse(r#"{"contract_version":"one","features":{}}"#).expect("parses");
    assert!(matches!(
        caps.compatibility(),
        Compatibility::Unparseable { .. }
    ));
    assert!(caps.modes().is_empty());
}

// --- The HTTP calls, against the stand-in ---

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(|| Capture)
        .with_ansi(false)
        .try_init();
}

fn connect_for(standin: &StandIn, refresh_secs: u64) -> Connect {
    let config = ConnectConfig {
        url: Some(standin.base.clone()),
        integration_key: Some(SecretString::new(KEY)),
        capabilities_refresh_secs: refresh_secs,
        ..ConnectConfig::default()
    };
    Connect::from_config(&config)
        .expect("client")
        .expect("configured")
}

fn client(standin: &StandIn, key: &str) -> ConnectClient {
    ConnectClient::new(
        &standin.base,
        SecretString::new(key),
        Duration::from_secs(10),
        None,
    )
    .expect("client")
}

#[tokio::test]
async fn each_recorded_document_served_over_http_is_gated_and_logged() {
    init_logs();
    let standin = StandIn::start(KEY).await;
    for (name, compatible) in [
        ("current.json", true),
        ("older-minor.json", true),
        ("newer-minor.json", true),
        ("newer-major.json", false),
        ("features-off.json", true),
    ] {
        standin.set_capabilities(serde_json::from_str(&fixture(name)).expect("json"));
        let connect = connect_for(&standin, 300);
        let caps = connect.refresh().await.expect(name);
        assert_eq!(
            caps.compatibility() == Compatibility::Compatible,
            compatible,
            "{name}"
        );
    }
    let logs = captured();
    // The version and the feature map are logged; a major mismatch is a WARNING naming it.
    assert!(
        logs.contains("contract_version=1.4.2") && logs.contains("file_transfer"),
        "{logs}"
    );
    let warning = logs
        .lines()
        .find(|l| l.contains("contract_version=2.0.0"))
        .expect("a line about 2.0.0");
    assert!(
        warning.contains("WARN") && warning.contains("[WARNING]") && warning.contains("disabled"),
        "{warning}"
    );
    assert!(!logs.contains(KEY), "the integration key is never logged");
}

#[tokio::test]
async fn capabilities_are_cached_and_a_failure_is_retried_on_the_next_use() {
    let standin = StandIn::start(KEY).await;
    let connect = connect_for(&standin, 3600);
    connect.capabilities().await.expect("first");
    connect.capabilities().await.expect("cached");
    assert_eq!(
        standin.calls_to("/capabilities").len(),
        1,
        "served from cache"
    );

    // A broken answer is an error, and is not cached.
    standin.set_capabilities(json!("not a document"));
    let connect = connect_for(&standin, 3600);
    let err = connect.capabilities().await.expect_err("broken");
    assert!(err.contains("unexpected answer"), "{err}");
    standin.set_capabilities(gc_standin::current_capabilities());
    connect.capabilities().await.expect("retried");
    assert_eq!(standin.calls_to("/capabilities").len(), 3);

    // Nobody listening: unreachable, with no secret in the message.
    let gone = ConnectConfig {
        url: Some("http://127.0.0.1:9".into()),
        integration_key: Some(SecretString::new(KEY)),
        request_timeout_secs: 5,
        ..ConnectConfig::default()
    };
    let connect = Connect::from_config(&gone).expect("c").expect("configured");
    let err = connect.capabilities().await.expect_err("down");
    assert!(err.contains("unreachable") && !err.contains(KEY), "{err}");
}

#[tokio::test]
async fn the_calls_send_the_contract_shapes_with_the_integration_key() {
    let standin = StandIn::start(KEY).await;
    standin.publish(
        "linux-x86_64",
        json!({"version": "1.2.3", "platform": "linux-x86_64", "sha256": "ab".repeat(32),
            "signature": "c2ln", "download_url": "http://x/d", "size": 10, "published_at": "later"}),
    );
    let c = client(&standin, KEY);
    let key = c
        .mint_agent_key("dev-1", "gururmm:host")
        .await
        .expect("key");
    assert_eq!(standin.minted(), vec![key.key.expose().to_owned()]);
    let session = c
        .create_session(&NewSession {
            agent_id: "dev-1",
            mode: Mode::Attended,
            technician_name: "tech@example.com",
            reason: "printer",
        })
        .await
        .expect("session");
    assert_eq!(session.status, "waiting");
    let code = session.support_code.as_ref().expect("attended has a code");
    assert_eq!(standin.codes(), vec![code.expose().to_owned()]);
    let token = c
        .viewer_token(&session.id, "tech@example.com", "u1")
        .await
        .expect("token");
    assert_eq!(token.session_id, session.id);
    let release = c.latest_release("linux-x86_64").await.expect("release");
    assert_eq!(release.expect("published").version, "1.2.3");
    assert!(c
        .latest_release("windows-x86_64")
        .await
        .expect("404 is none")
        .is_none());
    c.end_session(&session.id).await.expect("end");
    c.end_session(&session.id)
        .await
        .expect("ending twice is fine");

    let calls = standin.calls();
    assert!(calls.iter().all(|c| c.authorized), "{calls:?}");
    let create = calls
        .iter()
        .find(|c| c.path == "/api/integration/v1/sessions")
        .expect("create");
    assert_eq!(
        create.body,
        json!({"agent_id": "dev-1", "mode": "attended", "technician_name": "tech@example.com",
            "reason": "printer"})
    );
}

#[tokio::test]
async fn errors_keep_guruconnects_detail_code_and_correlation_id() {
    let standin = StandIn::start(KEY).await;
    // A wrong key.
    let err = client(&standin, "wrong-key-0123456789abcdef0123456789")
        .mint_agent_key("dev-1", "x")
        .await
        .expect_err("refused");
    let ConnectError::Upstream {
        status,
        error_code,
        correlation_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*status, error_code.as_str()), (401, "unauthorized"));
    assert!(correlation_id
        .as_deref()
        .is_some_and(|id| id.starts_with("standin-")));
    // An injected validation failure.
    standin.fail_next(
        "sessions",
        422,
        "validation_failed",
        "agent_id is not valid",
    );
    let err = client(&standin, KEY)
        .create_session(&NewSession {
            agent_id: "dev 1",
            mode: Mode::Unattended,
            technician_name: "",
            reason: "",
        })
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("agent_id is not valid") && text.contains("validation_failed"),
        "{text}"
    );
    assert_eq!(err.upstream_status().map(|s| s.as_u16()), Some(422));
}
