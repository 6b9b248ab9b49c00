//! The agent configuration's tests: the seed's settings, defaults, every refusal with the key
//! it names, and the example file shipped beside the agent.

use super::*;

const SEED: &str = r#"
[server]
url = "wss://rmm-api.example.com/ws"
api_key = "SITE-CODE-1234"

[metrics]
interval_seconds = 60
collect_cpu = true
collect_memory = true
collect_disk = true
collect_network = true

[watchdog]
enabled = true
check_interval_seconds = 30

[[watchdog.services]]
name = "ServiceName"
action = "restart"
max_restarts = 3
restart_cooldown_seconds = 60
"#;

#[test]
fn the_seeds_agent_toml_parses() {
    let config = AgentConfig::parse(SEED).expect("seed config");
    assert_eq!(config.metrics.interval_seconds, 60);
    assert_eq!(config.watchdog.services[0].max_restarts, 3);
    assert_eq!(config.agent.heartbeat_interval_secs, 30);
    assert!(
        !format!("{config:?}").contains("SITE-CODE-1234"),
        "key redacted"
    );
}

#[test]
fn guruconnect_trusts_the_servers_ca_unless_told_another() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = (dir.path().join("a.pem"), dir.path().join("b.pem"));
    for path in [&a, &b] {
        let ca = rcgen::generate_simple_self_signed(vec!["ca.example".into()]).expect("ca");
        std::fs::write(path, ca.cert.pem()).expect("write");
    }
    let server_ca = SEED.replace(
        "api_key = \"SITE-CODE-1234\"",
        &format!(
            "api_key = \"SITE-CODE-1234\"\nca_cert = {:?}",
            a.display().to_string()
        ),
    );
    let config = AgentConfig::parse(&server_ca).expect("parses");
    assert_eq!(config.remote_control.ca_cert.as_deref(), Some(a.as_path()));
    let own = format!(
        "{server_ca}\n[remote_control]\nca_cert = {:?}\n",
        b.display().to_string()
    );
    let config = AgentConfig::parse(&own).expect("parses");
    assert_eq!(config.remote_control.ca_cert.as_deref(), Some(b.as_path()));
    let broken = format!("{SEED}\n[remote_control]\nca_cert = \"/nonexistent/ca.pem\"\n");
    let err = AgentConfig::parse(&broken)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("remote_control.ca_cert"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_world_readable_config_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("agent.toml");
    std::fs::write(&path, SEED).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let warning = exposure_warning(&path).expect("644 is exposed");
    assert!(warning.contains("mode 644"), "{warning}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(exposure_warning(&path), None);
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        (
            "interval_seconds = 60",
            "interval_seconds = 5",
            "metrics.interval_seconds",
        ),
        (
            "interval_seconds = 60",
            "interval_seconds = 4000",
            "metrics.interval_seconds",
        ),
        ("url = \"wss://", "url = \"http://", "server.url"),
        (
            "action = \"restart\"",
            "action = \"reboot\"",
            "watchdog.services[0].action",
        ),
        (
            "name = \"ServiceName\"",
            "name = \"--now\"",
            "watchdog.services[0].name",
        ),
        (
            "name = \"ServiceName\"",
            "name = \"nginx; reboot\"",
            "watchdog.services[0].name",
        ),
    ];
    for (from, to, key) in cases {
        let err = AgentConfig::parse(&SEED.replace(from, to)).expect_err(key);
        assert!(err.to_string().contains(key), "{err}");
    }
    let err = AgentConfig::parse(&format!("{SEED}\n[agent]\nheartbeat_interval_secs = 0\n"))
        .expect_err("zero");
    assert!(
        err.to_string().contains("agent.heartbeat_interval_secs"),
        "{err}"
    );
    let err = AgentConfig::parse(&format!("{SEED}\n[commands]\nunelevated_user = \" \"\n"))
        .expect_err("blank user");
    assert!(
        err.to_string().contains("commands.unelevated_user"),
        "{err}"
    );
    let err =
        AgentConfig::parse(&format!("{SEED}\n[agent]\nheartbeat = 5\n")).expect_err("unknown");
    assert!(err.to_string().contains("heartbeat"), "{err}");
}

#[test]
fn logging_defaults_to_seven_daily_files_and_bad_values_name_their_key() {
    let config = AgentConfig::parse(SEED).expect("seed");
    assert!(config.logging.file);
    assert_eq!(config.logging.max_files, 7);
    assert_eq!(config.logging.directory, None);
    let ok = AgentConfig::parse(&format!(
        "{SEED}\n[logging]\ndirectory = \"/tmp/x\"\nmax_files = 30\n"
    ))
    .expect("valid");
    assert_eq!(ok.logging.max_files, 30);
    for (bad, key) in [
        ("max_files = 0", "logging.max_files"),
        ("max_files = 367", "logging.max_files"),
        ("directory = \"\"", "logging.directory"),
        ("rotate = \"weekly\"", "rotate"),
    ] {
        let err = AgentConfig::parse(&format!("{SEED}\n[logging]\n{bad}\n")).expect_err(bad);
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

#[test]
fn the_guruconnect_release_key_is_validated_by_name() {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(
        ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
            .verifying_key()
            .to_bytes(),
    );
    let key = key.as_str();
    let ok = AgentConfig::parse(&format!(
        "{SEED}\n[remote_control]\nrelease_public_key = \"{key}\"\n"
    ))
    .expect("valid key");
    assert_eq!(ok.remote_control.release_public_key.as_deref(), Some(key));
    for bad in ["not-base64!", "c2hvcnQ=", ""] {
        let err = AgentConfig::parse(&format!(
            "{SEED}\n[remote_control]\nrelease_public_key = \"{bad}\"\n"
        ))
        .expect_err(bad);
        let text = err.to_string();
        assert!(text.contains("remote_control.release_public_key"), "{text}");
        assert!(text.contains("keygen"), "{text}");
    }
    let err = AgentConfig::parse(&format!(
        "{SEED}\n[remote_control]\nmax_download_bytes = 0\n"
    ))
    .expect_err("zero");
    assert!(err
        .to_string()
        .contains("remote_control.max_download_bytes"));
}

#[test]
fn the_example_agent_toml_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../agent.example.toml");
    AgentConfig::load(&path).expect("example is valid");
}
