//! The accounts table on a real SQLite file, shaped as both products' migrations make it.

use super::*;
use crate::db::{Migration, Store};

const USERS: Migration = Migration {
    version: 1,
    name: "users",
    sql: "CREATE TABLE users (
        id TEXT PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL, role TEXT NOT NULL, display_name TEXT NOT NULL DEFAULT '',
        disabled BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, last_login_at BIGINT);",
};

const TABLE: AccountTable<String> = AccountTable::new(SignInColumn::Email);

async fn db(dir: &tempfile::TempDir) -> Db {
    Db::open(Store {
        database_url: None,
        sqlite_file: &dir.path().join("accounts.db"),
        migrations: &[USERS],
        migration_lock: 1,
    })
    .await
    .expect("open")
}

#[tokio::test]
async fn an_account_is_found_by_its_name_in_any_case_and_by_its_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir).await;
    let made = TABLE
        .create(&db, " Ann@Example.com ", "Ann", "hash", Role::Admin)
        .await
        .expect("create");
    assert_eq!(made.sign_in_name, "Ann@Example.com", "stored trimmed");
    let found = TABLE
        .find_by_name(&db, "  ANN@example.com ")
        .await
        .expect("find")
        .expect("found by name");
    assert_eq!(found.id, made.id);
    assert_eq!(found.sign_in_name, "Ann@Example.com");
    assert_eq!((found.role, found.disabled), (Role::Admin, false));
    let by_id = TABLE
        .find(&db, &made.id)
        .await
        .expect("find")
        .expect("by id");
    assert_eq!(by_id.display_name, "Ann");
    assert_eq!(TABLE.count(&db).await.expect("count"), 1);
}

#[tokio::test]
async fn one_account_per_name_whatever_its_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir).await;
    TABLE
        .create(&db, "bo@example.com", "", "hash", Role::Technician)
        .await
        .expect("first");
    let again = TABLE
        .create(&db, "BO@example.com", "", "hash", Role::Admin)
        .await
        .expect_err("a second spelling is the same account");
    assert_eq!(
        again.to_string(),
        "an account with that email already exists"
    );
}

#[tokio::test]
async fn disabling_is_stored_and_listed_and_a_missing_account_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir).await;
    let b = TABLE
        .create(&db, "B@example.com", "", "h", Role::Technician)
        .await
        .expect("b");
    let a = TABLE
        .create(&db, "a@example.com", "", "h", Role::Technician)
        .await
        .expect("a");
    assert!(TABLE.set_disabled(&db, &b.id, true).await.expect("disable"));
    assert!(TABLE.set_disabled(&db, &a.id, true).await.expect("disable"));
    assert!(TABLE
        .set_disabled(&db, &a.id, false)
        .await
        .expect("enable again"));
    assert!(!TABLE
        .set_disabled(&db, &"nobody".to_owned(), true)
        .await
        .expect("no row"));
    TABLE.touch_login(&db, &b.id).await.expect("touch");
    let listed = TABLE.list(&db).await.expect("list");
    let names: Vec<_> = listed.iter().map(|a| a.sign_in_name.as_str()).collect();
    // By the key: by the name column itself, "B…" would sort before "a…".
    assert_eq!(names, ["a@example.com", "B@example.com"]);
    assert!(listed[1].disabled && listed[1].last_login_at.is_some());
    assert!(!listed[0].disabled && listed[0].last_login_at.is_none());
}

#[tokio::test]
async fn an_unknown_stored_role_is_the_lesser_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir).await;
    let made = TABLE
        .create(&db, "c@example.com", "", "h", Role::Admin)
        .await
        .expect("c");
    sqlx::query("UPDATE users SET role = 'root' WHERE id = $1")
        .bind(&made.id)
        .execute(&db.pool)
        .await
        .expect("tamper");
    let found = TABLE.find(&db, &made.id).await.expect("find").expect("row");
    assert_eq!(found.role, Role::Technician);
}

#[tokio::test]
async fn the_first_admin_is_made_once_and_only_in_an_empty_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir).await;
    let first = TABLE
        .first_admin_if_empty(&db, "admin@localhost")
        .await
        .expect("bootstrap")
        .expect("made in an empty table");
    let stored = TABLE
        .find_by_name(&db, "admin@localhost")
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(stored.role, Role::Admin);
    assert!(crate::password::verify(
        &first.password,
        &stored.password_hash
    ));
    let again = TABLE
        .first_admin_if_empty(&db, "admin@localhost")
        .await
        .expect("second start");
    assert!(
        again.is_none(),
        "a table with an account gets no second admin"
    );
}

#[tokio::test]
async fn a_password_sign_in_tells_nobody_which_part_was_wrong_and_is_throttled() {
    use crate::throttle::{LoginLimits, LoginThrottle, SystemClock};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db(&dir).await;
    let limits = LoginLimits {
        window: std::time::Duration::from_secs(600),
        per_ip: 100,
        per_account: 3,
        global: 100,
    };
    let throttle = LoginThrottle::new(limits, std::sync::Arc::new(SystemClock));
    let hash = crate::password::hash("the right password").expect("hash");
    let ann = TABLE
        .create(&db, "ann@example.com", "", &hash, Role::Technician)
        .await
        .expect("ann");
    let off = TABLE
        .create(&db, "off@example.com", "", &hash, Role::Technician)
        .await
        .expect("off");
    TABLE.set_disabled(&db, &off.id, true).await.expect("off");
    let here = Some(std::net::IpAddr::from([192, 0, 2, 1]));
    let try_as = |name: &'static str, password: &'static str, ip| {
        let (db, throttle) = (&db, &throttle);
        async move {
            TABLE
                .check_password(db, throttle, ip, name, password.to_owned())
                .await
                .expect("check")
        }
    };
    let signed_in = try_as(" ANN@example.com", "the right password", here).await;
    assert_eq!(signed_in.map(|a| a.id), Ok(ann.id));
    for (name, password) in [
        ("ann@example.com", "a wrong password"),
        ("nobody@example.com", "the right password"),
        ("off@example.com", "the right password"),
    ] {
        let refused = try_as(name, password, here).await.map(|a| a.id);
        assert_eq!(refused, Err(PasswordRefused::BadCredentials), "{name}");
    }
    // Three failures for ann from one address: the next try there waits, right password or not.
    try_as("ann@example.com", "wrong again", here).await.ok();
    try_as("ann@example.com", "and again", here).await.ok();
    let held = try_as("ann@example.com", "the right password", here).await;
    assert!(
        matches!(held, Err(PasswordRefused::Throttled(_))),
        "{:?}",
        held.map(|a| a.id)
    );
}
