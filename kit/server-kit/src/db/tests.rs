//! Opening and migrating a real SQLite file.

use super::*;

const FIRST: Migration = Migration {
    version: 1,
    name: "notes",
    sql: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL);",
};
const SECOND: Migration = Migration {
    version: 2,
    name: "tags",
    sql: "CREATE TABLE tags (note_id TEXT NOT NULL REFERENCES notes(id), tag TEXT NOT NULL);",
};

fn store<'a>(file: &'a Path, migrations: &'a [Migration]) -> Store<'a> {
    Store {
        database_url: None,
        sqlite_file: file,
        migrations,
        migration_lock: 1,
    }
}

async fn applied(db: &Db) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT version, name FROM schema_migrations ORDER BY version")
        .fetch_all(&db.pool)
        .await
        .expect("schema_migrations")
}

#[tokio::test]
async fn the_default_is_a_wal_sqlite_file_with_foreign_keys_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("nested/data.db");
    let db = Db::open(store(&file, &[FIRST, SECOND]))
        .await
        .expect("open");
    assert_eq!(db.backend, Backend::Sqlite);
    assert!(file.exists(), "the data dir is made");
    assert_eq!(db.sqlite_journal_mode().await.expect("mode"), "wal");
    let orphan = sqlx::query("INSERT INTO tags (note_id, tag) VALUES ('nowhere', 'x')")
        .execute(&db.pool)
        .await;
    assert!(orphan.is_err(), "foreign keys are enforced");
}

#[tokio::test]
async fn migrations_apply_once_each_and_new_ones_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.db");
    let db = Db::open(store(&file, &[FIRST])).await.expect("open");
    assert_eq!(applied(&db).await, vec![(1, "notes".to_owned())]);
    db.pool.close().await;
    // A restart with one more: the first is not run again (it would fail: the table exists).
    let db = Db::open(store(&file, &[FIRST, SECOND]))
        .await
        .expect("reopen");
    assert_eq!(applied(&db).await.len(), 2);
}

#[tokio::test]
async fn an_edited_migration_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.db");
    Db::open(store(&file, &[FIRST]))
        .await
        .expect("open")
        .pool
        .close()
        .await;
    let edited = Migration {
        sql: "CREATE TABLE notes (id TEXT PRIMARY KEY);",
        ..FIRST
    };
    let err = Db::open(store(&file, &[edited]))
        .await
        .expect_err("refused");
    assert!(
        format!("{err:#}").contains("migration 1 (notes) changed"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_failing_migration_names_itself_and_leaves_nothing_half_done() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.db");
    let broken = Migration {
        version: 2,
        name: "broken",
        sql: "CREATE TABLE half (id TEXT); THIS IS NOT SQL;",
    };
    let err = Db::open(store(&file, &[FIRST, broken]))
        .await
        .expect_err("fails");
    assert!(
        format!("{err:#}").contains("migration 2 (broken)"),
        "{err:#}"
    );
    let db = Db::open(store(&file, &[FIRST])).await.expect("reopen");
    assert_eq!(applied(&db).await.len(), 1);
    let half: Option<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE name = 'half'")
            .fetch_optional(&db.pool)
            .await
            .expect("query");
    assert!(
        half.is_none(),
        "the failed migration's transaction rolled back"
    );
}

#[tokio::test]
async fn an_unknown_database_scheme_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.db");
    let mysql = Store {
        database_url: Some("mysql://db/x"),
        ..store(&file, &[])
    };
    let err = Db::open(mysql).await.expect_err("refused");
    assert!(err.to_string().contains("postgres:// or sqlite:"), "{err}");
}

#[test]
fn ids_are_fresh_and_times_are_milliseconds() {
    assert_ne!(new_id(), new_id());
    assert!(now_ms() > 1_700_000_000_000);
}

#[tokio::test]
async fn a_flag_column_reads_as_a_bool() {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "Flag")]
        flag: bool,
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.db");
    let db = Db::open(store(&file, &[])).await.expect("open");
    for (stored, read) in [(0i64, false), (1, true), (2, true)] {
        let row: Row = sqlx::query_as("SELECT CAST($1 AS BIGINT) AS flag")
            .bind(stored)
            .fetch_one(&db.pool)
            .await
            .expect("row");
        assert_eq!(row.flag, read, "{stored}");
    }
}
