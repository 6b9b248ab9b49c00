//! The repository as text, for the tidy checks in `tests/tidy.rs`: the tracked files (as git
//! lists them) and their contents.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root (this crate sits directly under it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every tracked file, as a path relative to the root with `/` separators. Files deleted in
/// the working tree are left out, files not yet added are not listed (as in CI's clean clone).
pub fn tracked_files() -> Vec<String> {
    let root = root();
    let listed = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["ls-files", "-z"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    listed
        .split('\0')
        .filter(|p| !p.is_empty() && root.join(p).is_file())
        .map(str::to_owned)
        .collect()
}

/// A tracked file's text (empty when it is not UTF-8).
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_default()
}

/// Source files we wrote: Rust, TypeScript, JavaScript modules and shell, without generated
/// code (under a `gen/` folder, or opening with a "Generated from" line).
pub fn own_sources(files: &[String]) -> Vec<&String> {
    files
        .iter()
        .filter(|p| {
            [".rs", ".ts", ".tsx", ".mjs", ".sh"]
                .iter()
                .any(|e| p.ends_with(e))
        })
        .filter(|p| !p.contains("/gen/") && !p.ends_with(".d.ts"))
        .filter(|p| !read(p).starts_with("// Generated from"))
        .collect()
}
