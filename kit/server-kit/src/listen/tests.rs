//! Real sockets on loopback: port 0 resolved, plain and TLS serving, clear errors.

use super::*;
use axum::extract::ConnectInfo;
use axum::routing::get;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn app() -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .into_make_service_with_connect_info::<SocketAddr>()
}

#[tokio::test]
async fn port_zero_resolves_and_plain_http_is_served_with_the_peer_known() {
    let bound = bind(loopback()).expect("bind");
    let addr = bound.addr;
    assert_ne!(addr.port(), 0);
    let serving = serve(bound, None, app()).await.expect("serve");

    let body = reqwest::get(format!("http://{addr}/peer"))
        .await
        .expect("get")
        .text()
        .await;
    assert_eq!(body.expect("body"), "127.0.0.1");

    serving.drain(Duration::from_secs(1)).await;
    let after = reqwest::get(format!("http://{addr}/peer")).await;
    assert!(after.is_err(), "still answering after the drain: {after:?}");
}

#[tokio::test]
async fn a_taken_address_is_refused_with_the_address_named() {
    let first = bind(loopback()).expect("bind");
    let err = bind(first.addr).expect_err("taken");
    assert!(err.to_string().contains(&first.addr.to_string()), "{err}");
}

#[tokio::test]
async fn with_certificate_files_https_is_served_and_bad_files_are_named() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let dir = tempfile::tempdir().expect("dir");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write");

    let bound = bind(loopback()).expect("bind");
    let addr = bound.addr;
    let files = TlsConfig {
        cert: cert_path,
        key: key_path.clone(),
    };
    let serving = serve(bound, Some(&files), app()).await.expect("serve");
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("pem"),
        )
        .resolve("localhost", addr)
        .build()
        .expect("client");
    let url = format!("https://localhost:{}/peer", addr.port());
    let body = client.get(&url).send().await.expect("https").text().await;
    assert_eq!(body.expect("body"), "127.0.0.1");
    let plain = reqwest::get(format!("http://{addr}/peer")).await;
    assert!(
        plain.is_err(),
        "plain HTTP on the TLS port is not answered: {plain:?}"
    );
    serving.abort().await;
    assert!(
        client.get(&url).send().await.is_err(),
        "answering after abort"
    );

    let missing = dir.path().join("missing.pem");
    let bad = TlsConfig {
        cert: missing,
        key: key_path,
    };
    let bound = bind(loopback()).expect("bind");
    let err = serve(bound, Some(&bad), app())
        .await
        .expect_err("no certificate");
    assert!(err.to_string().contains("missing.pem"), "{err}");
}

/// Starts `app()` with a short header timeout and opens a raw connection to it.
async fn timed_server(timeout: Duration) -> (Serving, tokio::net::TcpStream) {
    let bound = bind(loopback()).expect("bind");
    let addr = bound.addr;
    let serving = serve_timed(bound, None, app(), timeout)
        .await
        .expect("serve");
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    (serving, stream)
}

/// Whether the server ends the connection before `sending` finishes.
async fn ended_during(
    stream: tokio::net::TcpStream,
    sending: impl FnOnce(tokio::net::tcp::OwnedWriteHalf) -> tokio::task::JoinHandle<()>,
) -> bool {
    use tokio::io::AsyncReadExt;
    let (mut read, write) = stream.into_split();
    let sender = sending(write);
    let ended = async {
        let mut buf = [0u8; 1024];
        while matches!(read.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = ended => true,
        _ = sender => false,
    }
}

#[tokio::test]
async fn a_client_sending_its_headers_a_byte_at_a_time_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let (serving, stream) = timed_server(Duration::from_millis(500)).await;
    // 20 s of headers at 10 bytes a second: the server must not wait for their end.
    let ended = ended_during(stream, |mut write| {
        tokio::spawn(async move {
            let _ = write
                .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await;
            for _ in 0..200 {
                if write.write_all(b"a").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = write.write_all(b"\r\n\r\n").await;
        })
    })
    .await;
    assert!(ended, "the server waited for headers sent a byte at a time");
    serving.abort().await;
}

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed() {
    use tokio::io::AsyncWriteExt;
    let (serving, stream) = timed_server(Duration::from_millis(500)).await;
    // One whole request, then silence for up to 20 s.
    let ended = ended_during(stream, |mut write| {
        tokio::spawn(async move {
            let _ = write
                .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(20)).await;
        })
    })
    .await;
    assert!(ended, "an idle kept-alive connection stayed open");
    serving.abort().await;
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_cut_off() {
    let (serving, stream) = timed_server(Duration::from_millis(500)).await;
    let ended = ended_during(stream, |write| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            drop(write);
        })
    })
    .await;
    assert!(ended, "a connection that never sent a byte stayed open");
    serving.abort().await;
}

#[tokio::test]
async fn an_http2_peer_that_goes_silent_is_closed() {
    use tokio::io::AsyncWriteExt;
    let (serving, stream) = timed_server(Duration::from_millis(500)).await;
    // The HTTP/2 preface and an empty SETTINGS frame, then nothing: not even the answer to
    // the server's pings.
    let ended = ended_during(stream, |mut write| {
        tokio::spawn(async move {
            let _ = write.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
            let _ = write.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await;
            tokio::time::sleep(Duration::from_secs(20)).await;
        })
    })
    .await;
    assert!(ended, "a silent HTTP/2 connection stayed open");
    serving.abort().await;
}

#[tokio::test]
async fn a_client_that_stops_inside_the_http2_preface_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let (serving, stream) = timed_server(Duration::from_millis(500)).await;
    // The server reads the preface to tell HTTP/2 from HTTP/1 before either's timers start.
    let ended = ended_during(stream, |mut write| {
        tokio::spawn(async move {
            let _ = write.write_all(b"PRI * HTTP/2.0\r\n").await;
            tokio::time::sleep(Duration::from_secs(20)).await;
        })
    })
    .await;
    assert!(ended, "a connection stopped inside the preface stayed open");
    serving.abort().await;
}

#[tokio::test]
async fn after_a_tls_handshake_a_client_that_sends_nothing_is_cut_off() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let dir = tempfile::tempdir().expect("dir");
    let files = TlsConfig {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    std::fs::write(&files.cert, cert.cert.pem()).expect("write");
    std::fs::write(&files.key, cert.key_pair.serialize_pem()).expect("write");
    let bound = bind(loopback()).expect("bind");
    let addr = bound.addr;
    let serving = serve_timed(bound, Some(&files), app(), Duration::from_millis(500))
        .await
        .expect("serve");
    // A whole TLS handshake, then not one byte of HTTP for up to 20 s.
    let ended = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.cert.der().clone()).expect("root");
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = "localhost".try_into().expect("name");
        let mut tls =
            rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("client");
        let mut socket = std::net::TcpStream::connect(addr).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        while tls.is_handshaking() {
            tls.complete_io(&mut socket).expect("handshake");
        }
        let mut buf = [0u8; 64];
        match rustls::Stream::new(&mut tls, &mut socket).read(&mut buf) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    })
    .await
    .expect("client thread");
    assert!(ended, "a TLS session that never sent a request stayed open");
    serving.abort().await;
}
