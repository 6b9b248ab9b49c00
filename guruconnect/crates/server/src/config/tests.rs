//! Config loading: file parsing, environment precedence and validation messages.

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
        ("GURUCONNECT_DATABASE_URL", "postgres://ours"),
    ])
    .expect("valid");
    assert_eq!(
        config.database_url.as_ref().map(SecretString::expose),
        Some("postgres://ours")
    );
}

#[test]
fn shared_agent_key_needs_explicit_opt_in() {
    let config = apply(&[("GURUCONNECT_AGENT_API_KEY", "k".repeat(40).as_str())]).expect("valid");
    assert!(config.shared_agent_key().is_none());
    let config = apply(&[
        ("GURUCONNECT_AGENT_API_KEY", "k".repeat(40).as_str()),
        ("GURUCONNECT_ALLOW_SHARED_AGENT_KEY", "true"),
    ])
    .expect("valid");
    assert!(config.shared_agent_key().is_some());
}

#[test]
fn a_bad_value_names_its_variable() {
    let err = apply(&[("GURUCONNECT_BIND", "not-an-address")]).expect_err("invalid");
    assert!(err.to_string().contains("GURUCONNECT_BIND"), "{err}");
    let err = apply(&[("GURUCONNECT_ALLOW_SHARED_AGENT_KEY", "maybe")]).expect_err("invalid");
    assert!(err
        .to_string()
        .contains("GURUCONNECT_ALLOW_SHARED_AGENT_KEY"));
}

#[test]
fn wildcard_or_path_origins_are_refused() {
    for bad in [
        "*",
        "https://*.example.com",
        "https://a.example.com/path",
        "a.example.com",
    ] {
        let err = apply(&[("GURUCONNECT_CORS_ALLOWED_ORIGINS", bad)]).expect_err(bad);
        assert!(err.to_string().contains("cors_allowed_origins"), "{err}");
    }
}

#[test]
fn tls_needs_both_halves() {
    let err = apply(&[("GURUCONNECT_TLS_CERT", "/c.pem")]).expect_err("half");
    assert!(err.to_string().contains("GURUCONNECT_TLS_CERT"), "{err}");
    let config = apply(&[
        ("GURUCONNECT_TLS_CERT", "/c.pem"),
        ("GURUCONNECT_TLS_KEY", "/k.pem"),
    ]);
    assert_eq!(
        config.expect("valid").tls.expect("tls").key,
        PathBuf::from("/k.pem")
    );
}

#[test]
fn support_codes_cannot_outlive_ten_minutes() {
    let mut config = Config::default();
    config.limits.support_code_ttl_secs = 601;
    let err = config.validate().expect_err("too long");
    assert!(err.to_string().contains("support_code_ttl_secs"));
}

#[test]
fn the_config_file_rejects_unknown_keys_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.toml");
    std::fs::write(&path, "bind = \"127.0.0.1:9000\"\nbindd = 1\n").expect("write");
    let err = Config::load(Some(&path)).expect_err("unknown key");
    assert!(err.to_string().contains("bindd"), "{err}");
}

#[test]
fn debug_output_hides_secrets() {
    let config = apply(&[
        ("GURUCONNECT_JWT_SECRET", "s".repeat(40).as_str()),
        (
            "GURUCONNECT_DATABASE_URL",
            "postgres://user:pw-secret@host/db",
        ),
    ])
    .expect("valid");
    let printed = format!("{config:?}");
    assert!(!printed.contains("pw-secret") && !printed.contains(&"s".repeat(40)));
}

#[test]
fn the_example_config_file_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../server.example.toml");
    let config = server_kit::config::read_toml::<Config>(&path).expect("example parses");
    config.validate().expect("example is valid");
}
