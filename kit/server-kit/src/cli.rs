//! What both servers' command lines share: the flags every subcommand takes, reading a new
//! account's password, and the lines a starting server prints for people.

use crate::password;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Flags that override the config file and the environment, taken by every subcommand.
#[derive(Debug, clap::Args)]
pub struct Overrides {
    /// Listen address (overrides config and environment).
    #[arg(long, global = true)]
    pub bind: Option<SocketAddr>,
    /// Data directory (overrides config and environment).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

impl Overrides {
    pub fn apply(self, bind: &mut SocketAddr, data_dir: &mut PathBuf) {
        crate::config::overwrite(bind, self.bind);
        crate::config::overwrite(data_dir, self.data_dir);
    }
}

/// Asks on standard error for `account`'s password and reads one line of standard input (so a
/// script can pipe it in); refused when the password policy refuses it.
pub fn read_new_password(account: &str) -> anyhow::Result<String> {
    eprintln!("Password for {account} (one line on stdin):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    password::check_policy(&password)?;
    Ok(password)
}

/// The base URL people use: the configured public URL (without a trailing slash), else the
/// bound address with the scheme the server speaks.
pub fn base_url(public_url: Option<&str>, tls: bool, addr: SocketAddr) -> String {
    match public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if tls => format!("https://{addr}"),
        None => format!("http://{addr}"),
    }
}

/// The first admin a server created on an empty database: its sign-in name and the password
/// shown once. `{:?}` never shows the password, so a stray debug print cannot log it.
pub struct FirstAdmin {
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for FirstAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstAdmin")
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl FirstAdmin {
    /// What the server prints to standard output, never to its log: `login_label` names what
    /// the sign-in form asks for (`./dev run` reads these lines).
    pub fn announcement(&self, login_label: &str) -> String {
        let label = format!("{login_label}:");
        format!(
            "First admin created. Sign in with:\n  {label:<10}{}\n  password: {}\n\
             This password is shown only now.",
            self.login, self.password
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_admin_lines_align_and_hold_what_dev_run_reads() {
        let admin = |login: &str| FirstAdmin {
            login: login.into(),
            password: "pw-secret".into(),
        };
        let lines = admin("a@b.c").announcement("email");
        let expected = "\n  email:    a@b.c\n  password: pw-secret\n";
        assert!(lines.contains(expected), "{lines}");
        let lines = admin("admin").announcement("username");
        assert!(lines.contains("\n  username: admin\n"), "{lines}");
        assert!(!format!("{:?}", admin("x")).contains("pw-secret"));
    }

    #[test]
    fn the_base_url_prefers_the_public_one_and_follows_tls() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 8443));
        assert_eq!(
            base_url(Some("https://x.example/"), false, addr),
            "https://x.example"
        );
        assert_eq!(base_url(None, true, addr), "https://127.0.0.1:8443");
        assert_eq!(base_url(None, false, addr), "http://127.0.0.1:8443");
    }

    #[test]
    fn overrides_replace_only_what_was_given() {
        let mut bind = SocketAddr::from(([127, 0, 0, 1], 1));
        let mut dir = PathBuf::from("a");
        let given = Overrides {
            bind: None,
            data_dir: Some("b".into()),
        };
        given.apply(&mut bind, &mut dir);
        assert_eq!((bind.port(), dir), (1, PathBuf::from("b")));
    }
}
