//! The earlier system's defects (RMM-12), as its documents ranked and numbered them, each with
//! the test that would have failed on that system: rows covered elsewhere name their test, the
//! rest are tested in this file. Other files cite a row as "known_issues.rs, MAJOR 3".
//!
//! | Defect | Test |
//! |---|---|
//! | CRITICAL 1 command type mismatch | `gururmm-protocol` golden tests; `commands::a_command_to_a_connected_agent_is_delivered_and_its_result_stored`; agent `e2e` (unknown type answered -1) |
//! | CRITICAL 2 legacy heartbeat empty | `legacy::legacy_round_trip_heartbeat_returns_commands_once_and_results_are_stored` |
//! | CRITICAL 3 legacy result not stored | same test |
//! | CRITICAL 4 CORS `Any` | `api::cors_answers_only_configured_origins_and_never_a_wildcard` |
//! | MAJOR 1 no server-side timeout | `commands::a_running_command_without_a_result_times_out_on_the_server` |
//! | MAJOR 2 no retry for failed sends | `a_command_whose_send_fails_goes_back_to_pending_and_is_delivered_later` (here) |
//! | MAJOR 3 "online" but sends fail | `agents_ws::the_agent_is_online_exactly_while_its_socket_is_open`, `..._supersedes_...`, `after_a_restart_...`, `a_silent_half_open_agent_goes_offline_and_a_later_command_waits_for_it`; `commands::a_command_refused_by_a_full_queue_runs_once_while_the_agent_stays_connected` |
//! | MAJOR 4 missing indexes | `hot_queries::hot_queries_use_an_index`: the planner's own plan (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`) of the SQL the application runs (public constants and builders in `db::*`) |
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
        let id = db::commands::insert(&state.db, &new)
            .await
            .expect("insert")
            .id;
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
            app.command(id.as_str()).await["status"],
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
        agent.next_command().await.kind.text().to_owned(),
        agent.next_command().await.kind.text().to_owned(),
    ];
    got.sort();
    assert_eq!(got, ["first", "second"]);
}
