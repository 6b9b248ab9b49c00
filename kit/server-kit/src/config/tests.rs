//! The environment reader's types and messages, the file reader's errors, and the checks.

use super::*;
use std::collections::HashMap;

fn env(vars: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Env::new(move |name| map.get(name).cloned(), &[("OLD", "X_NEW")]).expect("no old name")
}

#[test]
fn empty_counts_as_unset_and_lists_drop_blanks() {
    let e = env(&[("X_A", ""), ("X_L", " a, ,b ,")]);
    assert_eq!(e.text("X_A"), None);
    assert_eq!(e.text("X_MISSING"), None);
    assert_eq!(e.list("X_L"), Some(vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(e.path("X_L"), Some(PathBuf::from(" a, ,b ,")));
    assert_eq!(e.secret("X_L").map(|s| s.expose().len()), Some(8));
}

#[test]
fn a_value_that_does_not_parse_names_its_variable_and_what_was_expected() {
    let e = env(&[("X_BIND", "nope"), ("X_ON", "YES"), ("X_BAD", "maybe")]);
    let err = e
        .parse::<std::net::SocketAddr>("X_BIND", "an address like 127.0.0.1:1")
        .expect_err("not an address");
    assert_eq!(
        err.to_string(),
        "environment variable X_BIND: `nope` is not an address like 127.0.0.1:1"
    );
    assert_eq!(e.boolean("X_ON").expect("boolean"), Some(true));
    assert_eq!(e.boolean("X_MISSING").expect("unset"), None);
    let err = e.boolean("X_BAD").expect_err("not a boolean");
    assert!(err.to_string().contains("X_BAD"), "{err}");
    let format = env(&[("X_LOG", "json")]).parse("X_LOG", "text or json");
    assert_eq!(format.expect("parses"), Some(LogFormat::Json));
}

#[test]
fn tls_needs_both_files_and_names_the_half_that_is_set() {
    let both = env(&[("X_CERT", "/c.pem"), ("X_KEY", "/k.pem")]);
    let tls = both.tls("X_CERT", "X_KEY").expect("both").expect("set");
    assert_eq!((tls.cert, tls.key), ("/c.pem".into(), "/k.pem".into()));
    assert_eq!(env(&[]).tls("X_CERT", "X_KEY").expect("neither"), None);
    for (set, named) in [("X_CERT", "X_CERT"), ("X_KEY", "X_KEY")] {
        let err = env(&[(set, "/f.pem")])
            .tls("X_CERT", "X_KEY")
            .expect_err("half");
        assert!(err
            .to_string()
            .starts_with(&format!("environment variable {named}:")));
    }
}

#[test]
fn an_old_name_alone_stops_the_reader() {
    let get = |name: &str| (name == "OLD").then(|| "v".to_owned());
    let err = Env::new(get, &[("OLD", "X_NEW")]).err().expect("refused");
    assert!(err.to_string().contains("set X_NEW instead"), "{err}");
}

#[test]
fn overwrite_keeps_the_field_without_a_value() {
    let mut field = 1;
    overwrite(&mut field, None);
    assert_eq!(field, 1);
    overwrite(&mut field, Some(2));
    assert_eq!(field, 2);
}

#[test]
fn origins_with_a_path_or_a_wildcard_are_refused_by_key() {
    let good = [
        "https://a.example.com".to_owned(),
        "http://h:8080".to_owned(),
    ];
    check_origins("k", &good).expect("origins");
    for bad in [
        "*",
        "https://*.example.com",
        "https://a.example.com/p",
        "a.example.com",
        "https://",
        "https://a b",
    ] {
        let err = check_origins("cors", &[bad.to_owned()]).expect_err(bad);
        assert!(err.to_string().contains("config key `cors`"), "{err}");
    }
}

#[test]
fn urls_and_secrets_are_checked_when_set() {
    check_http_url("u", None).expect("unset");
    check_http_url("u", Some("https://x")).expect("https");
    assert!(check_http_url("u", Some("ftp://x")).is_err());
    check_secret_length("s", None).expect("unset");
    check_secret_length("s", Some(&SecretString::new("x".repeat(32)))).expect("32");
    let err = check_secret_length("s", Some(&SecretString::new("x".repeat(31))));
    assert!(err.expect_err("31").to_string().contains("`s`"));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sample {
    bind: String,
}

#[test]
fn the_file_reader_names_the_file_and_an_unknown_key() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("s.toml");
    let missing = read_toml::<Sample>(&path).expect_err("missing");
    assert!(matches!(missing, ConfigError::Read { .. }), "{missing}");
    std::fs::write(&path, "bind = \"x\"\n").expect("write");
    assert_eq!(read_toml::<Sample>(&path).expect("valid").bind, "x");
    std::fs::write(&path, "bind = \"x\"\nbindd = 1\n").expect("write");
    let err = read_toml::<Sample>(&path)
        .expect_err("unknown key")
        .to_string();
    assert!(err.contains("s.toml") && err.contains("bindd"), "{err}");
}
