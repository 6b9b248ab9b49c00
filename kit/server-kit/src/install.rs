//! What an install keeps on disk beside its database: the master key every other key is
//! derived from, and files only their owner may read.

use crate::crypto::random_bytes;
use crate::SecretString;
use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::path::Path;

/// The install's master key: the configured secret, or a random key generated once per
/// install and kept in `data_dir/master.key` (mode 0600). Never shared between installs, never
/// stored in the database, so a copied database alone forges no token.
pub fn master_key(configured: Option<&SecretString>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let path = data_dir.join("master.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return STANDARD
            .decode(text.trim())
            .with_context(|| format!("{} is not base64", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key = random_bytes::<32>();
    write_private(&path, &STANDARD.encode(key))?;
    tracing::info!(path = %path.display(), "generated this install's master key");
    Ok(key.to_vec())
}

/// Writes a new file readable by its owner only; refuses to overwrite one.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        let first = master_key(None, &data).expect("generated");
        assert_eq!(first.len(), 32);
        assert_eq!(master_key(None, &data).expect("read back"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(data.join("master.key")).expect("file");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        let configured = SecretString::new("c".repeat(32));
        let key = master_key(Some(&configured), &data).expect("configured");
        assert_eq!(key, b"c".repeat(32));
    }

    #[test]
    fn a_damaged_key_file_or_an_existing_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("master.key"), "not base64!").expect("write");
        let err = master_key(None, dir.path()).expect_err("damaged");
        assert!(err.to_string().contains("master.key"), "{err}");
        let err = write_private(&dir.path().join("master.key"), "x").expect_err("exists");
        assert!(format!("{err:#}").contains("must not exist yet"), "{err:#}");
    }
}
