//! One live session in memory: its agent link, its viewers with their bounded queues, and the
//! fan-out of agent messages. The stream is paced by the viewers' acknowledgements: the agent
//! hears how far the fastest live viewer has got (`FrameAck`), a viewer that falls behind is sent
//! nothing until it has consumed what it holds and then gets a fresh key frame, and requests for
//! that key frame are repeated until it comes, so no viewer can be left frozen. A slow viewer
//! never slows the agent or the other viewers, and its memory stays bounded.

use super::closer::Closer;
use super::pacing::{Admit, ViewerPace};
use crate::model::{AgentId, KeyId, Mode, SessionId};
use bytes::Bytes;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The agent side of a session.
#[derive(Debug)]
pub struct AgentLink {
    pub conn_id: u64,
    pub key_id: Option<KeyId>,
    pub tx: mpsc::Sender<Bytes>,
    pub closer: Closer,
}

/// One viewer's outbound queue: bounded by message count (the channel) and by bytes.
#[derive(Debug)]
pub struct ViewerLink {
    pub user_id: String,
    pub tx: mpsc::Sender<Bytes>,
    pub queued_bytes: Arc<AtomicUsize>,
    pub closer: Closer,
    /// Which frames it is sent and which it has consumed.
    pace: ViewerPace,
    pub dropped_frames: u64,
}

impl ViewerLink {
    /// Queues one message if the channel has room, keeping the byte count exact. The count is
    /// raised before sending so the writer's decrement can never run ahead of it.
    fn offer(&self, body: &Bytes) -> bool {
        self.queued_bytes.fetch_add(body.len(), Ordering::Relaxed);
        if self.tx.try_send(body.clone()).is_ok() {
            true
        } else {
            self.queued_bytes.fetch_sub(body.len(), Ordering::Relaxed);
            false
        }
    }

    /// Whether `body` fits the byte budget. An empty queue always takes one message, however
    /// large, so a big key frame still flows.
    fn fits(&self, body: &Bytes, max_bytes: usize) -> bool {
        let queued = self.queued_bytes.load(Ordering::Relaxed);
        queued == 0 || queued.saturating_add(body.len()) <= max_bytes
    }
}

/// How an agent message is treated by the fan-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Frame {
        key: bool,
        sequence: u64,
    },
    /// State a newcomer needs: cached and replayed to each new viewer.
    DisplayList,
    CursorShape,
    /// Transient (cursor position, stats): dropped freely under pressure.
    Transient,
}

/// Whether the end user has let this session stream (attended consent, NRC-5).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Unattended, or consent is off: the agent streams when watched.
    #[default]
    NotRequired,
    /// Asked, not yet answered: nothing streams, no input passes.
    Pending,
    Accepted,
    /// The user said no (or did not answer): nothing ever streams; the session is ending.
    Refused,
}

impl Consent {
    /// Whether frames and input may flow.
    fn lets_stream(self) -> bool {
        matches!(self, Consent::NotRequired | Consent::Accepted)
    }
}

#[derive(Debug, Default)]
struct State {
    agent: Option<AgentLink>,
    consent: Consent,
    viewers: HashMap<u64, ViewerLink>,
    display_list: Option<Bytes>,
    cursor_shape: Option<Bytes>,
    last_key_request: Option<Instant>,
    /// The newest sequence the agent has been told is consumed.
    released: u64,
    hostname: String,
}

/// A session the relay holds in memory.
#[derive(Debug)]
pub struct LiveSession {
    pub id: SessionId,
    pub agent_id: AgentId,
    pub mode: Mode,
    pub created_by: Option<String>,
    state: Mutex<State>,
    max_viewer_bytes: usize,
    pub bytes_from_agent: AtomicU64,
    pub bytes_to_agent: AtomicU64,
}

/// Minimum spacing of key-frame requests for a viewer that just became ready.
const KEY_REQUEST_SPACING: Duration = Duration::from_millis(250);
/// When a ready viewer still has no key frame this long after the last request, the request is
/// taken as lost and made again. Longer than the agent takes to encode a key frame, so a slow
/// encoder is not asked twice.
const KEY_REQUEST_RETRY: Duration = Duration::from_secs(1);

impl LiveSession {
    pub fn new(
        id: SessionId,
        agent_id: AgentId,
        mode: Mode,
        created_by: Option<String>,
        max_viewer_bytes: usize,
    ) -> Self {
        Self {
            id,
            agent_id,
            mode,
            created_by,
            state: Mutex::new(State::default()),
            max_viewer_bytes,
            bytes_from_agent: AtomicU64::new(0),
            bytes_to_agent: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn hostname(&self) -> String {
        self.lock().hostname.clone()
    }

    pub fn agent_online(&self) -> bool {
        self.lock().agent.is_some()
    }

    pub fn viewer_count(&self) -> usize {
        self.lock().viewers.len()
    }

    /// Binds an agent connection; returns the link it replaces, which the caller closes. With
    /// `consent` pending the agent is not told to stream until [`Self::consent_answered`].
    pub fn attach_agent(
        &self,
        link: AgentLink,
        hostname: &str,
        consent: Consent,
    ) -> Option<AgentLink> {
        let mut state = self.lock();
        state.hostname = hostname.to_owned();
        state.display_list = None;
        state.cursor_shape = None;
        state.consent = consent;
        // A new agent connection numbers its frames afresh: everything starts from a key frame.
        state.released = 0;
        let now = Instant::now();
        for v in state.viewers.values_mut() {
            v.pace = ViewerPace::new(now);
        }
        let old = state.agent.replace(link);
        order_stream(&mut state);
        broadcast_presence(&mut state);
        old
    }

    /// Records the end user's answer; on accept the agent is told to stream. False when no
    /// answer was awaited (a repeated or unsolicited response changes nothing).
    pub fn consent_answered(&self, accepted: bool) -> bool {
        let mut state = self.lock();
        if state.consent != Consent::Pending {
            return false;
        }
        if accepted {
            state.consent = Consent::Accepted;
            replay_cached(&state);
            order_stream(&mut state);
            broadcast_presence(&mut state);
        } else {
            // Settled: a later answer or the relay's own deadline finds nothing to decide.
            state.consent = Consent::Refused;
        }
        true
    }

    pub fn consent(&self) -> Consent {
        self.lock().consent
    }

    /// Unbinds the agent if `conn_id` is still the bound one (a superseded connection must not
    /// unbind its successor). True when it was.
    pub fn detach_agent(&self, conn_id: u64) -> bool {
        let mut state = self.lock();
        if state.agent.as_ref().map(|a| a.conn_id) != Some(conn_id) {
            return false;
        }
        state.agent = None;
        broadcast_presence(&mut state);
        true
    }

    /// Adds a viewer whose writer decrements `queued_bytes` as it sends.
    pub fn add_viewer(
        &self,
        conn_id: u64,
        user_id: &str,
        tx: mpsc::Sender<Bytes>,
        queued_bytes: Arc<AtomicUsize>,
        closer: Closer,
    ) {
        let link = ViewerLink {
            user_id: user_id.to_owned(),
            tx,
            queued_bytes,
            closer,
            pace: ViewerPace::new(Instant::now()),
            dropped_frames: 0,
        };
        let mut state = self.lock();
        // A newcomer gets the cached state first, then frames from the next key frame on.
        if state.consent.lets_stream() {
            for cached in cached_state(&state) {
                link.offer(cached);
            }
        }
        state.viewers.insert(conn_id, link);
        order_stream(&mut state);
        broadcast_presence(&mut state);
    }

    pub fn remove_viewer(&self, conn_id: u64) {
        let mut state = self.lock();
        if state.viewers.remove(&conn_id).is_none() {
            return;
        }
        let viewers = state.viewers.len();
        if let Some(agent) = state.agent.as_ref().filter(|_| state.consent.lets_stream()) {
            let _ = agent.tx.try_send(stream_control(viewers));
            if viewers == 0 {
                // Nobody watches: the agent releases anything a viewer left held.
                let _ = agent.tx.try_send(release_all());
            }
        }
        // It may have been the one pacing the agent.
        release_to_agent(&mut state);
        broadcast_presence(&mut state);
    }

    /// Fans one agent message out to every viewer. Never blocks.
    pub fn fan_out(&self, body: &Bytes, kind: Kind) {
        let mut state = self.lock();
        // The agent describes its monitors and pointer once, as it connects: kept even while
        // the user is asked, so viewers get them on Accept (not before).
        match kind {
            Kind::DisplayList => state.display_list = Some(body.clone()),
            Kind::CursorShape => state.cursor_shape = Some(body.clone()),
            Kind::Frame { .. } | Kind::Transient => {}
        }
        if !state.consent.lets_stream() {
            return; // nothing of the screen leaves before the user accepts
        }
        let max_bytes = self.max_viewer_bytes;
        let now = Instant::now();
        let State {
            viewers,
            display_list,
            cursor_shape,
            ..
        } = &mut *state;
        let replay: Vec<&Bytes> = [display_list.as_ref(), cursor_shape.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        for viewer in viewers.values_mut() {
            push(viewer, body, kind, max_bytes, &replay, now);
        }
        if let Kind::Frame { .. } = kind {
            keep_pace(&mut state);
        }
    }

    /// A viewer's `FrameAck`: it consumed every frame up to `sequence`.
    pub fn frame_consumed(&self, conn_id: u64, sequence: u64) {
        let mut state = self.lock();
        let Some(viewer) = state.viewers.get_mut(&conn_id) else {
            return;
        };
        viewer.pace.consumed(sequence, Instant::now());
        keep_pace(&mut state);
    }

    /// A viewer's `KeyFrameRequest`: it stops getting deltas it cannot use, and gets a key frame
    /// once it has consumed what it holds.
    pub fn viewer_wants_key(&self, conn_id: u64) {
        let mut state = self.lock();
        let Some(viewer) = state.viewers.get_mut(&conn_id) else {
            return;
        };
        viewer.pace.wants_key();
        keep_pace(&mut state);
    }

    /// Runs every few hundred milliseconds while the agent is connected: sets aside a viewer
    /// stalled while another keeps up, repeats a key-frame request nobody has answered yet, and
    /// repeats an acknowledgement the agent's full queue refused.
    pub fn pace_tick(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        let someone_keeps_up = state
            .viewers
            .values()
            .any(|v| v.pace.keeping_up(now) && !v.pace.stalled(now));
        if someone_keeps_up {
            for viewer in state.viewers.values_mut() {
                if viewer.pace.stalled(now) {
                    viewer.pace.set_aside();
                }
            }
        }
        keep_pace(&mut state);
    }

    /// Forwards viewer input or control to the agent; false when there is no agent or its
    /// queue is full (the input is dropped rather than queued without bound).
    pub fn to_agent(&self, body: Bytes) -> bool {
        let state = self.lock();
        match state.agent.as_ref().filter(|_| state.consent.lets_stream()) {
            Some(agent) => {
                let len = body.len() as u64;
                let sent = agent.tx.try_send(body).is_ok();
                if sent {
                    self.bytes_to_agent.fetch_add(len, Ordering::Relaxed);
                }
                sent
            }
            None => false,
        }
    }

    /// Key id of the bound agent connection.
    pub fn agent_key_id(&self) -> Option<KeyId> {
        self.lock().agent.as_ref().and_then(|a| a.key_id.clone())
    }

    /// Closes the agent connection, if any, with `reason`.
    pub fn close_agent(&self, reason: DisconnectReason, detail: &str) {
        if let Some(agent) = &self.lock().agent {
            agent.closer.close(reason, detail);
        }
    }

    /// Closes every connection of the session.
    pub fn close_all(&self, reason: DisconnectReason, detail: &str) {
        let state = self.lock();
        if let Some(agent) = &state.agent {
            agent.closer.close(reason, detail);
        }
        for v in state.viewers.values() {
            v.closer.close(reason, detail);
        }
    }

    /// Frames dropped for lagging viewers so far (stats and tests).
    pub fn total_dropped_frames(&self) -> u64 {
        self.lock().viewers.values().map(|v| v.dropped_frames).sum()
    }

    /// The largest number of bytes queued for any one viewer right now.
    pub fn max_queued_bytes(&self) -> usize {
        self.lock()
            .viewers
            .values()
            .map(|v| v.queued_bytes.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0)
    }
}

/// Queues `body` for one viewer, as far as its pace and its queue allow. A viewer recovering from
/// a gap gets `replay` (the cached display state) before its key frame.
fn push(
    viewer: &mut ViewerLink,
    body: &Bytes,
    kind: Kind,
    max_bytes: usize,
    replay: &[&Bytes],
    now: Instant,
) {
    if let Kind::Frame { key, sequence } = kind {
        match viewer.pace.admit(key) {
            Admit::Drop => viewer.dropped_frames += 1,
            Admit::Queue { recovering } => {
                if recovering {
                    for cached in replay {
                        viewer.offer(cached);
                    }
                }
                if viewer.fits(body, max_bytes) && viewer.offer(body) {
                    viewer.pace.queued(sequence, now);
                } else {
                    viewer.dropped_frames += 1;
                    viewer.pace.missed();
                }
            }
        }
        return;
    }
    if viewer.fits(body, max_bytes) && viewer.offer(body) {
        return;
    }
    if kind != Kind::Transient {
        // The viewer's picture is now incomplete: it needs a key frame.
        viewer.pace.missed();
    }
}

/// After anything that moves a viewer's pace: asks for the key frame a ready viewer waits for,
/// and tells the agent how far the fastest live viewer has got. Nothing while the user has not
/// let the session stream.
fn keep_pace(state: &mut State) {
    if !state.consent.lets_stream() {
        return;
    }
    let newest_ready = state
        .viewers
        .values()
        .filter_map(|v| v.pace.ready_since())
        .max();
    if let Some(ready_since) = newest_ready {
        request_key_frame(state, ready_since);
    }
    release_to_agent(state);
}

/// Sends the agent a `FrameAck` when the fastest live viewer got further. With no live viewer
/// nothing is released: the agent still sends the key frame a ready viewer asks for.
fn release_to_agent(state: &mut State) {
    let Some(newest) = state
        .viewers
        .values()
        .filter_map(|v| v.pace.live_ack())
        .max()
    else {
        return;
    };
    if newest <= state.released {
        return;
    }
    if let Some(agent) = &state.agent {
        // A full agent queue keeps `released` behind, so the next tick tries again.
        if agent.tx.try_send(frame_ack(newest)).is_ok() {
            state.released = newest;
        }
    }
}

/// Asks the agent for a key frame for a viewer ready since `ready_since`: soon when it became
/// ready after the last request, again only when that request looks lost.
fn request_key_frame(state: &mut State, ready_since: Instant) {
    let now = Instant::now();
    let due = match state.last_key_request {
        None => true,
        Some(asked) if asked < ready_since => now.duration_since(asked) >= KEY_REQUEST_SPACING,
        Some(asked) => now.duration_since(asked) >= KEY_REQUEST_RETRY,
    };
    if !due {
        return;
    }
    if let Some(agent) = &state.agent {
        if agent.tx.try_send(key_frame_request()).is_ok() {
            state.last_key_request = Some(now);
        }
    }
}

/// What a viewer needs before frames make sense: the monitor list and the pointer's shape.
fn cached_state(state: &State) -> impl Iterator<Item = &Bytes> {
    [&state.display_list, &state.cursor_shape]
        .into_iter()
        .flatten()
}

/// Gives every viewer the cached state (the user just accepted: what was held back).
fn replay_cached(state: &State) {
    for viewer in state.viewers.values() {
        for cached in cached_state(state) {
            viewer.offer(cached);
        }
    }
}

/// Tells the agent how many watch (and asks for a key frame when someone does), unless the
/// user's consent is still pending.
fn order_stream(state: &mut State) {
    let Some(agent) = state.agent.as_ref() else {
        return;
    };
    if !state.consent.lets_stream() {
        return;
    }
    let viewers = state.viewers.len();
    let _ = agent.tx.try_send(stream_control(viewers));
    if viewers > 0 && agent.tx.try_send(key_frame_request()).is_ok() {
        state.last_key_request = Some(Instant::now());
    }
}

fn broadcast_presence(state: &mut State) {
    let body = proto::encode_payload(Payload::ViewerPresence(proto::ViewerPresence {
        viewers: u32::try_from(state.viewers.len()).unwrap_or(u32::MAX),
        agent_online: state.agent.is_some(),
        awaiting_consent: state.consent == Consent::Pending,
    }));
    for v in state.viewers.values() {
        v.offer(&body);
    }
}

fn stream_control(viewers: usize) -> Bytes {
    proto::encode_payload(Payload::StreamControl(proto::StreamControl {
        viewers: u32::try_from(viewers).unwrap_or(u32::MAX),
        paced: true,
        // The web viewer this server serves decodes both (src/codec/decoder.ts).
        codec_features: proto::CodecFeature::Fill as u32 | proto::CodecFeature::Stream as u32,
    }))
}

fn frame_ack(sequence: u64) -> Bytes {
    proto::encode_payload(Payload::FrameAck(proto::FrameAck { sequence }))
}

fn key_frame_request() -> Bytes {
    proto::encode_payload(Payload::KeyFrameRequest(proto::KeyFrameRequest::default()))
}

fn release_all() -> Bytes {
    proto::encode_payload(Payload::KeyEvent(proto::KeyEvent {
        release_all: true,
        ..Default::default()
    }))
}
