//! Release signing for agent auto-update (RMM-7): an ed25519 key kept off the server, and the
//! `sha256` + `signature` pair `POST /api/releases` takes. The signature covers the 32 raw
//! bytes of the binary's SHA-256, which is what the agent verifies against its pinned key.

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// A new signing key: (secret seed, public key), both standard base64.
pub fn keygen() -> (String, String) {
    let key = SigningKey::from_bytes(&crate::auth::secrets::random_bytes::<32>());
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

/// What a release needs besides its version, OS, arch and URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Lower-case hex SHA-256 of the binary.
    pub sha256: String,
    /// Base64 ed25519 signature over the digest's raw bytes.
    pub signature: String,
    /// Base64 public key the agents must pin for this signature to verify.
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

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    fn public(text: &str) -> VerifyingKey {
        let bytes: [u8; 32] = STANDARD.decode(text).expect("b64").try_into().expect("32");
        VerifyingKey::from_bytes(&bytes).expect("key")
    }

    #[test]
    fn a_signature_verifies_for_its_binary_under_its_key_only() {
        let (secret, public_b64) = keygen();
        let key = signing_key(&secret).expect("key");
        let signed = sign(b"agent build", &key);
        assert_eq!(signed.public_key, public_b64);
        assert_eq!(signed.sha256, hex::encode(Sha256::digest(b"agent build")));
        let signature: [u8; 64] = STANDARD
            .decode(&signed.signature)
            .expect("b64")
            .try_into()
            .expect("64");
        let signature = Signature::from_bytes(&signature);
        let digest = Sha256::digest(b"agent build");
        assert!(public(&public_b64).verify(&digest, &signature).is_ok());
        assert!(public(&public_b64)
            .verify(&Sha256::digest(b"other build"), &signature)
            .is_err());
        let (_, other) = keygen();
        assert!(public(&other).verify(&digest, &signature).is_err());
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let err = signing_key("not base64!").expect_err("bad");
        assert!(err.to_string().contains("base64"), "{err}");
        let err = signing_key(&STANDARD.encode([1u8; 16])).expect_err("short");
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
