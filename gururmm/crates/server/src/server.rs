//! Binding (plain HTTP, or HTTPS/wss when `tls` is configured; both through server-kit) and
//! graceful shutdown. `Server::start` returns once the socket is bound, so callers (tests with
//! port 0) know the real address before the first request.

use crate::app::AppState;
use crate::auth::throttle::{Clock, SystemClock};
use crate::config::Config;
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
    serving: server_kit::Serving,
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
        let bound = server_kit::bind(config.bind)?;
        let addr = bound.addr;
        config.bind = addr;
        crate::http::dashboard::announce(&config);
        let state = AppState::build_with_clock(config, clock).await?;
        let app =
            crate::api::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let serving = server_kit::serve(bound, state.config.tls.as_ref(), app).await?;
        let reaper = tokio::spawn(crate::reaper::run(state.clone()));
        tokio::spawn(crate::command_feed::render(state.clone()));
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
            serving,
            reaper,
        })
    }
}

impl RunningServer {
    /// Closes every agent socket, stops accepting, waits for the drain.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        self.state.registry.close_all();
        self.serving.drain(DRAIN).await;
        let _ = self.reaper.await;
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
