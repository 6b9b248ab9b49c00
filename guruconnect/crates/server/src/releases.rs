//! The agent release channel (CONTRACT.md, "Agent release channel"): an ed25519 signing key
//! kept off the server, `publish` hashing and signing a build into the data directory, and
//! the checks a caller makes before running a download. The signature covers the 32 raw bytes
//! of the binary's SHA-256, so a verifier hashes once and checks both.

use crate::db::{self, releases::ReleaseRow, Db};
use anyhow::{ensure, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The platforms a build can be published for.
pub const PLATFORMS: [&str; 2] = ["linux-x86_64", "windows-x86_64"];

/// A new signing key: (secret seed, public key), both standard base64.
pub fn keygen() -> (String, String) {
    let key = SigningKey::from_bytes(&crate::auth::secrets::random_bytes::<32>());
    (
        STANDARD.encode(key.to_bytes()),
        STANDARD.encode(key.verifying_key().to_bytes()),
    )
}

fn signing_key(seed_b64: &str) -> anyhow::Result<SigningKey> {
    let bytes = STANDARD
        .decode(seed_b64.trim())
        .context("the signing key is not base64")?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the signing key is not 32 bytes"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// True when `bytes` hash to `sha256_hex` and `signature_b64` is the publisher's signature
/// over that digest, checked against `public_b64`.
pub fn verify(bytes: &[u8], sha256_hex: &str, signature_b64: &str, public_b64: &str) -> bool {
    let digest = Sha256::digest(bytes);
    if hex::encode(digest) != sha256_hex {
        return false;
    }
    let public = STANDARD
        .decode(public_b64)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = STANDARD
        .decode(signature_b64)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    match (public, signature) {
        (Some(public), Some(signature)) => public.verify(&digest, &signature).is_ok(),
        _ => false,
    }
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

/// Hashes and signs `binary`, copies it into the data directory and records it.
pub async fn publish(
    db: &Db,
    data_dir: &Path,
    version: &str,
    platform: &str,
    binary: &Path,
    signing_key_b64: &str,
) -> anyhow::Result<ReleaseRow> {
    ensure!(
        PLATFORMS.contains(&platform),
        "platform must be one of {PLATFORMS:?}, not `{platform}`"
    );
    ensure!(
        valid_version(version),
        "version must be letters, digits and . - + (e.g. 0.3.1)"
    );
    let key = signing_key(signing_key_b64)?;
    let bytes = tokio::fs::read(binary)
        .await
        .with_context(|| format!("reading {}", binary.display()))?;
    let digest = Sha256::digest(&bytes);
    let signature = STANDARD.encode(key.sign(&digest).to_bytes());
    let relative = format!("{platform}/{version}/{}", file_name(platform));
    let target = data_dir.join("releases").join(&relative);
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
            sha256: &hex::encode(digest),
            signature: &signature,
        },
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_bytes_and_its_key() {
        let (seed, public) = keygen();
        let key = signing_key(&seed).expect("key");
        let bytes = b"agent build";
        let digest = Sha256::digest(bytes);
        let sha = hex::encode(digest);
        let signature = STANDARD.encode(key.sign(&digest).to_bytes());
        assert!(verify(bytes, &sha, &signature, &public));
        assert!(
            !verify(b"agent build!", &sha, &signature, &public),
            "other bytes"
        );
        let (_, other_public) = keygen();
        assert!(!verify(bytes, &sha, &signature, &other_public), "other key");
        assert!(
            !verify(bytes, &sha, "not base64!", &public),
            "garbage signature"
        );
    }

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
