//! Service watchdog (RMM-6): watched services that are found stopped are restarted, at most
//! `max_restarts` times in a row with `restart_cooldown_seconds` between attempts; every action
//! becomes a `WatchdogEvent` for the server (the seed only logged them). The counter resets
//! once the service is seen running again.

use crate::config::{WatchdogConfig, WatchedService};
use crate::metrics::now_ms;
use gururmm_protocol::WatchdogEvent;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The OS service manager, behind a trait so the policy is testable without one.
pub trait ServiceManager: Send + Sync {
    /// Running, or on its way (starting, reloading, stopping): leave it alone. An error means
    /// the state could not be read (no service manager, access denied), never "stopped".
    fn is_running(&self, name: &str) -> std::io::Result<bool>;
    fn restart(&self, name: &str) -> std::io::Result<()>;
}

#[cfg(windows)]
mod scm;
mod systemd;

#[cfg(windows)]
pub use scm::Scm;
pub use systemd::Systemd;

#[derive(Debug, Default)]
struct Tracker {
    restarts: u32,
    last_attempt: Option<Instant>,
    gave_up: bool,
    /// The last check could not read the state: reported once, not every interval.
    unreadable: bool,
}

/// The restart policy for all watched services.
pub struct Watchdog<M> {
    services: Vec<WatchedService>,
    manager: M,
    trackers: HashMap<String, Tracker>,
}

fn event(service: &str, kind: &str, message: String) -> WatchdogEvent {
    WatchdogEvent {
        service: service.to_owned(),
        event: kind.to_owned(),
        message,
        timestamp_ms: now_ms(),
    }
}

impl<M: ServiceManager> Watchdog<M> {
    pub fn new(services: Vec<WatchedService>, manager: M) -> Self {
        Self {
            services,
            manager,
            trackers: HashMap::new(),
        }
    }

    /// One pass over the services at time `now`; returns the events it produced.
    pub fn check(&mut self, now: Instant) -> Vec<WatchdogEvent> {
        let mut events = Vec::new();
        for svc in &self.services {
            let tracker = self.trackers.entry(svc.name.clone()).or_default();
            match self.manager.is_running(&svc.name) {
                Ok(true) => {
                    *tracker = Tracker::default();
                    continue;
                }
                Ok(false) => {}
                Err(e) => {
                    if !tracker.unreadable {
                        events.push(event(&svc.name, "check_failed", e.to_string()));
                    }
                    tracker.unreadable = true;
                    continue;
                }
            }
            tracker.unreadable = false;
            if tracker.gave_up {
                continue;
            }
            let cooldown = Duration::from_secs(svc.restart_cooldown_seconds);
            if tracker
                .last_attempt
                .is_some_and(|t| now.duration_since(t) < cooldown)
            {
                continue;
            }
            if tracker.restarts >= svc.max_restarts {
                tracker.gave_up = true;
                events.push(event(
                    &svc.name,
                    "max_restarts_reached",
                    format!(
                        "still stopped after {} restarts; giving up until it runs again",
                        svc.max_restarts
                    ),
                ));
                continue;
            }
            tracker.restarts += 1;
            tracker.last_attempt = Some(now);
            events.push(event(&svc.name, "stopped", "service found stopped".into()));
            match self.manager.restart(&svc.name) {
                Ok(()) => events.push(event(
                    &svc.name,
                    "restarted",
                    format!("restart {} of {}", tracker.restarts, svc.max_restarts),
                )),
                Err(e) => events.push(event(&svc.name, "restart_failed", e.to_string())),
            }
        }
        events
    }
}

/// Runs the watchdog on the system's service manager, sending events to `tx`.
pub async fn run(config: WatchdogConfig, tx: mpsc::Sender<WatchdogEvent>) {
    if !config.enabled || config.services.is_empty() {
        return;
    }
    #[cfg(windows)]
    let manager = Scm;
    #[cfg(not(windows))]
    let manager = Systemd::default();
    let mut watchdog = Watchdog::new(config.services, manager);
    let mut tick = tokio::time::interval(Duration::from_secs(config.check_interval_seconds));
    loop {
        tick.tick().await;
        let (events, back) = tokio::task::spawn_blocking(move || {
            let events = watchdog.check(Instant::now());
            (events, watchdog)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        watchdog = back;
        for e in events {
            tracing::info!(service = %e.service, event = %e.event, "watchdog");
            if tx.send(e).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Fake {
        running: Mutex<bool>,
        unreadable: Mutex<bool>,
        restart_works: bool,
        restarts: Mutex<u32>,
    }

    impl ServiceManager for &Fake {
        fn is_running(&self, _: &str) -> std::io::Result<bool> {
            if *self.unreadable.lock().expect("lock") {
                return Err(std::io::Error::other("no service manager"));
            }
            Ok(*self.running.lock().expect("lock"))
        }
        fn restart(&self, _: &str) -> std::io::Result<()> {
            *self.restarts.lock().expect("lock") += 1;
            if self.restart_works {
                *self.running.lock().expect("lock") = true;
                Ok(())
            } else {
                Err(std::io::Error::other("unit failed"))
            }
        }
    }

    fn service() -> WatchedService {
        WatchedService {
            name: "nginx".into(),
            action: "restart".into(),
            max_restarts: 3,
            restart_cooldown_seconds: 60,
        }
    }

    fn kinds(events: &[WatchdogEvent]) -> Vec<&str> {
        events.iter().map(|e| e.event.as_str()).collect()
    }

    #[test]
    fn a_stopped_service_is_restarted_and_reported() {
        let fake = Fake {
            restart_works: true,
            ..Fake::default()
        };
        let mut wd = Watchdog::new(vec![service()], &fake);
        let t0 = Instant::now();
        assert_eq!(kinds(&wd.check(t0)), ["stopped", "restarted"]);
        assert!(
            wd.check(t0 + Duration::from_secs(1)).is_empty(),
            "running again: quiet"
        );
    }

    #[test]
    fn restarts_respect_the_cooldown_and_the_maximum() {
        let fake = Fake::default();
        let mut wd = Watchdog::new(vec![service()], &fake);
        let t0 = Instant::now();
        let minute = Duration::from_secs(60);
        assert_eq!(kinds(&wd.check(t0)), ["stopped", "restart_failed"]);
        assert!(
            wd.check(t0 + Duration::from_secs(30)).is_empty(),
            "inside the cooldown"
        );
        wd.check(t0 + minute);
        wd.check(t0 + minute * 2);
        assert_eq!(*fake.restarts.lock().expect("lock"), 3);
        assert_eq!(kinds(&wd.check(t0 + minute * 3)), ["max_restarts_reached"]);
        assert!(wd.check(t0 + minute * 10).is_empty(), "gave up, once");
        assert_eq!(*fake.restarts.lock().expect("lock"), 3);
        // Seen running again: the budget resets.
        *fake.running.lock().expect("lock") = true;
        wd.check(t0 + minute * 11);
        *fake.running.lock().expect("lock") = false;
        assert_eq!(
            kinds(&wd.check(t0 + minute * 12)),
            ["stopped", "restart_failed"]
        );
    }

    #[test]
    fn an_unreadable_state_is_reported_once_and_never_restarted() {
        let fake = Fake {
            restart_works: true,
            ..Fake::default()
        };
        *fake.unreadable.lock().expect("lock") = true;
        let mut wd = Watchdog::new(vec![service()], &fake);
        let t0 = Instant::now();
        assert_eq!(kinds(&wd.check(t0)), ["check_failed"]);
        assert!(wd.check(t0 + Duration::from_secs(30)).is_empty(), "once");
        assert_eq!(*fake.restarts.lock().expect("lock"), 0);
        // Readable again and stopped: restarted; unreadable again: reported again.
        *fake.unreadable.lock().expect("lock") = false;
        assert_eq!(
            kinds(&wd.check(t0 + Duration::from_secs(60))),
            ["stopped", "restarted"]
        );
        *fake.unreadable.lock().expect("lock") = true;
        assert_eq!(
            kinds(&wd.check(t0 + Duration::from_secs(90))),
            ["check_failed"]
        );
    }
}
