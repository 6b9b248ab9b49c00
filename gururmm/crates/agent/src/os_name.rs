//! The operating system as a technician reads it, sent in `auth` as `os_version`: "Debian
//! GNU/Linux 12 (bookworm)", "Windows 11 Pro (build 22631)". `os_type` already says linux or
//! windows, so this names the distribution or edition and nothing else. (sysinfo's
//! `long_os_version` says "Linux (Debian GNU/Linux 12)" on Linux: the family a second time,
//! which the dashboard showed as "linux Linux (Debian GNU/Linux 12)".)

/// This machine's operating system, or "" when nothing can be read.
pub fn describe() -> String {
    platform().unwrap_or_default()
}

#[cfg(target_os = "linux")]
fn platform() -> Option<String> {
    // os-release(5): /etc first, /usr/lib as the vendor's fallback.
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| from_os_release(&text))
        .or_else(|| sysinfo::System::kernel_version().map(|k| format!("Linux {k}")))
}

#[cfg(windows)]
fn platform() -> Option<String> {
    // The product name from the registry ("Windows 11 Pro") and the build number.
    windows_edition(
        sysinfo::System::long_os_version(),
        sysinfo::System::kernel_version(),
    )
}

#[cfg(not(any(target_os = "linux", windows)))]
fn platform() -> Option<String> {
    sysinfo::System::long_os_version()
}

/// The name an os-release file gives: `PRETTY_NAME`, else `NAME` with `VERSION`.
pub fn from_os_release(text: &str) -> Option<String> {
    let field = |key: &str| {
        text.lines()
            .filter_map(|line| line.trim().split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| unquote(v.trim()))
            .filter(|v| !v.is_empty())
    };
    field("PRETTY_NAME").or_else(|| match (field("NAME"), field("VERSION")) {
        (Some(name), Some(version)) => Some(format!("{name} {version}")),
        (name, _) => name,
    })
}

/// An os-release value: shell-style, optionally in single or double quotes, `\` escaping.
fn unquote(value: &str) -> String {
    let quoted = value.len() >= 2
        && (value.starts_with('"') && value.ends_with('"')
            || value.starts_with('\'') && value.ends_with('\''));
    let inner = if quoted {
        &value[1..value.len() - 1]
    } else {
        value
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// "Windows 11 Pro (build 22631)" from the product name and the build number.
#[cfg_attr(not(windows), allow(dead_code))]
fn windows_edition(product: Option<String>, build: Option<String>) -> Option<String> {
    let product = product.filter(|p| !p.trim().is_empty())?;
    Some(match build.filter(|b| !b.trim().is_empty()) {
        Some(build) => format!("{} (build {})", product.trim(), build.trim()),
        None => product.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian
"#;

    #[test]
    fn a_distribution_is_named_once_as_it_names_itself() {
        assert_eq!(
            from_os_release(DEBIAN).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn without_a_pretty_name_the_name_and_version_are_used() {
        let text = "NAME='Alpine Linux'\nVERSION=3.20.1\n";
        assert_eq!(
            from_os_release(text).as_deref(),
            Some("Alpine Linux 3.20.1")
        );
        assert_eq!(
            from_os_release("NAME=\"Some \\\"OS\\\"\"\n").as_deref(),
            Some("Some \"OS\"")
        );
        assert_eq!(from_os_release("ID=x\nPRETTY_NAME=\"\"\n"), None);
    }

    #[test]
    fn windows_is_its_edition_and_build() {
        assert_eq!(
            windows_edition(Some("Windows 11 Pro".into()), Some("22631".into())).as_deref(),
            Some("Windows 11 Pro (build 22631)")
        );
        assert_eq!(
            windows_edition(Some("Windows 10 Pro".into()), None).as_deref(),
            Some("Windows 10 Pro")
        );
        assert_eq!(windows_edition(None, Some("1".into())), None);
    }

    /// What this machine reports never repeats its family the way sysinfo's long name does.
    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_is_described_without_the_family_twice() {
        let described = describe();
        assert!(!described.is_empty());
        assert!(!described.starts_with("Linux ("), "{described}");
    }
}
