//! Integration tests: the real server on a real socket, real database (SQLite by default,
//! PostgreSQL when `GC_TEST_DATABASE_URL` is set), real WebSocket peers.

mod api;
mod audit;
mod auth_attacks;
mod consent;
mod helpers;
mod identity;
mod integration;
mod machines;
mod pacing;
mod pre_auth;
mod refresh_tokens;
mod relay;
mod releases;
mod second_factor;
mod sso;
mod throttling;
mod web;
