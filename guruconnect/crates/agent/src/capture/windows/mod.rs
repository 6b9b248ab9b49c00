//! Windows capture: DXGI Desktop Duplication per output (its own dirty and move rectangles become
//! the damage, its move rectangles also move hints for the encoder), GDI BitBlt when duplication
//! is unavailable or keeps failing (no hints: it cannot tell what changed), chosen by
//! `FallbackPolicy`. Monitors come from EnumDisplayMonitors; the pointer from `cursor.rs`.
#![allow(unsafe_code)] // Win32 and COM calls; each block states what it relies on.

mod cursor;
mod dxgi;
mod gdi;
mod monitors;

use super::fallback::{Backend, Failure, FallbackPolicy};
use super::{CaptureError, Captured, Capturer, CursorState, DisplayInfo, Spare};
use guruconnect_codec::{Frame, MoveHint, Rect};
use std::collections::HashMap;
use std::time::Instant;

pub struct WindowsCapturer {
    policy: FallbackPolicy,
    /// One duplication per display id, opened on first use.
    outputs: HashMap<String, dxgi::Duplication>,
    /// The picture duplication handed out with the last damage, and its moves, taken by
    /// `capture` or `capture_changes`.
    pending: HashMap<String, (Frame, Vec<MoveHint>)>,
    /// The last full picture per display, for key frames while nothing changes.
    last: HashMap<String, Frame>,
    /// Memory for the next copy kept in `last`.
    spare: Spare,
    cursor: cursor::CursorCache,
}

impl std::fmt::Debug for WindowsCapturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowsCapturer")
            .field("backend", &self.policy.backend())
            .finish()
    }
}

impl WindowsCapturer {
    pub fn new() -> Self {
        Self {
            policy: FallbackPolicy::default(),
            outputs: HashMap::new(),
            pending: HashMap::new(),
            last: HashMap::new(),
            spare: Spare::default(),
            cursor: cursor::CursorCache::default(),
        }
    }

    fn duplication(&mut self, display: &DisplayInfo) -> Result<&mut dxgi::Duplication, Failure> {
        if !self.outputs.contains_key(&display.id) {
            let opened = dxgi::Duplication::open(display)?;
            self.outputs.insert(display.id.clone(), opened);
        }
        self.outputs
            .get_mut(&display.id)
            .ok_or(Failure::Unavailable)
    }

    /// Duplication's damage for `display`, keeping its picture for `capture`.
    fn duplicated_damage(&mut self, display: &DisplayInfo) -> Result<Option<Vec<Rect>>, Failure> {
        let acquired = self.duplication(display)?.acquire();
        match acquired {
            Ok(Some((frame, metadata))) => {
                self.pending
                    .insert(display.id.clone(), (frame, metadata.moves));
                Ok(Some(metadata.damage))
            }
            Ok(None) => Ok(Some(Vec::new())),
            Err(failure) => {
                self.outputs.remove(&display.id);
                Err(failure)
            }
        }
    }

    /// The picture for the damage just reported, and the moves that came with it (none from
    /// GDI or a kept picture).
    fn picture(&mut self, display: &DisplayInfo) -> Result<(Frame, Vec<MoveHint>), CaptureError> {
        let (frame, moves) = match self.pending.remove(&display.id) {
            Some(pending) => pending,
            None if self.policy.backend() == Backend::Duplication => {
                match self.last.get(&display.id) {
                    Some(frame) => (self.spare.copy_of(frame), Vec::new()),
                    None => (gdi::capture(display)?, Vec::new()),
                }
            }
            None => (gdi::capture(display)?, Vec::new()),
        };
        let kept = self.spare.copy_of(&frame);
        if let Some(replaced) = self.last.insert(display.id.clone(), kept) {
            self.spare.put(replaced);
        }
        Ok((frame, moves))
    }
}

impl Default for WindowsCapturer {
    fn default() -> Self {
        Self::new()
    }
}

impl Capturer for WindowsCapturer {
    fn displays(&mut self) -> Result<Vec<DisplayInfo>, CaptureError> {
        monitors::list()
    }

    fn damage(&mut self, display: &DisplayInfo) -> Result<Option<Vec<Rect>>, CaptureError> {
        let now = Instant::now();
        if self.policy.maybe_retry_duplication(now) {
            tracing::info!("trying DXGI desktop duplication again");
        }
        if self.policy.backend() == Backend::Gdi {
            return Ok(None); // GDI cannot tell what changed: compare everything
        }
        match self.duplicated_damage(display) {
            Ok(damage) => {
                self.policy.on_success();
                Ok(damage)
            }
            Err(failure) => {
                self.policy.on_failure(failure, now);
                if self.policy.backend() == Backend::Gdi {
                    tracing::warn!(?failure, "desktop duplication unavailable; using GDI");
                }
                Ok(None)
            }
        }
    }

    fn capture(&mut self, display: &DisplayInfo) -> Result<Frame, CaptureError> {
        Ok(self.picture(display)?.0)
    }

    /// As the default, but the moves duplication reported travel with the picture.
    fn capture_changes(&mut self, display: &DisplayInfo) -> Result<Option<Captured>, CaptureError> {
        let damage = self.damage(display)?;
        if damage.as_ref().is_some_and(|d| d.is_empty()) {
            return Ok(None);
        }
        let (frame, moves) = self.picture(display)?;
        Ok(Some(Captured {
            frame,
            damage,
            moves,
        }))
    }

    fn cursor(&mut self) -> Result<Option<CursorState>, CaptureError> {
        self.cursor.cursor()
    }

    /// From the last input of this session (the agent runs in the console's session).
    fn idle_seconds(&mut self) -> Option<u32> {
        use windows::Win32::System::SystemInformation::GetTickCount;
        use windows::Win32::UI::Input::KeyboardAndMouse::{GetLastInputInfo, LASTINPUTINFO};
        let mut info = LASTINPUTINFO {
            cbSize: std::mem::size_of::<LASTINPUTINFO>() as u32,
            dwTime: 0,
        };
        // SAFETY: `info` is a valid LASTINPUTINFO with cbSize set, as the call requires;
        // GetTickCount has no preconditions.
        let (ok, now) = unsafe { (GetLastInputInfo(&mut info).as_bool(), GetTickCount()) };
        // Both are milliseconds on the same 32-bit tick counter, which wraps every 49.7 days.
        ok.then(|| now.wrapping_sub(info.dwTime) / 1000)
    }

    fn session_user(&mut self) -> String {
        crate::inventory::windows::console_user()
    }
}
