//! Screen capture behind one trait, one implementation per platform.

use guruconnect_codec::{Frame, MoveHint, Rect};

pub mod dxgi_metadata;
pub mod fallback;
#[cfg(windows)]
pub mod windows;
#[cfg(target_os = "linux")]
pub mod x11;
#[cfg(target_os = "linux")]
mod x11_shm;
#[cfg(target_os = "linux")]
mod x11_windows;

/// One monitor, in virtual-desktop coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayInfo {
    /// Stable within a session: the viewer selects displays by it.
    pub id: String,
    pub name: String,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub primary: bool,
}

impl DisplayInfo {
    /// The display's area in virtual-desktop coordinates, as a codec rectangle (negative origins
    /// clamp to 0, which X11 never produces for the root window).
    pub fn bounds(&self) -> Rect {
        Rect::new(
            self.x.max(0) as u32,
            self.y.max(0) as u32,
            self.width,
            self.height,
        )
    }
}

/// A captured picture of one display and what the platform says changed since the last capture
/// of it (relative to the display). `damage: None` means "unknown, compare everything".
#[derive(Debug)]
pub struct Captured {
    pub frame: Frame,
    pub damage: Option<Vec<Rect>>,
    /// What the platform says moved (DXGI move rectangles), for the encoder to check and send as
    /// copies; empty where the platform does not tell (X11, GDI).
    pub moves: Vec<MoveHint>,
}

/// A spent picture for a capturer that keeps its own and hands out copies: copying into memory
/// already in use costs a tenth of allocating and faulting in a fresh 8 MB at 1080p, and that
/// cost was most of what a typed character's echo spent in the agent.
#[derive(Debug, Default)]
pub struct Spare(Option<Frame>);

impl Spare {
    pub fn put(&mut self, frame: Frame) {
        self.0 = Some(frame);
    }

    /// A copy of `picture`, in the spare's memory when there is one.
    pub fn copy_of(&mut self, picture: &Frame) -> Frame {
        match self.0.take() {
            Some(mut copy) => {
                copy.clone_from(picture);
                copy
            }
            None => picture.clone(),
        }
    }
}

/// The mouse pointer: where it is and, when it changed, what it looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorState {
    /// Position in virtual-desktop coordinates.
    pub x: i32,
    pub y: i32,
    /// Changes whenever the shape does.
    pub serial: u64,
    pub width: u32,
    pub height: u32,
    pub hotspot_x: u32,
    pub hotspot_y: u32,
    /// BGRA, `width * height * 4` bytes.
    pub bgra: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot reach the display server: {0}")]
    Connect(String),
    #[error("the display server does not offer {0}")]
    Unsupported(String),
    #[error("capture failed: {0}")]
    Failed(String),
    #[error("no display with id {0}")]
    NoSuchDisplay(String),
}

pub trait Capturer {
    /// The monitors, primary first.
    fn displays(&mut self) -> Result<Vec<DisplayInfo>, CaptureError>;

    /// The regions of `display` that changed since the last call (display-relative), or `None`
    /// when the platform cannot tell. An empty list means nothing changed: no capture needed.
    fn damage(&mut self, display: &DisplayInfo) -> Result<Option<Vec<Rect>>, CaptureError>;

    /// A full picture of `display`.
    fn capture(&mut self, display: &DisplayInfo) -> Result<Frame, CaptureError>;

    /// The pointer's position and shape.
    fn cursor(&mut self) -> Result<Option<CursorState>, CaptureError>;

    /// Seconds since the user last touched keyboard or mouse, when the platform tells.
    fn idle_seconds(&mut self) -> Option<u32> {
        None
    }

    /// Who is signed in at the desktop this capturer shows (empty when nobody or unknown).
    fn session_user(&mut self) -> String {
        String::new()
    }

    /// Gives back a picture the encoder is done with, so the next one handed out can be copied
    /// into its memory (see `Spare`).
    fn recycle(&mut self, _spent: Frame) {}

    /// Damage, then a picture when something changed (`None` when nothing did).
    fn capture_changes(&mut self, display: &DisplayInfo) -> Result<Option<Captured>, CaptureError> {
        let damage = self.damage(display)?;
        if damage.as_ref().is_some_and(|d| d.is_empty()) {
            return Ok(None);
        }
        let frame = self.capture(display)?;
        Ok(Some(Captured {
            frame,
            damage,
            moves: Vec::new(),
        }))
    }
}
