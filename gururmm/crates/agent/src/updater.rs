//! Self-update (RMM-7). A binary is installed only if its SHA-256 matches the offer **and** an
//! ed25519 signature over that digest verifies against the key pinned in this agent (built in
//! via `GURURMM_UPDATE_PUBLIC_KEY`, or `update.public_key` in the root-owned agent.toml). The
//! hash from the server alone proves nothing against a compromised server (Kaseya 2021). A
//! refused update is logged and the running binary stays.

use crate::state::StateDir;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use gururmm_protocol::UpdatePayload;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest binary the agent will download.
const MAX_BINARY_BYTES: usize = 200 * 1024 * 1024;

/// The key compiled into this build, if any.
pub const BUILT_IN_KEY: Option<&str> = option_env!("GURURMM_UPDATE_PUBLIC_KEY");

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("no update signing key is pinned in this agent; updates are refused")]
    NoPinnedKey,
    #[error("the pinned update key is not a base64 ed25519 public key")]
    BadPinnedKey,
    #[error("download failed: {0}")]
    Download(String),
    #[error("SHA-256 mismatch: the download is not the offered binary")]
    HashMismatch,
    #[error("signature does not verify against the pinned key")]
    BadSignature,
    #[error("installing failed: {0}")]
    Install(#[from] std::io::Error),
}

/// Parses a base64 ed25519 public key.
pub fn parse_key(text: &str) -> Result<VerifyingKey, UpdateError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| UpdateError::BadPinnedKey)?;
    let array: [u8; 32] = bytes.try_into().map_err(|_| UpdateError::BadPinnedKey)?;
    VerifyingKey::from_bytes(&array).map_err(|_| UpdateError::BadPinnedKey)
}

/// The pinned key: the config's, else the built-in one.
pub fn pinned_key(configured: Option<&str>) -> Result<VerifyingKey, UpdateError> {
    parse_key(
        configured
            .or(BUILT_IN_KEY)
            .ok_or(UpdateError::NoPinnedKey)?,
    )
}

/// Checks a downloaded binary against the offer and the pinned key.
pub fn verify(binary: &[u8], offer: &UpdatePayload, key: &VerifyingKey) -> Result<(), UpdateError> {
    verify_signed(binary, &offer.sha256, &offer.signature, key)
}

/// Checks that `binary` hashes to `sha256` (hex) and that `signature` (base64 ed25519 over the
/// 32 raw digest bytes) verifies against `key`. Used for this agent's own updates and for the
/// GuruConnect agent it launches.
pub fn verify_signed(
    binary: &[u8],
    sha256: &str,
    signature: &str,
    key: &VerifyingKey,
) -> Result<(), UpdateError> {
    let digest = Sha256::digest(binary);
    if !hex::encode(digest).eq_ignore_ascii_case(sha256.trim()) {
        return Err(UpdateError::HashMismatch);
    }
    let signature = STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or(UpdateError::BadSignature)?;
    key.verify_strict(&digest, &signature)
        .map_err(|_| UpdateError::BadSignature)
}

/// Replaces `target` with `binary` atomically: the new file is written beside it and renamed
/// over it, so a crash leaves either the old or the new binary, never half of one.
pub fn install(binary: &[u8], target: &Path) -> Result<(), UpdateError> {
    use std::io::Write;
    let staged = target.with_extension("new");
    let _ = std::fs::remove_file(&staged);
    let mut file = std::fs::File::create(&staged)?;
    file.write_all(binary)?;
    file.sync_all()?;
    drop(file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755))?;
    }
    // Windows cannot replace a running executable, but it can rename it out of the way.
    #[cfg(windows)]
    {
        let old = target.with_extension("old");
        let _ = std::fs::remove_file(&old);
        std::fs::rename(target, &old)?;
    }
    std::fs::rename(&staged, target)?;
    Ok(())
}

async fn download(url: &str, http: reqwest::ClientBuilder) -> Result<Vec<u8>, UpdateError> {
    let err = |e: reqwest::Error| UpdateError::Download(e.to_string());
    let mut response = http
        .build()
        .map_err(err)?
        .get(url)
        .send()
        .await
        .map_err(err)?
        .error_for_status()
        .map_err(err)?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(err)? {
        if body.len() + chunk.len() > MAX_BINARY_BYTES {
            return Err(UpdateError::Download("binary larger than the limit".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Downloads, verifies and installs an offered update over the running executable, and records
/// the version it replaces. Returns the installed path; the caller restarts into it.
pub async fn apply(
    offer: &UpdatePayload,
    configured_key: Option<&str>,
    state: &StateDir,
    http: reqwest::ClientBuilder,
) -> Result<PathBuf, UpdateError> {
    let key = pinned_key(configured_key)?;
    let binary = download(&offer.download_url, http).await?;
    verify(&binary, offer, &key)?;
    // Read the path now: once the file is replaced, Linux reports the running image as
    // "<path> (deleted)".
    let exe = std::env::current_exe()?;
    install(&binary, &exe)?;
    state.set_previous_version(crate::VERSION)?;
    Ok(exe)
}

/// Starts the binary installed at `exe` in place of this process (Unix: exec with the same
/// arguments, keeping the pid; elsewhere the service manager restarts the agent after it
/// exits).
pub fn restart(exe: &Path) -> ! {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .exec();
        tracing::error!(error = %err, path = %exe.display(), "restarting into the new binary failed; exiting");
    }
    #[cfg(not(unix))]
    let _ = exe;
    std::process::exit(75)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn offer_for(binary: &[u8], key: &SigningKey) -> UpdatePayload {
        let digest = Sha256::digest(binary);
        UpdatePayload {
            version: "9.9.9".into(),
            download_url: "http://127.0.0.1/agent".into(),
            sha256: hex::encode(digest),
            signature: STANDARD.encode(key.sign(&digest).to_bytes()),
        }
    }

    fn keys() -> (SigningKey, SigningKey) {
        (
            SigningKey::from_bytes(&[7u8; 32]),
            SigningKey::from_bytes(&[8u8; 32]),
        )
    }

    #[test]
    fn a_signed_binary_verifies() {
        let (ours, _) = keys();
        let binary = b"new agent binary".to_vec();
        let offer = offer_for(&binary, &ours);
        verify(&binary, &offer, &ours.verifying_key()).expect("verifies");
        let pinned = STANDARD.encode(ours.verifying_key().to_bytes());
        assert!(pinned_key(Some(&pinned)).is_ok());
    }

    #[test]
    fn a_tampered_binary_is_refused_even_with_a_matching_hash() {
        let (ours, theirs) = keys();
        let binary = b"new agent binary".to_vec();
        let offer = offer_for(&binary, &ours);
        assert!(matches!(
            verify(b"evil binary", &offer, &ours.verifying_key()),
            Err(UpdateError::HashMismatch)
        ));
        // A compromised server sends the right hash of its own binary: the signature fails.
        let mut forged = offer_for(b"evil binary", &theirs);
        assert!(matches!(
            verify(b"evil binary", &forged, &ours.verifying_key()),
            Err(UpdateError::BadSignature)
        ));
        forged.signature = offer.signature.clone();
        assert!(matches!(
            verify(b"evil binary", &forged, &ours.verifying_key()),
            Err(UpdateError::BadSignature)
        ));
    }

    #[test]
    fn without_a_pinned_key_nothing_is_accepted() {
        if BUILT_IN_KEY.is_none() {
            assert!(matches!(pinned_key(None), Err(UpdateError::NoPinnedKey)));
        }
        assert!(matches!(
            pinned_key(Some("bm90IGEga2V5")),
            Err(UpdateError::BadPinnedKey)
        ));
    }

    #[test]
    fn install_replaces_the_file_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("gururmm-agent");
        std::fs::write(&target, b"old").expect("write");
        install(b"new binary", &target).expect("install");
        assert_eq!(std::fs::read(&target).expect("read"), b"new binary");
        assert!(!target.with_extension("new").exists());
    }
}
