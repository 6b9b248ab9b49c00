//! What `GET /api/version` answers on both servers: public, so an agent can check that it
//! speaks the server's protocol before it authenticates.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Version {
    /// The server's package name.
    pub name: String,
    pub version: String,
    /// The wire protocol version this server speaks; its agents (and GuruConnect's viewers)
    /// must speak it too.
    pub protocol_version: u32,
}

impl Version {
    pub fn new(name: &str, version: &str, protocol_version: u32) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            protocol_version,
        }
    }
}
