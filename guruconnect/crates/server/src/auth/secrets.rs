//! Random credentials and how they are stored: 256-bit keys kept as SHA-256, short support codes
//! kept as HMAC-SHA256 under the install's key, and constant-time comparison everywhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of per-machine agent keys, so a leaked key is recognisable in scanners and logs.
pub const AGENT_KEY_PREFIX: &str = "gck_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "gcr_";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

/// A new 256-bit secret, URL-safe, with a recognisable prefix.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// SHA-256 hex: the stored form of high-entropy secrets (keys, refresh tokens).
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// HMAC-SHA256 hex under `key`: the stored form of low-entropy secrets (support codes), which a
/// plain hash would not protect from brute force.
pub fn hmac_hex(key: &[u8], value: &str) -> String {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares secrets without leaking, through timing, how much of them matched.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    // Hash first so lengths do not leak either.
    let (ha, hb) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    ha.ct_eq(&hb).into()
}

/// Digits in a support code: 8 digits is 26.6 bits of entropy (≥ 20 required).
pub const SUPPORT_CODE_DIGITS: usize = 8;

/// A new support code of uniformly random decimal digits.
pub fn new_support_code() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..SUPPORT_CODE_DIGITS)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Canonical form of a typed code: digits only, so "1234 5678" and "1234-5678" both redeem.
pub fn normalize_support_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let only_separators = input
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    (digits.len() == SUPPORT_CODE_DIGITS && only_separators).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_their_prefix() {
        let token = new_token(AGENT_KEY_PREFIX);
        assert!(token.starts_with(AGENT_KEY_PREFIX));
        let raw = URL_SAFE_NO_PAD
            .decode(&token[AGENT_KEY_PREFIX.len()..])
            .expect("base64");
        assert_eq!(raw.len(), 32);
        assert_ne!(new_token(AGENT_KEY_PREFIX), token);
    }

    #[test]
    fn support_codes_have_at_least_twenty_bits() {
        let bits = (SUPPORT_CODE_DIGITS as f64) * 10f64.log2();
        assert!(bits >= 20.0, "{bits}");
        let code = new_support_code();
        assert_eq!(code.len(), SUPPORT_CODE_DIGITS);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn support_codes_normalise_separators_only() {
        assert_eq!(
            normalize_support_code("1234-5678").as_deref(),
            Some("12345678")
        );
        assert_eq!(
            normalize_support_code("1234 5678").as_deref(),
            Some("12345678")
        );
        assert_eq!(normalize_support_code("1234x5678"), None);
        assert_eq!(normalize_support_code("123"), None);
    }

    #[test]
    fn keyed_hash_depends_on_the_key() {
        assert_ne!(
            hmac_hex(b"install-a", "12345678"),
            hmac_hex(b"install-b", "12345678")
        );
        assert_eq!(hmac_hex(b"k", "x"), hmac_hex(b"k", "x"));
    }

    #[test]
    fn constant_time_eq_compares_values() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
