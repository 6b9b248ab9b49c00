//! The client's address as a server may trust it: the socket peer, or, behind a reverse proxy
//! the operator vouches for, the address that proxy saw.
//!
//! Proxies append the address they received a request from to `X-Forwarded-For` (nginx's
//! `$proxy_add_x_forwarded_for`, Caddy, Traefik), after whatever the client itself wrote there.
//! Only the last entry is the proxy's word; the first is the client's, so trusting it let anyone
//! pick an address per request and walk around every per-address limit.

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// What a server's state says about its place behind a proxy.
pub trait ForwardedPolicy {
    /// True only when a reverse proxy the operator controls fronts the server.
    fn trusts_forwarded_for(&self) -> bool;
}

/// The client's address: with `trust_forwarded_for`, the last `X-Forwarded-For` entry (what the
/// trusted proxy appended), else, or when that entry is no address, the socket peer.
pub fn client_ip(
    trust_forwarded_for: bool,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    let forwarded = || {
        let last_line = headers.get_all("x-forwarded-for").iter().next_back()?;
        let last_entry = last_line.to_str().ok()?.rsplit(',').next()?;
        last_entry.trim().parse().ok()
    };
    match trust_forwarded_for.then(forwarded).flatten() {
        Some(ip) => Some(ip),
        None => peer.map(|p| p.ip()),
    }
}

/// Extractor for [`client_ip`], for any state that says whether it sits behind a proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: ForwardedPolicy + Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let trusted = state.trusts_forwarded_for();
        Ok(ClientIp(client_ip(trusted, &parts.headers, peer)))
    }
}

impl ClientIp {
    /// The address as text, or empty when there is none (audit rows, rate-limit keys).
    pub fn to_string_or_empty(self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
