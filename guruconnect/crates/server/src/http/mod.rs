//! HTTP plumbing of this server's routes: the error envelope, extractors that use it, and the
//! client address as this server trusts it. Request ids, security headers and CORS are
//! server-kit's (`server_kit::http`).

pub mod error;
pub mod middleware;
