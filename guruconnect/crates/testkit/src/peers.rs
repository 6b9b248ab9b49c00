//! A test agent and a test viewer: the two peers of a relay session, speaking the real protocol.

use bytes::Bytes;
use guruconnect_proto::{self as proto, envelope::Payload};

use crate::{open_ws, open_ws_from, recv, recv_until, send, TestApp, Ws};

pub fn hello_with_key(agent_id: &str, machine_uid: &str, key: &str) -> Payload {
    Payload::AgentHello(proto::AgentHello {
        protocol_version: proto::PROTOCOL_VERSION,
        machine_uid: machine_uid.into(),
        agent_id: agent_id.into(),
        mode: proto::AgentMode::Unattended as i32,
        agent_version: "test-0.1".into(),
        credential: Some(proto::agent_hello::Credential::AgentKey(key.into())),
        hostname: format!("host-{agent_id}"),
        os: "Linux".into(),
    })
}

pub fn hello_with_code(machine_uid: &str, code: &str) -> Payload {
    Payload::AgentHello(proto::AgentHello {
        protocol_version: proto::PROTOCOL_VERSION,
        machine_uid: machine_uid.into(),
        agent_id: String::new(),
        mode: proto::AgentMode::Attended as i32,
        agent_version: "test-0.1".into(),
        credential: Some(proto::agent_hello::Credential::SupportCode(code.into())),
        hostname: "attended-host".into(),
        os: "Linux".into(),
    })
}

/// A connected, authenticated test agent and its session id.
pub struct TestAgent {
    pub ws: Ws,
    pub session_id: String,
    pub agent_id: String,
}

impl TestAgent {
    /// Connects and authenticates; panics if the server refuses.
    pub async fn connect(app: &TestApp, hello: Payload) -> Self {
        match Self::try_connect(app, hello).await {
            Ok(agent) => agent,
            Err(reason) => panic!("agent refused: {reason:?}"),
        }
    }

    /// Connects and returns the session on success, or the disconnect reason on refusal.
    pub async fn try_connect(
        app: &TestApp,
        hello: Payload,
    ) -> Result<Self, Option<proto::DisconnectReason>> {
        let ws = open_ws(&app.ws_url("/ws/agent"), None)
            .await
            .expect("agent upgrade");
        Self::try_hello(ws, hello).await
    }

    /// [`TestAgent::try_connect`] from the address `source`.
    pub async fn try_connect_from(
        app: &TestApp,
        source: &str,
        hello: Payload,
    ) -> Result<Self, Option<proto::DisconnectReason>> {
        let source = source.parse().expect("an IP address");
        let ws = open_ws_from(&app.ws_url("/ws/agent"), source).await;
        Self::try_hello(ws, hello).await
    }

    async fn try_hello(
        mut ws: Ws,
        hello: Payload,
    ) -> Result<Self, Option<proto::DisconnectReason>> {
        send(&mut ws, hello).await;
        loop {
            match recv(&mut ws).await {
                Some(Payload::ServerHello(h)) => {
                    return Ok(Self {
                        ws,
                        session_id: h.session_id,
                        agent_id: h.agent_id,
                    });
                }
                Some(Payload::Disconnect(d)) => {
                    return Err(proto::DisconnectReason::try_from(d.reason).ok())
                }
                Some(_) => continue,
                None => return Err(None),
            }
        }
    }

    pub async fn send_frame(&mut self, sequence: u64, key_frame: bool, size: usize) {
        send(&mut self.ws, frame(sequence, key_frame, size)).await;
    }
}

pub fn frame(sequence: u64, key_frame: bool, size: usize) -> Payload {
    Payload::VideoFrame(proto::VideoFrame {
        encoding: proto::FrameEncoding::ZstdBgra as i32,
        display_id: "0".into(),
        width: 1920,
        height: 1080,
        rects: vec![proto::FrameRect {
            rect: Some(proto::Rect {
                x: 0,
                y: 0,
                width: 64,
                height: 64,
            }),
            data: Bytes::from(vec![7u8; size]),
            ..Default::default()
        }],
        key_frame,
        sequence,
        capture_timestamp_us: 0,
        stream: Bytes::new(),
    })
}

/// A joined test viewer.
pub struct TestViewer {
    pub ws: Ws,
}

impl TestViewer {
    /// Opens the viewer socket with the app's own origin and presents the token.
    pub async fn join(
        app: &TestApp,
        session_id: &str,
        token: &str,
    ) -> Result<Self, Option<proto::ErrorCode>> {
        let mut ws = open_ws(&app.ws_url("/ws/viewer"), Some(&app.viewer_origin()))
            .await
            .expect("viewer upgrade");
        send(
            &mut ws,
            Payload::SessionRequest(proto::SessionRequest {
                protocol_version: proto::PROTOCOL_VERSION,
                session_id: session_id.into(),
                viewer_token: token.into(),
            }),
        )
        .await;
        loop {
            match recv(&mut ws).await {
                Some(Payload::SessionResponse(r)) if r.accepted => return Ok(Self { ws }),
                Some(Payload::Error(e)) => return Err(proto::ErrorCode::try_from(e.code).ok()),
                Some(_) => continue,
                None => return Err(None),
            }
        }
    }

    /// The next video frame, acknowledged at once as a viewer that keeps up does.
    pub async fn next_frame(&mut self) -> proto::VideoFrame {
        let frame = self.next_frame_unacked().await;
        crate::ack(&mut self.ws, frame.sequence).await;
        frame
    }

    /// The next video frame, not acknowledged: the test plays a slow page.
    pub async fn next_frame_unacked(&mut self) -> proto::VideoFrame {
        recv_until(&mut self.ws, |p| match p {
            Payload::VideoFrame(f) => Some(f),
            _ => None,
        })
        .await
    }
}

/// Registers an unattended agent with a fresh key and returns it with its session.
pub async fn online_agent(app: &TestApp, agent_id: &str) -> (TestAgent, String) {
    let (key, key_id) = app.mint_key(agent_id).await;
    let agent = TestAgent::connect(
        app,
        hello_with_key(agent_id, &format!("uid-{agent_id}"), &key),
    )
    .await;
    (agent, key_id)
}
