//! Against the real test cluster (`./dev test` runs these with `--include-ignored` in its
//! PostgreSQL step, where `GC_TEST_DATABASE_URL` names the cluster).

use super::*;

fn admin_url() -> String {
    std::env::var("GC_TEST_DATABASE_URL")
        .expect("GC_TEST_DATABASE_URL names the test cluster (./dev pg starts one)")
}

async fn exists(admin_url: &str, name: &str) -> bool {
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect");
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .expect("query");
    found.is_some()
}

#[test]
fn the_server_url_is_the_admin_url_without_its_database() {
    assert_eq!(
        server_url("postgres://u:p@127.0.0.1:5432/postgres"),
        "postgres://u:p@127.0.0.1:5432"
    );
}

#[tokio::test]
#[ignore = "needs the test cluster: ./dev test runs it in its PostgreSQL step"]
async fn a_scratch_database_is_usable_and_gone_once_dropped_even_while_still_connected() {
    let admin = admin_url();
    let db = ScratchDatabase::create(&admin, "scratch_selftest").await;
    let name = db.name().to_owned();
    let mut conn = sqlx::PgConnection::connect(db.url())
        .await
        .expect("connect to it");
    sqlx::query("CREATE TABLE t (x INT)")
        .execute(&mut conn)
        .await
        .expect("write");
    assert!(exists(&admin, &name).await, "created");

    drop(db);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while exists(&admin, &name).await {
        assert!(
            std::time::Instant::now() < deadline,
            "still there 30 s after being let go of, with a connection open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let err = sqlx::query("SELECT 1").execute(&mut conn).await;
    assert!(
        err.is_err(),
        "the open connection was ended with its database"
    );
}

#[tokio::test]
#[ignore = "needs the test cluster: ./dev test runs it in its PostgreSQL step"]
async fn two_scratch_databases_never_share_a_name() {
    let admin = admin_url();
    let (a, b) = tokio::join!(
        ScratchDatabase::create(&admin, "scratch_selftest"),
        ScratchDatabase::create(&admin, "scratch_selftest")
    );
    assert_ne!(a.name(), b.name());
    assert!(exists(&admin, a.name()).await && exists(&admin, b.name()).await);
}
