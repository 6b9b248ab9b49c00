//! Ends one connection from anywhere (supersede, revocation, session end, shutdown) with a
//! reason its writer sends as a final `Disconnect` before closing the socket.

use guruconnect_proto::DisconnectReason;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Default)]
pub struct Closer {
    token: CancellationToken,
    reason: Arc<Mutex<Option<(DisconnectReason, String)>>>,
}

impl Closer {
    /// Asks the connection to close. The first reason given wins.
    pub fn close(&self, reason: DisconnectReason, detail: impl Into<String>) {
        {
            let mut slot = self.reason.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some((reason, detail.into()));
            }
        }
        self.token.cancel();
    }

    pub fn is_closed(&self) -> bool {
        self.token.is_cancelled()
    }

    pub async fn closed(&self) {
        self.token.cancelled().await
    }

    pub fn reason(&self) -> (DisconnectReason, String) {
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or((DisconnectReason::Normal, String::new()))
    }
}
