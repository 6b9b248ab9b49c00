//! Time-based one-time codes (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second steps, six
//! digits — what every authenticator app computes from the secret it scanned.

use crate::crypto::random_bytes;
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per code.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps either side of now still accepted, for a phone clock a little off and a code typed
/// as it turned over.
pub const DRIFT_STEPS: u64 = 1;

/// An authenticator secret: 160 random bits, the length RFC 4226 recommends for HMAC-SHA1.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        Self(random_bytes::<20>().to_vec())
    }

    /// The secret as authenticator apps take it typed in: base32 without padding.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// Reads a base32 secret, ignoring case, spaces and padding; None when it is not base32.
    pub fn from_base32(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = BASE32_NOPAD.decode(cleaned.as_bytes()).ok()?;
        (!bytes.is_empty()).then_some(Self(bytes))
    }

    /// The `otpauth://` address a QR code carries: the app shows `issuer` and `account` beside
    /// the codes.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", percent(issuer), percent(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            self.to_base32(),
            percent(issuer)
        )
    }

    /// The code for time step `step` with `digits` digits (HOTP with the step as counter).
    pub fn code_at_step(&self, step: u64, digits: u32) -> u32 {
        // HMAC takes keys of any length, so new_from_slice cannot fail.
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else {
            return u32::MAX;
        };
        mac.update(&step.to_be_bytes());
        let hash = mac.finalize().into_bytes();
        let offset = usize::from(hash[hash.len() - 1] & 0x0f);
        let truncated = u32::from_be_bytes([
            hash[offset] & 0x7f,
            hash[offset + 1],
            hash[offset + 2],
            hash[offset + 3],
        ]);
        truncated % 10u32.pow(digits)
    }

    /// The six-digit code shown at Unix time `now_secs`, zero-padded.
    pub fn code_at(&self, now_secs: u64) -> String {
        format_code(self.code_at_step(now_secs / STEP_SECS, DIGITS))
    }

    /// The step `given` is the code of, when it is a code of now (within the drift) and of a
    /// step after `used_up_to` — a code is good once. Compared in constant time.
    pub fn matching_step(
        &self,
        given: &str,
        now_secs: u64,
        used_up_to: Option<u64>,
    ) -> Option<u64> {
        let given: String = given.chars().filter(|c| !c.is_whitespace()).collect();
        if given.len() != DIGITS as usize || !given.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = now_secs / STEP_SECS;
        let first = now.saturating_sub(DRIFT_STEPS);
        let mut found = None;
        // Every candidate is computed and compared, found or not, so timing says nothing.
        for step in first..=now + DRIFT_STEPS {
            let expected = format_code(self.code_at_step(step, DIGITS));
            let fresh = used_up_to.is_none_or(|used| step > used);
            if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) && fresh && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

fn format_code(code: u32) -> String {
    format!("{code:0width$}", width = DIGITS as usize)
}

/// Percent-encodes all but unreserved characters (RFC 3986), for the otpauth label and issuer.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
