//! X11 input through the XTEST extension: absolute pointer motion on the root window, buttons
//! (4–7 are the wheel), and keys by keycode (evdev code + 8 under the evdev keymap that Xorg and
//! Xvfb use). Characters no key produces are typed through a spare keycode mapped to their
//! keysym for the moment (the mapping stays until the next character, so the client reading
//! the event still finds it, and is cleared when the injector goes away).

use super::{Button, InputError, InputInjector};
use crate::keymap::KeyCodes;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    ConnectionExt as _, Window, BUTTON_PRESS_EVENT, BUTTON_RELEASE_EVENT, KEY_PRESS_EVENT,
    KEY_RELEASE_EVENT, MOTION_NOTIFY_EVENT,
};
use x11rb::protocol::xtest::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;

/// Offset between Linux evdev codes and X11 keycodes.
const EVDEV_TO_X11: u16 = 8;

pub struct X11Injector {
    conn: RustConnection,
    root: Window,
    /// The keycode borrowed for typed characters, once one was needed.
    spare: Option<u8>,
}

impl std::fmt::Debug for X11Injector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Injector")
            .field("root", &self.root)
            .finish()
    }
}

fn failed(e: impl std::fmt::Display) -> InputError {
    InputError::Failed(e.to_string())
}

impl X11Injector {
    /// Connects to `display`, or `$DISPLAY` when `None`.
    pub fn connect(display: Option<&str>) -> Result<Self, InputError> {
        let (conn, screen) = crate::x11_connect::connect(display).map_err(InputError::Connect)?;
        if conn
            .extension_information(xtest::X11_EXTENSION_NAME)
            .map_err(failed)?
            .is_none()
        {
            return Err(InputError::Failed(
                "the X server has no XTEST extension".into(),
            ));
        }
        conn.xtest_get_version(2, 2)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        let root = conn.setup().roots[screen].root;
        Ok(Self {
            conn,
            root,
            spare: None,
        })
    }

    /// A keycode with no keysyms at all (the keymap's unused slots), highest first.
    fn find_spare(&self) -> Result<u8, InputError> {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        let per = usize::from(map.keysyms_per_keycode.max(1));
        map.keysyms
            .chunks(per)
            .enumerate()
            .rev()
            .find(|(_, syms)| syms.iter().all(|s| *s == 0))
            .map(|(i, _)| min + i as u8)
            .ok_or_else(|| InputError::Failed("no free keycode to type characters with".into()))
    }

    /// Maps `keycode` to `keysym` on both levels (so Shift changes nothing), or clears it.
    fn map_keycode(&self, keycode: u8, keysym: u32) -> Result<(), InputError> {
        self.conn
            .change_keyboard_mapping(1, keycode, 2, &[keysym, keysym])
            .map_err(failed)?;
        self.conn
            .get_input_focus()
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        Ok(())
    }

    fn fake(&self, kind: u8, detail: u8, x: i16, y: i16) -> Result<(), InputError> {
        self.conn
            .xtest_fake_input(kind, detail, x11rb::CURRENT_TIME, self.root, x, y, 0)
            .map_err(failed)?;
        // Round-trip so the event is processed before we report success (and errors surface).
        self.conn
            .get_input_focus()
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        Ok(())
    }

    fn click(&self, button: u8, times: u32) -> Result<(), InputError> {
        for _ in 0..times {
            self.fake(BUTTON_PRESS_EVENT, button, 0, 0)?;
            self.fake(BUTTON_RELEASE_EVENT, button, 0, 0)?;
        }
        Ok(())
    }
}

/// The keysym of a character: Latin-1 keysyms equal the code point; every other character is
/// the Unicode keysym range 0x0100_0000 + code point.
pub fn keysym_for(c: char) -> u32 {
    let code = u32::from(c);
    if (0x20..=0x7e).contains(&code) || (0xa0..=0xff).contains(&code) {
        code
    } else {
        0x0100_0000 | code
    }
}

impl Drop for X11Injector {
    fn drop(&mut self) {
        if let Some(keycode) = self.spare {
            let _ = self.map_keycode(keycode, 0);
        }
    }
}

impl InputInjector for X11Injector {
    fn text(&mut self, text: &str) -> Result<(), InputError> {
        let keycode = match self.spare {
            Some(k) => k,
            None => *self.spare.insert(self.find_spare()?),
        };
        for c in text.chars() {
            self.map_keycode(keycode, keysym_for(c))?;
            self.fake(KEY_PRESS_EVENT, keycode, 0, 0)?;
            self.fake(KEY_RELEASE_EVENT, keycode, 0, 0)?;
        }
        Ok(())
    }

    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InputError> {
        let narrow = |v: i32| i16::try_from(v).map_err(failed);
        self.fake(MOTION_NOTIFY_EVENT, 0, narrow(x)?, narrow(y)?)
    }

    fn button(&mut self, button: Button, down: bool) -> Result<(), InputError> {
        let detail = match button {
            Button::Left => 1,
            Button::Middle => 2,
            Button::Right => 3,
            Button::Back => 8,
            Button::Forward => 9,
        };
        let kind = if down {
            BUTTON_PRESS_EVENT
        } else {
            BUTTON_RELEASE_EVENT
        };
        self.fake(kind, detail, 0, 0)
    }

    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InputError> {
        // X11 wheels are buttons: 4 up, 5 down, 6 left, 7 right, one click per notch.
        let vertical = if dy < 0 { 4 } else { 5 };
        let horizontal = if dx < 0 { 6 } else { 7 };
        self.click(vertical, dy.unsigned_abs())?;
        self.click(horizontal, dx.unsigned_abs())
    }

    fn key(&mut self, key: KeyCodes, down: bool) -> Result<(), InputError> {
        let keycode = u8::try_from(key.evdev + EVDEV_TO_X11).map_err(failed)?;
        let kind = if down {
            KEY_PRESS_EVENT
        } else {
            KEY_RELEASE_EVENT
        };
        self.fake(kind, keycode, 0, 0)
    }
}
