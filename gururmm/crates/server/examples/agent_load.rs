//! Load benchmark: one `swarm` process simulates many agents over loopback against a
//! real server in this process. Measures connections held and server memory per connection,
//! command round-trip under that load, agents-list latency, and a reconnect storm after a
//! server restart. Prints a Markdown table. Run (release build; see BENCHMARKS.md):
//!
//! ```sh
//! cargo run --release -p gururmm-server --example agent_load -- --agents 10000
//! ```
//!
//! Two processes because one process cannot hold both ends of 10,000 sockets under the usual
//! file-descriptor limit; the swarm answers every command at once and reconnects with fully
//! jittered backoff like the real agent. SQLite by default; `GRMM_BENCH_DATABASE_URL` (a
//! `postgres://` URL to an empty database, e.g. from `./dev pg`) measures PostgreSQL.

use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{
    decode_server, encode, AgentMessage, AuthPayload, CommandResult, Heartbeat, ServerMessage,
};
use gururmm_server::config::Config;
use gururmm_server::{db, Server};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("swarm") {
        return swarm().await;
    }
    driver().await
}

/// The server side and the measurements.
async fn driver() -> anyhow::Result<()> {
    let agents = arg("--agents", 1000) as usize;
    let samples = arg("--samples", 200) as usize;
    let dir = tempfile::tempdir()?;
    let mut config = Config {
        bind: "127.0.0.1:0".parse()?,
        data_dir: dir.path().to_path_buf(),
        bootstrap_admin: false,
        ..Config::default()
    };
    if let Ok(url) = std::env::var("GRMM_BENCH_DATABASE_URL") {
        config.database_url = Some(gururmm_server::config::SecretString::new(url));
    }
    config.limits.agent_queue = 16;
    // The benchmark is one user sending many commands; the per-user limit would stop it.
    config.limits.commands_per_minute = u32::MAX;
    let server = Server::start(config.clone()).await?;
    config.bind = server.addr;
    let state = server.state.clone();
    let admin = gururmm_server::bootstrap::first_admin_if_empty(&state.db)
        .await?
        .expect("empty");
    let http = reqwest::Client::new();
    let base = format!("http://{}", server.addr);
    let token = http
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"email": admin.login, "password": admin.password}))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Agents pre-registered with their own keys, like enrolled machines.
    let keys_path = dir.path().join("keys.txt");
    let mut lines = String::new();
    let mut ids = Vec::with_capacity(agents);
    for i in 0..agents {
        let key = gururmm_server::auth::secrets::new_agent_key();
        let identity = db::agents::Identity {
            device_id: format!("load-{i}"),
            hostname: format!("host-{i:05}"),
            os_type: "linux".into(),
            ..Default::default()
        };
        let hash = gururmm_server::auth::secrets::sha256_hex(&key);
        ids.push(db::agents::insert(&state.db, None, &identity, Some(&hash)).await?);
        lines.push_str(&format!("{key} load-{i}\n"));
    }
    std::fs::write(&keys_path, lines)?;
    let stats_path = dir.path().join("swarm.stats");

    eprintln!("agent_load: {agents} agents registered; starting the swarm");
    let rss_before = rss_kib();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["swarm", "--url"])
        .arg(format!("ws://{}/ws", server.addr))
        .arg("--keys")
        .arg(&keys_path)
        .arg("--stats")
        .arg(&stats_path)
        .arg("--reconnect-base-ms")
        .arg(arg("--reconnect-base-ms", 1000).to_string())
        .arg("--reconnect-cap-ms")
        .arg(arg("--reconnect-cap-ms", 30_000).to_string())
        .kill_on_drop(true)
        .spawn()?;
    wait_until(|| state.registry.len() >= agents, Duration::from_secs(300)).await?;
    let connect_time = started.elapsed();
    eprintln!("agent_load: all connected in {connect_time:?}; measuring");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib();
    let per_conn_kib = (rss_after.saturating_sub(rss_before)) as f64 / agents as f64;

    // Command round trip under that load: API send -> agent -> result stored.
    let mut rtt = Vec::with_capacity(samples);
    for _ in 0..samples {
        let agent = &ids[rand::thread_rng().gen_range(0..ids.len())];
        let t0 = Instant::now();
        let res = http
            .post(format!("{base}/api/agents/{agent}/command"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"command_type": "shell", "command": "true", "timeout_seconds": 30}))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "send failed: {}", res.status());
        let res: serde_json::Value = res.json().await?;
        let id = gururmm_server::model::CommandId::from(res["id"].as_str().unwrap_or_default());
        loop {
            let row = db::commands::find(&state.db, &id).await?;
            if row.is_some_and(|r| r.status == gururmm_server::model::CommandStatus::Completed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        rtt.push(t0.elapsed());
    }

    // Agents list at this many agents: first page, a deep page, and a search.
    let mut list = Vec::new();
    let last_page = agents.div_ceil(50);
    for i in 0..samples {
        let path = match i % 3 {
            0 => "/api/agents?per_page=50".to_owned(),
            1 => format!("/api/agents?per_page=50&page={last_page}"),
            _ => format!("/api/agents?q=host-{:03}", i % 1000),
        };
        let t0 = Instant::now();
        let res = http
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "list failed: {}", res.status());
        let _ = res.bytes().await?;
        list.push(t0.elapsed());
    }

    // Reconnect storm: restart the server on the same port and wait for everyone.
    eprintln!("agent_load: restarting the server");
    let failures_before = read_stat(&stats_path, "auth_failures");
    server.shutdown().await;
    let restarted_at = Instant::now();
    let server = Server::start(config.clone()).await?;
    let state = server.state.clone();
    wait_until(|| state.registry.len() >= agents, Duration::from_secs(600)).await?;
    let storm = restarted_at.elapsed();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let failures = read_stat(&stats_path, "auth_failures") - failures_before;

    let p = |v: &mut Vec<Duration>, q| ms(percentile(v, q));
    println!("| Measure | Result |\n|---|---|");
    println!(
        "| Agents connected and held | {agents} (all in {:.1} s) |",
        connect_time.as_secs_f64()
    );
    println!(
        "| Server RSS per connection | {per_conn_kib:.1} KiB ({} MiB total delta) |",
        (rss_after.saturating_sub(rss_before)) / 1024
    );
    println!(
        "| Command round trip p50 / p99 ({samples} sequential) | {} / {} |",
        p(&mut rtt, 0.5),
        p(&mut rtt, 0.99)
    );
    println!(
        "| Agents list p50 / p95 ({samples} requests) | {} / {} |",
        p(&mut list, 0.5),
        p(&mut list, 0.95)
    );
    println!(
        "| Reconnect storm: all back after restart | {:.1} s, {failures} failed auths |",
        storm.as_secs_f64()
    );
    let _ = child.kill().await;
    server.shutdown().await;
    Ok(())
}

fn read_stat(path: &std::path::Path, name: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{name} "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn wait_until(mut done: impl FnMut() -> bool, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    let mut last_report = Instant::now();
    while !done() {
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!("agent_load: waiting...");
            last_report = Instant::now();
        }
        anyhow::ensure!(Instant::now() < deadline, "not reached within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// The swarm process: one task per agent.
async fn swarm() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_default()
    };
    let url = get("--url");
    let keys = std::fs::read_to_string(get("--keys"))?;
    let stats = get("--stats");
    let base = Duration::from_millis(get("--reconnect-base-ms").parse().unwrap_or(1000));
    let cap = Duration::from_millis(get("--reconnect-cap-ms").parse().unwrap_or(30_000));
    let auth_failures = Arc::new(AtomicU64::new(0));
    for line in keys.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(device)) = (parts.next(), parts.next()) else {
            continue;
        };
        let (url, key, device, failures) = (
            url.clone(),
            key.to_owned(),
            device.to_owned(),
            auth_failures.clone(),
        );
        tokio::spawn(async move {
            let mut attempt = 0u32;
            loop {
                match one_session(&url, &key, &device).await {
                    Ok(()) => attempt = 0,
                    Err(SessionError::AuthRefused) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(SessionError::Io) => {}
                }
                // Full jitter, as the real agent does.
                let ceiling = base
                    .saturating_mul(2u32.saturating_pow(attempt.min(20)))
                    .min(cap);
                let delay = rand::thread_rng().gen_range(0..=ceiling.as_millis() as u64);
                attempt = attempt.saturating_add(1);
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
        });
        // Spread the initial connects a little so the accept queue is not the bottleneck.
        tokio::task::yield_now().await;
    }
    loop {
        let _ = std::fs::write(
            &stats,
            format!("auth_failures {}\n", auth_failures.load(Ordering::Relaxed)),
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

enum SessionError {
    AuthRefused,
    Io,
}

/// One connection: authenticate, then answer commands and pings until it drops. Ok when it
/// was authenticated (so the backoff restarts from zero).
async fn one_session(url: &str, key: &str, device: &str) -> Result<(), SessionError> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|_| SessionError::Io)?;
    let auth = AgentMessage::Auth(AuthPayload {
        api_key: key.to_owned(),
        device_id: device.to_owned(),
        hostname: format!("host-{device}"),
        os_type: "linux".into(),
        os_version: String::new(),
        arch: "x86_64".into(),
        agent_version: "0.1.0".into(),
        previous_version: None,
        protocol_version: gururmm_protocol::PROTOCOL_VERSION,
    });
    ws.send(Message::Text(encode(&auth).into()))
        .await
        .map_err(|_| SessionError::Io)?;
    match ws.next().await {
        Some(Ok(Message::Text(t))) => match decode_server(t.as_str()) {
            Ok(ServerMessage::AuthResponse(r)) if r.success => {}
            _ => return Err(SessionError::AuthRefused),
        },
        _ => return Err(SessionError::Io),
    }
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let reply = match decode_server(text.as_str()) {
            Ok(ServerMessage::Command(c)) => AgentMessage::CommandResult(CommandResult {
                id: c.id,
                exit_code: 0,
                duration_ms: 0,
                ..Default::default()
            }),
            Ok(ServerMessage::Ping) => AgentMessage::Heartbeat(Heartbeat::default()),
            _ => continue,
        };
        if ws.send(Message::Text(encode(&reply).into())).await.is_err() {
            break;
        }
    }
    Ok(())
}
