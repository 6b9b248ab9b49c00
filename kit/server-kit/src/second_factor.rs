//! Two-factor sign-in, the same in both consoles: an authenticator app's codes (TOTP), ten
//! single-use recovery codes, browsers remembered for a while after a good code, and a policy
//! naming the roles that must use it.
//!
//! The authenticator secret must stay usable, so it is sealed (ChaCha20-Poly1305 under a key
//! derived from the install's master key, bound to the user); recovery codes and remembered
//! devices need only be recognised, so they are kept as hashes. Each product creates the three
//! tables (see [`Tables`]) in its own migrations, under its own prefix.

mod account;
mod device;
pub mod recovery;
mod refusal;
pub mod totp;

pub use account::{
    Accounts, CodeRequest, Denied, FactorAudit, Holder, Passed, RecoveryCodes, SecondFactorSetup,
    SecondFactorStatus, Via,
};
pub use device::{DeviceCookie, REMEMBER_FOR_SECS};
pub use refusal::Refusal;
pub use totp::TotpSecret;

use crate::accounts::Role;
use crate::config::ConfigError;
use crate::crypto::{hmac_hex, new_token, sha256_hex};
use crate::db::Db;
use crate::seal::Sealer;
use crate::throttle::SlidingWindow;
use std::collections::HashSet;
use std::sync::Mutex;

/// How recent a sign-in must be to set up an authenticator.
pub const RECENT_SIGN_IN_SECS: u64 = 15 * 60;

/// Browsers one account may have remembered at once; remembering one more forgets the oldest.
pub const MOST_REMEMBERED_PER_USER: usize = 10;

/// Table names of one product's second factors.
#[derive(Debug, Clone)]
pub struct Tables {
    /// One row per user with an authenticator: `user_id`, `sealed_secret`, `created_at`,
    /// `confirmed_at` (NULL until the first code proves the app has it), `last_step`.
    pub factors: String,
    /// `user_id`, `code_hash`, `used_at`.
    pub recovery_codes: String,
    /// `token_hash`, `user_id`, `created_at`, `expires_at`.
    pub devices: String,
}

impl Tables {
    /// The three tables named `{prefix}second_factors`, `{prefix}recovery_codes`,
    /// `{prefix}remembered_devices`.
    pub fn prefixed(prefix: &str) -> Self {
        Self {
            factors: format!("{prefix}second_factors"),
            recovery_codes: format!("{prefix}recovery_codes"),
            devices: format!("{prefix}remembered_devices"),
        }
    }
}

/// The roles that must sign in with a second factor (config `second_factor_roles`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    roles: Vec<Role>,
}

impl Policy {
    /// Reads the configured role words; an unknown word is a config error naming it.
    pub fn from_words(words: &[String]) -> Result<Self, ConfigError> {
        let roles = words
            .iter()
            .map(|w| {
                Role::parse(w.trim()).ok_or_else(|| ConfigError::Invalid {
                    key: "second_factor_roles",
                    message: format!("`{w}` is not a role (admin, technician)"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { roles })
    }

    pub fn requires(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What a user's second factor looks like from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// An authenticator is confirmed: sign-ins ask for a code.
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}

/// An authenticator being set up: what the app is given.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, for typing into the app.
    pub secret: String,
    /// `otpauth://…`, what the QR code says.
    pub otpauth_uri: String,
    /// The QR code as an SVG `data:` URL, for an `<img>` (an image runs no script).
    pub qr_data_url: String,
}

/// What was presented as a second factor and how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A fresh authenticator code.
    Code,
    /// An unused recovery code, now spent.
    RecoveryCode,
    /// Neither (or a code already used).
    Wrong,
}

/// What a sign-in presents besides the password.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attempt<'a> {
    /// An authenticator code or a recovery code.
    pub code: Option<&'a str>,
    /// The remembered-device cookie the browser sent.
    pub device: Option<&'a str>,
    /// Remember this browser after a good code.
    pub remember: bool,
}

/// The outcome of the second step of a sign-in whose password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// The user has no second factor.
    NotEnrolled,
    /// A remembered browser.
    Remembered,
    /// A good code; `remembered` is the new device token when asked to remember.
    Passed {
        via: Checked,
        remembered: Option<String>,
    },
    Refused(Refusal),
}

/// Wrong codes an account may meet in [`CODE_WINDOW`] before its code step waits, from
/// wherever they come: a code is six digits, so its budget cannot be the password's, which a
/// fresh address refills.
pub const CODE_FAILURES: u32 = 10;
pub const CODE_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// One product's second factors: its tables and its keys.
#[derive(Debug)]
pub struct SecondFactors {
    tables: Tables,
    /// Wrong codes per account (user id), whatever the address.
    code_failures: SlidingWindow<String>,
    /// Accounts with a code being checked now.
    checking: Mutex<HashSet<String>>,
    sealer: Sealer,
    code_key: Vec<u8>,
    issuer: String,
    device_prefix: &'static str,
}

impl SecondFactors {
    /// `issuer` is what authenticator apps show (the product's name); `device_prefix` starts
    /// each remembered-device token.
    pub fn new(
        master: &[u8],
        tables: Tables,
        issuer: &str,
        device_prefix: &'static str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            code_failures: SlidingWindow::new(CODE_WINDOW, CODE_FAILURES),
            checking: Mutex::default(),
            sealer: Sealer::derive(master, &format!("{issuer}/second-factor/secret/v1"))?,
            code_key: hmac_hex(master, &format!("{issuer}/second-factor/recovery/v1")).into_bytes(),
            tables,
            issuer: issuer.to_owned(),
            device_prefix,
        })
    }

    pub async fn status(&self, db: &Db, user: &str) -> sqlx::Result<Status> {
        let enabled = self.confirmed_secret(db, user).await?.is_some();
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE user_id = $1 AND used_at IS NULL",
            self.tables.recovery_codes
        );
        let (left,): (i64,) = sqlx::query_as(&sql).bind(user).fetch_one(&db.pool).await?;
        Ok(Status {
            enabled,
            recovery_codes_left: if enabled {
                u32::try_from(left).unwrap_or(0)
            } else {
                0
            },
        })
    }

    /// The users whose authenticator is on, for a list of accounts.
    pub async fn enabled_users(&self, db: &Db) -> sqlx::Result<std::collections::HashSet<String>> {
        let sql = format!(
            "SELECT user_id FROM {} WHERE confirmed_at IS NOT NULL",
            self.tables.factors
        );
        let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&db.pool).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Whether `user` of `role` must set up a second factor before doing anything else.
    pub async fn setup_needed(
        &self,
        db: &Db,
        policy: &Policy,
        user: &str,
        role: Role,
    ) -> sqlx::Result<bool> {
        Ok(policy.requires(role) && self.confirmed_secret(db, user).await?.is_none())
    }

    /// Starts (or restarts) setting up an authenticator; `account` is the name the app shows.
    pub async fn begin(
        &self,
        db: &Db,
        user: &str,
        account: &str,
    ) -> anyhow::Result<Result<Enrolment, Refusal>> {
        let secret = TotpSecret::generate();
        let sealed = self.sealer.seal(&context(user), &secret.to_base32())?;
        // One statement: a pending set-up is replaced, a confirmed one never is, whatever
        // runs beside it.
        let upsert = format!(
            "INSERT INTO {t} (user_id, sealed_secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret,
                 created_at = excluded.created_at, last_step = NULL
             WHERE {t}.confirmed_at IS NULL",
            t = self.tables.factors
        );
        let written = sqlx::query(&upsert)
            .bind(user)
            .bind(sealed)
            .bind(crate::db::now_ms())
            .execute(&db.pool)
            .await?;
        if written.rows_affected() == 0 {
            return Ok(Err(Refusal::AlreadyOn));
        }
        let otpauth_uri = secret.otpauth_uri(&self.issuer, account);
        Ok(Ok(Enrolment {
            qr_data_url: qr_data_url(&otpauth_uri)?,
            otpauth_uri,
            secret: secret.to_base32(),
        }))
    }

    /// Finishes setting up with the app's first code; the answer is the recovery codes, shown
    /// once.
    pub async fn confirm(
        &self,
        db: &Db,
        user: &str,
        code: &str,
        now_secs: u64,
    ) -> anyhow::Result<Result<Vec<String>, Refusal>> {
        let Some((sealed, confirmed)) = self.row(db, user).await? else {
            return Ok(Err(Refusal::NotStarted));
        };
        if confirmed {
            return Ok(Err(Refusal::AlreadyOn));
        }
        let secret = self.open(user, &sealed)?;
        let Some(step) = secret.matching_step(code, now_secs, None) else {
            return Ok(Err(Refusal::CodeWrong));
        };
        // Only the secret the code was checked against is confirmed (a set-up restarted
        // meanwhile is not), together with its recovery codes or not at all.
        let sql = format!(
            "UPDATE {} SET confirmed_at = $1, last_step = $2
             WHERE user_id = $3 AND confirmed_at IS NULL AND sealed_secret = $4",
            self.tables.factors
        );
        let mut tx = db.pool.begin().await?;
        let done = sqlx::query(&sql)
            .bind(crate::db::now_ms())
            .bind(step_value(step))
            .bind(user)
            .bind(&sealed)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(Err(Refusal::NotStarted));
        }
        let codes = self.store_recovery_codes(&mut tx, user).await?;
        tx.commit().await?;
        Ok(Ok(codes))
    }

    /// Checks a code for a user whose authenticator is on, spending it when good.
    pub async fn check(
        &self,
        db: &Db,
        user: &str,
        given: &str,
        now_secs: u64,
    ) -> anyhow::Result<Checked> {
        if recovery::looks_like_recovery_code(given) {
            let sql = format!(
                "UPDATE {} SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                self.tables.recovery_codes
            );
            let spent = sqlx::query(&sql)
                .bind(crate::db::now_ms())
                .bind(user)
                .bind(recovery::stored_form(&self.code_key, given))
                .execute(&db.pool)
                .await?;
            return Ok(if spent.rows_affected() == 1 {
                Checked::RecoveryCode
            } else {
                Checked::Wrong
            });
        }
        let Some((sealed, last_step)) = self.confirmed_secret(db, user).await? else {
            return Ok(Checked::Wrong);
        };
        let secret = self.open(user, &sealed)?;
        let used = last_step.and_then(|s| u64::try_from(s).ok());
        let Some(step) = secret.matching_step(given, now_secs, used) else {
            return Ok(Checked::Wrong);
        };
        // Two sign-ins racing with one code: only the first moves last_step.
        let sql = format!(
            "UPDATE {} SET last_step = $1 WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)",
            self.tables.factors
        );
        let moved = sqlx::query(&sql)
            .bind(step_value(step))
            .bind(user)
            .execute(&db.pool)
            .await?;
        Ok(if moved.rows_affected() == 1 {
            Checked::Code
        } else {
            Checked::Wrong
        })
    }

    /// The second step of a sign-in whose password was right.
    pub async fn gate(
        &self,
        db: &Db,
        user: &str,
        attempt: Attempt<'_>,
        now_secs: u64,
    ) -> anyhow::Result<Gate> {
        if self.confirmed_secret(db, user).await?.is_none() {
            return Ok(Gate::NotEnrolled);
        }
        if let Some(token) = attempt.device {
            if self.is_remembered(db, user, token).await? {
                return Ok(Gate::Remembered);
            }
        }
        let Some(code) = attempt.code.filter(|c| !c.trim().is_empty()) else {
            return Ok(Gate::Refused(Refusal::CodeNeeded));
        };
        let via = self.check(db, user, code, now_secs).await?;
        if via == Checked::Wrong {
            return Ok(Gate::Refused(Refusal::CodeWrong));
        }
        let remembered = if attempt.remember {
            Some(self.remember(db, user).await?)
        } else {
            None
        };
        Ok(Gate::Passed { via, remembered })
    }

    /// A new set of recovery codes, replacing the old set.
    pub async fn new_recovery_codes(&self, db: &Db, user: &str) -> sqlx::Result<Vec<String>> {
        let mut tx = db.pool.begin().await?;
        let codes = self.store_recovery_codes(&mut tx, user).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Replaces `user`'s recovery codes with a new set inside `tx`; the answer is the set.
    async fn store_recovery_codes(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        user: &str,
    ) -> sqlx::Result<Vec<String>> {
        let codes = recovery::new_set();
        let delete = format!(
            "DELETE FROM {} WHERE user_id = $1",
            self.tables.recovery_codes
        );
        sqlx::query(&delete).bind(user).execute(&mut **tx).await?;
        let insert = format!(
            "INSERT INTO {} (user_id, code_hash) VALUES ($1, $2)",
            self.tables.recovery_codes
        );
        for code in &codes {
            sqlx::query(&insert)
                .bind(user)
                .bind(recovery::stored_form(&self.code_key, code))
                .execute(&mut **tx)
                .await?;
        }
        Ok(codes)
    }

    /// Removes the authenticator, the recovery codes and every remembered browser of `user`.
    pub async fn turn_off(&self, db: &Db, user: &str) -> sqlx::Result<bool> {
        let mut tx = db.pool.begin().await?;
        let mut removed = 0;
        for table in [
            &self.tables.factors,
            &self.tables.recovery_codes,
            &self.tables.devices,
        ] {
            let sql = format!("DELETE FROM {table} WHERE user_id = $1");
            let done = sqlx::query(&sql).bind(user).execute(&mut *tx).await?;
            if table == &self.tables.factors {
                removed = done.rows_affected();
            }
        }
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Remembers a browser for [`REMEMBER_FOR_SECS`]; the answer is the cookie's token.
    pub async fn remember(&self, db: &Db, user: &str) -> sqlx::Result<String> {
        let token = new_token(self.device_prefix);
        let now = crate::db::now_ms();
        let expires =
            now.saturating_add(i64::try_from(REMEMBER_FOR_SECS * 1000).unwrap_or(i64::MAX));
        let sql = format!(
            "INSERT INTO {} (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            self.tables.devices
        );
        sqlx::query(&sql)
            .bind(sha256_hex(&token))
            .bind(user)
            .bind(now)
            .bind(expires)
            .execute(&db.pool)
            .await?;
        // The newest few only: a browser remembered again replaces the oldest, so one account
        // cannot grow the table without bound.
        let cap = format!(
            "DELETE FROM {0} WHERE user_id = $1 AND token_hash NOT IN \
             (SELECT token_hash FROM {0} WHERE user_id = $1 ORDER BY created_at DESC LIMIT {1})",
            self.tables.devices, MOST_REMEMBERED_PER_USER
        );
        sqlx::query(&cap).bind(user).execute(&db.pool).await?;
        Ok(token)
    }

    /// Deletes remembered browsers past their 30 days (each product's hourly retention calls
    /// it); the answer is how many.
    pub async fn forget_expired_devices(&self, db: &Db) -> sqlx::Result<u64> {
        let sql = format!("DELETE FROM {} WHERE expires_at <= $1", self.tables.devices);
        let done = sqlx::query(&sql)
            .bind(crate::db::now_ms())
            .execute(&db.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn is_remembered(&self, db: &Db, user: &str, token: &str) -> sqlx::Result<bool> {
        let sql = format!(
            "SELECT user_id FROM {} WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3",
            self.tables.devices
        );
        let row: Option<(String,)> = sqlx::query_as(&sql)
            .bind(sha256_hex(token))
            .bind(user)
            .bind(crate::db::now_ms())
            .fetch_optional(&db.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The sealed secret and whether it is confirmed.
    async fn row(&self, db: &Db, user: &str) -> sqlx::Result<Option<(String, bool)>> {
        let sql = format!(
            "SELECT sealed_secret, confirmed_at FROM {} WHERE user_id = $1",
            self.tables.factors
        );
        let row: Option<(String, Option<i64>)> = sqlx::query_as(&sql)
            .bind(user)
            .fetch_optional(&db.pool)
            .await?;
        Ok(row.map(|(sealed, confirmed)| (sealed, confirmed.is_some())))
    }

    /// The sealed secret and last used step of a confirmed authenticator.
    async fn confirmed_secret(
        &self,
        db: &Db,
        user: &str,
    ) -> sqlx::Result<Option<(String, Option<i64>)>> {
        let sql = format!(
            "SELECT sealed_secret, last_step FROM {} WHERE user_id = $1 AND confirmed_at IS NOT NULL",
            self.tables.factors
        );
        sqlx::query_as(&sql)
            .bind(user)
            .fetch_optional(&db.pool)
            .await
    }

    fn open(&self, user: &str, sealed: &str) -> anyhow::Result<TotpSecret> {
        self.sealer
            .open(&context(user), sealed)
            .and_then(|text| TotpSecret::from_base32(&text))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the authenticator secret of a user does not open with this install's key"
                )
            })
    }
}

/// `text` as a QR code in an SVG `data:` URL.
fn qr_data_url(text: &str) -> anyhow::Result<String> {
    use base64::Engine;
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let encoded = base64::engine::general_purpose::STANDARD.encode(svg);
    Ok(format!("data:image/svg+xml;base64,{encoded}"))
}

/// An account's turn to have a code checked; the turn ends when this is dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    checking: &'a Mutex<HashSet<String>>,
    user: String,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.checking
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.user);
    }
}

impl SecondFactors {
    /// `user`'s turn, unless a code of theirs is being checked now.
    fn take_turn(&self, user: &str) -> Option<Turn<'_>> {
        let mut checking = self.checking.lock().unwrap_or_else(|p| p.into_inner());
        checking.insert(user.to_owned()).then(|| Turn {
            checking: &self.checking,
            user: user.to_owned(),
        })
    }
}

/// What a sealed secret is bound to: its user, so a row copied to another user does not open.
fn context(user: &str) -> String {
    format!("user:{user}")
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
