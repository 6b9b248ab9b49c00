//! HTTP plumbing shared by every route: the error envelope and extractors that use it, the
//! middleware (correlation id, security headers), CORS, the client address.

pub mod cors;
pub mod error;
pub mod middleware;
