//! Input injection: platform injectors behind `InputInjector`, and the `InputController` that
//! turns the viewer's protocol events into injector calls — mapping display-relative positions
//! to the desktop, clamping them to the display, and remembering every held key and button so
//! all of them are released when the viewer leaves.

use crate::capture::DisplayInfo;
use crate::keymap::{self, KeyCodes};
use guruconnect_proto as proto;
use std::collections::BTreeSet;

#[cfg(windows)]
pub mod windows;
#[cfg(target_os = "linux")]
pub mod x11;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Button {
    Left,
    Middle,
    Right,
    Back,
    Forward,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot reach the display server: {0}")]
    Connect(String),
    #[error("input injection failed: {0}")]
    Failed(String),
}

/// What a platform must do; positions are virtual-desktop pixels.
pub trait InputInjector {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InputError>;
    fn button(&mut self, button: Button, down: bool) -> Result<(), InputError>;
    /// Wheel notches: positive `dy` scrolls down, positive `dx` right.
    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InputError>;
    fn key(&mut self, key: KeyCodes, down: bool) -> Result<(), InputError>;
    /// Types characters the physical keys cannot produce here (another layout's letters, an
    /// emoji). Platforms with no such path say so.
    fn text(&mut self, text: &str) -> Result<(), InputError> {
        let _ = text;
        Err(InputError::Failed(
            "typing characters directly is not supported on this platform".into(),
        ))
    }
    /// Ctrl+Alt+Del: by default the three keys pressed in order and released in reverse (what
    /// X11 desktops see). Windows overrides it, since Winlogon ignores injected keys.
    fn secure_attention(&mut self) -> Result<(), InputError> {
        let chord: Vec<KeyCodes> = ["ControlLeft", "AltLeft", "Delete"]
            .iter()
            .filter_map(|name| keymap::lookup_static(name).map(|(_, codes)| codes))
            .collect();
        for key in &chord {
            self.key(*key, true)?;
        }
        for key in chord.iter().rev() {
            self.key(*key, false)?;
        }
        Ok(())
    }
}

impl<T: InputInjector + ?Sized> InputInjector for Box<T> {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InputError> {
        (**self).move_to(x, y)
    }
    fn button(&mut self, button: Button, down: bool) -> Result<(), InputError> {
        (**self).button(button, down)
    }
    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InputError> {
        (**self).wheel(dx, dy)
    }
    fn key(&mut self, key: KeyCodes, down: bool) -> Result<(), InputError> {
        (**self).key(key, down)
    }
    fn secure_attention(&mut self) -> Result<(), InputError> {
        (**self).secure_attention()
    }
    fn text(&mut self, text: &str) -> Result<(), InputError> {
        (**self).text(text)
    }
}

/// Applies viewer input to an injector, tracking what is held.
#[derive(Debug)]
pub struct InputController<I> {
    injector: I,
    displays: Vec<DisplayInfo>,
    held_keys: BTreeSet<&'static str>,
    held_buttons: BTreeSet<Button>,
}

impl<I: InputInjector> InputController<I> {
    pub fn new(injector: I, displays: Vec<DisplayInfo>) -> Self {
        Self {
            injector,
            displays,
            held_keys: BTreeSet::new(),
            held_buttons: BTreeSet::new(),
        }
    }

    pub fn set_displays(&mut self, displays: Vec<DisplayInfo>) {
        self.displays = displays;
    }

    pub fn injector(&self) -> &I {
        &self.injector
    }

    /// Keys and buttons currently held down on the viewer's behalf.
    pub fn held(&self) -> (usize, usize) {
        (self.held_keys.len(), self.held_buttons.len())
    }

    pub fn mouse(&mut self, event: &proto::MouseEvent) -> Result<(), InputError> {
        let Some(display) = self.displays.iter().find(|d| d.id == event.display_id) else {
            return Ok(()); // a display that went away: nothing sensible to do
        };
        // Clamp into the display so a stale or hostile position cannot reach another monitor.
        let x = display.x + event.x.clamp(0, display.width.saturating_sub(1) as i32);
        let y = display.y + event.y.clamp(0, display.height.saturating_sub(1) as i32);
        use proto::MouseAction as A;
        match A::try_from(event.action).unwrap_or(A::Unspecified) {
            A::Move => self.injector.move_to(x, y),
            A::Down | A::Up => {
                let down = event.action == A::Down as i32;
                self.injector.move_to(x, y)?;
                let Some(button) = button(event.button) else {
                    return Ok(());
                };
                self.press_button(button, down)
            }
            A::Wheel => {
                self.injector.move_to(x, y)?;
                self.injector
                    .wheel(event.wheel_dx.clamp(-20, 20), event.wheel_dy.clamp(-20, 20))
            }
            A::Unspecified => Ok(()),
        }
    }

    pub fn key(&mut self, event: &proto::KeyEvent) -> Result<(), InputError> {
        if event.release_all {
            return self.release_all();
        }
        if event.secure_attention {
            return self.injector.secure_attention();
        }
        let Some((name, codes)) = keymap::lookup_static(&event.code) else {
            // No physical key we know: type the character it produced, once, on the press.
            return match typeable(event) {
                Some(text) => self.injector.text(text),
                None => Ok(()), // nothing to type: ignored rather than guessed
            };
        };
        if event.down {
            self.held_keys.insert(name);
        } else if !self.held_keys.remove(name) {
            return Ok(()); // a release for a key we never pressed
        }
        self.injector.key(codes, event.down)
    }

    fn press_button(&mut self, button: Button, down: bool) -> Result<(), InputError> {
        if down {
            self.held_buttons.insert(button);
        } else if !self.held_buttons.remove(&button) {
            return Ok(());
        }
        self.injector.button(button, down)
    }

    /// Releases every key and button held for the viewer (it left, blurred or asked).
    pub fn release_all(&mut self) -> Result<(), InputError> {
        let mut first_error = None;
        for name in std::mem::take(&mut self.held_keys) {
            if let Some((_, codes)) = keymap::lookup_static(name) {
                if let Err(e) = self.injector.key(codes, false) {
                    first_error.get_or_insert(e);
                }
            }
        }
        for button in std::mem::take(&mut self.held_buttons) {
            if let Err(e) = self.injector.button(button, false) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Characters one key press may type: a handful, none of them control characters (which a
/// viewer must send as keys, so held-key bookkeeping sees them).
const MAX_TEXT_CHARS: usize = 8;

fn typeable(event: &proto::KeyEvent) -> Option<&str> {
    let text = event.text.as_str();
    let ok = event.down
        && !text.is_empty()
        && text.chars().count() <= MAX_TEXT_CHARS
        && !text.chars().any(char::is_control);
    ok.then_some(text)
}

/// Maps a virtual-desktop pixel to the 0..=65535 range of absolute pointer APIs (Windows
/// SendInput), clamping to the desktop: `origin` and `extent` are the desktop's on that axis.
pub fn absolute_coordinate(value: i32, origin: i32, extent: i32) -> i32 {
    let span = i64::from((extent - 1).max(1));
    let offset = i64::from((value - origin).clamp(0, extent.max(1) - 1));
    ((offset * 65535 + span / 2) / span) as i32
}

fn button(value: i32) -> Option<Button> {
    use proto::MouseButton as B;
    match B::try_from(value).ok()? {
        B::Left => Some(Button::Left),
        B::Right => Some(Button::Right),
        B::Middle => Some(Button::Middle),
        B::Back => Some(Button::Back),
        B::Forward => Some(Button::Forward),
        B::None => None,
    }
}

#[cfg(test)]
mod tests;
