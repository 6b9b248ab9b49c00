//! WebSocket plumbing: open a socket (with or without an Origin), send and receive protocol
//! envelopes.

use futures_util::{SinkExt, StreamExt};
use guruconnect_proto::{self as proto, envelope::Payload};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::WAIT;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket, optionally with an Origin header. Err carries the HTTP status on refusal.
pub async fn open_ws(url: &str, origin: Option<&str>) -> Result<Ws, u16> {
    let mut request = url.into_client_request().expect("request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("origin"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

/// Opens a plain `ws://` socket from `source` (every 127.0.0.0/8 address is this machine), so
/// one test can be clients at several addresses.
pub async fn open_ws_from(url: &str, source: std::net::IpAddr) -> Ws {
    let request = url.into_client_request().expect("request");
    let uri = request.uri();
    let server = format!(
        "{}:{}",
        uri.host().expect("host"),
        uri.port_u16().expect("port")
    );
    let server: std::net::SocketAddr = server.parse().expect("an IP address and port");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::new(source, 0))
        .expect("bind the source address");
    let stream = socket.connect(server).await.expect("connect");
    let plain = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (ws, _) = tokio_tungstenite::client_async(request, plain)
        .await
        .expect("upgrade");
    ws
}

pub async fn send(ws: &mut Ws, payload: Payload) {
    ws.send(Message::Binary(proto::encode_payload(payload)))
        .await
        .expect("send");
}

/// Tells the relay this viewer has consumed every frame up to `sequence`, as the web viewer
/// does once it has painted them: without it the relay paces the stream to a stop.
pub async fn ack(ws: &mut Ws, sequence: u64) {
    send(ws, Payload::FrameAck(proto::FrameAck { sequence })).await;
}

/// The next protocol message, skipping pings; None when the socket closed.
pub async fn recv(ws: &mut Ws) -> Option<Payload> {
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("message within the wait");
        match next {
            Some(Ok(Message::Binary(body))) => {
                return Some(
                    proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES).expect("valid message"),
                )
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Text(_))) => panic!("text frame from server"),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
        }
    }
}

/// Reads until `pick` returns Some, failing if the socket closes first.
pub async fn recv_until<T>(ws: &mut Ws, mut pick: impl FnMut(Payload) -> Option<T>) -> T {
    loop {
        let payload = recv(ws).await.expect("socket closed while waiting");
        if let Some(found) = pick(payload) {
            return found;
        }
    }
}

/// Reads until the server's Disconnect arrives (returning its reason) or the socket closes.
pub async fn disconnect_reason(ws: &mut Ws) -> Option<proto::DisconnectReason> {
    while let Some(payload) = recv(ws).await {
        if let Payload::Disconnect(d) = payload {
            return proto::DisconnectReason::try_from(d.reason).ok();
        }
    }
    None
}
