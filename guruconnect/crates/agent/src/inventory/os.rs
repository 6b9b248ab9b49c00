//! The operating system as two fields that read well side by side: `os_name` ("Debian
//! GNU/Linux", "Windows") and `os_version` ("12", "11 Pro (22631)"). Pages show them joined,
//! so the version must never repeat the name: sysinfo's long version does ("Linux (Debian
//! GNU/Linux 12)" on Linux, "Windows 11 Pro" on Windows), which once made the machines list
//! say "Debian GNU/Linux Linux (Debian GNU/Linux 12)".

/// The OS name and version of this machine.
pub fn current() -> (String, String) {
    use sysinfo::System;
    let name = System::name().unwrap_or_else(|| std::env::consts::OS.into());
    let version = version_text(
        &name,
        System::long_os_version().as_deref(),
        System::os_version().as_deref(),
    );
    (name, version)
}

/// The version to show after `name`. `long` is the platform's product name when it starts
/// with `name` (Windows: "Windows 11 Pro"), whose rest keeps the edition; `short` is the plain
/// version ("12", or "11 (22631)" with the Windows build, whose build is kept).
pub fn version_text(name: &str, long: Option<&str>, short: Option<&str>) -> String {
    let short = short.map(str::trim).filter(|s| !s.is_empty());
    let edition = long
        .and_then(|l| strip_prefix_ignore_case(l.trim(), name.trim()))
        .map(str::trim)
        .filter(|rest| !rest.is_empty());
    match (edition, short) {
        (Some(edition), Some(short)) => match build_of(short) {
            Some(build) if !edition.contains(build) => format!("{edition} ({build})"),
            _ => edition.to_owned(),
        },
        (Some(edition), None) => edition.to_owned(),
        (None, Some(short)) => short.to_owned(),
        (None, None) => String::new(),
    }
}

/// The part of `text` after `prefix` when it starts with it as a whole word.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() || text.len() < prefix.len() || !text.is_char_boundary(prefix.len()) {
        return None;
    }
    let (head, rest) = text.split_at(prefix.len());
    (head.eq_ignore_ascii_case(prefix) && (rest.is_empty() || rest.starts_with(' ')))
        .then_some(rest)
}

/// "22631" from "11 (22631)".
fn build_of(short: &str) -> Option<&str> {
    let inner = short.rsplit_once('(')?.1.strip_suffix(')')?.trim();
    (!inner.is_empty()).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_shows_the_distribution_version_once() {
        let version = version_text(
            "Debian GNU/Linux",
            Some("Linux (Debian GNU/Linux 12)"),
            Some("12"),
        );
        assert_eq!(version, "12");
    }

    #[test]
    fn windows_keeps_edition_and_build_without_repeating_windows() {
        let version = version_text("Windows", Some("Windows 11 Pro"), Some("11 (22631)"));
        assert_eq!(version, "11 Pro (22631)");
        let server = version_text(
            "Windows",
            Some("Windows Server 2022 Datacenter"),
            Some("10 (20348)"),
        );
        assert_eq!(server, "Server 2022 Datacenter (20348)");
    }

    #[test]
    fn missing_parts_leave_what_is_known() {
        assert_eq!(version_text("Alpine Linux", None, Some("3.20.1")), "3.20.1");
        assert_eq!(
            version_text("Windows", Some("Windows 10 Pro"), None),
            "10 Pro"
        );
        assert_eq!(version_text("Linux", Some("Linux"), None), "");
        assert_eq!(
            version_text("Arch Linux", Some("Linux (Arch Linux)"), None),
            ""
        );
    }

    #[test]
    fn a_name_that_is_only_a_word_prefix_is_not_stripped() {
        assert_eq!(version_text("Win", Some("Windows 11"), Some("11")), "11");
    }

    /// What this machine reports, joined as the machines list joins it, names its OS once.
    #[test]
    fn this_machine_reads_name_then_version_without_repeating_the_name() {
        let (name, version) = current();
        let shown = format!("{name} {version}");
        assert_eq!(shown.matches(name.as_str()).count(), 1, "{shown}");
        assert!(!version.starts_with("Linux ("), "{shown}");
    }
}
