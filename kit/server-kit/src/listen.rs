//! Binding and serving. Binding is separate from serving so a server started on port 0 knows
//! its real address (and can put it in its config) before it builds anything that names it.

use anyhow::Context;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::Router;
// Small messages (a key, a frame acknowledgement, a typed character's echo) go out at once:
// with Nagle's algorithm one could wait for the acknowledgement of the previous one.
use crate::config::TlsConfig;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsConfig;
use std::net::SocketAddr;
use tokio::task::JoinHandle;

/// A bound socket, not yet serving.
#[derive(Debug)]
pub struct Bound {
    listener: std::net::TcpListener,
    /// The address really bound (port 0 resolved).
    pub addr: SocketAddr,
}

/// Binds `addr`; the error names the address.
pub fn bind(addr: SocketAddr) -> anyhow::Result<Bound> {
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    Ok(Bound { listener, addr })
}

/// Serves `app` on `bound` (TLS when `tls` is given) until `handle` stops it. Fails, before
/// serving anything, when the certificate or key cannot be loaded.
pub async fn serve(
    bound: Bound,
    tls: Option<&TlsConfig>,
    app: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    handle: axum_server::Handle,
) -> anyhow::Result<JoinHandle<std::io::Result<()>>> {
    let Some(tls) = tls else {
        let server = axum_server::from_tcp(bound.listener)
            .acceptor(NoDelayAcceptor)
            .handle(handle);
        return Ok(tokio::spawn(server.serve(app)));
    };
    // Only one provider is linked; the first call installs it, later ones (tests starting
    // many servers) change nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rustls = RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .with_context(|| {
            format!(
                "loading TLS certificate {} and key {}",
                tls.cert.display(),
                tls.key.display()
            )
        })?;
    let server = axum_server::from_tcp_rustls(bound.listener, rustls)
        .map(|tls| tls.acceptor(NoDelayAcceptor))
        .handle(handle);
    Ok(tokio::spawn(server.serve(app)))
}

#[cfg(test)]
mod tests;
