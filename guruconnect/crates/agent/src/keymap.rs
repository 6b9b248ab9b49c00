//! Physical keys: the viewer sends DOM `KeyboardEvent.code` names; each platform injects its own
//! code for the same physical key. Linux evdev codes (X11 keycode = evdev + 8) and Windows set-1
//! scan codes coincide for the main block; extended keys carry the E0 flag on Windows.

/// One physical key's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCodes {
    pub evdev: u16,
    pub win_scan: u16,
    pub win_extended: bool,
}

/// (DOM code, evdev, Windows scan code, E0-extended)
const KEYS: &[(&str, u16, u16, bool)] = &[
    ("Escape", 1, 0x01, false),
    ("Digit1", 2, 0x02, false),
    ("Digit2", 3, 0x03, false),
    ("Digit3", 4, 0x04, false),
    ("Digit4", 5, 0x05, false),
    ("Digit5", 6, 0x06, false),
    ("Digit6", 7, 0x07, false),
    ("Digit7", 8, 0x08, false),
    ("Digit8", 9, 0x09, false),
    ("Digit9", 10, 0x0a, false),
    ("Digit0", 11, 0x0b, false),
    ("Minus", 12, 0x0c, false),
    ("Equal", 13, 0x0d, false),
    ("Backspace", 14, 0x0e, false),
    ("Tab", 15, 0x0f, false),
    ("KeyQ", 16, 0x10, false),
    ("KeyW", 17, 0x11, false),
    ("KeyE", 18, 0x12, false),
    ("KeyR", 19, 0x13, false),
    ("KeyT", 20, 0x14, false),
    ("KeyY", 21, 0x15, false),
    ("KeyU", 22, 0x16, false),
    ("KeyI", 23, 0x17, false),
    ("KeyO", 24, 0x18, false),
    ("KeyP", 25, 0x19, false),
    ("BracketLeft", 26, 0x1a, false),
    ("BracketRight", 27, 0x1b, false),
    ("Enter", 28, 0x1c, false),
    ("ControlLeft", 29, 0x1d, false),
    ("KeyA", 30, 0x1e, false),
    ("KeyS", 31, 0x1f, false),
    ("KeyD", 32, 0x20, false),
    ("KeyF", 33, 0x21, false),
    ("KeyG", 34, 0x22, false),
    ("KeyH", 35, 0x23, false),
    ("KeyJ", 36, 0x24, false),
    ("KeyK", 37, 0x25, false),
    ("KeyL", 38, 0x26, false),
    ("Semicolon", 39, 0x27, false),
    ("Quote", 40, 0x28, false),
    ("Backquote", 41, 0x29, false),
    ("ShiftLeft", 42, 0x2a, false),
    ("Backslash", 43, 0x2b, false),
    ("KeyZ", 44, 0x2c, false),
    ("KeyX", 45, 0x2d, false),
    ("KeyC", 46, 0x2e, false),
    ("KeyV", 47, 0x2f, false),
    ("KeyB", 48, 0x30, false),
    ("KeyN", 49, 0x31, false),
    ("KeyM", 50, 0x32, false),
    ("Comma", 51, 0x33, false),
    ("Period", 52, 0x34, false),
    ("Slash", 53, 0x35, false),
    ("ShiftRight", 54, 0x36, false),
    ("NumpadMultiply", 55, 0x37, false),
    ("AltLeft", 56, 0x38, false),
    ("Space", 57, 0x39, false),
    ("CapsLock", 58, 0x3a, false),
    ("F1", 59, 0x3b, false),
    ("F2", 60, 0x3c, false),
    ("F3", 61, 0x3d, false),
    ("F4", 62, 0x3e, false),
    ("F5", 63, 0x3f, false),
    ("F6", 64, 0x40, false),
    ("F7", 65, 0x41, false),
    ("F8", 66, 0x42, false),
    ("F9", 67, 0x43, false),
    ("F10", 68, 0x44, false),
    ("NumLock", 69, 0x45, false),
    ("ScrollLock", 70, 0x46, false),
    ("Numpad7", 71, 0x47, false),
    ("Numpad8", 72, 0x48, false),
    ("Numpad9", 73, 0x49, false),
    ("NumpadSubtract", 74, 0x4a, false),
    ("Numpad4", 75, 0x4b, false),
    ("Numpad5", 76, 0x4c, false),
    ("Numpad6", 77, 0x4d, false),
    ("NumpadAdd", 78, 0x4e, false),
    ("Numpad1", 79, 0x4f, false),
    ("Numpad2", 80, 0x50, false),
    ("Numpad3", 81, 0x51, false),
    ("Numpad0", 82, 0x52, false),
    ("NumpadDecimal", 83, 0x53, false),
    ("IntlBackslash", 86, 0x56, false),
    ("F11", 87, 0x57, false),
    ("F12", 88, 0x58, false),
    ("NumpadEnter", 96, 0x1c, true),
    ("ControlRight", 97, 0x1d, true),
    ("NumpadDivide", 98, 0x35, true),
    ("PrintScreen", 99, 0x37, true),
    ("AltRight", 100, 0x38, true),
    ("Home", 102, 0x47, true),
    ("ArrowUp", 103, 0x48, true),
    ("PageUp", 104, 0x49, true),
    ("ArrowLeft", 105, 0x4b, true),
    ("ArrowRight", 106, 0x4d, true),
    ("End", 107, 0x4f, true),
    ("ArrowDown", 108, 0x50, true),
    ("PageDown", 109, 0x51, true),
    ("Insert", 110, 0x52, true),
    ("Delete", 111, 0x53, true),
    ("Pause", 119, 0x45, true),
    ("MetaLeft", 125, 0x5b, true),
    ("MetaRight", 126, 0x5c, true),
    ("ContextMenu", 127, 0x5d, true),
];

/// The codes of the physical key a DOM `code` names, if we know it.
pub fn lookup(code: &str) -> Option<KeyCodes> {
    lookup_static(code).map(|(_, codes)| codes)
}

/// Like `lookup`, also returning the name as a `'static` string (for bookkeeping of held keys).
pub fn lookup_static(code: &str) -> Option<(&'static str, KeyCodes)> {
    KEYS.iter()
        .find(|(name, ..)| *name == code)
        .map(|&(name, evdev, win_scan, win_extended)| {
            (
                name,
                KeyCodes {
                    evdev,
                    win_scan,
                    win_extended,
                },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_codes_consistent() {
        for (i, (name, evdev, scan, extended)) in KEYS.iter().enumerate() {
            assert!(!KEYS[i + 1..].iter().any(|k| k.0 == *name), "{name} twice");
            // The main block's evdev codes are the set-1 scan codes.
            if *evdev <= 88 {
                assert_eq!(*evdev, *scan, "{name}");
                assert!(!extended, "{name}");
            }
        }
        assert_eq!(lookup("KeyA").map(|k| k.evdev), Some(30));
        assert_eq!(lookup("NoSuchKey"), None);
    }
}
