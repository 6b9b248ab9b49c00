//! The agent release channel (CONTRACT.md, "Agent release channel"): builds signed where they
//! are built (`release sign`, with server-kit's `signing`; the key never reaches the server),
//! published by copying a build and its checked signature into the data directory, and the
//! checks a caller makes before running a download.

use crate::config::Config;
use crate::db::{self, releases::ReleaseRow, Db};
use anyhow::{ensure, Context};
use server_kit::signing::{self, Signed};
use std::path::{Path, PathBuf};

pub use server_kit::signing::verify;

/// The platforms a build can be published for.
pub const PLATFORMS: [&str; 2] = ["linux-x86_64", "windows-x86_64"];

/// Signs `binary` with the key in `key_file` and writes the signature to `out`.
pub fn sign_file(key_file: &Path, binary: &Path, out: &Path) -> anyhow::Result<Signed> {
    let secret = std::fs::read_to_string(key_file)
        .with_context(|| format!("reading {}", key_file.display()))?;
    let key = signing::signing_key(&secret)?;
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let signed = signing::sign(&bytes, &key);
    let json = serde_json::to_string_pretty(&signed)?;
    std::fs::write(out, json + "\n").with_context(|| format!("writing {}", out.display()))?;
    Ok(signed)
}

/// Reads a signature file written by [`sign_file`].
pub fn read_signature(path: &Path) -> anyhow::Result<Signed> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a signature file written by `release sign`",
            path.display()
        )
    })
}

/// Versions are plain: digits, letters, `.`, `-`, `+`; they name a directory.
pub fn valid_version(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= 64
        && !version.starts_with('.')
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
}

/// Where a published build lives: `<data_dir>/releases/<platform>/<version>/<file name>`.
pub fn stored_path(data_dir: &Path, row: &ReleaseRow) -> PathBuf {
    data_dir.join("releases").join(&row.url)
}

fn file_name(platform: &str) -> &'static str {
    if platform.starts_with("windows") {
        "guruconnect-agent.exe"
    } else {
        "guruconnect-agent"
    }
}

/// A build to publish.
#[derive(Debug, Clone, Copy)]
pub struct Build<'a> {
    pub version: &'a str,
    pub platform: &'a str,
    pub binary: &'a Path,
}

/// Checks `signed` against the build (its bytes, and `release_public_key` when the config has
/// one), copies the build into the data directory and records it.
pub async fn publish(
    db: &Db,
    config: &Config,
    build: Build<'_>,
    signed: &Signed,
) -> anyhow::Result<ReleaseRow> {
    let Build {
        version,
        platform,
        binary,
    } = build;
    ensure!(
        PLATFORMS.contains(&platform),
        "platform must be one of {PLATFORMS:?}, not `{platform}`"
    );
    ensure!(
        valid_version(version),
        "version must be letters, digits and . - + (e.g. 0.3.1)"
    );
    let bytes = tokio::fs::read(binary)
        .await
        .with_context(|| format!("reading {}", binary.display()))?;
    ensure!(
        verify(
            &bytes,
            &signed.sha256,
            &signed.signature,
            &signed.public_key
        ),
        "the signature does not match {} (signed another build, or changed since it was signed)",
        binary.display()
    );
    if let Some(pinned) = &config.release_public_key {
        ensure!(
            pinned.trim() == signed.public_key,
            "the build is signed with key {}, not this server's release_public_key",
            signed.public_key
        );
    }
    let relative = format!("{platform}/{version}/{}", file_name(platform));
    let target = config.data_dir.join("releases").join(&relative);
    tokio::fs::create_dir_all(target.parent().context("release path")?).await?;
    tokio::fs::write(&target, &bytes)
        .await
        .with_context(|| format!("writing {}", target.display()))?;
    Ok(db::releases::upsert(
        db,
        &db::releases::NewRelease {
            version,
            platform,
            file: &relative,
            sha256: &signed.sha256,
            signature: &signed.signature,
        },
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_cannot_walk_out_of_their_directory() {
        for bad in ["", "..", "../x", "1/2", ".hidden", "a b", "1.0\\x"] {
            assert!(!valid_version(bad), "{bad:?}");
        }
        for good in ["0.1.0", "1.2.3-rc.1", "2.0.0+build5"] {
            assert!(valid_version(good), "{good:?}");
        }
    }
}
