//! Access tokens: HS256 JWTs with their own audience and `typ`, signed by a key derived from
//! the install's master key. Validation pins the algorithm, requires `exp`, and sets leeway
//! explicitly.

use super::secrets::hmac_hex;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "gururmm";
pub const AUDIENCE: &str = "gururmm-api";
pub const TYP: &str = "access";
pub const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub typ: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys([redacted])")
    }
}

impl TokenKeys {
    pub fn derive(master: &[u8]) -> Self {
        let key = hmac_hex(master, "gururmm/jwt/access/v1");
        Self {
            encoding: EncodingKey::from_secret(key.as_bytes()),
            decoding: DecodingKey::from_secret(key.as_bytes()),
        }
    }

    pub fn sign(&self, user_id: &str, ttl_secs: u64) -> anyhow::Result<(String, u64)> {
        let now = now_secs();
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            typ: TYP.into(),
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok((
            encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?,
            claims.exp,
        ))
    }

    /// The claims of a valid access token; None for anything else.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.algorithms = vec![Algorithm::HS256];
        v.set_audience(&[AUDIENCE]);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        v.leeway = LEEWAY_SECS;
        let claims = decode::<AccessClaims>(token, &self.decoding, &v)
            .ok()?
            .claims;
        (claims.typ == TYP).then_some(claims)
    }
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
