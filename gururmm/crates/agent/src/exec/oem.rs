//! Windows: command output in the OEM code page. `cmd.exe` and most console programs write
//! their output in the OEM code page (850, 437, 866, ...) when it goes to a pipe, not in UTF-8,
//! whatever `chcp` a technician would set; decoding it as UTF-8 turns every accented letter
//! into a replacement character. Compiled only on Windows (`scripts/windows-check.sh`).
#![allow(unsafe_code)] // MultiByteToWideChar; each call states what it relies on.

use windows::Win32::Globalization::{MultiByteToWideChar, CP_OEMCP, MULTI_BYTE_TO_WIDE_CHAR_FLAGS};

/// `bytes` decoded with this machine's OEM code page, or None when Windows cannot.
pub fn decode(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return Some(String::new());
    }
    let flags = MULTI_BYTE_TO_WIDE_CHAR_FLAGS(0);
    // SAFETY: the input slice is valid for its length; with no output buffer the call only
    // returns the number of UTF-16 units needed.
    let needed = unsafe { MultiByteToWideChar(CP_OEMCP, flags, bytes, None) };
    let mut wide = vec![0u16; usize::try_from(needed).ok().filter(|n| *n > 0)?];
    // SAFETY: `wide` has exactly the length the first call asked for; the call writes at most
    // that many units and returns how many it wrote.
    let written = unsafe { MultiByteToWideChar(CP_OEMCP, flags, bytes, Some(&mut wide)) };
    wide.truncate(usize::try_from(written).ok().filter(|n| *n > 0)?);
    Some(String::from_utf16_lossy(&wide))
}
