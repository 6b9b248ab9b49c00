//! Config loading: precedence, validation messages that name the key, redaction.

use super::*;
use std::collections::HashMap;

fn apply(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut config = Config::default();
    env::apply_overrides(&mut config, |name| map.get(name).cloned())?;
    config.validate()?;
    Ok(config)
}

#[test]
fn bare_names_both_products_once_read_are_refused_with_the_new_name() {
    let load =
        |name: &str, value: &str| apply(&[(name, value)]).map(drop).map_err(|e| e.to_string());
    let quietly_read = server_kit::config::renames_not_refused(env::RENAMED, load);
    assert!(quietly_read.is_empty(), "{quietly_read:?}");
    // The names the other product reads too must stay on the list.
    for shared in ["DATABASE_URL", "JWT_SECRET", "CONNECT_INTEGRATION_KEY"] {
        assert!(
            env::RENAMED.iter().any(|(old, _)| *old == shared),
            "{shared}"
        );
    }
    // Beside its replacement a bare name is ignored: the prefixed value is what counts.
    let config = apply(&[
        ("DATABASE_URL", "postgres://another-product"),
        ("GURURMM_DATABASE_URL", "postgres://ours"),
    ])
    .expect("valid");
    assert_eq!(
        config.database_url.as_ref().map(SecretString::expose),
        Some("postgres://ours")
    );
}

#[test]
fn registration_is_off_unless_configured() {
    assert!(!Config::default().allow_registration);
    let config = apply(&[("GURURMM_ALLOW_REGISTRATION", "true")]).expect("valid");
    assert!(config.allow_registration);
}

#[test]
fn bad_values_name_their_variable_or_key() {
    let err = apply(&[("GURURMM_BIND", "nope")]).expect_err("invalid");
    assert!(err.to_string().contains("GURURMM_BIND"), "{err}");
    let err = apply(&[("GURURMM_BOOTSTRAP_ADMIN", "maybe")]).expect_err("invalid");
    assert!(err.to_string().contains("GURURMM_BOOTSTRAP_ADMIN"), "{err}");
    let mut config = Config::default();
    config.limits.command_default_timeout_secs = 0;
    let err = config.validate().expect_err("zero");
    assert!(
        err.to_string().contains("command_default_timeout_secs"),
        "{err}"
    );
}

#[test]
fn tls_needs_both_files() {
    let config = apply(&[
        ("GURURMM_TLS_CERT", "/etc/c.pem"),
        ("GURURMM_TLS_KEY", "/etc/k.pem"),
    ])
    .expect("valid");
    let tls = config.tls.expect("tls");
    assert_eq!(tls.cert, PathBuf::from("/etc/c.pem"));
    assert_eq!(tls.key, PathBuf::from("/etc/k.pem"));
    let err = apply(&[("GURURMM_TLS_CERT", "/etc/c.pem")]).expect_err("half");
    assert!(err.to_string().contains("GURURMM_TLS_CERT"), "{err}");
    let err = apply(&[("GURURMM_TLS_KEY", "/etc/k.pem")]).expect_err("half");
    assert!(err.to_string().contains("GURURMM_TLS_KEY"), "{err}");
}

#[test]
fn wildcard_cors_origins_are_refused() {
    for bad in [
        "*",
        "https://*.example.com",
        "https://a.example/p",
        "a.example",
    ] {
        let err = apply(&[("GURURMM_CORS_ALLOWED_ORIGINS", bad)]).expect_err(bad);
        assert!(err.to_string().contains("cors_allowed_origins"), "{err}");
    }
}

#[test]
fn unknown_file_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.toml");
    std::fs::write(
        &path,
        "bind = \"127.0.0.1:9000\"\n[limits]\nping_interval = 3\n",
    )
    .expect("write");
    let err = Config::load(Some(&path)).expect_err("unknown key");
    assert!(err.to_string().contains("ping_interval"), "{err}");
}

#[test]
fn debug_output_hides_secrets() {
    let config = apply(&[
        ("GURURMM_JWT_SECRET", "s".repeat(40).as_str()),
        ("GURURMM_DATABASE_URL", "postgres://u:pw-secret@h/db"),
    ])
    .expect("valid");
    let printed = format!("{config:?}");
    assert!(!printed.contains("pw-secret") && !printed.contains(&"s".repeat(40)));
}

#[test]
fn the_example_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../server.example.toml");
    let config = server_kit::config::read_toml::<Config>(&path).expect("example parses");
    config.validate().expect("example is valid");
}

const KEY: &str = "k-0123456789abcdef0123456789abcdef";

#[test]
fn the_connect_integration_is_configured_from_the_environment_and_hides_the_key() {
    let config = apply(&[
        ("GURURMM_CONNECT_URL", "https://connect.example.com"),
        ("GURURMM_CONNECT_INTEGRATION_KEY", KEY),
    ])
    .expect("valid");
    assert!(config.connect.is_configured());
    assert_eq!(
        config.connect.url.as_deref(),
        Some("https://connect.example.com")
    );
    assert!(!format!("{config:?}").contains(KEY));
}

#[test]
fn connect_urls_derive_the_viewer_origin_and_the_relay() {
    let config = apply(&[
        ("GURURMM_CONNECT_URL", "http://10.0.0.5:3002"),
        ("GURURMM_CONNECT_INTEGRATION_KEY", KEY),
        ("GURURMM_CONNECT_PUBLIC_URL", "https://connect.example.com/"),
    ])
    .expect("valid");
    assert_eq!(
        config.connect.public_base().as_deref(),
        Some("https://connect.example.com")
    );
    assert_eq!(
        config.connect.agent_server().as_deref(),
        Some("wss://connect.example.com")
    );
    // The dashboard may frame GuruConnect's viewer without a second setting...
    assert_eq!(
        config.effective_frame_src(),
        vec!["https://connect.example.com".to_owned()]
    );
    // ...and an explicit frame-src wins.
    let config = apply(&[
        ("GURURMM_CONNECT_URL", "http://10.0.0.5:3002"),
        ("GURURMM_CONNECT_INTEGRATION_KEY", KEY),
        ("GURURMM_DASHBOARD_FRAME_SRC", "https://other.example.com"),
    ])
    .expect("valid");
    assert_eq!(
        config.effective_frame_src(),
        vec!["https://other.example.com".to_owned()]
    );
    assert!(Config::default().effective_frame_src().is_empty());
}

#[test]
fn bad_connect_settings_name_their_key() {
    let err = apply(&[
        ("GURURMM_CONNECT_URL", "connect.example.com"),
        ("GURURMM_CONNECT_INTEGRATION_KEY", KEY),
    ])
    .expect_err("no scheme");
    assert!(err.to_string().contains("connect.url"), "{err}");
    let err = apply(&[
        ("GURURMM_CONNECT_URL", "https://c.example.com"),
        ("GURURMM_CONNECT_INTEGRATION_KEY", "short"),
    ])
    .expect_err("short key");
    assert!(err.to_string().contains("connect.integration_key"), "{err}");
    assert!(!err.to_string().contains("short\""), "{err}");
    let err = apply(&[("GURURMM_CONNECT_URL", "https://c.example.com")]).expect_err("no key");
    assert!(err.to_string().contains("integration_key"), "{err}");
}

#[test]
fn cookies_are_secure_when_people_reach_the_server_over_https() {
    let mut config = Config::default();
    assert!(!config.served_over_https());
    config.public_url = Some("https://rmm.example.com".into());
    assert!(config.served_over_https(), "behind a TLS proxy");
    config.public_url = None;
    config.tls = Some(TlsConfig {
        cert: "cert.pem".into(),
        key: "key.pem".into(),
    });
    assert!(config.served_over_https(), "TLS of its own");
}
