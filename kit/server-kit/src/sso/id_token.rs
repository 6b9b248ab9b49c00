//! Verifying the ID token: signed with one of the provider's published keys by an asymmetric
//! algorithm (never `none`, never HMAC, so the client secret cannot forge one), issued by the
//! configured issuer for this client, unexpired, and carrying the nonce this browser's flow
//! chose.

use super::{Sso, SsoError};
use crate::crypto::constant_time_eq;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// Clock difference tolerated between this server and the provider.
const LEEWAY_SECS: u64 = 60;

const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug, Deserialize)]
pub(super) struct Claims {
    pub iss: String,
    pub sub: String,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub aud: Audience,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<Flag>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `aud` is one string or a list (its values are checked by the token validation; only how
/// many there are matters here).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub(super) enum Audience {
    Many(Vec<IgnoredAny>),
    One(IgnoredAny),
    #[default]
    Missing,
}

impl Audience {
    fn count(&self) -> usize {
        match self {
            Audience::Many(all) => all.len(),
            Audience::One(_) => 1,
            Audience::Missing => 0,
        }
    }
}

/// A boolean claim some providers send as the string `"true"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    pub fn is_true(&self) -> bool {
        match self {
            Flag::Bool(b) => *b,
            Flag::Text(t) => t.eq_ignore_ascii_case("true"),
        }
    }
}

impl Sso {
    pub(super) async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
    ) -> Result<Claims, SsoError> {
        let bad = |e: &dyn std::fmt::Display| SsoError::BadToken(e.to_string());
        let header = decode_header(token).map_err(|e| bad(&e))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(SsoError::BadToken(format!(
                "{:?} is not accepted",
                header.alg
            )));
        }
        let key = self.signing_key(header.kid.as_deref()).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let claims = decode::<Claims>(token, &key, &validation)
            .map_err(|e| bad(&e))?
            .claims;
        // With several audiences the token must name this client as the one it is for.
        if claims.aud.count() > 1 && claims.azp.as_deref() != Some(&self.config.client_id) {
            return Err(SsoError::BadToken("issued for another party (azp)".into()));
        }
        let sent = claims.nonce.as_deref().unwrap_or_default();
        if !constant_time_eq(sent, nonce) {
            return Err(SsoError::BadToken("the nonce is not this sign-in's".into()));
        }
        Ok(claims)
    }

    /// The published key with this id (or the only one, when the token names none), fetching
    /// the key set again when the provider may have rotated it.
    async fn signing_key(&self, kid: Option<&str>) -> Result<DecodingKey, SsoError> {
        let metadata = self.metadata().await?;
        let mut keys = self.keys.lock().await;
        for attempt in 0..2 {
            if let Some(set) = &keys.set {
                let found = match kid {
                    Some(kid) => set.find(kid),
                    None if set.keys.len() == 1 => set.keys.first(),
                    None => None,
                };
                if let Some(jwk) = found {
                    return DecodingKey::from_jwk(jwk)
                        .map_err(|e| SsoError::BadToken(e.to_string()));
                }
            }
            if attempt == 0 && keys.may_refetch() {
                keys.fetch(&self.http, &metadata.jwks_uri).await?;
            }
        }
        Err(SsoError::BadToken(
            "signed with a key the provider does not publish".into(),
        ))
    }
}
