//! Signed tokens (HS256 JWTs) of one kind each: a key derived for that kind alone from the
//! install's master key, and validation that pins the algorithm (so `alg=none` and every other
//! algorithm fail), requires `exp`, `aud`, `iss` and `sub`, checks the kind's audience, issuer
//! and `typ` claim, and tolerates an explicit clock skew. One kind can never pass for another
//! even where a check is forgotten: its key, audience and `typ` all differ.

use crate::crypto::hmac_hex;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{de::DeserializeOwned, Serialize};

/// Clock skew tolerated on `exp`, set here rather than inherited from a library default.
pub const LEEWAY_SECS: u64 = 5;

/// What names a kind of token: who issues it, who it is for, and its `typ` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenKind {
    pub issuer: &'static str,
    pub audience: &'static str,
    pub typ: &'static str,
    /// The label the kind's key is derived under, e.g. `product/jwt/access/v1`; changing it
    /// invalidates every token of the kind.
    pub key_label: &'static str,
}

/// Claims a token kind carries; `typ` is checked after the signature.
pub trait Claims: Serialize + DeserializeOwned {
    fn typ(&self) -> &str;
}

/// Why a token was refused. Deliberately coarse: callers answer 401 either way.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token is of the wrong type")]
    WrongType,
}

/// The signing and verifying key of one token kind.
#[derive(Clone)]
pub struct TokenKey {
    kind: TokenKind,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({} [redacted])", self.kind.typ)
    }
}

impl TokenKey {
    /// The key of `kind`, derived from the install's master key under the kind's label.
    pub fn derive(master: &[u8], kind: TokenKind) -> Self {
        let secret = hmac_hex(master, kind.key_label);
        Self {
            kind,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    pub fn sign<C: Claims>(&self, claims: &C) -> Result<String, TokenError> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid token of this kind.
    pub fn verify<C: Claims>(&self, token: &str) -> Result<C, TokenError> {
        let claims = decode::<C>(token, &self.decoding, &self.validation())?.claims;
        if claims.typ() != self.kind.typ {
            return Err(TokenError::WrongType);
        }
        Ok(claims)
    }

    fn validation(&self) -> Validation {
        let mut v = Validation::new(Algorithm::HS256);
        v.algorithms = vec![Algorithm::HS256];
        v.set_audience(&[self.kind.audience]);
        v.set_issuer(&[self.kind.issuer]);
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        v.leeway = LEEWAY_SECS;
        v.validate_exp = true;
        v
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
