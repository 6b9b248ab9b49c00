//! Which Windows capture backend to use: DXGI Desktop Duplication when it works, GDI when it is
//! unavailable (RDP sessions, some virtual GPUs, the secure desktop) or keeps failing, and a
//! periodic retry of duplication from GDI. Platform-independent so it is tested everywhere.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Duplication,
    Gdi,
}

/// Why a duplication attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Duplication cannot work here at all (not supported, no device): switch at once.
    Unavailable,
    /// Worth retrying (access lost on a mode change or desktop switch).
    Transient,
}

#[derive(Debug)]
pub struct FallbackPolicy {
    backend: Backend,
    consecutive_failures: u32,
    gdi_since: Option<Instant>,
}

/// Consecutive transient failures before giving duplication up.
pub const MAX_TRANSIENT_FAILURES: u32 = 3;
/// How long GDI is used before duplication is tried again.
pub const RETRY_DUPLICATION_AFTER: Duration = Duration::from_secs(60);

impl Default for FallbackPolicy {
    fn default() -> Self {
        Self {
            backend: Backend::Duplication,
            consecutive_failures: 0,
            gdi_since: None,
        }
    }
}

impl FallbackPolicy {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn on_success(&mut self) {
        self.consecutive_failures = 0;
    }

    pub fn on_failure(&mut self, failure: Failure, now: Instant) {
        if self.backend == Backend::Gdi {
            return;
        }
        self.consecutive_failures += 1;
        if failure == Failure::Unavailable || self.consecutive_failures >= MAX_TRANSIENT_FAILURES {
            self.backend = Backend::Gdi;
            self.gdi_since = Some(now);
        }
    }

    /// On GDI long enough: try duplication again (a failure sends us straight back).
    pub fn maybe_retry_duplication(&mut self, now: Instant) -> bool {
        let due = self
            .gdi_since
            .is_some_and(|since| now.duration_since(since) >= RETRY_DUPLICATION_AFTER);
        if self.backend == Backend::Gdi && due {
            self.backend = Backend::Duplication;
            self.consecutive_failures = MAX_TRANSIENT_FAILURES - 1;
            self.gdi_since = None;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_switches_at_once() {
        let mut p = FallbackPolicy::default();
        p.on_failure(Failure::Unavailable, Instant::now());
        assert_eq!(p.backend(), Backend::Gdi);
    }

    #[test]
    fn transient_failures_switch_only_when_consecutive() {
        let now = Instant::now();
        let mut p = FallbackPolicy::default();
        p.on_failure(Failure::Transient, now);
        p.on_failure(Failure::Transient, now);
        p.on_success();
        p.on_failure(Failure::Transient, now);
        p.on_failure(Failure::Transient, now);
        assert_eq!(
            p.backend(),
            Backend::Duplication,
            "a success in between resets the count"
        );
        p.on_failure(Failure::Transient, now);
        assert_eq!(p.backend(), Backend::Gdi);
    }

    #[test]
    fn duplication_is_retried_after_a_while_and_one_failure_returns_to_gdi() {
        let start = Instant::now();
        let mut p = FallbackPolicy::default();
        p.on_failure(Failure::Unavailable, start);
        assert!(!p.maybe_retry_duplication(start + Duration::from_secs(59)));
        assert!(p.maybe_retry_duplication(start + RETRY_DUPLICATION_AFTER));
        assert_eq!(p.backend(), Backend::Duplication);
        p.on_failure(Failure::Transient, start + RETRY_DUPLICATION_AFTER);
        assert_eq!(
            p.backend(),
            Backend::Gdi,
            "still broken: straight back to GDI"
        );
    }
}
