//! Binding (plain HTTP, or HTTPS/wss when `tls` is configured) and graceful shutdown. `Server::start` returns once the socket is bound, so callers
//! (tests with port 0) know the real address before the first request.

use crate::app::AppState;
use crate::auth::throttle::{Clock, SystemClock};
use crate::config::Config;
use anyhow::Context;
// Small messages (a key, a frame acknowledgement, a typed character's echo) go out at once:
// with Nagle's algorithm one could wait for the acknowledgement of the previous one.
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Server;

#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    handle: axum_server::Handle,
    task: JoinHandle<std::io::Result<()>>,
    reaper: JoinHandle<()>,
}

impl Server {
    pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
        Self::start_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`Server::start`] with the throttles reading `clock`, so tests can let a rate limit's
    /// window slide without waiting for it.
    pub async fn start_with_clock(
        mut config: Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<RunningServer> {
        let listener = std::net::TcpListener::bind(config.bind)
            .with_context(|| format!("binding {}", config.bind))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        config.bind = addr;
        crate::http::dashboard::announce(&config);
        let state = AppState::build_with_clock(config, clock).await?;
        let app =
            crate::api::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let task = match &state.config.tls {
            Some(tls) => {
                // Only one provider is linked; the first call installs it, later ones no-op.
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
        let reaper = tokio::spawn(crate::reaper::run(state.clone()));
        if let Some(connect) = &state.connect {
            tokio::spawn(crate::connect::run_refresher(
                connect.clone(),
                state.shutdown.clone(),
            ));
        } else {
            tracing::info!("GuruConnect integration not configured (connect.url / GURURMM_CONNECT_URL); remote control is off");
        }
        Ok(RunningServer {
            addr,
            state,
            handle,
            task,
            reaper,
        })
    }
}

impl RunningServer {
    /// Closes every agent socket, stops accepting, waits for the drain.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        self.state.registry.close_all();
        self.handle.graceful_shutdown(Some(DRAIN));
        let _ = self.task.await;
        let _ = self.reaper.await;
        self.state.db.pool.close().await;
    }

    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
        tracing::info!("shutdown requested; draining connections");
        self.shutdown().await;
        Ok(())
    }
}
