//! Password hashing with Argon2id at OWASP's floor (19 MiB, t=2, p=1), a policy for new
//! passwords, and a dummy verification so a login naming an unknown account costs the same as
//! a wrong password.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

pub const MIN_LEN: usize = 10;
/// Bounds the hash input, so a megabyte "password" cannot buy a megabyte of hashing.
pub const MAX_LEN: usize = 1024;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a new password was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("password must be at least {MIN_LEN} characters")]
    TooShort,
    #[error("password must be at most {MAX_LEN} bytes")]
    TooLong,
}

pub fn check_policy(password: &str) -> Result<(), PolicyError> {
    if password.chars().count() < MIN_LEN {
        Err(PolicyError::TooShort)
    } else if password.len() > MAX_LEN {
        Err(PolicyError::TooLong)
    } else {
        Ok(())
    }
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// True when `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    password.len() <= MAX_LEN
        && PasswordHash::new(phc)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
}

/// The same work as [`verify`] against a real hash, for logins naming an unknown account.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("timing-equaliser-password").unwrap_or_default());
    let _ = verify(password, phc);
}

/// A random password for a bootstrap admin: 24 characters from a 56-symbol alphabet without
/// look-alikes (~139 bits).
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..24)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// [`hash`] on the blocking pool: Argon2id spends tens of milliseconds of CPU by design.
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// [`verify`] against an account's stored hash on the blocking pool; without an account (or a
/// disabled one) [`verify_dummy`] does the same work, so the answer's time does not tell them
/// apart, and the result is false.
pub async fn verify_blocking(password: String, phc: Option<String>) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || match &phc {
        Some(phc) => verify(&password, phc),
        None => {
            verify_dummy(&password);
            false
        }
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_the_required_cost() {
        let phc = hash("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterx", &phc));
    }

    #[test]
    fn the_same_password_hashes_differently() {
        assert_ne!(hash("same password!").ok(), hash("same password!").ok());
    }

    #[test]
    fn malformed_hashes_and_oversized_passwords_never_match() {
        assert!(!verify("anything", "not a phc string"));
        let long = "x".repeat(MAX_LEN + 1);
        let phc = hash(&long).expect("hash");
        assert!(!verify(&long, &phc), "over the bound is refused unhashed");
    }

    #[test]
    fn the_policy_bounds_length() {
        assert_eq!(check_policy("short"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("long enough pw"), Ok(()));
        assert_eq!(
            check_policy(&"é".repeat(MAX_LEN)),
            Err(PolicyError::TooLong),
            "the bound is in bytes"
        );
    }

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let one = generate();
        assert_eq!(one.chars().count(), 24);
        assert_eq!(check_policy(&one), Ok(()));
        assert_ne!(one, generate());
    }
}
