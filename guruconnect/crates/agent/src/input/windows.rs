//! Windows input through SendInput: absolute pointer motion over the whole virtual desktop,
//! buttons, wheels in notches, and keys by scan code (with the E0 flag for extended keys), so
//! the remote keyboard layout applies as it would to a local keyboard; Ctrl+Alt+Del through
//! SendSAS.
#![allow(unsafe_code)] // SendInput, GetSystemMetrics, SendSAS; each call states what it relies on.

use super::{absolute_coordinate as normalise, Button, InputError, InputInjector};
use crate::keymap::KeyCodes;
use windows::Win32::Security::Authentication::Identity::SendSAS;
use windows::Win32::UI::Input::KeyboardAndMouse::{
    SendInput, INPUT, INPUT_0, INPUT_KEYBOARD, INPUT_MOUSE, KEYBDINPUT, KEYBD_EVENT_FLAGS,
    KEYEVENTF_EXTENDEDKEY, KEYEVENTF_KEYUP, KEYEVENTF_SCANCODE, KEYEVENTF_UNICODE,
    MOUSEEVENTF_ABSOLUTE, MOUSEEVENTF_HWHEEL, MOUSEEVENTF_LEFTDOWN, MOUSEEVENTF_LEFTUP,
    MOUSEEVENTF_MIDDLEDOWN, MOUSEEVENTF_MIDDLEUP, MOUSEEVENTF_MOVE, MOUSEEVENTF_RIGHTDOWN,
    MOUSEEVENTF_RIGHTUP, MOUSEEVENTF_VIRTUALDESK, MOUSEEVENTF_WHEEL, MOUSEEVENTF_XDOWN,
    MOUSEEVENTF_XUP, MOUSEINPUT, MOUSE_EVENT_FLAGS, VIRTUAL_KEY,
};
use windows::Win32::UI::WindowsAndMessaging::{
    GetSystemMetrics, SM_CXVIRTUALSCREEN, SM_CYVIRTUALSCREEN, SM_XVIRTUALSCREEN, SM_YVIRTUALSCREEN,
};

/// One wheel notch in Windows units.
const WHEEL_DELTA: i32 = 120;
const XBUTTON1: u32 = 1;
const XBUTTON2: u32 = 2;

#[derive(Debug, Default)]
pub struct WindowsInjector;

impl WindowsInjector {
    pub fn new() -> Self {
        Self
    }
}

fn send(inputs: &[INPUT]) -> Result<(), InputError> {
    // SAFETY: `inputs` is a valid slice of INPUT structures and cbSize is their size.
    let sent = unsafe { SendInput(inputs, std::mem::size_of::<INPUT>() as i32) };
    if sent as usize == inputs.len() {
        Ok(())
    } else {
        // Blocked by UIPI (a higher-integrity window has focus) or the secure desktop.
        Err(InputError::Failed(format!(
            "SendInput injected {sent} of {} events",
            inputs.len()
        )))
    }
}

fn mouse(dx: i32, dy: i32, data: u32, flags: MOUSE_EVENT_FLAGS) -> INPUT {
    INPUT {
        r#type: INPUT_MOUSE,
        Anonymous: INPUT_0 {
            mi: MOUSEINPUT {
                dx,
                dy,
                mouseData: data,
                dwFlags: flags,
                time: 0,
                dwExtraInfo: 0,
            },
        },
    }
}

impl InputInjector for WindowsInjector {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InputError> {
        // SAFETY: GetSystemMetrics has no preconditions.
        let (vx, vy, vw, vh) = unsafe {
            (
                GetSystemMetrics(SM_XVIRTUALSCREEN),
                GetSystemMetrics(SM_YVIRTUALSCREEN),
                GetSystemMetrics(SM_CXVIRTUALSCREEN),
                GetSystemMetrics(SM_CYVIRTUALSCREEN),
            )
        };
        let flags = MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE | MOUSEEVENTF_VIRTUALDESK;
        send(&[mouse(normalise(x, vx, vw), normalise(y, vy, vh), 0, flags)])
    }

    fn button(&mut self, button: Button, down: bool) -> Result<(), InputError> {
        let (flags, data) = match (button, down) {
            (Button::Left, true) => (MOUSEEVENTF_LEFTDOWN, 0),
            (Button::Left, false) => (MOUSEEVENTF_LEFTUP, 0),
            (Button::Right, true) => (MOUSEEVENTF_RIGHTDOWN, 0),
            (Button::Right, false) => (MOUSEEVENTF_RIGHTUP, 0),
            (Button::Middle, true) => (MOUSEEVENTF_MIDDLEDOWN, 0),
            (Button::Middle, false) => (MOUSEEVENTF_MIDDLEUP, 0),
            (Button::Back, true) => (MOUSEEVENTF_XDOWN, XBUTTON1),
            (Button::Back, false) => (MOUSEEVENTF_XUP, XBUTTON1),
            (Button::Forward, true) => (MOUSEEVENTF_XDOWN, XBUTTON2),
            (Button::Forward, false) => (MOUSEEVENTF_XUP, XBUTTON2),
        };
        send(&[mouse(0, 0, data, flags)])
    }

    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InputError> {
        let mut inputs = Vec::new();
        if dy != 0 {
            // Windows: positive rotates the wheel forward (content scrolls up).
            inputs.push(mouse(0, 0, (-dy * WHEEL_DELTA) as u32, MOUSEEVENTF_WHEEL));
        }
        if dx != 0 {
            inputs.push(mouse(0, 0, (dx * WHEEL_DELTA) as u32, MOUSEEVENTF_HWHEEL));
        }
        if inputs.is_empty() {
            return Ok(());
        }
        send(&inputs)
    }

    fn key(&mut self, key: KeyCodes, down: bool) -> Result<(), InputError> {
        let mut flags: KEYBD_EVENT_FLAGS = KEYEVENTF_SCANCODE;
        if key.win_extended {
            flags |= KEYEVENTF_EXTENDEDKEY;
        }
        if !down {
            flags |= KEYEVENTF_KEYUP;
        }
        send(&[INPUT {
            r#type: INPUT_KEYBOARD,
            Anonymous: INPUT_0 {
                ki: KEYBDINPUT {
                    wVk: VIRTUAL_KEY(0),
                    wScan: key.win_scan,
                    dwFlags: flags,
                    time: 0,
                    dwExtraInfo: 0,
                },
            },
        }])
    }

    /// Characters as UTF-16 units with KEYEVENTF_UNICODE: Windows delivers them as typed text
    /// whatever the keyboard layout.
    fn text(&mut self, text: &str) -> Result<(), InputError> {
        let unit = |code: u16, up: bool| INPUT {
            r#type: INPUT_KEYBOARD,
            Anonymous: INPUT_0 {
                ki: KEYBDINPUT {
                    wVk: VIRTUAL_KEY(0),
                    wScan: code,
                    dwFlags: if up {
                        KEYEVENTF_UNICODE | KEYEVENTF_KEYUP
                    } else {
                        KEYEVENTF_UNICODE
                    },
                    time: 0,
                    dwExtraInfo: 0,
                },
            },
        };
        let inputs: Vec<INPUT> = text
            .encode_utf16()
            .flat_map(|code| [unit(code, false), unit(code, true)])
            .collect();
        if inputs.is_empty() {
            return Ok(());
        }
        send(&inputs)
    }

    /// Winlogon ignores an injected Ctrl+Alt+Del; SendSAS asks it for the secure attention
    /// sequence. It works from a LocalSystem service (ours) when the SoftwareSASGeneration
    /// policy allows services to generate it; otherwise Windows ignores the call.
    fn secure_attention(&mut self) -> Result<(), InputError> {
        // SAFETY: SendSAS takes a BOOL by value and has no other preconditions; FALSE means
        // "as a service", which is how the agent runs.
        unsafe { SendSAS(false) };
        Ok(())
    }
}
