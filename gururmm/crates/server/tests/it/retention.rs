//! Retention (the reaper): metrics samples past `metrics_retention_days`, watchdog events
//! past `watchdog_retention_days` and sign-ins ended over a day ago are deleted; newer rows, and each table's rows inside its
//! own window, stay. Runs on SQLite and, with `GRMM_TEST_DATABASE_URL`, PostgreSQL.

use crate::helpers::*;
use gururmm_protocol::{MetricsReport, WatchdogEvent};
use gururmm_server::db::{self, agents::Identity};
use gururmm_server::model::AgentId;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Stores a sample through the real path, then backdates it. `age_days` doubles as its marker
/// (the agent-clock `sampled_at`), so the survivors can be named.
async fn sample_aged(state: &gururmm_server::AppState, agent_id: &AgentId, age_days: i64) {
    let report = MetricsReport {
        timestamp_ms: age_days,
        ..MetricsReport::default()
    };
    db::metrics::insert(&state.db, agent_id, &report)
        .await
        .expect("sample");
    sqlx::query("UPDATE metrics SET recorded_at = $1 WHERE sampled_at = $2")
        .bind(db::now_ms() - age_days * DAY_MS)
        .bind(age_days)
        .execute(&state.db.pool)
        .await
        .expect("backdate");
}

/// The same for a watchdog event (marker: its `occurred_at`).
async fn event_aged(state: &gururmm_server::AppState, agent_id: &AgentId, age_days: i64) {
    let event = WatchdogEvent {
        service: "nginx".into(),
        event: "restarted".into(),
        message: String::new(),
        timestamp_ms: age_days,
    };
    db::watchdog::insert(&state.db, agent_id, &event)
        .await
        .expect("event");
    sqlx::query("UPDATE watchdog_events SET recorded_at = $1 WHERE occurred_at = $2")
        .bind(db::now_ms() - age_days * DAY_MS)
        .bind(age_days)
        .execute(&state.db.pool)
        .await
        .expect("backdate");
}

async fn markers(state: &gururmm_server::AppState, sql: &str) -> Vec<i64> {
    let rows: Vec<(i64,)> = sqlx::query_as(sql)
        .fetch_all(&state.db.pool)
        .await
        .expect("rows");
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn retention_deletes_only_rows_past_each_tables_window() {
    let app = TestApp::spawn_with(|c| {
        c.limits.metrics_retention_days = 30;
        c.limits.watchdog_retention_days = 90;
    })
    .await;
    let state = app.state().clone();
    let identity = Identity {
        device_id: "dev-retention".into(),
        ..Identity::default()
    };
    let agent_id = db::agents::insert(&state.db, None, &identity, None)
        .await
        .expect("agent");
    for age in [45, 31, 29, 0] {
        sample_aged(&state, &agent_id, age).await;
        event_aged(&state, &agent_id, age + 60).await;
    }
    gururmm_server::reaper::retention(&state).await;
    assert_eq!(
        markers(&state, "SELECT sampled_at FROM metrics ORDER BY sampled_at").await,
        [0, 29],
        "samples past 30 days are gone, newer ones stay"
    );
    // Ages 60, 89, 91, 105: the 90-day window keeps the first two, although both are past the
    // metrics window.
    assert_eq!(
        markers(
            &state,
            "SELECT occurred_at FROM watchdog_events ORDER BY occurred_at"
        )
        .await,
        [60, 89],
        "events past 90 days are gone, newer ones stay"
    );
}

#[tokio::test]
async fn sign_ins_that_ended_more_than_a_day_ago_are_deleted_and_live_ones_stay() {
    let app = TestApp::spawn().await;
    let state = app.state().clone();
    let me = app.get_json("/api/auth/me").await;
    let user = gururmm_server::model::UserId::from(me["id"].as_str().expect("id"));
    let now = db::now_ms();
    let cases = [
        ("expired-long-ago", now - 2 * DAY_MS, None),
        ("revoked-long-ago", now + DAY_MS, Some(now - 2 * DAY_MS)),
        ("revoked-just-now", now + DAY_MS, Some(now)),
        ("live", now + DAY_MS, None),
    ];
    for (id, expires_at, revoked_at) in cases {
        let id = gururmm_server::model::SignInId::from(id);
        db::sign_ins::create(&state.db, &id, &user, "jti", expires_at)
            .await
            .expect("sign-in");
        sqlx::query("UPDATE sign_ins SET revoked_at = $1 WHERE id = $2")
            .bind(revoked_at)
            .bind(&id)
            .execute(&state.db.pool)
            .await
            .expect("revoke");
    }
    gururmm_server::reaper::retention(&state).await;
    let left: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM sign_ins WHERE id IN ('expired-long-ago', 'revoked-long-ago', \
         'revoked-just-now', 'live') ORDER BY id",
    )
    .fetch_all(&state.db.pool)
    .await
    .expect("rows");
    let left: Vec<&str> = left.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(left, ["live", "revoked-just-now"]);
    assert_eq!(
        app.get("/api/auth/me", &app.admin_token).await.status(),
        200
    );
}

#[tokio::test]
async fn remembered_browsers_past_their_days_are_deleted() {
    let app = TestApp::spawn().await;
    let state = app.state().clone();
    let me = app.get_json("/api/auth/me").await;
    let user = me["id"].as_str().expect("id");
    let old = state
        .second_factors
        .remember(&state.db, user)
        .await
        .expect("old");
    let fresh = state
        .second_factors
        .remember(&state.db, user)
        .await
        .expect("fresh");
    sqlx::query("UPDATE remembered_devices SET expires_at = 1 WHERE token_hash = $1")
        .bind(server_kit::crypto::sha256_hex(&old))
        .execute(&state.db.pool)
        .await
        .expect("age");
    gururmm_server::reaper::retention(&state).await;
    let left: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM remembered_devices")
        .fetch_all(&state.db.pool)
        .await
        .expect("rows");
    assert_eq!(left, [(server_kit::crypto::sha256_hex(&fresh),)]);
}
