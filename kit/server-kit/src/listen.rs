//! Binding and serving. Binding is separate from serving so a server started on port 0 knows
//! its real address (and can put it in its config) before it builds anything that names it.

use crate::config::TlsConfig;
use crate::intake::Intake;
use anyhow::Context;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long a client has for a request's headers, counted from when the server starts waiting
/// for them (so it also ends a kept-alive connection idle this long). Without it a client
/// sending a byte at a time holds its connection for ever.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(20);

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

/// A server serving on its own task, until it is stopped.
#[derive(Debug)]
pub struct Serving {
    handle: axum_server::Handle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Serving {
    /// Stops accepting and lets open requests finish for up to `drain`; returns once the
    /// server has stopped.
    pub async fn drain(self, drain: Duration) {
        self.handle.graceful_shutdown(Some(drain));
        let _ = self.task.await;
    }

    /// Stops at once, as a crash would: open connections are cut.
    pub async fn abort(self) {
        self.handle.shutdown();
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Serves `app` on `bound` (TLS when `tls` is given). Fails, before serving anything, when
/// the certificate or key cannot be loaded.
pub async fn serve(
    bound: Bound,
    tls: Option<&TlsConfig>,
    app: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
) -> anyhow::Result<Serving> {
    serve_timed(bound, tls, app, HEADER_TIMEOUT).await
}

async fn serve_timed(
    bound: Bound,
    tls: Option<&TlsConfig>,
    app: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    header_timeout: Duration,
) -> anyhow::Result<Serving> {
    let handle = axum_server::Handle::new();
    let Some(tls) = tls else {
        let mut server = axum_server::from_tcp(bound.listener)
            .acceptor(Intake { header_timeout })
            .handle(handle.clone());
        time_headers(server.http_builder(), header_timeout);
        let task = tokio::spawn(server.serve(app));
        return Ok(Serving { handle, task });
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
    let mut server = axum_server::from_tcp_rustls(bound.listener, rustls)
        .map(|tls| tls.acceptor(Intake { header_timeout }))
        .handle(handle.clone());
    time_headers(server.http_builder(), header_timeout);
    let task = tokio::spawn(server.serve(app));
    Ok(Serving { handle, task })
}

/// HTTP/1: the headers of each request within `timeout` (which also ends a kept-alive
/// connection left idle that long). HTTP/2 (spoken over plain TCP too, after its preface): a
/// ping each `timeout`, and a peer that does not answer one within `timeout` is gone.
fn time_headers(
    builder: &mut hyper_util::server::conn::auto::Builder<TokioExecutor>,
    timeout: Duration,
) {
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(timeout))
        .keep_alive_timeout(timeout);
}

#[cfg(test)]
mod tests;
