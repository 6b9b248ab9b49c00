//! Which servers the agent trusts over TLS: the public web PKI roots, plus the PEM certificates
//! named by `server.ca_cert` — an MSP's private CA, or the server's own self-signed certificate.
//! Used for the `wss://` session, the polling client and every download.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Trust {
    extra: Arc<Vec<CertificateDer<'static>>>,
}

impl Trust {
    /// Reads the extra certificates; `None` trusts the public roots only. The error says what is
    /// wrong with the file.
    pub fn load(ca_cert: Option<&Path>) -> Result<Self, String> {
        let Some(path) = ca_cert else {
            return Ok(Self::default());
        };
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let extra = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{} is not PEM: {e}", path.display()))?;
        if extra.is_empty() {
            return Err(format!("{} holds no certificate", path.display()));
        }
        Ok(Self {
            extra: Arc::new(extra),
        })
    }

    /// Both sets of extra certificates.
    pub fn and(&self, other: &Trust) -> Trust {
        let mut extra = self.extra.as_ref().clone();
        extra.extend(
            other
                .extra
                .iter()
                .filter(|c| !self.extra.contains(c))
                .cloned(),
        );
        Trust {
            extra: Arc::new(extra),
        }
    }

    /// The WebSocket TLS connector, or `None` for tungstenite's default (public roots).
    pub fn websocket(&self) -> Option<tokio_tungstenite::Connector> {
        if self.extra.is_empty() {
            return None;
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in self.extra.iter() {
            // A certificate rustls cannot use as an anchor is skipped, not fatal: the public
            // roots and the other certificates still apply, and the handshake says the rest.
            if let Err(e) = roots.add(cert.clone()) {
                tracing::warn!(error = %e, "server.ca_cert: a certificate is not usable as a root");
            }
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Some(tokio_tungstenite::Connector::Rustls(Arc::new(config)))
    }

    /// An HTTP client builder that also trusts the extra certificates.
    pub fn http(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder();
        for cert in self.extra.iter() {
            if let Ok(cert) = reqwest::Certificate::from_der(cert.as_ref()) {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_named_with_the_reason() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("missing.pem");
        let err = Trust::load(Some(&missing)).expect_err("missing");
        assert!(
            err.contains("missing.pem") && err.contains("cannot read"),
            "{err}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").expect("write");
        let err = Trust::load(Some(&empty)).expect_err("empty");
        assert!(err.contains("no certificate"), "{err}");
        assert!(Trust::load(None).expect("none").websocket().is_none());
    }

    #[test]
    fn the_relays_ca_joins_the_servers_without_duplicates() {
        let dir = tempfile::tempdir().expect("dir");
        let write = |name: &str| {
            let ca = rcgen::generate_simple_self_signed(vec![name.into()]).expect("ca");
            let path = dir.path().join(format!("{name}.pem"));
            std::fs::write(&path, ca.cert.pem()).expect("write");
            path
        };
        let (server, relay) = (write("rmm.example"), write("connect.example"));
        let server = Trust::load(Some(&server)).expect("server CA");
        let relay = Trust::load(Some(&relay)).expect("relay CA");
        assert_eq!(server.and(&relay).extra.len(), 2);
        assert_eq!(server.and(&server).extra.len(), 1);
        assert_eq!(Trust::default().and(&relay).extra.len(), 1);
    }
}
