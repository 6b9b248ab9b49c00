//! Binding, TLS and graceful shutdown. `Server::start` returns once the socket is bound, so
//! callers (and tests, with port 0) know the real address before the first request.

use crate::app::AppState;
use crate::config::Config;
use crate::relay;
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
    serving: server_kit::Serving,
    reaper: JoinHandle<()>,
}

impl Server {
    /// Binds, builds the state (database, keys, restored sessions) and starts serving. The
    /// config's `bind` becomes the bound address, so port 0 resolves to the real port and the
    /// default viewer origin names it.
    pub async fn start(mut config: Config) -> anyhow::Result<RunningServer> {
        let bound = server_kit::bind(config.bind)?;
        let addr = bound.addr;
        config.bind = addr;
        let state = AppState::build(config).await?;
        let app =
            crate::api::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let serving = server_kit::serve(bound, state.config.tls.as_ref(), app).await?;
        let reaper = tokio::spawn(relay::reconcile::run_reaper(state.clone()));
        Ok(RunningServer {
            addr,
            state,
            serving,
            reaper,
        })
    }
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
        self.serving.drain(DRAIN).await;
        let _ = self.reaper.await;
        // Upgraded sockets outlive the HTTP server's drain: let them record their departures.
        self.state.sockets.close();
        let _ = tokio::time::timeout(DRAIN, self.state.sockets.wait()).await;
        self.state.db.pool.close().await;
    }

    /// Stops abruptly, as a crash would: no goodbyes, nothing flushed.
    pub async fn kill(self) {
        self.state.shutdown.cancel();
        self.reaper.abort();
        self.serving.abort().await;
        self.state.db.pool.close().await;
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        server_kit::shutdown_signal().await;
        tracing::info!("shutdown requested; draining connections");
        self.shutdown().await;
        Ok(())
    }
}
