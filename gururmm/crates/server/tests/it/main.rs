//! Integration tests: the real server on a real socket, a fresh database per test (SQLite by
//! default, PostgreSQL when `GRMM_TEST_DATABASE_URL` is set), test agents speaking the real
//! WebSocket protocol.

mod agent_keys;
mod agents_list;
mod agents_ws;
mod alerts;
mod api;
mod audit;
mod auth_attacks;
mod command_events;
mod commands;
mod dashboard;
mod full_queue;
#[path = "../support/gc_standin.rs"]
mod gc_standin;
mod helpers;
mod hot_queries;
mod key_handover;
mod known_issues;
mod legacy;
mod plans;
mod policies;
mod pre_auth;
mod registration_tokens;
mod remote_control;
mod remote_control_after;
mod remote_control_undo;
mod retention;
mod second_factor;
mod sign_ins;
mod sso;
mod tls;
mod updates;
