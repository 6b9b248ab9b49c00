//! HTTP plumbing shared by every route: the error envelope and extractors that use it, the
//! middleware (correlation id, security headers), CORS, the client address, and the dashboard's
//! static files.

pub mod cors;
pub mod dashboard;
pub mod error;
pub mod middleware;
