//! OpenID Connect single sign-on, the same in both consoles: the authorization code flow with
//! PKCE, `state` and `nonce`, against any provider that publishes a discovery document (Entra
//! ID, Google, Okta, Keycloak, Authentik …), so an MSP signs in to both products with one
//! identity.
//!
//! The browser leaves with a sealed cookie holding the flow's secrets ([`flow`]); the provider
//! sends it back with a code, which this server exchanges for an ID token it verifies itself
//! (signature by the provider's published keys, issuer, audience, expiry, nonce:
//! [`id_token`]). A verified identity becomes a person of this server only through a link
//! ([`links`]) — made once, when the provider vouches for an email address that is an
//! existing account's sign-in name; SSO never creates accounts. The sign-in then ends on the
//! console's login page with a one-time ticket ([`tickets`]), where a local second factor is
//! still asked for when the account has one.

pub mod config;
mod cookies;
mod flow;
mod guard;
mod id_token;
pub mod links;
mod metadata;
mod site;
pub mod tickets;

pub use config::SsoConfig;
pub use cookies::{SsoCookies, FINISH_PATH};
pub use flow::{Callback, Started};
pub use guard::FAILURES_PER_ADDRESS;
pub use links::Links;
pub use site::{Arrival, SsoFinishRequest, SsoOptions, SsoSite, StartQuery};
pub use tickets::Tickets;

use crate::seal::Sealer;
use guard::Guard;
use metadata::{Keys, Metadata};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// The path providers send people back to (each server serves it).
pub const CALLBACK_PATH: &str = "/api/auth/sso/callback";

/// How long a provider may take to answer one request.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Who the provider says signed in, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// The provider vouches that the person controls `email`.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a single sign-on did not complete. Each has a stable code the login page turns into a
/// sentence, and none carries the provider's raw answer to the browser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not configured")]
    NotConfigured,
    #[error("the identity provider could not be reached or answered nonsense: {0}")]
    ProviderUnavailable(String),
    #[error("the identity provider refused the sign-in: {0}")]
    ProviderRefused(String),
    #[error("this browser did not start the sign-in, or it took too long")]
    NotStarted,
    #[error("the answer did not come from the configured identity provider")]
    WrongProvider,
    #[error("the identity provider's token failed verification: {0}")]
    BadToken(String),
    #[error("no account here is linked to this identity")]
    NoAccount,
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("too many failed single sign-ons from this address; retry in {0} s")]
    TooManyFailures(u64),
}

impl SsoError {
    /// What the login page is told (`sso_error=<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            SsoError::NotConfigured => "not_configured",
            SsoError::ProviderUnavailable(_) => "provider_unavailable",
            SsoError::ProviderRefused(_) => "provider_refused",
            SsoError::NotStarted => "not_started",
            SsoError::WrongProvider | SsoError::BadToken(_) => "verification_failed",
            SsoError::NoAccount => "no_account",
            SsoError::AccountDisabled => "account_disabled",
            SsoError::TooManyFailures(_) => "too_many_attempts",
        }
    }

    /// Refusals that come before any flow of this browser was recognised: junk anyone can
    /// send, logged but not audited (the audit log is for what happened to people).
    pub fn is_noise(&self) -> bool {
        matches!(
            self,
            SsoError::NotConfigured | SsoError::NotStarted | SsoError::TooManyFailures(_)
        )
    }
}

/// One server's single sign-on: its provider (discovered on first use, so a provider that is
/// down does not stop the server), the key sealing the flow's cookie, and pending tickets.
pub struct Sso {
    config: SsoConfig,
    redirect_uri: String,
    http: reqwest::Client,
    sealer: Sealer,
    metadata: Mutex<Option<Arc<Metadata>>>,
    keys: Mutex<Keys>,
    guard: Guard,
    pub tickets: Tickets,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("issuer", &self.config.issuer)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl Sso {
    /// `public_url` is where people reach this server; the provider must list
    /// `<public_url>/api/auth/sso/callback` as a redirect URI of the client.
    pub fn new(config: SsoConfig, public_url: &str, master_key: &[u8]) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(PROVIDER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            redirect_uri: format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/')),
            sealer: Sealer::derive(master_key, "sso-pending-sign-in")?,
            config,
            http,
            metadata: Mutex::new(None),
            keys: Mutex::new(Keys::default()),
            guard: Guard::default(),
            tickets: Tickets::default(),
        })
    }

    /// What the sign-in button says.
    pub fn display_name(&self) -> &str {
        self.config.display_name()
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Refuses an address whose failed sign-ons are spent (checked before its answer is read).
    pub fn admit(&self, ip: Option<IpAddr>) -> Result<(), SsoError> {
        match self.guard.wait(ip) {
            Some(wait) => Err(SsoError::TooManyFailures(crate::http::retry_after_secs(
                wait,
            ))),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-on against the address it came from.
    pub fn failed(&self, ip: Option<IpAddr>) {
        self.guard.failed(ip);
    }

    /// The provider's discovery document, fetched once and kept.
    async fn metadata(&self) -> Result<Arc<Metadata>, SsoError> {
        let mut cached = self.metadata.lock().await;
        if let Some(found) = cached.as_ref() {
            return Ok(found.clone());
        }
        let found = Arc::new(Metadata::discover(&self.http, &self.config.issuer).await?);
        *cached = Some(found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests;
