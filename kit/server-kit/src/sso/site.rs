//! The single sign-on routes' steps, the same in both consoles: which account an identity
//! signs in as, the redirects and cookies of `start` and `callback`, and the ticket `finish`
//! turns into a sign-in. Each product keeps only its documented handlers, its audit records
//! and the end of its own sign-in.

use super::{Callback, Identity, Links, Sso, SsoCookies, SsoError};
use crate::accounts::{Account, AccountTable};
use crate::db::Db;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;

/// Whether the login page offers single sign-on, and what its button says.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoOptions {
    pub enabled: bool,
    /// The provider's name for the button, e.g. `Microsoft`.
    pub name: Option<String>,
}

/// How the sign-in page starts a single sign-on.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct StartQuery {
    /// Ask the provider for its sign-in form even when it remembers someone (after a refusal,
    /// to sign in there as another account).
    #[serde(default)]
    pub sign_in_again: bool,
}

/// What the login page sends to finish a single sign-on: nothing, or the second factor.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SsoFinishRequest {
    /// The authenticator's code or a recovery code, when the answer was
    /// `second_factor_required`.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub remember_device: bool,
}

/// One console's single sign-on: its provider (None when not configured), its links and
/// accounts, its cookies and where its sign-in form is.
pub struct SsoSite<'a, Id> {
    pub sso: Option<&'a Sso>,
    pub links: &'a Links,
    pub accounts: &'a AccountTable<Id>,
    pub db: &'a Db,
    pub cookies: SsoCookies,
    pub login_page: &'static str,
}

/// Where a provider's answer led.
pub struct Arrival<Id> {
    /// With a one-time ticket set, back to the login page to finish; or why not.
    pub outcome: Result<Response, SsoError>,
    /// The account and identity linked by this answer, which the product audits — also when
    /// the sign-in then failed, since the link stays.
    pub linked: Option<(Id, Identity)>,
}

impl<Id> Arrival<Id> {
    fn refused(why: SsoError) -> Self {
        Self {
            outcome: Err(why),
            linked: None,
        }
    }
}

impl<Id> SsoSite<'_, Id>
where
    Id: From<String> + AsRef<str> + Clone,
{
    pub fn options(&self) -> SsoOptions {
        SsoOptions {
            enabled: self.sso.is_some(),
            name: self.sso.map(|s| s.display_name().to_owned()),
        }
    }

    /// To the provider (303) with the flow sealed in the pending cookie.
    pub async fn start(&self, sign_in_again: bool) -> Result<Response, SsoError> {
        let sso = self.sso.ok_or(SsoError::NotConfigured)?;
        let started = sso.begin(sign_in_again).await?;
        let mut response = Redirect::to(&started.location).into_response();
        append(&mut response, self.cookies.set_pending(&started.pending));
        Ok(response)
    }

    /// Verifies the provider's answer and finds the account it signs in as.
    pub async fn arrive(
        &self,
        ip: Option<IpAddr>,
        headers: &HeaderMap,
        answer: &Callback,
    ) -> anyhow::Result<Arrival<Id>> {
        let Some(sso) = self.sso else {
            return Ok(Arrival::refused(SsoError::NotConfigured));
        };
        if let Err(busy) = sso.admit(ip) {
            return Ok(Arrival::refused(busy));
        }
        let pending = self.cookies.read_pending(headers);
        let identity = match sso.finish(pending.as_deref(), answer).await {
            Ok(identity) => identity,
            Err(e) => return Ok(Arrival::refused(e)),
        };
        let (account, newly_linked) = match self.account_for(&identity).await? {
            Ok(found) => found,
            Err(e) => return Ok(Arrival::refused(e)),
        };
        let id = account.id.clone();
        let linked = newly_linked.then_some((account.id, identity));
        let Some(ticket) = sso.tickets.issue(id.as_ref()) else {
            let busy = SsoError::ProviderUnavailable("too many sign-ins at once".into());
            return Ok(Arrival {
                outcome: Err(busy),
                linked,
            });
        };
        let mut response = Redirect::to(&format!("{}?sso=finish", self.login_page)).into_response();
        append(&mut response, self.cookies.clear_pending());
        append(&mut response, self.cookies.set_ticket(&ticket));
        Ok(Arrival {
            outcome: Ok(response),
            linked,
        })
    }

    /// The account an identity signs in as: its link, or — the first time — the account whose
    /// sign-in name is the address the provider vouches for, which is then linked (`true`).
    async fn account_for(
        &self,
        identity: &Identity,
    ) -> anyhow::Result<Result<(Account<Id>, bool), SsoError>> {
        let linked = match self.links.find(self.db, identity).await? {
            Some(id) => self.accounts.find(self.db, &Id::from(id)).await?,
            None => None,
        };
        let (account, newly_linked) = match linked {
            Some(account) => (account, false),
            None => {
                let Some(email) = Links::linkable_email(identity) else {
                    return Ok(Err(SsoError::NoAccount));
                };
                let Some(account) = self.accounts.find_by_name(self.db, &email).await? else {
                    return Ok(Err(SsoError::NoAccount));
                };
                if account.disabled {
                    return Ok(Err(SsoError::AccountDisabled));
                }
                let made = self
                    .links
                    .link(self.db, identity, account.id.as_ref())
                    .await?;
                (account, made)
            }
        };
        Ok(if account.disabled {
            Err(SsoError::AccountDisabled)
        } else {
            Ok((account, newly_linked))
        })
    }

    /// Back to the login page with the reason (the provider's own words go to the log, not to
    /// the browser); the address's failure is counted. This does not audit: every caller is the
    /// product's own refusal, which records what is not [`SsoError::is_noise`] first.
    pub fn refused(&self, ip: Option<IpAddr>, why: &SsoError) -> Response {
        if let (Some(sso), false) = (self.sso, matches!(why, SsoError::TooManyFailures(_))) {
            sso.failed(ip);
        }
        if why.is_noise() {
            tracing::info!(reason = why.code(), "single sign-on refused: {why}");
        } else {
            tracing::warn!(reason = why.code(), "single sign-on refused: {why}");
        }
        let mut response =
            Redirect::to(&format!("{}?sso_error={}", self.login_page, why.code())).into_response();
        append(&mut response, self.cookies.clear_pending());
        response
    }

    /// The ticket this browser holds and its enabled account, if both are good.
    pub async fn ticket(
        &self,
        headers: &HeaderMap,
    ) -> anyhow::Result<Option<(String, Account<Id>)>> {
        let Some(sso) = self.sso else { return Ok(None) };
        let Some(ticket) = self.cookies.read_ticket(headers) else {
            return Ok(None);
        };
        let Some(holder) = sso.tickets.holder(&ticket) else {
            return Ok(None);
        };
        let account = self.accounts.find(self.db, &Id::from(holder)).await?;
        Ok(account.filter(|a| !a.disabled).map(|a| (ticket, a)))
    }

    /// Spends the ticket (false when it was spent or expired meanwhile).
    pub fn spend(&self, ticket: &str) -> bool {
        self.sso.is_some_and(|sso| sso.tickets.spend(ticket))
    }

    /// Clears the ticket cookie on the sign-in's answer.
    pub fn signed_in(&self, mut response: Response) -> Response {
        append(&mut response, self.cookies.clear_ticket());
        response
    }
}

fn append(response: &mut Response, cookie: Option<HeaderValue>) {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}
