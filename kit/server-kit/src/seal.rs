//! Secrets a server must keep usable (not just verifiable) at rest — GuruRMM's GuruConnect
//! per-machine keys and launch secrets, both consoles' authenticator secrets — are sealed with
//! ChaCha20-Poly1305 under a key derived from the install's master key for one purpose (the
//! master key lives in the data dir, never in the database), so a database dump alone holds
//! none of them. Each value is bound to a context string (e.g. the agent or user it belongs to)
//! as associated data: a sealed value copied into another row does not open.

use crate::crypto::random_bytes;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sha2::Sha256;

const PREFIX: &str = "v1.";

pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A key for one purpose, derived from the master key.
    pub fn derive(master: &[u8], purpose: &str) -> anyhow::Result<Self> {
        let mut mac = Hmac::<Sha256>::new_from_slice(master)?;
        mac.update(purpose.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| anyhow::anyhow!("cannot build the sealing key"))?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// `v1.<base64(nonce || ciphertext || tag)>`.
    pub fn seal(&self, context: &str, plaintext: &str) -> anyhow::Result<String> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut data = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// The plaintext, or None when the value was not sealed by this key for this context.
    pub fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let raw = STANDARD.decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let sealer = Sealer::derive(b"master-one", "purpose").expect("key");
        let sealed = sealer.seal("agent:a", "gc-key-secret").expect("seal");
        assert!(!sealed.contains("gc-key-secret"));
        assert_eq!(
            sealer.open("agent:a", &sealed).as_deref(),
            Some("gc-key-secret")
        );
        // Moved to another agent's row: refused.
        assert_eq!(sealer.open("agent:b", &sealed), None);
        // Another install's master key, or another purpose: refused.
        let other = Sealer::derive(b"master-two", "purpose").expect("key");
        assert_eq!(other.open("agent:a", &sealed), None);
        let other = Sealer::derive(b"master-one", "other").expect("key");
        assert_eq!(other.open("agent:a", &sealed), None);
        // Tampered: refused.
        let mut raw = STANDARD.decode(&sealed[3..]).expect("b64");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(
            sealer.open("agent:a", &format!("v1.{}", STANDARD.encode(raw))),
            None
        );
        // Two seals of one value differ (fresh nonce).
        assert_ne!(
            sealed,
            sealer.seal("agent:a", "gc-key-secret").expect("seal")
        );
    }
}
