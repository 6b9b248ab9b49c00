//! Password hashing with Argon2id at the OWASP floor (19 MiB, t=2, p=1), and a verification path
//! that costs the same whether or not the account exists.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 1024;

fn hasher() -> Argon2<'static> {
    // 19 MiB, two passes, one lane: OWASP's minimum for Argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password was refused at creation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordPolicyError {
    #[error("password must be at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_LEN} characters")]
    TooLong,
}

pub fn check_policy(password: &str) -> Result<(), PasswordPolicyError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(PasswordPolicyError::TooShort)
    } else if password.len() > MAX_PASSWORD_LEN {
        Err(PasswordPolicyError::TooLong)
    } else {
        Ok(())
    }
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Checks `password` against a stored PHC string. A malformed hash verifies as false.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Burns the same work as a real verification, for logins naming an unknown user, so response
/// time does not tell which usernames exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("dummy-password-for-timing").unwrap_or_default());
    let _ = verify(password, phc);
}

/// A random password for the bootstrap admin: 24 characters from a 56-symbol alphabet
/// without look-alikes (~139 bits).
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..24)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_required_cost() {
        let phc = hash("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("wrong horse battery", &phc));
    }

    #[test]
    fn same_password_hashes_differently() {
        assert_ne!(hash("same password!").ok(), hash("same password!").ok());
    }

    #[test]
    fn malformed_hashes_do_not_verify() {
        assert!(!verify("anything", "not-a-phc-string"));
    }

    #[test]
    fn policy_rejects_short_passwords() {
        assert_eq!(check_policy("short"), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_policy("long enough pw"), Ok(()));
    }
}
