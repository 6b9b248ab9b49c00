//! A private certificate authority for tests that need TLS the way an MSP deploys it: a CA of
//! its own (not a self-signed leaf), a server certificate it issued for `localhost` and
//! 127.0.0.1, and the PEM files an administrator would hand the server and the agents.

use std::path::{Path, PathBuf};

/// The CA and the server certificate it issued, written as PEM files into a directory.
pub struct PrivateCa {
    /// The CA certificate, what agents are told to trust (`ca_cert`).
    pub ca_pem: PathBuf,
    /// The server's certificate chain and key (`tls.cert`, `tls.key`).
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

impl PrivateCa {
    /// Makes a CA and a `localhost` / 127.0.0.1 server certificate under `dir`.
    pub fn create(dir: &Path) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "GuruConnect test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let server_params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("server params");
        let server_key = KeyPair::generate().expect("server key");
        let server = server_params
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server certificate");
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write PEM");
            path
        };
        Self {
            ca_pem: write("ca.pem", ca.pem()),
            cert_pem: write("server.pem", server.pem()),
            key_pem: write("server.key", server_key.serialize_pem()),
        }
    }

    /// An HTTP client that trusts this CA (and nothing else besides the public roots).
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca_pem).expect("read CA");
        let ca = reqwest::Certificate::from_pem(&pem).expect("CA certificate");
        reqwest::Client::builder()
            .add_root_certificate(ca)
            .build()
            .expect("client")
    }
}
