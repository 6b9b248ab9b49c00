//! Environment variables each product reads under its own prefix only.
//!
//! Both servers once also read bare names (`DATABASE_URL`, `JWT_SECRET`, …) that the other
//! product read too, so one environment could hand both the same database and signing key.
//! Neither reads them any more; a deployment still setting one must hear it, not start quietly
//! on an empty SQLite database or a fresh key.

use super::{ConfigError, TlsConfig};
use crate::SecretString;
use std::path::PathBuf;
use std::str::FromStr;

/// Reads typed overrides from the environment (`std::env::var` in production, a map in tests).
/// An empty variable counts as unset; a value that does not parse is an error naming the
/// variable.
pub struct Env<G> {
    get: G,
}

impl<G: Fn(&str) -> Option<String>> Env<G> {
    /// Refuses an environment that still sets one of the `renamed` bare names alone.
    pub fn new(get: G, renamed: &[(&'static str, &'static str)]) -> Result<Self, ConfigError> {
        match still_relied_on(&get, renamed) {
            Some(stale) => Err(ConfigError::Env {
                var: stale.old,
                message: renamed_message(stale),
            }),
            None => Ok(Self { get }),
        }
    }

    pub fn text(&self, var: &str) -> Option<String> {
        (self.get)(var).filter(|v| !v.is_empty())
    }

    pub fn secret(&self, var: &str) -> Option<SecretString> {
        self.text(var).map(SecretString::new)
    }

    pub fn path(&self, var: &str) -> Option<PathBuf> {
        self.text(var).map(PathBuf::from)
    }

    /// A comma-separated list, blanks dropped.
    pub fn list(&self, var: &str) -> Option<Vec<String>> {
        let value = self.text(var)?;
        let items = value.split(',').map(str::trim).filter(|s| !s.is_empty());
        Some(items.map(str::to_owned).collect())
    }

    /// A value of type `T`; `expected` completes "`value` is not …" when it does not parse.
    pub fn parse<T: FromStr>(
        &self,
        var: &'static str,
        expected: &str,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.text(var) else {
            return Ok(None);
        };
        value.parse().map(Some).map_err(|_| ConfigError::Env {
            var,
            message: format!("`{value}` is not {expected}"),
        })
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`, any case).
    pub fn boolean(&self, var: &'static str) -> Result<Option<bool>, ConfigError> {
        let Some(value) = self.text(var) else {
            return Ok(None);
        };
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(ConfigError::Env {
                var,
                message: format!("`{value}` is not a boolean (true/false)"),
            }),
        }
    }

    /// Both files or neither: half a TLS setting is an error naming the half that is set.
    pub fn tls(
        &self,
        cert_var: &'static str,
        key_var: &'static str,
    ) -> Result<Option<TlsConfig>, ConfigError> {
        match (self.path(cert_var), self.path(key_var)) {
            (Some(cert), Some(key)) => Ok(Some(TlsConfig { cert, key })),
            (None, None) => Ok(None),
            (cert, _) => Err(ConfigError::Env {
                var: if cert.is_some() { cert_var } else { key_var },
                message: "TLS needs both a certificate and a key".into(),
            }),
        }
    }
}

/// Replaces `field` with `value` when there is one.
pub fn overwrite<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// A bare name an earlier release read, and the prefixed name that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renamed {
    pub old: &'static str,
    pub new: &'static str,
}

/// The first of `renamed` (old name, new name) whose old name is set (non-empty) while its new
/// name is not: what such a deployment still relies on. Once the new name is set, the old one is
/// simply ignored.
pub fn still_relied_on(
    get: &impl Fn(&str) -> Option<String>,
    renamed: &[(&'static str, &'static str)],
) -> Option<Renamed> {
    let set = |name: &str| get(name).is_some_and(|v| !v.is_empty());
    renamed
        .iter()
        .find(|(old, new)| set(old) && !set(new))
        .map(|&(old, new)| Renamed { old, new })
}

/// The message for a variable found by [`still_relied_on`].
pub fn renamed_message(r: Renamed) -> String {
    format!(
        "is no longer read: set {} instead (a bare name reaches other servers too, \
         GuruConnect's and GuruRMM's among them, so one environment could hand both the same \
         database or key)",
        r.new
    )
}

/// For a product's config tests: sets each old name of `renamed` alone (to a 40-character
/// value, so length checks pass) and returns those `load` did not refuse with a message naming
/// both the old and the new name. `load` answers a configuration error's text.
pub fn renames_not_refused(
    renamed: &[(&'static str, &'static str)],
    load: impl Fn(&str, &str) -> Result<(), String>,
) -> Vec<&'static str> {
    let value = "x".repeat(40);
    renamed
        .iter()
        .filter(|(old, new)| match load(old, &value) {
            // The old name must appear on its own, not only inside the new one.
            Err(message) => !(message.contains(new) && message.replace(new, "").contains(old)),
            Ok(()) => true,
        })
        .map(|&(old, _)| old)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const RENAMED: &[(&str, &str)] = &[
        ("DATABASE_URL", "X_DATABASE_URL"),
        ("JWT_SECRET", "X_JWT_SECRET"),
    ];
    const JWT: Renamed = Renamed {
        old: "JWT_SECRET",
        new: "X_JWT_SECRET",
    };

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn an_old_name_alone_is_reported_with_its_replacement() {
        let found = still_relied_on(&env(&[("JWT_SECRET", "s")]), RENAMED);
        assert_eq!(found, Some(JWT));
        assert!(renamed_message(JWT).contains("X_JWT_SECRET"));
    }

    #[test]
    fn an_old_name_beside_its_replacement_or_empty_is_not() {
        let both = env(&[("DATABASE_URL", "a"), ("X_DATABASE_URL", "b")]);
        assert_eq!(still_relied_on(&both, RENAMED), None);
        assert_eq!(
            still_relied_on(&env(&[("DATABASE_URL", "")]), RENAMED),
            None
        );
        assert_eq!(still_relied_on(&env(&[]), RENAMED), None);
    }

    #[test]
    fn renames_not_refused_names_what_a_config_read_quietly() {
        let strict = |name: &str, _: &str| {
            Err(renamed_message(Renamed {
                old: "JWT_SECRET",
                new: "X_JWT_SECRET",
            }) + name)
        };
        assert!(renames_not_refused(&[("JWT_SECRET", "X_JWT_SECRET")], strict).is_empty());
        let lax = |_: &str, _: &str| Ok(());
        assert_eq!(
            renames_not_refused(RENAMED, lax),
            vec!["DATABASE_URL", "JWT_SECRET"]
        );
        let vague = |_: &str, _: &str| Err("bad configuration".to_owned());
        assert_eq!(renames_not_refused(RENAMED, vague).len(), 2);
        let new_name_only = |_: &str, _: &str| Err("set X_JWT_SECRET".to_owned());
        assert_eq!(
            renames_not_refused(&[("JWT_SECRET", "X_JWT_SECRET")], new_name_only),
            vec!["JWT_SECRET"]
        );
    }
}
