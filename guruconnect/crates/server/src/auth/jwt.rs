//! GuruConnect's two token kinds: technician access tokens and session-scoped viewer tokens.
//! Each has its own audience, `typ` claim and key derived from the install's master key
//! (`server_kit::jwt` signs and checks them), so one can never pass for the other.

use serde::{Deserialize, Serialize};
pub use server_kit::jwt::{now_secs, TokenError, LEEWAY_SECS};
use server_kit::jwt::{Claims, TokenKey, TokenKind};

pub const ISSUER: &str = "guruconnect";
pub const ACCESS_AUDIENCE: &str = "guruconnect-api";
pub const VIEWER_AUDIENCE: &str = "guruconnect-viewer";
pub const ACCESS_TYP: &str = "access";
pub const VIEWER_TYP: &str = "viewer";

const ACCESS: TokenKind = TokenKind {
    issuer: ISSUER,
    audience: ACCESS_AUDIENCE,
    typ: ACCESS_TYP,
    key_label: "guruconnect/jwt/access/v1",
};
const VIEWER: TokenKind = TokenKind {
    issuer: ISSUER,
    audience: VIEWER_AUDIENCE,
    typ: VIEWER_TYP,
    key_label: "guruconnect/jwt/viewer/v1",
};

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

impl Claims for AccessClaims {
    fn typ(&self) -> &str {
        &self.typ
    }
}

impl Claims for ViewerClaims {
    fn typ(&self) -> &str {
        &self.typ
    }
}

/// Signing keys for both token kinds.
#[derive(Clone, Debug)]
pub struct TokenKeys {
    access: TokenKey,
    viewer: TokenKey,
}

impl TokenKeys {
    /// Derives one key per token kind from the install's master key.
    pub fn derive(master: &[u8]) -> Self {
        Self {
            access: TokenKey::derive(master, ACCESS),
            viewer: TokenKey::derive(master, VIEWER),
        }
    }

    pub fn sign_access(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        self.access.sign(claims)
    }

    pub fn sign_viewer(&self, claims: &ViewerClaims) -> Result<String, TokenError> {
        self.viewer.sign(claims)
    }

    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.access.verify(token)
    }

    pub fn verify_viewer(&self, token: &str) -> Result<ViewerClaims, TokenError> {
        self.viewer.verify(token)
    }
}
