//! Random credentials and their stored forms: high-entropy secrets kept as SHA-256, low-entropy
//! ones (short codes) as HMAC-SHA256 under the install's key, so a database dump alone cannot
//! brute-force them; and comparison that does not leak through timing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

/// A new 256-bit secret, URL-safe, after a prefix that makes a leaked one recognisable.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// SHA-256 hex: the stored form of high-entropy secrets (keys, refresh tokens).
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// HMAC-SHA256 hex of `value` under `key`: the stored form of low-entropy secrets, and how
/// purpose-bound keys are derived from one master key.
pub fn hmac_hex(key: &[u8], value: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty answer matches nothing.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Equality that takes the same time wherever the inputs differ, whatever their lengths
/// (both sides are hashed first).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes())
        .ct_eq(&Sha256::digest(b.as_bytes()))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_after_their_prefix() {
        let token = new_token("xyz_");
        let raw = URL_SAFE_NO_PAD
            .decode(token.strip_prefix("xyz_").expect("prefix"))
            .expect("base64");
        assert_eq!(raw.len(), 32);
        assert_ne!(new_token("xyz_"), token);
    }

    #[test]
    fn keyed_hash_depends_on_the_key_and_is_stable() {
        assert_ne!(
            hmac_hex(b"install-a", "1234"),
            hmac_hex(b"install-b", "1234")
        );
        assert_eq!(hmac_hex(b"k", "x"), hmac_hex(b"k", "x"));
        assert_ne!(hmac_hex(b"k", "x"), sha256_hex("x"));
    }

    #[test]
    fn constant_time_eq_compares_values_of_any_length() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
    }
}
