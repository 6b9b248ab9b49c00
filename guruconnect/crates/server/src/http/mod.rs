//! HTTP plumbing shared by every route: the error envelope, extractors that use it, and the
//! middleware stack (correlation ids, security headers, CORS).

pub mod cors;
pub mod error;
pub mod middleware;
