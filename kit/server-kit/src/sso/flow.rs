//! The authorization code flow: [`Sso::begin`] sends the browser to the provider with a fresh
//! `state`, `nonce` and PKCE challenge, keeping all three sealed in a cookie only this server
//! can open; [`Sso::finish`] takes the provider's answer back, checks it belongs to that
//! cookie, exchanges the code and verifies the ID token.

use super::metadata::{get_json, send};
use super::{Identity, Sso, SsoError};
use crate::crypto::{constant_time_eq, new_token, sha256_hex};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a person may spend at the provider.
pub const PENDING_FOR_SECS: u64 = 600;

const PENDING_CONTEXT: &str = "sso-pending";

/// A sign-in sent to the provider.
#[derive(Debug, Clone)]
pub struct Started {
    /// Where to send the browser.
    pub location: String,
    /// The sealed flow secrets, for the cookie that must come back with the answer.
    pub pending: String,
}

/// The provider's answer, the query of the callback.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207: the issuer the answer comes from, when the provider says.
    pub iss: Option<String>,
    pub error: Option<String>,
}

/// The flow's secrets, sealed into the cookie.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    expires: u64,
}

impl Sso {
    /// A new sign-in: where to send the browser and the cookie to set. `sign_in_again` asks
    /// the provider to show its sign-in form even when it remembers someone (`prompt=login`),
    /// so a person signed in there as the wrong account can change it.
    pub async fn begin(&self, sign_in_again: bool) -> Result<Started, SsoError> {
        let metadata = self.metadata().await?;
        let pending = Pending {
            state: new_token(""),
            nonce: new_token(""),
            verifier: new_token(""),
            expires: crate::jwt::now_secs() + PENDING_FOR_SECS,
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
        let mut location = Url::parse(&metadata.authorization_endpoint)
            .map_err(|e| SsoError::ProviderUnavailable(e.to_string()))?;
        location
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if sign_in_again {
            location.query_pairs_mut().append_pair("prompt", "login");
        }
        let json =
            serde_json::to_string(&pending).map_err(|e| SsoError::BadToken(e.to_string()))?;
        let sealed = self
            .sealer
            .seal(PENDING_CONTEXT, &json)
            .map_err(|e| SsoError::BadToken(e.to_string()))?;
        Ok(Started {
            location: location.into(),
            pending: sealed,
        })
    }

    /// The verified identity behind the provider's answer. `pending` is the cookie
    /// [`Sso::begin`] set in this browser.
    pub async fn finish(
        &self,
        pending: Option<&str>,
        answer: &Callback,
    ) -> Result<Identity, SsoError> {
        let pending = self.open_pending(pending)?;
        let state = answer.state.as_deref().unwrap_or_default();
        if !constant_time_eq(state, &pending.state) {
            return Err(SsoError::NotStarted);
        }
        let lives = std::time::Duration::from_secs(PENDING_FOR_SECS);
        if !self.guard.first_finish(sha256_hex(&pending.state), lives) {
            return Err(SsoError::NotStarted);
        }
        if answer
            .iss
            .as_deref()
            .is_some_and(|iss| iss != self.config.issuer)
        {
            return Err(SsoError::WrongProvider);
        }
        if let Some(error) = &answer.error {
            return Err(SsoError::ProviderRefused(error.clone()));
        }
        let code = answer.code.as_deref().ok_or(SsoError::NotStarted)?;
        let tokens = self.exchange(code, &pending.verifier).await?;
        let claims = self
            .verify_id_token(&tokens.id_token, &pending.nonce)
            .await?;
        let mut identity = Identity {
            issuer: claims.iss,
            subject: claims.sub,
            email: claims.email,
            email_verified: claims.email_verified.is_some_and(|v| v.is_true()),
            name: claims.name,
        };
        if identity.email.is_none() {
            self.add_userinfo(&mut identity, tokens.access_token.as_deref())
                .await?;
        }
        Ok(identity)
    }

    fn open_pending(&self, sealed: Option<&str>) -> Result<Pending, SsoError> {
        let json = sealed
            .and_then(|s| self.sealer.open(PENDING_CONTEXT, s))
            .ok_or(SsoError::NotStarted)?;
        let pending: Pending = serde_json::from_str(&json).map_err(|_| SsoError::NotStarted)?;
        if pending.expires <= crate::jwt::now_secs() {
            return Err(SsoError::NotStarted);
        }
        Ok(pending)
    }

    /// The code for tokens at the token endpoint, authenticated as this client
    /// (`client_secret_basic`).
    async fn exchange(&self, code: &str, verifier: &str) -> Result<TokenAnswer, SsoError> {
        let metadata = self.metadata().await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier),
        ];
        let request = self
            .http
            .post(&metadata.token_endpoint)
            .basic_auth(
                form_encode(&self.config.client_id),
                Some(form_encode(self.config.client_secret.expose())),
            )
            .form(&form);
        let (status, body) = send(request).await?;
        if !status.is_success() {
            let error = serde_json::from_slice::<ErrorAnswer>(&body)
                .map(|e| e.error)
                .unwrap_or_else(|_| status.to_string());
            return Err(SsoError::ProviderRefused(error));
        }
        serde_json::from_slice(&body).map_err(|e| SsoError::BadToken(e.to_string()))
    }

    /// The email (and name) from the userinfo endpoint, for providers that leave them out of
    /// the ID token; the answer must be about the same subject.
    async fn add_userinfo(
        &self,
        identity: &mut Identity,
        access_token: Option<&str>,
    ) -> Result<(), SsoError> {
        let metadata = self.metadata().await?;
        let (Some(endpoint), Some(token)) = (&metadata.userinfo_endpoint, access_token) else {
            return Ok(());
        };
        let info: UserInfo = get_json(self.http.get(endpoint).bearer_auth(token)).await?;
        if info.sub != identity.subject {
            return Err(SsoError::BadToken(
                "userinfo is about another subject".into(),
            ));
        }
        identity.email = info.email;
        identity.email_verified = info.email_verified.is_some_and(|v| v.is_true());
        identity.name = identity.name.take().or(info.name);
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: String,
    access_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorAnswer {
    error: String,
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: String,
    email: Option<String>,
    email_verified: Option<super::id_token::Flag>,
    name: Option<String>,
}

/// `application/x-www-form-urlencoded` encoding, which RFC 6749 (2.3.1) asks for client
/// credentials before they go into HTTP Basic.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
