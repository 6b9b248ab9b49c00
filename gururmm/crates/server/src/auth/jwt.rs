//! GuruRMM's access tokens: HS256 JWTs of their own audience and `typ`, signed by a key derived
//! from the install's master key; `server_kit::jwt` signs and checks them.

use crate::model::{SignInId, UserId};
use serde::{Deserialize, Serialize};
pub use server_kit::jwt::{now_secs, LEEWAY_SECS};
use server_kit::jwt::{Claims, TokenKey, TokenKind};

pub const ISSUER: &str = "gururmm";
pub const AUDIENCE: &str = "gururmm-api";
pub const TYP: &str = "access";

const ACCESS: TokenKind = TokenKind {
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: TYP,
    key_label: "gururmm/jwt/access/v1",
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub typ: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// The sign-in the token belongs to (`sign_ins.id`); tokens of older releases carry none
    /// and are refused.
    #[serde(default)]
    pub fam: String,
}

impl Claims for AccessClaims {
    fn typ(&self) -> &str {
        &self.typ
    }
}

#[derive(Clone, Debug)]
pub struct TokenKeys {
    access: TokenKey,
}

impl TokenKeys {
    pub fn derive(master: &[u8]) -> Self {
        Self {
            access: TokenKey::derive(master, ACCESS),
        }
    }

    /// A token of the sign-in `family` for `user_id`, valid until `exp` (Unix seconds); with
    /// its claims (the `jti` is new).
    pub fn sign(
        &self,
        user_id: &UserId,
        family: &SignInId,
        exp: u64,
    ) -> anyhow::Result<(String, AccessClaims)> {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            typ: TYP.into(),
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
            iat: now_secs(),
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
            fam: family.to_string(),
        };
        Ok((self.access.sign(&claims)?, claims))
    }

    /// The claims of a valid access token; None for anything else.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        self.access.verify(token).ok()
    }
}
