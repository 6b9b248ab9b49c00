//! The seed's *Known Issues* table, row by row. Rows covered elsewhere are listed here with the
//! test that would have failed on the earlier system; the rest are tested in this file.
//!
//! | Seed row | Test |
//! |---|---|
//! | CRITICAL 1 command type mismatch | `gururmm-protocol` golden tests; `commands::a_command_to_a_connected_agent_is_delivered_and_its_result_stored`; agent `e2e` (unknown type answered -1) |
//! | CRITICAL 2 legacy heartbeat empty | `legacy::legacy_round_trip_heartbeat_returns_commands_once_and_results_are_stored` |
//! | CRITICAL 3 legacy result not stored | same test |
//! | CRITICAL 4 CORS `Any` | `api::cors_answers_only_configured_origins_and_never_a_wildcard` |
//! | MAJOR 1 no server-side timeout | `commands::a_running_command_without_a_result_times_out_on_the_server` |
//! | MAJOR 2 no retry for failed sends | `a_command_whose_send_fails_goes_back_to_pending_and_is_delivered_later` (here) |
//! | MAJOR 3 "online" but sends fail | `agents_ws::the_agent_is_online_exactly_while_its_socket_is_open`, `..._supersedes_...`, `after_a_restart_...`, `a_silent_half_open_agent_goes_offline_and_a_later_command_waits_for_it`; `commands::a_command_refused_by_a_full_queue_runs_once_while_the_agent_stays_connected` |
//! | MAJOR 4 missing indexes | `hot_queries_use_an_index` (here): SQLite's `EXPLAIN QUERY PLAN` of the SQL the application runs (public constants and builders in `db::*`) |
//! | MAJOR 5 no command rate limit | `commands::command_submissions_are_rate_limited_per_user` |
//! | MINOR 1 hard-coded intervals | agent `config::tests` |
//! | MINOR 2 watchdog events not stored | `agents_ws::metrics_network_state_and_watchdog_events_are_stored` |
//! | MINOR 3 no log rotation | agent `logging::tests::at_most_max_files_days_are_kept_and_the_oldest_go_first` (daily files, `[logging] max_files`, besides stderr); agent `e2e` checks the real agent writes its daily file and logs no credential; `tests/logs.rs` checks the server logs no credential |
//! | MINOR 4 Unicode in agent output | agent `exec::process::tests::escape_sequences_are_removed`, `logging::tests::what_is_not_ascii_is_escaped`, agent `e2e` ASCII check of the stderr log and the log file |

use crate::helpers::*;
use futures_util::Sink;
use gururmm_server::db::{self, agents::Identity, commands::NewCommand};
use gururmm_server::ws::{writer, Outbound};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A socket whose every send fails, as a dead TCP connection does.
struct BrokenSink;

impl<T> Sink<T> for BrokenSink {
    type Error = std::io::Error;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Err(std::io::Error::other("connection reset")))
    }
    fn start_send(self: Pin<&mut Self>, _: T) -> Result<(), Self::Error> {
        Err(std::io::Error::other("connection reset"))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Err(std::io::Error::other("connection reset")))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_command_whose_send_fails_goes_back_to_pending_and_is_delivered_later() {
    let app = TestApp::spawn().await;
    let state = app.state().clone();
    let identity = Identity {
        device_id: "dev-broken".into(),
        ..Identity::default()
    };
    let agent_id = db::agents::insert(&state.db, None, &identity, None)
        .await
        .expect("agent");
    let mut ids = Vec::new();
    for text in ["first", "second"] {
        let new = NewCommand {
            agent_id: &agent_id,
            created_by: None,
            command_type: "shell",
            command: text,
            timeout_seconds: 30,
            elevated: false,
        };
        let id = db::commands::insert(&state.db, &new).await.expect("insert");
        assert!(db::commands::claim(&state.db, &id, "conn-1", 5)
            .await
            .expect("claim"));
        ids.push(id);
    }
    // Both were claimed for conn-1 and queued; the first send fails, the second never goes.
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    for id in &ids {
        tx.send(Outbound::command("{}".into(), id.clone()))
            .await
            .expect("queue");
    }
    let close = tokio_util::sync::CancellationToken::new();
    writer::run(state.clone(), BrokenSink, rx, close, "conn-1".into()).await;
    for id in &ids {
        assert_eq!(
            app.command(id).await["status"],
            "pending",
            "not left running forever"
        );
    }
    // The next connection delivers them.
    let key = gururmm_server::auth::secrets::new_agent_key();
    db::agents::set_key_hash(
        &state.db,
        &agent_id,
        &gururmm_server::auth::secrets::sha256_hex(&key),
    )
    .await
    .expect("key");
    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-broken")).await;
    // Both, once each. In either order: inserted in the same millisecond, they tie on
    // created_at and the queue breaks the tie by their random ids.
    let mut got = vec![
        agent.next_command().await.command,
        agent.next_command().await.command,
    ];
    got.sort();
    assert_eq!(got, ["first", "second"]);
}

/// What a hot query's plan must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Every table is reached by an index seek: nothing is scanned, not even an index.
    Seeks,
    /// Rows come out of an index in the requested order (no sort of all matches), so the
    /// LIMIT stops the walk early; no table is scanned without an index.
    Ordered,
    /// Both: a seek whose matches are already in order.
    SeeksInOrder,
}

/// The application's hot queries, as the code runs them: (name, SQL, text parameters, what
/// the plan must show). Parameters past the listed ones (limits, offsets, times) are numbers.
fn hot_queries() -> Vec<(String, String, Vec<String>, Expect)> {
    use db::agents::{ListFilter, SortKey};
    let mut queries = Vec::new();
    let mut list = |name: &str, filter: ListFilter, page: Expect, count: Option<Expect>| {
        let sql = db::agents::list_sql(&filter);
        queries.push((
            format!("agents list {name}"),
            sql.page,
            sql.binds.clone(),
            page,
        ));
        if let Some(count) = count {
            queries.push((format!("agents count {name}"), sql.count, sql.binds, count));
        }
    };
    let by = |f: fn(&mut ListFilter)| {
        let mut filter = ListFilter {
            sort: SortKey::Hostname,
            ..ListFilter::default()
        };
        f(&mut filter);
        filter
    };
    // The dashboard's default order, both ways, with a search, and with each filter. A
    // substring search cannot seek; walking the hostname index in order lets the page stop
    // early. (Its count, and the count of everything, must read every row or index entry:
    // nothing to assert there.)
    list("by hostname", by(|_| {}), Expect::Ordered, None);
    list(
        "by hostname, descending",
        by(|f| f.descending = true),
        Expect::Ordered,
        None,
    );
    list(
        "searched",
        by(|f| f.q = Some("web 01".into())),
        Expect::Ordered,
        None,
    );
    let status = by(|f| f.status = Some("online".into()));
    list(
        "by status",
        status,
        Expect::SeeksInOrder,
        Some(Expect::Seeks),
    );
    let site = by(|f| f.site_id = Some("s".into()));
    list("of a site", site, Expect::SeeksInOrder, Some(Expect::Seeks));
    let os = by(|f| f.os_type = Some("linux".into()));
    list("by OS", os, Expect::SeeksInOrder, Some(Expect::Seeks));
    // Through sites: the matches are found by index and sorted (one client's machines).
    let client = by(|f| f.client_id = Some("c".into()));
    list("of a client", client, Expect::Seeks, Some(Expect::Seeks));

    let text = |name: &str, sql: &str, binds: &[&str], expect| {
        let binds = binds.iter().map(|b| (*b).to_owned()).collect();
        (name.to_owned(), sql.to_owned(), binds, expect)
    };
    let (open_alerts, _) = db::alerts::list_sql(None, None);
    let (agent_alerts, _) = db::alerts::list_sql(None, Some("a"));
    queries.extend([
        text(
            "pending commands of an agent",
            db::commands::PENDING_FOR_AGENT,
            &["a"],
            Expect::SeeksInOrder,
        ),
        text(
            "recent commands",
            db::commands::RECENT,
            &[],
            Expect::Ordered,
        ),
        text(
            "recent commands of an agent",
            db::commands::RECENT_FOR_AGENT,
            &["a"],
            Expect::SeeksInOrder,
        ),
        text(
            "metrics history of an agent",
            db::metrics::HISTORY,
            &["a"],
            Expect::SeeksInOrder,
        ),
        text("open alerts", &open_alerts, &[], Expect::Seeks),
        text(
            "open alerts of an agent",
            &agent_alerts,
            &["a"],
            Expect::Seeks,
        ),
        text(
            "agent by key hash",
            db::agents::FIND_BY_KEY_HASH,
            &["h"],
            Expect::Seeks,
        ),
        text(
            "agent by device id",
            db::agents::FIND_BY_DEVICE,
            &["d"],
            Expect::Seeks,
        ),
        // Every reaper pass.
        text(
            "agents with pending commands",
            db::commands::AGENTS_WITH_PENDING_ONLINE,
            &[],
            Expect::Seeks,
        ),
        text(
            "overdue commands",
            db::commands::TIME_OUT_OVERDUE,
            &[],
            Expect::Seeks,
        ),
        text(
            "silent polling agents",
            db::agents::EXPIRE_POLLED,
            &["legacy-poll"],
            Expect::Seeks,
        ),
        text(
            "offline agents without an alert",
            db::alerts::OFFLINE_WITHOUT_ALERT,
            &[],
            Expect::Seeks,
        ),
    ]);
    queries
}

/// The highest `$n` in `sql`.
fn parameter_count(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// SQLite's plan lines for `sql`, its parameters bound (text first, then numbers).
async fn sqlite_plan(db: &db::Db, sql: &str, text: &[String]) -> Vec<String> {
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
    for value in text {
        query = query.bind(value.clone());
    }
    for _ in text.len()..parameter_count(sql) {
        query = query.bind(5_i64);
    }
    let plan = query.fetch_all(&db.pool).await.expect("plan");
    plan.into_iter().map(|row| row.3).collect()
}

/// Why `plan` falls short of `expect`, if it does.
fn plan_problem(plan: &[String], expect: Expect) -> Option<&'static str> {
    let scans_table = plan
        .iter()
        .any(|l| l.starts_with("SCAN ") && !l.contains(" USING "));
    let scans = plan.iter().any(|l| l.starts_with("SCAN "));
    let sorts = plan
        .iter()
        .any(|l| l.contains("TEMP B-TREE FOR") && l.contains("ORDER BY"));
    let seeks = matches!(expect, Expect::Seeks | Expect::SeeksInOrder);
    let ordered = matches!(expect, Expect::Ordered | Expect::SeeksInOrder);
    if plan.is_empty() {
        Some("no plan")
    } else if scans_table {
        Some("a table is scanned without an index")
    } else if seeks && scans {
        Some("a table or index is walked instead of sought")
    } else if ordered && sorts {
        Some("the matches are sorted instead of read in index order")
    } else {
        None
    }
}

#[tokio::test]
async fn hot_queries_use_an_index() {
    let app = TestApp::spawn().await;
    let db = &app.state().db;
    match db.backend {
        db::Backend::Sqlite => {
            // The planner's own answer about the SQL the application runs.
            let mut problems = Vec::new();
            for (name, sql, text, expect) in hot_queries() {
                let plan = sqlite_plan(db, &sql, &text).await;
                if let Some(problem) = plan_problem(&plan, expect) {
                    problems.push(format!(
                        "{name}: {problem} ({expect:?}): {}",
                        plan.join(" | ")
                    ));
                }
            }
            assert!(problems.is_empty(), "{}", problems.join("\n"));
        }
        db::Backend::Postgres => {
            // Tiny tables make PostgreSQL prefer scans, so check that the indexes exist.
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE schemaname = 'public'",
            )
            .fetch_all(&db.pool)
            .await
            .expect("indexes");
            let names: Vec<String> = rows.into_iter().map(|r| r.0).collect();
            for index in [
                "commands_queue_idx",
                "commands_agent_time_idx",
                "commands_deadline_idx",
                "commands_created_idx",
                "metrics_agent_time_idx",
                "metrics_time_idx",
                "agents_hostname_idx",
                "agents_status_order_idx",
                "agents_site_order_idx",
                "agents_os_order_idx",
                "agents_connection_idx",
                "alerts_status_idx",
                "watchdog_agent_idx",
                "agent_updates_agent_idx",
                "audit_recent_idx",
            ] {
                assert!(
                    names.iter().any(|n| n == index),
                    "{index} missing: {names:?}"
                );
            }
        }
    }
}
