//! The codes against RFC 6238's own test vectors, and the store against a real SQLite file.

use super::*;
use crate::db::{Migration, Store};

/// RFC 6238 appendix B, SHA-1 rows: (Unix time, eight-digit code) for the ASCII secret
/// "12345678901234567890".
const RFC_6238_SHA1: [(u64, u32); 6] = [
    (59, 94_287_082),
    (1_111_111_109, 7_081_804),
    (1_111_111_111, 14_050_471),
    (1_234_567_890, 89_005_924),
    (2_000_000_000, 69_279_037),
    (20_000_000_000, 65_353_130),
];

fn rfc_secret() -> TotpSecret {
    TotpSecret::from_base32(&data_encoding::BASE32_NOPAD.encode(b"12345678901234567890"))
        .expect("base32")
}

#[test]
fn codes_match_the_rfc_6238_test_vectors() {
    let secret = rfc_secret();
    for (time, code) in RFC_6238_SHA1 {
        assert_eq!(
            secret.code_at_step(time / totp::STEP_SECS, 8),
            code,
            "T={time}"
        );
    }
    // Six digits are the last six of the eight.
    assert_eq!(secret.code_at(59), "287082");
    assert_eq!(secret.code_at(1_111_111_109), "081804");
}

#[test]
fn a_code_is_good_for_its_step_and_one_either_side_and_only_once() {
    let secret = rfc_secret();
    let now = 1_111_111_111;
    let step = now / totp::STEP_SECS;
    let code = secret.code_at(now);
    assert_eq!(secret.matching_step(&code, now, None), Some(step));
    assert_eq!(
        secret.matching_step(&format!("{} {}", &code[..3], &code[3..]), now, None),
        Some(step)
    );
    // Typed as the step turned over, or on a phone 30 s off.
    assert_eq!(secret.matching_step(&code, now + 30, None), Some(step));
    assert_eq!(secret.matching_step(&code, now - 30, None), Some(step));
    assert_eq!(secret.matching_step(&code, now + 61, None), None);
    // Used: the same step, or an earlier one, never again.
    assert_eq!(secret.matching_step(&code, now, Some(step)), None);
    let earlier = secret.code_at(now - 30);
    assert_eq!(secret.matching_step(&earlier, now, Some(step)), None);
    for junk in ["", "12345", "1234567", "abcdef", "12345x"] {
        assert_eq!(secret.matching_step(junk, now, None), None, "{junk:?}");
    }
}

#[test]
fn secrets_are_random_base32_and_the_uri_names_issuer_and_account() {
    let a = TotpSecret::generate();
    assert_ne!(a, TotpSecret::generate());
    assert_eq!(a.to_base32().len(), 32);
    assert_eq!(
        TotpSecret::from_base32(&a.to_base32().to_lowercase()),
        Some(a.clone())
    );
    assert_eq!(TotpSecret::from_base32("not base32!"), None);
    let uri = a.otpauth_uri("GuruConnect", "ana@example.com");
    assert!(
        uri.starts_with("otpauth://totp/GuruConnect:ana%40example.com?secret="),
        "{uri}"
    );
    assert!(
        uri.contains(&format!("secret={}&issuer=GuruConnect&", a.to_base32())),
        "{uri}"
    );
    assert!(
        !format!("{a:?}").contains(&a.to_base32()),
        "Debug redacts the secret"
    );
}

#[test]
fn recovery_codes_are_ten_distinct_dashed_codes_read_loosely() {
    let set = recovery::new_set();
    assert_eq!(set.len(), recovery::CODES_PER_SET);
    let distinct: std::collections::HashSet<_> = set.iter().collect();
    assert_eq!(distinct.len(), set.len());
    for code in &set {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-");
        assert!(recovery::looks_like_recovery_code(code));
        assert_eq!(
            recovery::stored_form(b"k", code),
            recovery::stored_form(b"k", &code.to_uppercase().replace('-', " "))
        );
        assert_ne!(
            recovery::stored_form(b"k", code),
            recovery::stored_form(b"other", code)
        );
    }
    assert!(!recovery::looks_like_recovery_code("123456"));
}

#[test]
fn the_policy_reads_role_words_and_names_a_wrong_one() {
    let policy = Policy::from_words(&["admin".into()]).expect("policy");
    assert!(policy.requires(Role::Admin));
    assert!(!policy.requires(Role::Technician));
    let err = Policy::from_words(&["root".into()]).expect_err("not a role");
    assert!(err.to_string().contains("`root` is not a role"), "{err}");
}

const TABLES: Migration = Migration {
    version: 1,
    name: "second factors",
    sql: "CREATE TABLE t_second_factors (user_id TEXT PRIMARY KEY, sealed_secret TEXT NOT NULL,
              created_at BIGINT NOT NULL, confirmed_at BIGINT, last_step BIGINT);
          CREATE TABLE t_recovery_codes (user_id TEXT NOT NULL, code_hash TEXT NOT NULL,
              used_at BIGINT, PRIMARY KEY (user_id, code_hash));
          CREATE TABLE t_remembered_devices (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
              created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);",
};

async fn fixture() -> (tempfile::TempDir, Db, SecondFactors) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.db");
    let db = Db::open(Store {
        database_url: None,
        sqlite_file: &file,
        migrations: &[TABLES],
        migration_lock: 1,
    })
    .await
    .expect("open");
    let factors =
        SecondFactors::new(b"master", Tables::prefixed("t_"), "Test", "tdv_").expect("keys");
    (dir, db, factors)
}

fn now() -> u64 {
    crate::jwt::now_secs()
}

/// A six-digit code that is none of the codes accepted now.
fn wrong_code(secret: &TotpSecret) -> String {
    let accepted: Vec<String> = [now() - 30, now(), now() + 30]
        .map(|t| secret.code_at(t))
        .to_vec();
    (0..4u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !accepted.contains(c))
        .expect("four candidates, three accepted codes")
}

/// Sets up an authenticator for `user`; the answer is its secret and the recovery codes.
async fn enrolled(db: &Db, factors: &SecondFactors, user: &str) -> (TotpSecret, Vec<String>) {
    let enrolment = factors
        .begin(db, user, user)
        .await
        .expect("db")
        .expect("begin");
    let secret = TotpSecret::from_base32(&enrolment.secret).expect("base32");
    let codes = factors
        .confirm(db, user, &secret.code_at(now() - 30), now())
        .await
        .expect("db")
        .expect("confirm");
    (secret, codes)
}

#[tokio::test]
async fn setting_up_needs_a_right_first_code_and_gives_recovery_codes() {
    let (_dir, db, factors) = fixture().await;
    assert_eq!(
        factors
            .confirm(&db, "u1", "123456", now())
            .await
            .expect("db"),
        Err(Refusal::NotStarted)
    );
    let enrolment = factors
        .begin(&db, "u1", "ana")
        .await
        .expect("db")
        .expect("begin");
    assert!(enrolment.otpauth_uri.contains(&enrolment.secret));
    let svg = enrolment
        .qr_data_url
        .strip_prefix("data:image/svg+xml;base64,")
        .expect("data url");
    let svg =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, svg).expect("base64");
    assert!(
        String::from_utf8(svg).expect("utf8").contains("<svg"),
        "an SVG picture"
    );
    let secret = TotpSecret::from_base32(&enrolment.secret).expect("base32");
    let wrong = wrong_code(&secret);
    assert_eq!(
        factors.confirm(&db, "u1", &wrong, now()).await.expect("db"),
        Err(Refusal::CodeWrong)
    );
    assert!(
        !factors.status(&db, "u1").await.expect("db").enabled,
        "pending is not on"
    );
    let codes = factors
        .confirm(&db, "u1", &secret.code_at(now()), now())
        .await
        .expect("db")
        .expect("confirm");
    assert_eq!(codes.len(), 10);
    let status = factors.status(&db, "u1").await.expect("db");
    assert_eq!(
        status,
        Status {
            enabled: true,
            recovery_codes_left: 10
        }
    );
    assert_eq!(
        factors
            .begin(&db, "u1", "ana")
            .await
            .expect("db")
            .expect_err("on"),
        Refusal::AlreadyOn
    );
    // The secret is sealed: the stored text is not the secret.
    let (stored,): (String,) = sqlx::query_as("SELECT sealed_secret FROM t_second_factors")
        .fetch_one(&db.pool)
        .await
        .expect("row");
    assert!(!stored.contains(&enrolment.secret));
}

#[tokio::test]
async fn a_sign_in_code_works_once_and_a_recovery_code_works_once() {
    let (_dir, db, factors) = fixture().await;
    let (secret, codes) = enrolled(&db, &factors, "u1").await;
    enrolled(&db, &factors, "u2").await;
    let code = secret.code_at(now());
    assert_eq!(
        factors.check(&db, "u1", &code, now()).await.expect("db"),
        Checked::Code
    );
    assert_eq!(
        factors.check(&db, "u1", &code, now()).await.expect("db"),
        Checked::Wrong,
        "replayed"
    );
    assert_eq!(
        factors.check(&db, "u2", &code, now()).await.expect("db"),
        Checked::Wrong,
        "another user"
    );
    assert_eq!(
        factors
            .check(&db, "u1", &codes[3], now())
            .await
            .expect("db"),
        Checked::RecoveryCode
    );
    assert_eq!(
        factors
            .check(&db, "u1", &codes[3], now())
            .await
            .expect("db"),
        Checked::Wrong,
        "spent"
    );
    assert_eq!(
        factors
            .status(&db, "u1")
            .await
            .expect("db")
            .recovery_codes_left,
        9
    );
    let renewed = factors.new_recovery_codes(&db, "u1").await.expect("db");
    assert_eq!(
        factors
            .check(&db, "u1", &codes[4], now())
            .await
            .expect("db"),
        Checked::Wrong,
        "old set gone"
    );
    assert_eq!(
        factors
            .check(&db, "u1", &renewed[0], now())
            .await
            .expect("db"),
        Checked::RecoveryCode
    );
}

#[tokio::test]
async fn the_gate_asks_for_a_code_and_lets_a_remembered_browser_through() {
    let (_dir, db, factors) = fixture().await;
    let gate = |user: &'static str, attempt: Attempt<'static>| {
        let (db, factors) = (&db, &factors);
        async move { factors.gate(db, user, attempt, now()).await.expect("db") }
    };
    assert_eq!(gate("u1", Attempt::default()).await, Gate::NotEnrolled);
    let (secret, _) = enrolled(&db, &factors, "u1").await;
    assert_eq!(
        gate("u1", Attempt::default()).await,
        Gate::Refused(Refusal::CodeNeeded)
    );
    let wrong: &'static str = Box::leak(wrong_code(&secret).into_boxed_str());
    let attempt = Attempt {
        code: Some(wrong),
        ..Attempt::default()
    };
    assert_eq!(gate("u1", attempt).await, Gate::Refused(Refusal::CodeWrong));
    let code = Box::leak(secret.code_at(now()).into_boxed_str());
    let Gate::Passed {
        via: Checked::Code,
        remembered: Some(token),
    } = gate(
        "u1",
        Attempt {
            code: Some(code),
            device: None,
            remember: true,
        },
    )
    .await
    else {
        panic!("a good code passes and is remembered");
    };
    let token: &'static str = Box::leak(token.into_boxed_str());
    assert_eq!(
        gate(
            "u1",
            Attempt {
                device: Some(token),
                ..Attempt::default()
            }
        )
        .await,
        Gate::Remembered
    );
    // Another user's browser token, or a made-up one, is no help.
    enrolled(&db, &factors, "u2").await;
    assert_eq!(
        gate(
            "u2",
            Attempt {
                device: Some(token),
                ..Attempt::default()
            }
        )
        .await,
        Gate::Refused(Refusal::CodeNeeded)
    );
    assert_eq!(
        gate(
            "u1",
            Attempt {
                device: Some("tdv_made-up"),
                ..Attempt::default()
            }
        )
        .await,
        Gate::Refused(Refusal::CodeNeeded)
    );
    // Turning it off forgets the browsers too.
    assert!(factors.turn_off(&db, "u1").await.expect("db"));
    assert_eq!(gate("u1", Attempt::default()).await, Gate::NotEnrolled);
    enrolled(&db, &factors, "u1").await;
    assert_eq!(
        gate(
            "u1",
            Attempt {
                device: Some(token),
                ..Attempt::default()
            }
        )
        .await,
        Gate::Refused(Refusal::CodeNeeded)
    );
}

#[tokio::test]
async fn setup_is_needed_only_by_a_required_role_without_an_authenticator() {
    let (_dir, db, factors) = fixture().await;
    let admins = Policy::from_words(&["admin".into()]).expect("policy");
    assert!(factors
        .setup_needed(&db, &admins, "u1", Role::Admin)
        .await
        .expect("db"));
    assert!(!factors
        .setup_needed(&db, &admins, "u1", Role::Technician)
        .await
        .expect("db"));
    factors
        .begin(&db, "u1", "u1")
        .await
        .expect("db")
        .expect("begin");
    assert!(
        factors
            .setup_needed(&db, &admins, "u1", Role::Admin)
            .await
            .expect("db"),
        "pending is not set up"
    );
    // Begun again (a restart replaces the pending secret) and confirmed.
    enrolled(&db, &factors, "u1").await;
    assert!(!factors
        .setup_needed(&db, &admins, "u1", Role::Admin)
        .await
        .expect("db"));
}

#[tokio::test]
async fn a_secret_moved_to_another_user_does_not_open() {
    let (_dir, db, factors) = fixture().await;
    let (secret, _) = enrolled(&db, &factors, "u1").await;
    sqlx::query("UPDATE t_second_factors SET user_id = 'u2' WHERE user_id = 'u1'")
        .execute(&db.pool)
        .await
        .expect("move");
    let err = factors
        .check(&db, "u2", &secret.code_at(now()), now())
        .await
        .expect_err("sealed to u1");
    assert!(err.to_string().contains("does not open"), "{err}");
}

#[tokio::test]
async fn wrong_codes_from_everywhere_spend_one_budget_of_the_account() {
    let (_dir, db, factors) = fixture().await;
    let (secret, _) = enrolled(&db, &factors, "u1").await;
    // The account's code budget must hold alone.
    let throttle = generous_throttle();
    let policy = Policy::default();
    let audit = Recorded::default();
    let accounts = Accounts {
        factors: &factors,
        db: &db,
        policy: &policy,
        throttle: &throttle,
        audit: &audit,
    };
    let wrong = wrong_code(&secret);
    let mut outcomes = Vec::new();
    for n in 0..=CODE_FAILURES {
        // Each guess from a network of its own.
        let holder = Holder {
            user: "u1",
            role: Role::Technician,
            throttle_key: "u1".into(),
            ip: Some(std::net::IpAddr::from([
                10,
                0,
                (n / 250) as u8,
                (n % 250) as u8,
            ])),
        };
        let attempt = Attempt {
            code: Some(&wrong),
            ..Attempt::default()
        };
        outcomes.push(match accounts.sign_in(&holder, attempt).await {
            Err(Denied::Refused(Refusal::CodeWrong)) => "wrong",
            Err(Denied::Throttled(_)) => "wait",
            other => panic!("{other:?}"),
        });
    }
    assert_eq!(
        outcomes.iter().filter(|o| **o == "wrong").count(),
        CODE_FAILURES as usize
    );
    assert_eq!(outcomes.last(), Some(&"wait"), "{outcomes:?}");
    // Each wrong code is in the audit log; the refused turn, which checked nothing, is not.
    let recorded = audit.0.lock().expect("audit").clone();
    assert_eq!(recorded.len(), CODE_FAILURES as usize, "{recorded:?}");
    assert!(recorded
        .iter()
        .all(|(user, action)| user == "u1" && *action == "second_factor_failed"));
}

/// A password throttle too generous to matter in these tests.
fn generous_throttle() -> crate::throttle::LoginThrottle {
    use crate::throttle::{LoginLimits, LoginThrottle, SystemClock};
    let limits = LoginLimits {
        window: std::time::Duration::from_secs(60),
        per_ip: 1000,
        per_account: 1000,
        global: 1000,
    };
    LoginThrottle::new(limits, std::sync::Arc::new(SystemClock))
}

/// An audit log in memory.
#[derive(Default)]
struct Recorded(std::sync::Mutex<Vec<(String, &'static str)>>);

impl FactorAudit for Recorded {
    async fn record(&self, user: &str, action: &'static str, _ip: Option<std::net::IpAddr>) {
        let mut log = self.0.lock().expect("audit");
        log.push((user.to_owned(), action));
    }
}

#[tokio::test]
async fn remembered_browsers_are_bounded_per_account_and_forgotten_when_expired() {
    let (_dir, db, factors) = fixture().await;
    let count = |user: &'static str| {
        let db = db.clone();
        async move {
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM t_remembered_devices WHERE user_id = $1")
                    .bind(user)
                    .fetch_one(&db.pool)
                    .await
                    .expect("count");
            n
        }
    };
    let mut tokens = Vec::new();
    for _ in 0..MOST_REMEMBERED_PER_USER + 3 {
        tokens.push(factors.remember(&db, "u1").await.expect("remember"));
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    factors.remember(&db, "u2").await.expect("remember");
    assert_eq!(count("u1").await, MOST_REMEMBERED_PER_USER as i64);
    assert!(!factors
        .is_remembered(&db, "u1", &tokens[0])
        .await
        .expect("read"));
    let newest = tokens.last().expect("newest");
    assert!(factors
        .is_remembered(&db, "u1", newest)
        .await
        .expect("read"));
    assert_eq!(
        count("u2").await,
        1,
        "another account's browsers are untouched"
    );

    sqlx::query("UPDATE t_remembered_devices SET expires_at = 1 WHERE user_id = 'u2'")
        .execute(&db.pool)
        .await
        .expect("age");
    assert_eq!(factors.forget_expired_devices(&db).await.expect("prune"), 1);
    assert_eq!(count("u2").await, 0);
    assert_eq!(count("u1").await, MOST_REMEMBERED_PER_USER as i64);
}

#[tokio::test]
async fn every_change_and_every_wrong_code_on_the_own_pages_is_audited() {
    let (_dir, db, factors) = fixture().await;
    let throttle = generous_throttle();
    let (policy, audit) = (Policy::default(), Recorded::default());
    let accounts = Accounts {
        factors: &factors,
        db: &db,
        policy: &policy,
        throttle: &throttle,
        audit: &audit,
    };
    let holder = Holder {
        user: "u2",
        role: Role::Technician,
        throttle_key: "u2".into(),
        ip: None,
    };
    let setup = accounts.set_up(&holder, "u2", now()).await.expect("set up");
    let secret = TotpSecret::from_base32(&setup.secret).expect("base32");
    let code = secret.code_at(now() - 30);
    accounts.confirm(&holder, &code).await.expect("confirmed");
    let wrong = accounts.renew_codes(&holder, &wrong_code(&secret)).await;
    assert!(matches!(wrong, Err(Denied::Refused(Refusal::CodeRejected))));
    let code = secret.code_at(now());
    accounts.renew_codes(&holder, &code).await.expect("renewed");
    let code = secret.code_at(now() + 30);
    accounts.turn_off(&holder, &code).await.expect("off");
    let recorded = audit.0.lock().expect("audit").clone();
    let actions: Vec<&str> = recorded.iter().map(|(_, action)| *action).collect();
    assert_eq!(
        actions,
        [
            "second_factor_enabled",
            "second_factor_failed",
            "recovery_codes_renewed",
            "second_factor_disabled"
        ]
    );
}
