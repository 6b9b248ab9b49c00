//! Which relays the agent trusts over `wss://`: the public web PKI roots, plus the PEM
//! certificates named by `ca_cert` (an MSP's private CA, or the relay's own self-signed
//! certificate). TLS is built into every build of the agent: a relay on the internet is the
//! normal deployment, not an option.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;
use tokio_tungstenite::Connector;

/// The certificates a session's TLS handshake accepts as roots.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    extra: Arc<Vec<CertificateDer<'static>>>,
}

impl Trust {
    /// The public roots, plus every certificate in `ca_cert` when given. The error names the
    /// file and what is wrong with it, so a typo is caught at start, not at the first session.
    pub fn load(ca_cert: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = ca_cert else {
            return Ok(Self::default());
        };
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("ca_cert: cannot read {}: {e}", path.display()))?;
        let extra = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("ca_cert: {} is not PEM: {e}", path.display()))?;
        anyhow::ensure!(
            !extra.is_empty(),
            "ca_cert: {} holds no certificate",
            path.display()
        );
        // Checked now rather than at the first handshake: one unusable certificate means the
        // file is not what the administrator thinks it is.
        let mut probe = rustls::RootCertStore::empty();
        for cert in &extra {
            probe.add(cert.clone()).map_err(|e| {
                anyhow::anyhow!(
                    "ca_cert: {} holds a certificate that cannot be a root: {e}",
                    path.display()
                )
            })?;
        }
        Ok(Self {
            extra: Arc::new(extra),
        })
    }

    /// How many certificates besides the public roots are trusted.
    pub fn extra_roots(&self) -> usize {
        self.extra.len()
    }

    /// The connector every session uses for `wss://` (ignored for `ws://`).
    pub fn connector(&self) -> anyhow::Result<Connector> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in self.extra.iter() {
            // Each was accepted by `load`; adding again cannot fail differently.
            let _ = roots.add(cert.clone());
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Connector::Rustls(Arc::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_refused_with_the_file_and_the_reason() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("missing.pem");
        let err = Trust::load(Some(&missing))
            .expect_err("missing")
            .to_string();
        assert!(
            err.contains("missing.pem") && err.contains("cannot read"),
            "{err}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").expect("write");
        let err = Trust::load(Some(&empty)).expect_err("empty").to_string();
        assert!(err.contains("no certificate"), "{err}");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        assert!(Trust::load(Some(&garbage)).is_err());
        assert_eq!(Trust::load(None).expect("none").extra_roots(), 0);
    }

    #[test]
    fn a_private_ca_is_added_to_the_public_roots() {
        let dir = tempfile::tempdir().expect("dir");
        let ca = rcgen::generate_simple_self_signed(vec!["ca.example".into()]).expect("ca");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.cert.pem()).expect("write");
        let trust = Trust::load(Some(&path)).expect("loads");
        assert_eq!(trust.extra_roots(), 1);
        assert!(matches!(trust.connector(), Ok(Connector::Rustls(_))));
    }
}
