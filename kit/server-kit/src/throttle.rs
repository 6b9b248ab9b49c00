//! Sliding-window counters: failed logins and code redemptions, per-user action rates. Windows
//! slide, so a block always lifts on its own (throttling, never a permanent lockout). They read
//! the time from a [`Clock`], so tests slide a window without waiting.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the windows read the time: [`SystemClock`] in the server, a [`ManualClock`] in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Instant;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Events per key within the last `window`, at most `max` before the key is blocked.
#[derive(Debug)]
pub struct SlidingWindow<K> {
    window: Duration,
    max: u32,
    clock: Arc<dyn Clock>,
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Eq + Hash + Clone> SlidingWindow<K> {
    pub fn new(window: Duration, max: u32) -> Self {
        Self::with_clock(window, max, Arc::new(SystemClock))
    }

    pub fn with_clock(window: Duration, max: u32, clock: Arc<dyn Clock>) -> Self {
        Self {
            window,
            max,
            clock,
            events: Mutex::new(HashMap::new()),
        }
    }

    fn with_queue<T>(&self, key: &K, f: impl FnOnce(&mut VecDeque<Instant>, Instant) -> T) -> T {
        let now = self.clock.now();
        // A poisoned lock only means another thread panicked mid-update; counters stay usable.
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let queue = map.entry(key.clone()).or_default();
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            queue.pop_front();
        }
        f(queue, now)
    }

    /// How long until `key` may act again, when it is at its limit.
    pub fn blocked(&self, key: &K) -> Option<Duration> {
        self.with_queue(key, |queue, now| {
            if queue.len() < self.max as usize {
                return None;
            }
            let oldest = *queue.front()?;
            Some(self.window.saturating_sub(now.duration_since(oldest)))
        })
    }

    /// Events for `key` still inside the window.
    pub fn count(&self, key: &K) -> usize {
        self.with_queue(key, |queue, _| queue.len())
    }

    pub fn record(&self, key: K) {
        let max = self.max as usize;
        self.with_queue(&key, |queue, now| {
            queue.push_back(now);
            while queue.len() > max + 1 {
                queue.pop_front();
            }
        })
    }

    /// Records an event unless `key` is at its limit; returns the wait when it is.
    pub fn try_acquire(&self, key: K) -> Result<(), Duration> {
        match self.blocked(&key) {
            Some(wait) => Err(wait),
            None => {
                self.record(key);
                Ok(())
            }
        }
    }

    pub fn clear(&self, key: &K) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// Failed sign-ins, throttled so that neither stuffing nor spraying gets far and no stranger
/// can keep a real user out:
/// - an address over `per_ip` failures waits (stuffing from one place);
/// - an account over `per_account` failures from one address waits there, and only there;
/// - once the account has `per_account` failures from anywhere, an address that failed for it
///   waits while a fresh one still gets its try (guessing one account from many places);
/// - once the server has `global` failures, only addresses the account signed in from before
///   are let through (spraying many accounts from many places, one try each).
///
/// An address an account signed in from ("known") is never held by the last two, so a
/// stranger's failures cannot keep a user out of the places they use. Known addresses are
/// kept in memory for [`KNOWN_FOR`]; every window slides.
#[derive(Debug)]
pub struct LoginThrottle {
    by_ip: SlidingWindow<IpAddr>,
    by_place: SlidingWindow<(String, Option<IpAddr>)>,
    by_account: SlidingWindow<String>,
    global: SlidingWindow<()>,
    known: Mutex<HashMap<(String, IpAddr), Instant>>,
    clock: Arc<dyn Clock>,
}

/// How long a successful sign-in keeps its address known to its account.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// Known addresses kept at most (the oldest go first).
const MAX_KNOWN: usize = 100_000;

/// The budgets of a [`LoginThrottle`]: failures per `window`.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub window: Duration,
    pub per_ip: u32,
    pub per_account: u32,
    pub global: u32,
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits, clock: Arc<dyn Clock>) -> Self {
        let window = limits.window;
        Self {
            by_ip: SlidingWindow::with_clock(window, limits.per_ip, clock.clone()),
            by_place: SlidingWindow::with_clock(window, limits.per_account, clock.clone()),
            by_account: SlidingWindow::with_clock(window, limits.per_account, clock.clone()),
            global: SlidingWindow::with_clock(window, limits.global, clock.clone()),
            known: Mutex::default(),
            clock,
        }
    }

    /// How long a sign-in from `ip` to `account` (its lower-cased key) must wait, if at all.
    pub fn wait(&self, ip: Option<IpAddr>, account: &str) -> Option<Duration> {
        let ip = ip.map(source_of);
        let place = (account.to_owned(), ip);
        if let Some(wait) = ip.and_then(|ip| self.by_ip.blocked(&ip)) {
            return Some(wait);
        }
        if let Some(wait) = self.by_place.blocked(&place) {
            return Some(wait);
        }
        if self.is_known(ip, account) {
            return None;
        }
        let failed_here = self.by_place.count(&place) > 0;
        let under_guessing = self.by_account.blocked(&account.to_owned());
        under_guessing
            .filter(|_| failed_here)
            .or_else(|| self.global.blocked(&()))
    }

    pub fn record_failure(&self, ip: Option<IpAddr>, account: &str) {
        let ip = ip.map(source_of);
        if let Some(ip) = ip {
            self.by_ip.record(ip);
        }
        self.by_place.record((account.to_owned(), ip));
        self.by_account.record(account.to_owned());
        self.global.record(());
    }

    /// A successful sign-in clears the failures from its address for the account (the
    /// address's own count stays) and makes the address known to the account.
    pub fn record_success(&self, ip: Option<IpAddr>, account: &str) {
        let ip = ip.map(source_of);
        self.by_place.clear(&(account.to_owned(), ip));
        let Some(ip) = ip else { return };
        let now = self.clock.now();
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_KNOWN {
            known.retain(|_, at| now.duration_since(*at) < KNOWN_FOR);
            if known.len() >= MAX_KNOWN {
                let oldest = known
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(k, _)| k.clone());
                oldest.map(|k| known.remove(&k));
            }
        }
        known.insert((account.to_owned(), ip), now);
    }

    fn is_known(&self, ip: Option<IpAddr>, account: &str) -> bool {
        let Some(ip) = ip else { return false };
        let now = self.clock.now();
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(&(account.to_owned(), ip))
            .is_some_and(|at| now.duration_since(*at) < KNOWN_FOR)
    }
}

/// The source a client address counts as, wherever addresses are counted (throttles, sockets
/// waiting to authenticate): an IPv4 address itself, an IPv6 address its /64 network. One IPv6
/// client usually holds a whole /64 and can take a fresh address from it for every request,
/// so counting single IPv6 addresses would count nothing. An IPv4-mapped IPv6 address is its
/// IPv4 address.
pub fn source_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(network))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_the_limit_per_key() {
        let w = SlidingWindow::new(Duration::from_secs(60), 2);
        assert!(w.try_acquire("a").is_ok());
        assert!(w.try_acquire("a").is_ok());
        assert!(w.try_acquire("a").is_err());
        assert!(w.try_acquire("b").is_ok(), "keys are independent");
        w.clear(&"a");
        assert!(w.blocked(&"a").is_none());
    }

    #[test]
    fn the_window_slides() {
        let clock = Arc::new(ManualClock::new());
        let w = SlidingWindow::with_clock(Duration::from_secs(60), 1, clock.clone());
        w.record("a");
        clock.advance(Duration::from_secs(59));
        assert_eq!(
            w.blocked(&"a"),
            Some(Duration::from_secs(1)),
            "the wait left"
        );
        clock.advance(Duration::from_secs(1));
        assert!(w.blocked(&"a").is_none());
    }

    fn ip(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, n]))
    }

    fn throttle(per_account: u32, global: u32) -> (LoginThrottle, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        let limits = LoginLimits {
            window: Duration::from_secs(60),
            per_ip: 100,
            per_account,
            global,
        };
        (LoginThrottle::new(limits, clock.clone()), clock)
    }

    #[test]
    fn spraying_from_fresh_addresses_waits_once_the_server_budget_is_spent_but_known_places_do_not()
    {
        let (t, clock) = throttle(100, 3);
        t.record_success(ip(50), "alice");
        for n in 1..=3 {
            assert_eq!(t.wait(ip(n), &format!("user{n}")), None);
            t.record_failure(ip(n), &format!("user{n}"));
        }
        assert!(
            t.wait(ip(9), "bob").is_some(),
            "a fresh address sprays no more"
        );
        assert!(t.wait(ip(1), "bob").is_some(), "nor does one that failed");
        assert_eq!(
            t.wait(ip(50), "alice"),
            None,
            "alice's own place still works"
        );
        assert!(
            t.wait(ip(50), "bob").is_some(),
            "known to alice, not to bob"
        );
        clock.advance(Duration::from_secs(60));
        assert_eq!(t.wait(ip(9), "bob"), None, "the window slid");
    }

    #[test]
    fn strangers_failing_for_an_account_cannot_keep_its_user_out() {
        let (t, _) = throttle(3, 1000);
        t.record_success(ip(50), "admin");
        for n in 1..=6 {
            t.record_failure(ip(n), "admin");
        }
        assert!(
            t.wait(ip(1), "admin").is_some(),
            "an address that failed waits"
        );
        assert_eq!(
            t.wait(ip(50), "admin"),
            None,
            "the admin's own place does not"
        );
        assert_eq!(
            t.wait(ip(77), "admin"),
            None,
            "a fresh address gets its one try"
        );
        t.record_failure(ip(77), "admin");
        assert!(t.wait(ip(77), "admin").is_some(), "and only one");
        assert_eq!(t.wait(ip(1), "other"), None, "accounts are independent");
    }

    #[test]
    fn one_place_guessing_one_account_waits_there_until_a_success_clears_it() {
        let (t, _) = throttle(2, 1000);
        t.record_success(ip(50), "a");
        t.record_failure(ip(50), "a");
        t.record_failure(ip(50), "a");
        assert!(
            t.wait(ip(50), "a").is_some(),
            "even a known place has its own budget"
        );
        assert_eq!(t.wait(ip(51), "a"), None, "another place is not held");
        t.record_success(ip(50), "a");
        assert_eq!(t.wait(ip(50), "a"), None);
    }

    #[test]
    fn known_places_are_forgotten_after_their_time() {
        let (t, clock) = throttle(100, 1);
        t.record_success(ip(50), "a");
        t.record_failure(ip(1), "b");
        assert_eq!(t.wait(ip(50), "a"), None);
        clock.advance(KNOWN_FOR);
        t.record_failure(ip(1), "b");
        assert!(t.wait(ip(50), "a").is_some());
    }

    #[test]
    fn an_address_is_held_across_accounts() {
        let limits = LoginLimits {
            window: Duration::from_secs(60),
            per_ip: 2,
            per_account: 100,
            global: 100,
        };
        let t = LoginThrottle::new(limits, Arc::new(SystemClock));
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        t.record_failure(ip, "a");
        t.record_failure(ip, "b");
        assert!(t.wait(ip, "c").is_some());
        assert_eq!(t.wait(Some(IpAddr::from([10, 0, 0, 2])), "c"), None);
    }

    #[test]
    fn an_ipv6_client_counts_as_its_64_and_a_mapped_address_as_ipv4() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("address");
        assert_eq!(source_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(source_of(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(source_of(ip("198.51.100.7")), ip("198.51.100.7"));
        let limits = LoginLimits {
            window: Duration::from_secs(60),
            per_ip: 2,
            per_account: 100,
            global: 100,
        };
        let t = LoginThrottle::new(limits, Arc::new(SystemClock));
        t.record_failure(Some(ip("2001:db8:1:2::1")), "a");
        t.record_failure(Some(ip("2001:db8:1:2::2")), "b");
        assert!(
            t.wait(Some(ip("2001:db8:1:2::3")), "c").is_some(),
            "one /64, one budget"
        );
        assert_eq!(t.wait(Some(ip("2001:db8:1:3::1")), "c"), None);
    }
}
