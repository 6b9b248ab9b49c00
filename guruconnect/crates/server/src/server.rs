//! Binding, TLS and graceful shutdown. `Server::start` returns once the socket is bound, so
//! callers (and tests, with port 0) know the real address before the first request.

use crate::app::AppState;
use crate::config::Config;
use crate::relay;
use anyhow::Context;
// Small messages (a key, a frame acknowledgement, a typed character's echo) go out at once:
// with Nagle's algorithm one could wait for the acknowledgement of the previous one.
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsConfig;
use guruconnect_proto::DisconnectReason;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long open connections get to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Server;

/// A started server: its address, its state, and the handle to stop it.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    handle: axum_server::Handle,
    task: JoinHandle<std::io::Result<()>>,
    reaper: JoinHandle<()>,
}

impl Server {
    /// Binds, builds the state (database, keys, restored sessions) and starts serving. The
    /// config's `bind` becomes the bound address, so port 0 resolves to the real port and the
    /// default viewer origin names it.
    pub async fn start(mut config: Config) -> anyhow::Result<RunningServer> {
        let listener = std::net::TcpListener::bind(config.bind)
            .with_context(|| format!("binding {}", config.bind))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        config.bind = addr;
        let state = AppState::build(config).await?;
        let config = &state.config;
        let app =
            crate::api::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let task = match &config.tls {
            Some(tls) => {
                install_crypto_provider();
                let rustls = RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                    .await
                    .with_context(|| {
                        format!(
                            "loading TLS certificate {} and key {}",
                            tls.cert.display(),
                            tls.key.display()
                        )
                    })?;
                let server = axum_server::from_tcp_rustls(listener, rustls)
                    .map(|tls| tls.acceptor(NoDelayAcceptor))
                    .handle(handle.clone());
                tokio::spawn(server.serve(app))
            }
            None => {
                let server = axum_server::from_tcp(listener)
                    .acceptor(NoDelayAcceptor)
                    .handle(handle.clone());
                tokio::spawn(server.serve(app))
            }
        };
        let reaper = tokio::spawn(relay::reconcile::run_reaper(state.clone()));
        Ok(RunningServer {
            addr,
            state,
            handle,
            task,
            reaper,
        })
    }
}

fn install_crypto_provider() {
    // Only the first call installs; later calls (tests starting many servers) are no-ops.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl RunningServer {
    /// Tells every connection goodbye, stops accepting, and waits for the drain.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        self.state
            .relay
            .close_everything(DisconnectReason::ServerShutdown);
        for live in self.state.relay.all() {
            relay::lifecycle::flush_bytes(&self.state, &live).await;
        }
        self.handle.graceful_shutdown(Some(DRAIN));
        let _ = self.task.await;
        let _ = self.reaper.await;
        // Upgraded sockets outlive the HTTP server's drain: let them record their departures.
        self.state.sockets.close();
        let _ = tokio::time::timeout(DRAIN, self.state.sockets.wait()).await;
        self.state.db.pool.close().await;
    }

    /// Stops abruptly, as a crash would: no goodbyes, nothing flushed.
    pub async fn kill(self) {
        self.state.shutdown.cancel();
        self.handle.shutdown();
        self.task.abort();
        self.reaper.abort();
        let _ = self.task.await;
        self.state.db.pool.close().await;
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutdown requested; draining connections");
        self.shutdown().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
