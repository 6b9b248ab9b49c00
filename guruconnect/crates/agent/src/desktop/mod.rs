//! Reaching the user's desktop from a service. Windows keeps services in session 0, which has
//! no user desktop to capture: an agent started there (by the service manager, or by a GuruRMM
//! agent running as a service) runs its real work as a copy of itself inside the session that
//! owns the physical console, as SYSTEM so it sees the sign-in screen too, and follows the
//! console when it moves (user switch, sign-out). `Supervisor` holds that policy, tested
//! anywhere through `SessionHost`; `windows.rs` is the Win32 host.

#[cfg(windows)]
pub mod windows;

use crate::backoff::Backoff;
use std::time::{Duration, Instant};

/// Set in the worker's environment, so the copy never supervises in turn.
pub const WORKER_MARKER: &str = "GURUCONNECT_DESKTOP_WORKER";

/// What the supervisor needs of the operating system.
pub trait SessionHost {
    type Child: WorkerChild;
    /// The session attached to the physical console now; `None` while none is.
    fn console_session(&self) -> Option<u32>;
    /// Starts the worker (this program, same arguments) in `session`.
    fn spawn_worker(&mut self, session: u32) -> std::io::Result<Self::Child>;
}

pub trait WorkerChild {
    /// The exit code once the worker has ended.
    fn exited(&mut self) -> Option<i32>;
    fn kill(&mut self);
}

/// What one look at the world led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Running,
    /// One-shot work (attended) ended with this code: the supervisor is done too.
    Finished(i32),
}

pub struct Supervisor<H: SessionHost> {
    host: H,
    /// Attended: the worker's end is the end. Unattended: it is restarted.
    one_shot: bool,
    worker: Option<(u32, H::Child)>,
    backoff: Backoff,
    next_start: Instant,
}

impl<H: SessionHost> Supervisor<H> {
    pub fn new(host: H, one_shot: bool, now: Instant) -> Self {
        Self {
            host,
            one_shot,
            worker: None,
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(30)),
            next_start: now,
        }
    }

    /// The session the worker runs in, when one does.
    pub fn worker_session(&self) -> Option<u32> {
        self.worker.as_ref().map(|(s, _)| *s)
    }

    /// Looks once: reaps an ended worker, moves the worker to a new console session, starts
    /// one when none runs and the backoff allows. `jitter` in [0, 1) spreads restarts.
    pub fn tick(&mut self, now: Instant, jitter: f64) -> Outcome {
        let console = self.host.console_session();
        if let Some((session, child)) = self.worker.as_mut() {
            if let Some(code) = child.exited() {
                tracing::info!(session = *session, code, "desktop worker ended");
                self.worker = None;
                if self.one_shot {
                    return Outcome::Finished(code);
                }
                self.next_start = now + self.backoff.next_delay(jitter);
            } else if console != Some(*session) {
                tracing::info!(from = *session, to = ?console, "console moved: restarting the worker there");
                child.kill();
                self.worker = None;
                self.next_start = now;
            }
        }
        if self.worker.is_none() && now >= self.next_start {
            if let Some(session) = console {
                match self.host.spawn_worker(session) {
                    Ok(child) => {
                        tracing::info!(session, "desktop worker started");
                        self.worker = Some((session, child));
                        self.backoff.reset();
                    }
                    Err(e) => {
                        tracing::warn!(session, error = %e, "could not start the desktop worker");
                        self.next_start = now + self.backoff.next_delay(jitter);
                    }
                }
            }
        }
        Outcome::Running
    }

    /// Stops the worker (the service is stopping).
    pub fn stop(&mut self) {
        if let Some((_, mut child)) = self.worker.take() {
            child.kill();
        }
    }
}

/// Runs the supervisor until one-shot work ends or `stop` says so; returns the exit code.
pub fn supervise<H: SessionHost>(host: H, one_shot: bool, stop: impl Fn() -> bool) -> i32 {
    let mut supervisor = Supervisor::new(host, one_shot, Instant::now());
    loop {
        if stop() {
            supervisor.stop();
            return 0;
        }
        if let Outcome::Finished(code) = supervisor.tick(Instant::now(), rand::random::<f64>()) {
            return code;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Windows command-line quoting for one argument (CommandLineToArgvW rules).
pub fn quote_windows_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_owned();
    }
    let mut out = String::from('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
