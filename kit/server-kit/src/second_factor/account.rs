//! A person managing their own second factor, as both consoles' routes do it: the answers'
//! shapes (one schema in both OpenAPI documents) and the steps, each wrong code counted against
//! the sign-in throttle — a stolen access token must not become a way to guess codes.

use super::{Attempt, Checked, Enrolment, Gate, Policy, Refusal, SecondFactors, Turn};
use crate::accounts::Role;
use crate::db::Db;
use crate::jwt::now_secs;
use crate::throttle::LoginThrottle;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;
use utoipa::ToSchema;

/// The signed-in person's second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondFactorStatus {
    /// An authenticator is set up: sign-ins ask for its code.
    pub enabled: bool,
    /// Recovery codes not used yet (0 while off).
    pub recovery_codes_left: u32,
    /// This person's role must use a second factor (`second_factor_roles`).
    pub required: bool,
}

/// An authenticator to add to the app: scan the QR code or type the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondFactorSetup {
    /// Base32, for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, an SVG `data:` URL.
    pub qr_data_url: String,
}

impl From<Enrolment> for SecondFactorSetup {
    fn from(e: Enrolment) -> Self {
        Self {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_data_url: e.qr_data_url,
        }
    }
}

/// A code from the authenticator app (six digits) or, where said, a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    pub code: String,
}

/// Recovery codes, shown this once: each signs in once without the phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// Why a step was not done.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Too many wrong codes or passwords lately; retry after this long.
    #[error("too many attempts")]
    Throttled(Duration),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Denied {
    fn from(e: sqlx::Error) -> Self {
        Denied::Failed(e.into())
    }
}

crate::stored_enum! {
    /// How a sign-in's second step was passed, as the audit log words it.
    pub enum Via as "second-factor step" {
        /// The account has no second factor.
        None = "none",
        RememberedBrowser = "remembered_browser",
        Authenticator = "authenticator",
        RecoveryCode = "recovery_code",
    }
}

/// A sign-in's second step, passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    pub via: Via,
    /// The remembered-browser token to set as a cookie.
    pub remembered: Option<String>,
}

impl Passed {
    /// The account has a second factor (it was asked for, or its browser remembered).
    pub fn second_factor_on(&self) -> bool {
        self.via != Via::None
    }
}

/// The person acting on their own second factor.
#[derive(Debug, Clone)]
pub struct Holder<'a> {
    pub user: &'a str,
    pub role: Role,
    /// Their key in the sign-in throttle (the lower-cased login name).
    pub throttle_key: String,
    pub ip: Option<IpAddr>,
}

/// Where a product writes what happened to a person's second factor: its audit log. The steps
/// below record each change (`second_factor_enabled`, `recovery_codes_renewed`,
/// `second_factor_disabled`) and every wrong code (`second_factor_failed`), at sign-in and on
/// the person's own pages alike.
pub trait FactorAudit: Sync {
    fn record(
        &self,
        user: &str,
        action: &'static str,
        ip: Option<IpAddr>,
    ) -> impl std::future::Future<Output = ()> + Send;
}

/// One server's second factors with what the steps consult.
pub struct Accounts<'a, A> {
    pub factors: &'a SecondFactors,
    pub db: &'a Db,
    pub policy: &'a Policy,
    pub throttle: &'a LoginThrottle,
    pub audit: &'a A,
}

impl<A: FactorAudit> Accounts<'_, A> {
    pub async fn status(&self, holder: &Holder<'_>) -> Result<SecondFactorStatus, Denied> {
        let status = self.factors.status(self.db, holder.user).await?;
        Ok(SecondFactorStatus {
            enabled: status.enabled,
            recovery_codes_left: status.recovery_codes_left,
            required: self.policy.requires(holder.role),
        })
    }

    /// Starts (or restarts) setting up; `account` is the name the app shows.
    /// `signed_in_at`: when the holder's sign-in began (Unix seconds; refreshes do not move
    /// it), which must be within [`RECENT_SIGN_IN_SECS`].
    ///
    /// [`RECENT_SIGN_IN_SECS`]: super::RECENT_SIGN_IN_SECS
    pub async fn set_up(
        &self,
        holder: &Holder<'_>,
        account: &str,
        signed_in_at: u64,
    ) -> Result<SecondFactorSetup, Denied> {
        if now_secs().saturating_sub(signed_in_at) > super::RECENT_SIGN_IN_SECS {
            return Err(Denied::Refused(Refusal::RecentSignInNeeded));
        }
        Ok(self
            .factors
            .begin(self.db, holder.user, account)
            .await??
            .into())
    }

    /// Turns it on with the app's first code; the answer is the recovery codes.
    pub async fn confirm(&self, holder: &Holder<'_>, code: &str) -> Result<RecoveryCodes, Denied> {
        let _turn = self.one_at_a_time(holder)?;
        let confirmed = self
            .factors
            .confirm(self.db, holder.user, code, now_secs())
            .await?;
        let codes = match confirmed {
            Ok(codes) => codes,
            Err(refusal) => {
                self.failed(holder, refusal).await;
                return Err(match refusal {
                    Refusal::CodeWrong => Refusal::CodeRejected,
                    other => other,
                }
                .into());
            }
        };
        self.audit
            .record(holder.user, "second_factor_enabled", holder.ip)
            .await;
        Ok(RecoveryCodes {
            recovery_codes: codes,
        })
    }

    /// A new set of recovery codes for a current code.
    pub async fn renew_codes(
        &self,
        holder: &Holder<'_>,
        code: &str,
    ) -> Result<RecoveryCodes, Denied> {
        self.prove(holder, code).await?;
        let codes = self
            .factors
            .new_recovery_codes(self.db, holder.user)
            .await?;
        self.audit
            .record(holder.user, "recovery_codes_renewed", holder.ip)
            .await;
        Ok(RecoveryCodes {
            recovery_codes: codes,
        })
    }

    /// Turns it off for a current code, unless the holder's role must use it.
    pub async fn turn_off(&self, holder: &Holder<'_>, code: &str) -> Result<(), Denied> {
        if self.policy.requires(holder.role) {
            return Err(Refusal::RequiredByPolicy.into());
        }
        self.prove(holder, code).await?;
        self.factors.turn_off(self.db, holder.user).await?;
        self.audit
            .record(holder.user, "second_factor_disabled", holder.ip)
            .await;
        Ok(())
    }

    /// The second step of a sign-in whose password was right: how it was passed (for the audit
    /// log) and the token of a browser to remember. A wrong code counts as a failed sign-in.
    pub async fn sign_in(
        &self,
        holder: &Holder<'_>,
        attempt: Attempt<'_>,
    ) -> Result<Passed, Denied> {
        // Only a code is guessed; a sign-in without one checks nothing that needs a turn.
        let has_code = attempt.code.is_some_and(|c| !c.trim().is_empty());
        let _turn = if has_code {
            Some(self.one_at_a_time(holder)?)
        } else {
            None
        };
        let gate = self
            .factors
            .gate(self.db, holder.user, attempt, now_secs())
            .await?;
        let (via, remembered) = match gate {
            Gate::NotEnrolled => (Via::None, None),
            Gate::Remembered => (Via::RememberedBrowser, None),
            Gate::Passed {
                via: Checked::RecoveryCode,
                remembered,
            } => (Via::RecoveryCode, remembered),
            Gate::Passed { remembered, .. } => (Via::Authenticator, remembered),
            Gate::Refused(refusal) => {
                self.failed(holder, refusal).await;
                return Err(refusal.into());
            }
        };
        Ok(Passed { via, remembered })
    }

    fn not_throttled(&self, holder: &Holder<'_>) -> Result<(), Denied> {
        match self.throttle.wait(holder.ip, &holder.throttle_key) {
            Some(wait) => Err(Denied::Throttled(wait)),
            None => Ok(()),
        }
    }

    /// A wrong code counts against the sign-in throttle and the account's code budget, and is
    /// audited.
    async fn failed(&self, holder: &Holder<'_>, refusal: Refusal) {
        if refusal == Refusal::CodeWrong {
            self.throttle
                .record_failure(holder.ip, &holder.throttle_key);
            self.factors.code_failures.record(holder.user.to_owned());
            self.audit
                .record(holder.user, "second_factor_failed", holder.ip)
                .await;
        }
    }

    /// Lets one code of `holder` be checked at a time, and only while neither the sign-in
    /// throttle (checked again here: many guesses sent at once all passed the first look
    /// before any failed) nor the account's own code budget says wait. The turn ends when the
    /// guard is dropped.
    fn one_at_a_time(&self, holder: &Holder<'_>) -> Result<Turn<'_>, Denied> {
        let turn = self
            .factors
            .take_turn(holder.user)
            .ok_or(Denied::Throttled(Duration::from_secs(1)))?;
        self.not_throttled(holder)?;
        if let Some(wait) = self.factors.code_failures.blocked(&holder.user.to_owned()) {
            return Err(Denied::Throttled(wait));
        }
        Ok(turn)
    }

    /// A current authenticator code (or an unused recovery code) of a holder whose second
    /// factor is on.
    async fn prove(&self, holder: &Holder<'_>, code: &str) -> Result<(), Denied> {
        let _turn = self.one_at_a_time(holder)?;
        if !self.factors.status(self.db, holder.user).await?.enabled {
            return Err(Refusal::NotOn.into());
        }
        if self
            .factors
            .check(self.db, holder.user, code, now_secs())
            .await?
            == Checked::Wrong
        {
            self.failed(holder, Refusal::CodeWrong).await;
            return Err(Refusal::CodeRejected.into());
        }
        Ok(())
    }
}
