//! Release signing, the same for both products' agent builds: an ed25519 key made and kept
//! off the server (`release keygen`), a signature made where the build is (`release sign`),
//! and the check made before anything runs or publishes a build. The signature covers the 32
//! raw bytes of the binary's SHA-256, so a verifier hashes once and checks both.

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A new signing key: (secret seed, public key), both standard base64.
pub fn keygen() -> (String, String) {
    let key = SigningKey::from_bytes(&crate::crypto::random_bytes::<32>());
    (
        STANDARD.encode(key.to_bytes()),
        STANDARD.encode(key.verifying_key().to_bytes()),
    )
}

/// Reads a secret seed written by [`keygen`].
pub fn signing_key(seed_b64: &str) -> anyhow::Result<SigningKey> {
    let bytes = STANDARD
        .decode(seed_b64.trim())
        .context("the signing key is not base64")?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the signing key is not 32 bytes"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A build's signature, as `release sign` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    /// Lower-case hex SHA-256 of the binary.
    pub sha256: String,
    /// Base64 ed25519 signature over the digest's raw bytes.
    pub signature: String,
    /// Base64 public key the signature verifies under (what verifiers must pin).
    pub public_key: String,
}

pub fn sign(binary: &[u8], key: &SigningKey) -> Signed {
    let digest = Sha256::digest(binary);
    Signed {
        sha256: hex::encode(digest),
        signature: STANDARD.encode(key.sign(&digest).to_bytes()),
        public_key: STANDARD.encode(key.verifying_key().to_bytes()),
    }
}

/// True when `bytes` hash to `sha256_hex` and `signature_b64` is a signature over that digest
/// under `public_b64`.
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

/// Whether `text` is a base64 ed25519 public key.
pub fn valid_public_key(text: &str) -> bool {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .is_some_and(|b| VerifyingKey::from_bytes(&b).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_bytes_and_its_key() {
        let (secret, public) = keygen();
        let key = signing_key(&secret).expect("key");
        let signed = sign(b"agent build", &key);
        assert_eq!(signed.public_key, public);
        assert_eq!(signed.sha256, hex::encode(Sha256::digest(b"agent build")));
        assert!(verify(
            b"agent build",
            &signed.sha256,
            &signed.signature,
            &public
        ));
        assert!(
            !verify(b"agent build!", &signed.sha256, &signed.signature, &public),
            "other bytes"
        );
        let other_sha = hex::encode(Sha256::digest(b"agent build!"));
        assert!(
            !verify(b"agent build!", &other_sha, &signed.signature, &public),
            "other bytes with their own hash"
        );
        let (_, other_public) = keygen();
        assert!(
            !verify(
                b"agent build",
                &signed.sha256,
                &signed.signature,
                &other_public
            ),
            "other key"
        );
        assert!(
            !verify(b"agent build", &signed.sha256, "not base64!", &public),
            "garbage signature"
        );
        assert!(valid_public_key(&public));
        assert!(!valid_public_key(&secret[..20]));
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let err = signing_key("not base64!").expect_err("bad");
        assert!(err.to_string().contains("base64"), "{err}");
        let err = signing_key(&STANDARD.encode([1u8; 16])).expect_err("short");
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
