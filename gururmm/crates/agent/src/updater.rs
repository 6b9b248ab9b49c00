//! Self-update (RMM-7). A binary is installed only if its SHA-256 matches the offer **and** an
//! ed25519 signature over that digest verifies against the key pinned in this agent (built in
//! via `GURURMM_UPDATE_PUBLIC_KEY`, or `update.public_key` in the root-owned agent.toml). The
//! hash from the server alone proves nothing against a compromised server (Kaseya 2021). A
//! verified binary is then started once beside the running one (`--version`) and must report
//! the offered version before it replaces anything: a build for the wrong platform, one that
//! cannot start, or one that would come back on another version (and be offered the update
//! again, forever) is refused the same way. A refused update is logged, the running binary
//! stays, and the session tells the server why (`update_result`, with [`UpdateError::code`]).

use crate::state::StateDir;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use gururmm_protocol::{UpdatePayload, UpdateResult};
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
    #[error("the new binary does not start here: {0}")]
    DoesNotStart(String),
    #[error("the new binary reports {found:?}, not the offered version {offered}")]
    WrongVersion { offered: String, found: String },
    #[error("installing failed: {0}")]
    Install(#[from] std::io::Error),
}

impl UpdateError {
    /// The refusal code reported to the server in `update_result`.
    pub fn code(&self) -> &'static str {
        match self {
            UpdateError::NoPinnedKey => UpdateResult::NO_PINNED_KEY,
            UpdateError::BadPinnedKey => UpdateResult::BAD_PINNED_KEY,
            UpdateError::Download(_) => UpdateResult::DOWNLOAD_FAILED,
            UpdateError::HashMismatch => UpdateResult::HASH_MISMATCH,
            UpdateError::BadSignature => UpdateResult::BAD_SIGNATURE,
            UpdateError::DoesNotStart(_) => UpdateResult::DOES_NOT_START,
            UpdateError::WrongVersion { .. } => UpdateResult::WRONG_VERSION,
            UpdateError::Install(_) => UpdateResult::INSTALL_FAILED,
        }
    }
}

fn download_error(e: reqwest::Error) -> UpdateError {
    UpdateError::Download(describe_download_error(e))
}

/// A download failure as text without the URL (a download link may carry a token in its
/// query), with its causes, which name what failed (connection, TLS, HTTP status).
pub fn describe_download_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// How long the new binary may take to print its version.
const PREFLIGHT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

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

/// Writes `binary` beside `target` (same directory, so the final rename is atomic), executable.
pub fn stage(binary: &[u8], target: &Path) -> Result<PathBuf, UpdateError> {
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
    Ok(staged)
}

/// Starts the staged binary with `--version` and checks it names `version`.
pub async fn preflight(staged: &Path, version: &str) -> Result<(), UpdateError> {
    let mut command = tokio::process::Command::new(staged);
    command
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let child =
        crate::exec::process::spawn_when_not_busy(command.stdout(std::process::Stdio::piped()))
            .await
            .map_err(|e| UpdateError::DoesNotStart(e.to_string()))?;
    let output = tokio::time::timeout(PREFLIGHT_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| UpdateError::DoesNotStart("no answer to --version".into()))?
        .map_err(|e| UpdateError::DoesNotStart(e.to_string()))?;
    if !output.status.success() {
        return Err(UpdateError::DoesNotStart(format!(
            "--version exited with {}",
            output.status
        )));
    }
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if said != format!("gururmm-agent {version}") {
        return Err(UpdateError::WrongVersion {
            offered: version.to_owned(),
            found: said,
        });
    }
    Ok(())
}

/// Moves the staged binary over `target` atomically: a crash leaves either the old or the new
/// binary, never half of one.
pub fn commit(staged: &Path, target: &Path) -> Result<(), UpdateError> {
    // Windows cannot replace a running executable, but it can rename it out of the way.
    #[cfg(windows)]
    {
        let old = target.with_extension("old");
        let _ = std::fs::remove_file(&old);
        std::fs::rename(target, &old)?;
    }
    std::fs::rename(staged, target)?;
    Ok(())
}

/// Stages `binary` beside `target`, proves it starts as `version`, and moves it into place.
/// On any failure the staged file is removed and `target` is untouched.
pub async fn install(binary: &[u8], target: &Path, version: &str) -> Result<(), UpdateError> {
    let staged = stage(binary, target)?;
    let installed = match preflight(&staged, version).await {
        Ok(()) => commit(&staged, target),
        Err(e) => Err(e),
    };
    if installed.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    installed
}

async fn download(url: &str, http: reqwest::ClientBuilder) -> Result<Vec<u8>, UpdateError> {
    let err = download_error;
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
    install(&binary, &exe, &offer.version).await?;
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
            update_id: None,
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

    #[tokio::test]
    async fn a_failed_download_says_what_failed_but_not_the_url() {
        // A port nothing listens on (bound, then closed).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let url = format!("http://127.0.0.1:{port}/agent?token=download-secret");
        let e = download(&url, reqwest::Client::builder())
            .await
            .expect_err("nothing listens");
        assert_eq!(e.code(), UpdateResult::DOWNLOAD_FAILED);
        let text = e.to_string();
        assert!(
            !text.contains("download-secret") && !text.contains("/agent"),
            "{text}"
        );
        assert!(text.to_ascii_lowercase().contains("connect"), "{text}");
    }

    /// A stand-in "binary": a script answering `--version` with `said` (and exit `code`).
    fn script(said: &str, code: i32) -> Vec<u8> {
        format!("#!/bin/sh\necho '{said}'\nexit {code}\n").into_bytes()
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn install_replaces_the_file_whole_once_the_new_one_starts() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("gururmm-agent");
        std::fs::write(&target, b"old").expect("write");
        let new = script("gururmm-agent 2.0.0", 0);
        install(&new, &target, "2.0.0").await.expect("install");
        assert_eq!(std::fs::read(&target).expect("read"), new);
        assert!(!target.with_extension("new").exists());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_binary_that_cannot_start_or_names_another_version_is_not_installed() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("gururmm-agent");
        std::fs::write(&target, b"old").expect("write");
        let cases: [(Vec<u8>, &str); 3] = [
            (script("gururmm-agent 1.9.0", 0), "reports"),
            (script("gururmm-agent 2.0.0", 1), "exited with"),
            // Not a program at all on this machine (a foreign platform's build).
            (
                b"MZ\x90\x00 not for this platform".to_vec(),
                "does not start",
            ),
        ];
        for (binary, expected) in cases {
            let e = install(&binary, &target, "2.0.0")
                .await
                .expect_err(expected);
            assert!(e.to_string().contains(expected), "{e}");
            assert_eq!(std::fs::read(&target).expect("read"), b"old", "untouched");
            assert!(
                !target.with_extension("new").exists(),
                "staged file removed"
            );
        }
    }
}
