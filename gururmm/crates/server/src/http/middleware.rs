//! The client address as this server is configured to trust it.

use crate::app::AppState;

/// The client address as this server trusts it (server-kit's `client_ip`, `trust_forwarded_for`).
pub use server_kit::ClientIp;

impl server_kit::ForwardedPolicy for AppState {
    fn trusts_forwarded_for(&self) -> bool {
        self.config.trust_forwarded_for
    }
}
