//! TLS: with a certificate configured the server speaks HTTPS and `wss://` on its port (and
//! sends HSTS), and plain HTTP there gets nothing useful.

use crate::helpers::*;
use gururmm_server::config::TlsConfig;
use gururmm_server::Server;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::Connector;

#[tokio::test]
async fn with_a_certificate_the_api_and_the_agent_socket_are_served_over_tls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let dir = tempfile::tempdir().expect("dir");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write");
    let (mut config, _database) = test_config(dir.path()).await;
    config.tls = Some(TlsConfig {
        cert: cert_path,
        key: key_path,
    });
    let server = Server::start(config).await.expect("server");
    let port = server.addr.port();

    let https = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("pem"),
        )
        .resolve("localhost", server.addr)
        .build()
        .expect("client");
    let res = https
        .get(format!("https://localhost:{port}/health"))
        .send()
        .await
        .expect("https");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().contains_key("strict-transport-security"),
        "HSTS when serving TLS"
    );
    let plain = reqwest::get(format!("http://{}/health", server.addr)).await;
    assert!(
        plain.is_err() || plain.expect("response").status() != 200,
        "plain HTTP must not be served on the TLS port"
    );

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).expect("root");
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("tcp");
    let request = format!("wss://localhost:{port}/ws")
        .into_client_request()
        .expect("request");
    let (mut ws, response) = tokio_tungstenite::client_async_tls_with_config(
        request,
        tcp,
        None,
        Some(Connector::Rustls(Arc::new(client))),
    )
    .await
    .expect("wss upgrade");
    assert_eq!(response.status(), 101);
    // The agent protocol runs on it: a bad key is answered, not ignored.
    send_msg(
        &mut ws,
        &gururmm_protocol::AgentMessage::Auth(auth_payload("grmm_not-a-key", "tls-dev")),
    )
    .await;
    let reply = recv_msg(&mut ws).await;
    assert!(
        matches!(reply, Some(gururmm_protocol::ServerMessage::AuthResponse(ref r)) if !r.success),
        "{reply:?}"
    );
    server.shutdown().await;
}
