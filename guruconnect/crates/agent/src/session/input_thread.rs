//! The input thread: owns the platform injector (blocking calls into the display server) and
//! applies the viewer's events in order.

use super::streamer::Shared;
use crate::input::{InputController, InputInjector};
use guruconnect_proto as proto;
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

enum Event {
    Mouse(proto::MouseEvent),
    Key(proto::KeyEvent),
    ReleaseAll,
    Stop,
}

/// Handle to the input thread; events are applied in the order sent.
pub struct InputThread {
    tx: Sender<Event>,
}

pub fn spawn(
    injector: Box<dyn InputInjector + Send>,
    shared: Arc<Shared>,
) -> std::io::Result<InputThread> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            let mut controller = InputController::new(injector, Vec::new());
            while let Ok(event) = rx.recv() {
                if let Ok(displays) = shared.displays.lock() {
                    controller.set_displays(displays.clone());
                }
                let result = match event {
                    Event::Mouse(m) => controller.mouse(&m),
                    Event::Key(k) => controller.key(&k),
                    Event::ReleaseAll => controller.release_all(),
                    Event::Stop => {
                        let _ = controller.release_all();
                        return;
                    }
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "input injection failed");
                }
            }
            let _ = controller.release_all();
        })?;
    Ok(InputThread { tx })
}

impl InputThread {
    pub fn mouse(&self, event: proto::MouseEvent) {
        let _ = self.tx.send(Event::Mouse(event));
    }
    pub fn key(&self, event: proto::KeyEvent) {
        let _ = self.tx.send(Event::Key(event));
    }
    pub fn release_all(&self) {
        let _ = self.tx.send(Event::ReleaseAll);
    }
    /// Releases everything held and ends the thread.
    pub fn stop(&self) {
        let _ = self.tx.send(Event::Stop);
    }
}
