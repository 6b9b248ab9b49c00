//! The ceilings: length-prefixed messages over raw loopback TCP, measured in the same process
//! and runtime as the relay so they are comparable. `per_reader_goodput` is one hop, one writer
//! per reader; `forwarded_goodput` adds the hop a relay cannot avoid: a plain forwarder that
//! reads each message from the sender and writes it to every reader, with nothing else to do.

use crate::measure::Receipt;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Per-reader goodput (MB/s) when `readers` sockets each receive `size`-byte messages for
/// `duration`.
pub async fn per_reader_goodput(size: usize, readers: usize, duration: Duration) -> Vec<f64> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut pairs = Vec::with_capacity(readers);
    for _ in 0..readers {
        pairs.push(connected_pair(&listener, addr).await);
    }
    let mut message = (size as u32).to_be_bytes().to_vec();
    message.resize(4 + size, 7);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(readers);
    for (writer, reader) in pairs {
        let message = message.clone();
        tokio::spawn(write_for(writer, message, start, duration));
        tasks.push(tokio::spawn(read_all(reader, size)));
    }
    let mut rates = Vec::with_capacity(readers);
    for task in tasks {
        rates.push(task.await.expect("reader").megabytes_per_sec(start));
    }
    rates
}

/// Per-reader goodput (MB/s) through a bare two-hop forwarder fanning out to `readers`.
pub async fn forwarded_goodput(size: usize, readers: usize, duration: Duration) -> Vec<f64> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (upstream, forwarder_in) = connected_pair(&listener, addr).await;
    let mut outs = Vec::with_capacity(readers);
    let mut tasks = Vec::with_capacity(readers);
    for _ in 0..readers {
        let (forwarder_out, reader) = connected_pair(&listener, addr).await;
        outs.push(forwarder_out);
        tasks.push(tokio::spawn(read_all(reader, size)));
    }
    let mut message = (size as u32).to_be_bytes().to_vec();
    message.resize(4 + size, 7);
    let start = Instant::now();
    tokio::spawn(forward(forwarder_in, outs, size));
    tokio::spawn(write_for(upstream, message, start, duration));
    let mut rates = Vec::with_capacity(readers);
    for task in tasks {
        rates.push(task.await.expect("reader").megabytes_per_sec(start));
    }
    rates
}

/// A connected (writer side, reader side) pair of loopback sockets.
async fn connected_pair(
    listener: &TcpListener,
    addr: std::net::SocketAddr,
) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(addr).await.expect("connect");
    let (server, _) = listener.accept().await.expect("accept");
    client.set_nodelay(true).expect("nodelay");
    server.set_nodelay(true).expect("nodelay");
    (client, server)
}

/// Reads whole messages from `input` and writes each to every output, until `input` ends.
async fn forward(mut input: TcpStream, mut outputs: Vec<TcpStream>, size: usize) {
    let mut message = vec![0u8; 4 + size];
    loop {
        if input.read_exact(&mut message[..4]).await.is_err() {
            break;
        }
        let len = u32::from_be_bytes([message[0], message[1], message[2], message[3]]) as usize;
        if input.read_exact(&mut message[4..4 + len]).await.is_err() {
            break;
        }
        for output in &mut outputs {
            if output.write_all(&message[..4 + len]).await.is_err() {
                return;
            }
        }
    }
    for output in &mut outputs {
        let _ = output.shutdown().await;
    }
}

async fn write_for(mut socket: TcpStream, message: Vec<u8>, start: Instant, duration: Duration) {
    while start.elapsed() < duration {
        if socket.write_all(&message).await.is_err() {
            return;
        }
    }
    let _ = socket.shutdown().await;
}

async fn read_all(mut socket: TcpStream, size: usize) -> Receipt {
    let mut receipt = Receipt::default();
    let mut body = vec![0u8; size];
    loop {
        let mut prefix = [0u8; 4];
        if socket.read_exact(&mut prefix).await.is_err() {
            return receipt;
        }
        let len = u32::from_be_bytes(prefix) as usize;
        if socket.read_exact(&mut body[..len]).await.is_err() {
            return receipt;
        }
        receipt.record(4 + len);
    }
}
