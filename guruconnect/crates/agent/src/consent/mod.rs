//! Asking the person at the machine (NRC-5): an attended session streams only after they
//! accept. `ConsentPrompt` is the seam; X11 shows a real window with Accept and Decline,
//! Windows a system message box in the console session; both decline by themselves when the
//! time runs out.

#[cfg(windows)]
pub mod windows;
#[cfg(target_os = "linux")]
pub mod x11;

use guruconnect_proto as proto;
use std::time::Duration;

/// What the prompt says and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub technician_name: String,
    pub reason: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    Declined,
    TimedOut,
}

/// Shows the question and blocks until the person answers or the time runs out.
pub trait ConsentPrompt: Send {
    fn ask(&self, prompt: &Prompt) -> Answer;
}

/// Longest prompt the agent shows, whatever the server asks for.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);
const NAME_CHARS: usize = 48;
const REASON_CHARS: usize = 64;

impl Prompt {
    pub fn from_request(request: &proto::ConsentRequest) -> Self {
        let secs = u64::from(request.timeout_seconds.max(1));
        Self {
            technician_name: clean(&request.technician_name, NAME_CHARS, "A technician"),
            reason: clean(&request.reason, REASON_CHARS, ""),
            timeout: Duration::from_secs(secs).min(MAX_TIMEOUT),
        }
    }

    /// The window title.
    pub fn title(&self) -> &'static str {
        "GuruConnect: remote support request"
    }

    /// The question, line by line, the same on every platform.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{} asks to view and control this computer.",
            self.technician_name
        )];
        if !self.reason.is_empty() {
            lines.push(format!("Reason: {}", self.reason));
        }
        lines.push("Accept only if you expect this request.".into());
        lines
    }
}

/// Printable text only (no control characters that could fake lines), trimmed to `max` chars.
fn clean(text: &str, max: usize, fallback: &str) -> String {
    let printable: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = printable.trim();
    if trimmed.is_empty() {
        return fallback.to_owned();
    }
    match trimmed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

/// Where there is nobody to ask (no display): every request is declined.
pub struct NobodyToAsk;

impl ConsentPrompt for NobodyToAsk {
    fn ask(&self, _: &Prompt) -> Answer {
        tracing::warn!("a consent request arrived but there is no screen to ask on: declined");
        Answer::Declined
    }
}

pub fn response(session_id: &str, answer: Answer) -> proto::ConsentResponse {
    proto::ConsentResponse {
        session_id: session_id.to_owned(),
        accepted: answer == Answer::Accepted,
        timed_out: answer == Answer::TimedOut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_shows_clean_bounded_text_and_a_bounded_wait() {
        let request = proto::ConsentRequest {
            session_id: "s".into(),
            technician_name: "Eve\nReason: routine update\r".into(),
            reason: "x".repeat(500),
            timeout_seconds: 100_000,
        };
        let prompt = Prompt::from_request(&request);
        assert!(
            !prompt.technician_name.contains('\n'),
            "no forged second line"
        );
        assert_eq!(prompt.reason.chars().count(), REASON_CHARS + 3);
        assert_eq!(prompt.timeout, MAX_TIMEOUT);
        let empty = Prompt::from_request(&proto::ConsentRequest::default());
        assert_eq!(empty.technician_name, "A technician");
        assert_eq!(empty.timeout, Duration::from_secs(1));
        assert_eq!(empty.lines().len(), 2, "no reason line without a reason");
    }

    #[test]
    fn answers_map_onto_the_response() {
        assert!(response("s", Answer::Accepted).accepted);
        let late = response("s", Answer::TimedOut);
        assert!(!late.accepted && late.timed_out);
        let no = response("s", Answer::Declined);
        assert!(!no.accepted && !no.timed_out);
    }
}
