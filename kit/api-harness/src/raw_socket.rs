//! A WebSocket client written by hand, for the attack a client library will not make: a
//! message announced at one size and never finished, sent before authenticating.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens `ws://{addr}{path}` with `headers`, then sends the start of one binary message that
/// announces `announced` bytes and carries `sent` of them. Errors only when the upgrade fails;
/// the server may end the connection while the bytes go out (that is what the tests look for).
pub async fn stalled_message(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    announced: u64,
    sent: usize,
) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let head = read_head(&mut stream).await?;
    if !head.starts_with("HTTP/1.1 101") {
        return Err(io::Error::other(format!("upgrade refused: {head}")));
    }
    // FIN + binary; masked (as every client frame must be) with a 64-bit length.
    let mut frame = vec![0x82, 0x80 | 127];
    frame.extend_from_slice(&announced.to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    let _ = stream.write_all(&frame).await;
    let chunk = vec![0u8; 16 * 1024];
    let mut left = sent;
    while left > 0 {
        let n = left.min(chunk.len());
        if stream.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        left -= n;
    }
    Ok(stream)
}

/// Reads the response head of an upgrade, byte by byte so nothing after it is consumed.
async fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).await? == 0 {
            return Err(io::Error::other("closed during the upgrade"));
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Whether the server ends the connection (closes or resets it) within `wait`; whatever it
/// sends first (a close frame) is read and dropped.
pub async fn ended_by_server(stream: &mut TcpStream, wait: Duration) -> bool {
    let ended = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(wait, ended).await.is_ok()
}
