//! HTTP plumbing of this server's routes: the error envelope and extractors that use it, the
//! client address as this server trusts it, and the dashboard's static files. Request ids,
//! security headers and CORS are server-kit's (`server_kit::http`).

pub mod dashboard;
pub mod error;
pub mod middleware;
