//! One relay session: connect to `/ws/agent`, authenticate, then run three parts until the
//! session ends — the streaming thread (screen → frames), the input thread (viewer events →
//! desktop) and the socket tasks between them and the relay.

mod input_thread;
pub mod pacing;
mod streamer;

use crate::consent;
use crate::platform::Platform;
use anyhow::Context;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streamer::{Control, Shared, Streamer};
use tokio_tungstenite::tungstenite::Message;

/// How long the server may take to answer the hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub enum Credential {
    AgentKey(String),
    SupportCode(String),
}

/// Who this agent is and where the relay is.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `ws://host:port` or `wss://host:port` (the path `/ws/agent` is added).
    pub server: String,
    /// How `wss://` relays are checked (public roots plus `ca_cert`).
    pub trust: crate::tls::Trust,
    pub credential: Credential,
    pub agent_id: String,
    pub machine_uid: String,
    pub hostname: String,
    /// Installer labels sent with the inventory.
    pub labels: crate::inventory::Labels,
}

/// How a session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// The server refused the hello (bad key, used code…): the reason it gave.
    Refused(Option<DisconnectReason>),
    /// Connected, then the server ended it with this reason (None: the socket just closed).
    Ended(Option<DisconnectReason>),
    /// This agent was asked to stop (a signal, the service manager) and said goodbye.
    Stopped,
}

/// Asks a running session to say goodbye to the relay and end: a signal, or the service
/// manager's stop. Without it the relay can only see the socket drop.
#[derive(Debug, Clone)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// The trigger and the signal it sends.
    pub fn channel() -> (tokio::sync::watch::Sender<bool>, Shutdown) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Shutdown(rx))
    }

    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop was asked for; never, if the trigger is gone without asking.
    pub async fn requested(&mut self) {
        if self.0.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What the agent tells the relay as it stops on purpose.
fn goodbye() -> Bytes {
    proto::disconnect(DisconnectReason::Normal, "the agent is stopping")
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs one session to its end. Errors are connection failures (the caller retries).
pub async fn run(
    config: &SessionConfig,
    platform: &Platform,
    shutdown: &Shutdown,
) -> anyhow::Result<SessionEnd> {
    let mut stop = shutdown.clone();
    let ws = tokio::select! {
        connected = connect(config) => match connected? {
            Ok(ws) => ws,
            Err(refused) => return Ok(SessionEnd::Refused(refused)),
        },
        _ = stop.requested() => return Ok(SessionEnd::Stopped),
    };
    stream(ws, platform, config, stop).await
}

/// Connects and says hello: the socket once the server answered, or why it refused.
async fn connect(
    config: &SessionConfig,
) -> anyhow::Result<Result<WsStream, Option<DisconnectReason>>> {
    let url = format!("{}/ws/agent", config.server.trim_end_matches('/'));
    let tls = Some(config.trust.connector()?);
    // Nagle off: a typed character's echo is a small frame that must not wait for an ack.
    let disable_nagle = true;
    let (mut ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(&url, None, disable_nagle, tls)
            .await
            .with_context(|| format!("connecting to {url}"))?;
    send(&mut ws, hello(config)).await?;
    match tokio::time::timeout(HELLO_TIMEOUT, wait_for_hello(&mut ws)).await {
        Err(_) => anyhow::bail!("no answer to the hello within {HELLO_TIMEOUT:?}"),
        Ok(Err(refused)) => Ok(Err(refused)),
        Ok(Ok(h)) => {
            tracing::info!(session_id = %h.session_id, "session started");
            Ok(Ok(ws))
        }
    }
}

fn hello(config: &SessionConfig) -> Payload {
    let (mode, credential) = match &config.credential {
        Credential::AgentKey(key) => (
            proto::AgentMode::Unattended,
            proto::agent_hello::Credential::AgentKey(key.clone()),
        ),
        Credential::SupportCode(code) => (
            proto::AgentMode::Attended,
            proto::agent_hello::Credential::SupportCode(code.clone()),
        ),
    };
    Payload::AgentHello(proto::AgentHello {
        protocol_version: proto::PROTOCOL_VERSION,
        machine_uid: config.machine_uid.clone(),
        agent_id: config.agent_id.clone(),
        mode: mode as i32,
        agent_version: env!("CARGO_PKG_VERSION").into(),
        credential: Some(credential),
        hostname: config.hostname.clone(),
        os: std::env::consts::OS.into(),
    })
}

async fn send(ws: &mut WsStream, payload: Payload) -> anyhow::Result<()> {
    ws.send(Message::Binary(proto::encode_payload(payload)))
        .await?;
    Ok(())
}

/// The server's hello, or the reason it refused.
async fn wait_for_hello(ws: &mut WsStream) -> Result<proto::ServerHello, Option<DisconnectReason>> {
    while let Some(Ok(message)) = ws.next().await {
        let Message::Binary(body) = message else {
            continue;
        };
        match proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES) {
            Ok(Payload::ServerHello(h)) => return Ok(h),
            Ok(Payload::Disconnect(d)) => return Err(DisconnectReason::try_from(d.reason).ok()),
            _ => {}
        }
    }
    Err(None)
}

/// Streams until the server ends the session, the socket fails or a stop is asked for.
async fn stream(
    ws: WsStream,
    platform: &Platform,
    config: &SessionConfig,
    mut stop: Shutdown,
) -> anyhow::Result<SessionEnd> {
    let (sink, mut source) = ws.split();
    let shared = Arc::new(Shared::default());
    let (frames_tx, frames_rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let (events_tx, events_rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let (control_tx, control_rx) = std::sync::mpsc::channel();
    let streamer = Streamer {
        capturer: platform.capturer()?,
        controls: control_rx,
        frames: frames_tx,
        events: events_tx.clone(),
        shared: shared.clone(),
        runtime: tokio::runtime::Handle::current(),
        labels: config.labels.clone(),
    };
    // If capture fails for good the session cannot go on: the reader hears of it and ends it.
    let (died_tx, mut died_rx) = tokio::sync::oneshot::channel::<String>();
    let streamer = std::thread::Builder::new()
        .name("capture".into())
        .spawn(move || {
            if let Err(e) = streamer.run() {
                let _ = died_tx.send(format!("{e:#}"));
            }
        })?;
    let input = input_thread::spawn(platform.injector()?, shared.clone())?;
    let writer = tokio::spawn(write(sink, frames_rx, events_rx, shared.clone()));

    let consent_pending = Arc::new(AtomicBool::new(false));
    // The viewer count the relay last reported: any drop means someone left, perhaps with a
    // key or button still held down.
    let mut viewers_seen = 0u32;
    let mut ended = None;
    let mut failure = None;
    let mut stopping = false;
    loop {
        let message = tokio::select! {
            message = source.next() => message,
            Ok(error) = &mut died_rx => {
                failure = Some(error);
                break;
            }
            _ = stop.requested() => {
                stopping = true;
                break;
            }
        };
        let Some(message) = message else {
            break;
        };
        let body = match message {
            Ok(Message::Binary(body)) => body,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let Ok(payload) = proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES) else {
            continue;
        };
        // While the user is being asked, the relay sends no stream order and no input; this
        // side refuses them too, so a confused or hostile relay cannot stream before Accept.
        let asking = consent_pending.load(Ordering::Acquire);
        match payload {
            Payload::ConsentRequest(request) => {
                consent_pending.store(true, Ordering::Release);
                ask_consent(
                    platform,
                    request,
                    consent_pending.clone(),
                    events_tx.clone(),
                );
            }
            Payload::StreamControl(_)
            | Payload::KeyFrameRequest(_)
            | Payload::MouseEvent(_)
            | Payload::KeyEvent(_)
                if asking => {}
            Payload::KeyFrameRequest(_) => drop(control_tx.send(Control::KeyFrame)),
            Payload::FrameAck(a) => drop(control_tx.send(Control::Acked(a.sequence))),
            Payload::StreamControl(c) => {
                // Input does not say which viewer sent it, so when any viewer leaves, whatever
                // it held is let go of; the others' next key or click is unaffected (a release
                // of something no longer held is ignored).
                if c.viewers < viewers_seen {
                    input.release_all();
                }
                viewers_seen = c.viewers;
                drop(control_tx.send(Control::Viewers {
                    count: c.viewers,
                    paced: c.paced,
                    codec_features: c.codec_features,
                }));
            }
            Payload::SelectDisplay(s) => {
                drop(control_tx.send(Control::SelectDisplay(s.display_id)))
            }
            Payload::QualitySettings(q) => drop(control_tx.send(Control::MaxFps(q.max_fps))),
            Payload::MouseEvent(m) => {
                input.mouse(m);
                signal_input(&shared, &control_tx);
            }
            Payload::KeyEvent(k) => {
                input.key(k);
                signal_input(&shared, &control_tx);
            }
            Payload::Ping(p) => {
                let pong = proto::Pong {
                    nonce: p.nonce,
                    ..Default::default()
                };
                let _ = events_tx.try_send(proto::encode_payload(Payload::Pong(pong)));
            }
            Payload::Disconnect(d) => {
                ended = DisconnectReason::try_from(d.reason).ok();
                break;
            }
            _ => {}
        }
    }
    let _ = control_tx.send(Control::Stop);
    input.stop();
    if stopping {
        let _ = events_tx.try_send(goodbye());
    }
    drop(events_tx);
    let _ = tokio::task::spawn_blocking(move || streamer.join()).await;
    // The writer sends what is queued (the goodbye) and closes the socket once the streamer's
    // senders are gone; a consent prompt still open may hold one, so the wait is bounded.
    let mut writer = writer;
    if tokio::time::timeout(WRITER_DRAIN, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    match (failure, stopping) {
        (Some(error), _) => anyhow::bail!("screen capture failed: {error}"),
        (None, true) => Ok(SessionEnd::Stopped),
        (None, false) => Ok(SessionEnd::Ended(ended)),
    }
}

/// How long the writer may take to send the last messages and close the socket.
const WRITER_DRAIN: Duration = Duration::from_secs(2);

/// Tells the streamer input arrived, once until it has taken notice: the control channel is
/// unbounded and the streamer may be waiting on a slow link, so a flood of pointer moves must
/// not queue a message each.
fn signal_input(shared: &Shared, controls: &std::sync::mpsc::Sender<Control>) {
    if !shared.input_signalled.swap(true, Ordering::AcqRel) {
        drop(controls.send(Control::Input));
    }
}

/// Writes frames and events to the relay; records how long frames take.
async fn write(
    mut sink: futures_util::stream::SplitSink<WsStream, Message>,
    mut frames: tokio::sync::mpsc::Receiver<Bytes>,
    mut events: tokio::sync::mpsc::Receiver<Bytes>,
    shared: Arc<Shared>,
) {
    loop {
        let (body, is_frame) = tokio::select! {
            Some(body) = events.recv() => (body, false),
            Some(body) = frames.recv() => (body, true),
            else => break,
        };
        let len = body.len() as u64;
        let started = Instant::now();
        if sink.send(Message::Binary(body)).await.is_err() {
            return;
        }
        if is_frame {
            let send_us = started.elapsed().as_micros() as u64;
            shared.send_us_total.fetch_add(send_us, Ordering::Relaxed);
            shared.frames_sent.fetch_add(1, Ordering::Relaxed);
        }
        shared.bytes_sent.fetch_add(len, Ordering::Relaxed);
    }
    // Every sender is gone: the session is over on this side. A close frame, not a dropped
    // connection, is what the relay should see.
    let _ = sink.close().await;
}

/// Shows the consent prompt off the async runtime and sends the answer; on Accept the session
/// may stream (the relay then sends the stream order).
fn ask_consent(
    platform: &Platform,
    request: proto::ConsentRequest,
    pending: Arc<AtomicBool>,
    events: tokio::sync::mpsc::Sender<Bytes>,
) {
    let prompt = platform.consent_prompt();
    tokio::task::spawn_blocking(move || {
        let question = consent::Prompt::from_request(&request);
        tracing::info!(technician = %question.technician_name, "asking the user to accept the session");
        let answer = prompt.ask(&question);
        tracing::info!(?answer, "the user answered the consent prompt");
        if answer == consent::Answer::Accepted {
            pending.store(false, Ordering::Release);
        }
        let response = consent::response(&request.session_id, answer);
        let _ = events.blocking_send(proto::encode_payload(Payload::ConsentResponse(response)));
    });
}
