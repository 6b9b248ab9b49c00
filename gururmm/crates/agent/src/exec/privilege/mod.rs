//! Who a command runs as: the payload's `elevated` flag, honoured. An elevated command keeps
//! the agent's own rights (root, or LocalSystem as a Windows service) and is refused when the
//! agent has none to give; every other command runs with reduced rights: as an unprivileged
//! account on Unix (`commands.unelevated_user`, default `nobody`), under a restricted copy of
//! the agent's token on Windows. An agent that is itself unprivileged runs both kinds as itself.

#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
pub use unix::Account;
#[cfg(windows)]
pub use windows::run_restricted;
#[cfg(windows)]
pub(crate) use windows::Owned;

/// The identity a process is started under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The agent's own account and rights.
    Agent,
    /// Unix: this unprivileged account, with its own groups and home.
    #[cfg(unix)]
    User(Account),
    /// Windows: the agent's token with the Administrators group deny-only, every privilege
    /// removed and medium integrity, through the agent's hidden `run-unelevated` entry.
    #[cfg(windows)]
    Restricted,
}

/// Which rights this agent has to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRights {
    /// root, or a token whose Administrators group is enabled (LocalSystem, elevated admin).
    Administrative,
    Ordinary,
}

impl AgentRights {
    /// This process's rights, asked of the OS.
    pub fn of_this_process() -> Self {
        #[cfg(unix)]
        let administrative = unix::is_root();
        #[cfg(windows)]
        let administrative = windows::is_administrator();
        #[cfg(not(any(unix, windows)))]
        let administrative = false;
        if administrative {
            Self::Administrative
        } else {
            Self::Ordinary
        }
    }
}

/// The identity for a command, or the reason it cannot run. `reduced` names the unprivileged
/// identity; it is only consulted when the agent has rights to shed.
pub fn identity_for(
    elevated: bool,
    rights: AgentRights,
    reduced: impl FnOnce() -> Result<Identity, String>,
) -> Result<Identity, String> {
    match (elevated, rights) {
        (true, AgentRights::Administrative) | (false, AgentRights::Ordinary) => Ok(Identity::Agent),
        (true, AgentRights::Ordinary) => Err(
            "the command asks for elevation, but this agent runs without administrative rights \
             (install it as a service, or send the command unelevated)"
                .into(),
        ),
        (false, AgentRights::Administrative) => reduced(),
    }
}

/// The reduced identity on this platform. `unelevated_user` is the configured Unix account.
pub fn reduced_identity(unelevated_user: Option<&str>) -> Result<Identity, String> {
    #[cfg(unix)]
    {
        Account::lookup(unelevated_user.unwrap_or(unix::DEFAULT_UNELEVATED_USER))
            .map(Identity::User)
    }
    #[cfg(windows)]
    {
        let _ = unelevated_user;
        Ok(Identity::Restricted)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = unelevated_user;
        Err("running unelevated is not supported on this platform".into())
    }
}

/// How a started program receives its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Separate arguments, each quoted so the program's parser gives it back whole.
    List(Vec<String>),
    /// Windows: the rest of the command line exactly as given. For `cmd.exe`, which reads
    /// its own command line and treats the C runtime's `\"` escapes as literal characters,
    /// so a quoted command would reach it altered. Unix has no command lines: it is refused.
    Verbatim(String),
}

/// The Windows command line that starts `program` with `args`.
pub fn windows_command_line(program: &str, args: &Args) -> String {
    let mut line = quote_windows_arg(program);
    match args {
        Args::List(list) => {
            for arg in list {
                line.push(' ');
                line.push_str(&quote_windows_arg(arg));
            }
        }
        Args::Verbatim(rest) => {
            line.push(' ');
            line.push_str(rest);
        }
    }
    line
}

/// What follows `cmd.exe` to run `command` as a technician typed it: `/S /C "…"` makes cmd
/// strip exactly the outer pair of quotes and run everything between them untouched, however
/// many quotes, carets or ampersands the command holds.
pub fn cmd_exe_tail(command: &str) -> String {
    format!("/S /C \"{command}\"")
}

/// A Windows command line word for `arg`, quoted so that the C runtime's parser (which every
/// program started through `CreateProcess` uses) gives back exactly `arg`.
pub fn quote_windows_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\u{b}', '"']) {
        return arg.to_owned();
    }
    let mut quoted = String::from('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                // Backslashes before a quote are doubled, and the quote itself escaped.
                quoted.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                quoted.push('"');
                backslashes = 0;
            }
            _ => {
                quoted.extend(std::iter::repeat_n('\\', backslashes));
                quoted.push(c);
                backslashes = 0;
            }
        }
    }
    // Backslashes before the closing quote are doubled so it stays a quote.
    quoted.extend(std::iter::repeat_n('\\', backslashes * 2));
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> Result<Identity, String> {
        panic!("the reduced identity must not be looked up here")
    }

    #[test]
    fn elevated_commands_keep_the_agents_rights_or_are_refused() {
        assert_eq!(
            identity_for(true, AgentRights::Administrative, never),
            Ok(Identity::Agent)
        );
        let refused = identity_for(true, AgentRights::Ordinary, never).expect_err("refused");
        assert!(refused.contains("asks for elevation"), "{refused}");
    }

    #[test]
    fn unelevated_commands_shed_rights_only_when_there_are_some() {
        assert_eq!(
            identity_for(false, AgentRights::Ordinary, never),
            Ok(Identity::Agent)
        );
        assert_eq!(
            identity_for(false, AgentRights::Administrative, || Err(
                "no such user".into()
            )),
            Err("no such user".into())
        );
    }

    #[test]
    fn windows_command_lines_quote_lists_and_keep_verbatim_tails() {
        let list = Args::List(vec!["-c".into(), "print('a b')".into()]);
        assert_eq!(
            windows_command_line(r"C:\Python 3\python.exe", &list),
            r#""C:\Python 3\python.exe" -c "print('a b')""#
        );
        let typed = r#"echo "a b" & if exist "C:\x y\" echo ^"done"#;
        assert_eq!(
            windows_command_line("cmd.exe", &Args::Verbatim(cmd_exe_tail(typed))),
            format!("cmd.exe /S /C \"{typed}\"")
        );
    }

    #[test]
    fn windows_arguments_survive_quoting() {
        for (arg, quoted) in [
            ("plain", "plain"),
            ("", "\"\""),
            ("two words", "\"two words\""),
            (r"C:\Program Files\x\", r#""C:\Program Files\x\\""#),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r#"a\"b"#, r#""a\\\"b""#),
            (r"no\space\needed", r"no\space\needed"),
        ] {
            assert_eq!(quote_windows_arg(arg), quoted, "{arg}");
        }
    }
}
