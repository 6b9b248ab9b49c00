//! The consent prompt on Windows: a system message box in the console session through
//! WTSSendMessageW, which works from the LocalSystem service (session 0 cannot show windows)
//! and from an attended agent alike, and times out by itself.
#![allow(unsafe_code)] // WTSSendMessageW and WTSGetActiveConsoleSessionId; see the SAFETY notes.

use super::{Answer, ConsentPrompt, Prompt};
use windows::core::PCWSTR;
use windows::Win32::System::RemoteDesktop::{
    WTSGetActiveConsoleSessionId, WTSSendMessageW, WTS_CURRENT_SERVER_HANDLE,
};
use windows::Win32::UI::WindowsAndMessaging::{
    IDTIMEOUT, IDYES, MB_DEFBUTTON2, MB_ICONQUESTION, MB_SETFOREGROUND, MB_TOPMOST, MB_YESNO,
    MESSAGEBOX_RESULT,
};

pub struct WtsPrompt;

impl ConsentPrompt for WtsPrompt {
    fn ask(&self, prompt: &Prompt) -> Answer {
        let title = wide(prompt.title());
        let mut text = prompt.lines().join("\n");
        text.push_str("\n\nChoose Yes to allow the session or No to refuse it.");
        let message = wide(&text);
        let mut response = MESSAGEBOX_RESULT(0);
        let timeout = u32::try_from(prompt.timeout.as_secs()).unwrap_or(u32::MAX);
        // SAFETY: both strings are NUL-terminated UTF-16 buffers that outlive the call, their
        // lengths are given in bytes without the terminator as the API wants, and `response`
        // is a valid place for the answer. WTSGetActiveConsoleSessionId has no preconditions.
        let sent = unsafe {
            WTSSendMessageW(
                Some(WTS_CURRENT_SERVER_HANDLE),
                WTSGetActiveConsoleSessionId(),
                PCWSTR(title.as_ptr()),
                byte_len(&title),
                PCWSTR(message.as_ptr()),
                byte_len(&message),
                MB_YESNO | MB_ICONQUESTION | MB_DEFBUTTON2 | MB_TOPMOST | MB_SETFOREGROUND,
                timeout,
                &mut response,
                true,
            )
        };
        match (sent, response) {
            (Err(e), _) => {
                tracing::warn!(error = %e, "could not show the consent prompt: declined");
                Answer::Declined
            }
            (Ok(()), r) if r == IDYES => Answer::Accepted,
            (Ok(()), r) if r == IDTIMEOUT => Answer::TimedOut,
            (Ok(()), _) => Answer::Declined,
        }
    }
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Bytes of a NUL-terminated UTF-16 string, without the terminator.
fn byte_len(text: &[u16]) -> u32 {
    u32::try_from((text.len() - 1) * 2).unwrap_or(u32::MAX)
}
