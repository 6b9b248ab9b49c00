//! Signed tokens: technician access tokens and session-scoped viewer tokens. Each kind has its
//! own audience, its own `typ` claim and its own HMAC key (derived from the install's master
//! key), so one kind can never pass for the other even if a check were forgotten.

use super::secrets::hmac_hex;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "guruconnect";
pub const ACCESS_AUDIENCE: &str = "guruconnect-api";
pub const VIEWER_AUDIENCE: &str = "guruconnect-viewer";
pub const ACCESS_TYP: &str = "access";
pub const VIEWER_TYP: &str = "viewer";
/// Clock skew tolerated on `exp`, set explicitly rather than inherited from a library default.
pub const LEEWAY_SECS: u64 = 5;

/// Claims of a technician's access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub name: String,
    pub role: String,
    pub typ: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// Refresh-token family of the login this token belongs to (logout revokes it).
    pub fam: String,
}

/// Claims of a viewer token: opens one session's viewer socket and nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ViewerClaims {
    pub sub: String,
    pub name: String,
    /// The one session this token opens.
    pub sid: String,
    pub typ: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// Why a token was refused. Deliberately coarse: callers answer 401 either way.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token is of the wrong type")]
    WrongType,
}

/// Signing keys for both token kinds.
#[derive(Clone)]
pub struct TokenKeys {
    access_enc: EncodingKey,
    access_dec: DecodingKey,
    viewer_enc: EncodingKey,
    viewer_dec: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys([redacted])")
    }
}

impl TokenKeys {
    /// Derives one key per token kind from the install's master key.
    pub fn derive(master: &[u8]) -> Self {
        let access = hmac_hex(master, "guruconnect/jwt/access/v1");
        let viewer = hmac_hex(master, "guruconnect/jwt/viewer/v1");
        Self {
            access_enc: EncodingKey::from_secret(access.as_bytes()),
            access_dec: DecodingKey::from_secret(access.as_bytes()),
            viewer_enc: EncodingKey::from_secret(viewer.as_bytes()),
            viewer_dec: DecodingKey::from_secret(viewer.as_bytes()),
        }
    }

    pub fn sign_access(&self, claims: &AccessClaims) -> jsonwebtoken::errors::Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.access_enc)
    }

    pub fn sign_viewer(&self, claims: &ViewerClaims) -> jsonwebtoken::errors::Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.viewer_enc)
    }

    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data = decode::<AccessClaims>(token, &self.access_dec, &validation(ACCESS_AUDIENCE))?;
        if data.claims.typ != ACCESS_TYP {
            return Err(TokenError::WrongType);
        }
        Ok(data.claims)
    }

    pub fn verify_viewer(&self, token: &str) -> Result<ViewerClaims, TokenError> {
        let data = decode::<ViewerClaims>(token, &self.viewer_dec, &validation(VIEWER_AUDIENCE))?;
        if data.claims.typ != VIEWER_TYP {
            return Err(TokenError::WrongType);
        }
        Ok(data.claims)
    }
}

/// HS256 only (so `alg=none` and every other algorithm fail), the expected audience and issuer,
/// `exp` required, explicit leeway.
fn validation(audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.algorithms = vec![Algorithm::HS256];
    v.set_audience(&[audience]);
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    v.leeway = LEEWAY_SECS;
    v.validate_exp = true;
    v
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
