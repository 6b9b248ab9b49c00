//! Recovery codes: the way in when the phone is lost. Ten per set, each good once, shown to
//! the user once and kept only as an HMAC under a key of the install (fifty random bits each:
//! too few to leave as a plain hash in a database dump).

use crate::crypto::{hmac_hex, random_bytes};
use data_encoding::BASE32_NOPAD;

/// Codes in one set.
pub const CODES_PER_SET: usize = 10;
/// Characters of a code, without its dash.
const CODE_CHARS: usize = 10;

/// A fresh set, written `abcde-fghij` (lower-case base32: no 0/1/8/9 to mistake for letters).
pub fn new_set() -> Vec<String> {
    (0..CODES_PER_SET)
        .map(|_| {
            let text = BASE32_NOPAD
                .encode(&random_bytes::<7>())
                .to_ascii_lowercase();
            format!(
                "{}-{}",
                &text[..CODE_CHARS / 2],
                &text[CODE_CHARS / 2..CODE_CHARS]
            )
        })
        .collect()
}

/// A code as typed, reduced to what matters: case, spaces and dashes do not.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `given` looks like a recovery code rather than a six-digit authenticator code.
pub fn looks_like_recovery_code(given: &str) -> bool {
    normalise(given).len() == CODE_CHARS
}

/// The stored form of a code under `key`.
pub fn stored_form(key: &[u8], code: &str) -> String {
    hmac_hex(key, &normalise(code))
}
