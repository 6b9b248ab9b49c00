//! What the relay's messages do to a running session. While the user is being asked to
//! accept, nothing streams and no input is applied, whatever the relay sends.

use super::pipeline::Pipeline;
use super::streamer::Control;
use crate::consent;
use crate::platform::Platform;
use bytes::Bytes;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The relay's side of the session as this agent has heard it.
#[derive(Default)]
pub(super) struct RelayMessages {
    /// Set while the consent prompt is open; cleared by an Accept.
    consent_pending: Arc<AtomicBool>,
    /// The viewer count the relay last reported: any drop means someone left, perhaps with a
    /// key or button still held down.
    viewers_seen: u32,
}

impl RelayMessages {
    /// Applies one message; `Break` with the relay's reason when it ended the session.
    pub fn apply(
        &mut self,
        payload: Payload,
        pipeline: &Pipeline,
        platform: &Platform,
    ) -> ControlFlow<Option<DisconnectReason>> {
        // A confused or hostile relay cannot stream or inject before Accept: this side
        // refuses what the relay itself should not send while the user is asked.
        let asking = self.consent_pending.load(Ordering::Acquire);
        let control = |order| drop(pipeline.control.send(order));
        match payload {
            Payload::ConsentRequest(request) => {
                self.consent_pending.store(true, Ordering::Release);
                let pending = self.consent_pending.clone();
                ask_consent(platform, request, pending, pipeline.events.clone());
            }
            Payload::StreamControl(_)
            | Payload::KeyFrameRequest(_)
            | Payload::MouseEvent(_)
            | Payload::KeyEvent(_)
                if asking => {}
            Payload::KeyFrameRequest(_) => control(Control::KeyFrame),
            Payload::FrameAck(a) => control(Control::Acked(a.sequence)),
            Payload::StreamControl(c) => {
                // Input does not say which viewer sent it, so when any viewer leaves, whatever
                // it held is let go of; the others' next key or click is unaffected (a release
                // of something no longer held is ignored).
                if c.viewers < self.viewers_seen {
                    pipeline.input.release_all();
                }
                self.viewers_seen = c.viewers;
                control(Control::Viewers {
                    count: c.viewers,
                    paced: c.paced,
                    codec_features: c.codec_features,
                });
            }
            Payload::SelectDisplay(s) => control(Control::SelectDisplay(s.display_id)),
            Payload::QualitySettings(q) => control(Control::MaxFps(q.max_fps)),
            Payload::MouseEvent(m) => {
                pipeline.input.mouse(m);
                pipeline.signal_input();
            }
            Payload::KeyEvent(k) => {
                pipeline.input.key(k);
                pipeline.signal_input();
            }
            Payload::Ping(p) => {
                let pong = proto::Pong {
                    nonce: p.nonce,
                    ..Default::default()
                };
                let _ = pipeline
                    .events
                    .try_send(proto::encode_payload(Payload::Pong(pong)));
            }
            Payload::Disconnect(d) => {
                return ControlFlow::Break(DisconnectReason::try_from(d.reason).ok())
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
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
