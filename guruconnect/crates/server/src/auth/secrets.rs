//! GuruConnect's credentials: the prefixes of its keys and tokens, and support codes (kept as
//! HMAC-SHA256 under the install's key). The primitives are `server_kit::crypto`'s.

pub use server_kit::crypto::{constant_time_eq, hmac_hex, new_token, random_bytes, sha256_hex};

/// Prefix of per-machine agent keys, so a leaked key is recognisable in scanners and logs.
pub const AGENT_KEY_PREFIX: &str = "gck_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "gcr_";

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
}
