//! Idle agents held: unattended agents connected with their own keys and doing nothing, which is
//! what most of a fleet is doing at any moment. Measures this process's resident memory growth
//! per agent. The test agents' own sockets use 4 KiB buffers, so the figure is mostly the
//! server's side of each connection (socket buffers, tasks, queues, registry entry).

use guruconnect_proto::envelope::Payload;
use guruconnect_testkit::{hello_with_key, recv, send, TestApp, Ws};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Agents connected at once while the rest wait.
const BATCH: usize = 50;

pub struct Held {
    pub agents: usize,
    pub connect_time: Duration,
    pub kib_per_agent: f64,
}

/// Connects `count` agents, waits for the server to settle, and measures.
pub async fn held(app: &TestApp, count: usize) -> Held {
    let mut keys = Vec::with_capacity(count);
    for i in 0..count {
        let id = format!("idle-{i}");
        let (key, _) = app.mint_key(&id).await;
        keys.push((id, key));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = resident_bytes();
    let start = Instant::now();
    let mut sockets: Vec<Ws> = Vec::with_capacity(count);
    for batch in keys.chunks(BATCH) {
        let joins = batch.iter().map(|(id, key)| connect(app, id, key));
        sockets.extend(futures_util::future::join_all(joins).await);
    }
    let connect_time = start.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_bytes();
    let held = Held {
        agents: sockets.len(),
        connect_time,
        kib_per_agent: after.saturating_sub(before) as f64 / 1024.0 / count.max(1) as f64,
    };
    drop(sockets);
    held
}

async fn connect(app: &TestApp, id: &str, key: &str) -> Ws {
    let request = app
        .ws_url("/ws/agent")
        .into_client_request()
        .expect("request");
    let small = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(small), false)
        .await
        .expect("agent upgrade");
    send(&mut ws, hello_with_key(id, &format!("uid-{id}"), key)).await;
    loop {
        match recv(&mut ws).await {
            Some(Payload::ServerHello(_)) => return ws,
            Some(Payload::Disconnect(d)) => panic!("agent {id} refused: {d:?}"),
            Some(_) => continue,
            None => panic!("agent {id}: socket closed before the hello"),
        }
    }
}

/// This process's resident set (Linux `/proc/self/statm`); 0 elsewhere.
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}
