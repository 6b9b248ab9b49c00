//! The supervisor's policy against a stand-in for the Windows session API (which cannot run
//! here): where the worker starts, when it restarts, and when supervision ends.

use super::*;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct World {
    console: Option<u32>,
    spawned: Vec<u32>,
    killed: Vec<u32>,
    fail_spawns: u32,
}

struct FakeHost(Rc<RefCell<World>>);

struct FakeChild {
    session: u32,
    exit: Rc<RefCell<Option<i32>>>,
    world: Rc<RefCell<World>>,
}

impl WorkerChild for FakeChild {
    fn exited(&mut self) -> Option<i32> {
        *self.exit.borrow()
    }
    fn kill(&mut self) {
        self.world.borrow_mut().killed.push(self.session);
    }
}

thread_local! {
    static LAST_EXIT: RefCell<Option<Rc<RefCell<Option<i32>>>>> = const { RefCell::new(None) };
}

impl SessionHost for FakeHost {
    type Child = FakeChild;
    fn console_session(&self) -> Option<u32> {
        self.0.borrow().console
    }
    fn spawn_worker(&mut self, session: u32) -> std::io::Result<FakeChild> {
        let mut world = self.0.borrow_mut();
        if world.fail_spawns > 0 {
            world.fail_spawns -= 1;
            return Err(std::io::Error::other("no token"));
        }
        world.spawned.push(session);
        let exit = Rc::new(RefCell::new(None));
        LAST_EXIT.with(|l| *l.borrow_mut() = Some(exit.clone()));
        Ok(FakeChild {
            session,
            exit,
            world: self.0.clone(),
        })
    }
}

fn end_last_worker(code: i32) {
    LAST_EXIT.with(|l| *l.borrow().as_ref().expect("a worker").borrow_mut() = Some(code));
}

fn setup(
    console: Option<u32>,
    one_shot: bool,
) -> (Rc<RefCell<World>>, Supervisor<FakeHost>, Instant) {
    let world = Rc::new(RefCell::new(World {
        console,
        ..World::default()
    }));
    let now = Instant::now();
    (
        world.clone(),
        Supervisor::new(FakeHost(world), one_shot, now),
        now,
    )
}

#[test]
fn the_worker_starts_in_the_console_session_and_waits_for_one() {
    let (world, mut s, now) = setup(None, false);
    assert_eq!(s.tick(now, 0.5), Outcome::Running);
    assert!(world.borrow().spawned.is_empty(), "no console, no worker");
    world.borrow_mut().console = Some(3);
    s.tick(now, 0.5);
    assert_eq!(world.borrow().spawned, [3]);
    assert_eq!(s.worker_session(), Some(3));
}

#[test]
fn the_worker_follows_the_console_to_another_session() {
    let (world, mut s, now) = setup(Some(1), false);
    s.tick(now, 0.5);
    world.borrow_mut().console = Some(2);
    s.tick(now, 0.5);
    assert_eq!(world.borrow().killed, [1]);
    assert_eq!(world.borrow().spawned, [1, 2]);
}

#[test]
fn an_unattended_worker_that_ends_is_restarted_after_a_backoff() {
    let (world, mut s, now) = setup(Some(1), false);
    s.tick(now, 0.99);
    end_last_worker(1);
    assert_eq!(s.tick(now, 0.99), Outcome::Running);
    assert_eq!(world.borrow().spawned, [1], "not at once");
    s.tick(now + Duration::from_secs(2), 0.99);
    assert_eq!(world.borrow().spawned, [1, 1]);
}

#[test]
fn an_attended_worker_ending_ends_supervision_with_its_code() {
    let (_world, mut s, now) = setup(Some(1), true);
    s.tick(now, 0.5);
    end_last_worker(7);
    assert_eq!(s.tick(now, 0.5), Outcome::Finished(7));
}

#[test]
fn failed_starts_back_off_then_succeed() {
    let (world, mut s, now) = setup(Some(1), false);
    world.borrow_mut().fail_spawns = 1;
    s.tick(now, 0.99);
    assert!(world.borrow().spawned.is_empty());
    s.tick(now, 0.99);
    assert!(
        world.borrow().spawned.is_empty(),
        "waits before trying again"
    );
    s.tick(now + Duration::from_secs(2), 0.99);
    assert_eq!(world.borrow().spawned, [1]);
}

#[test]
fn stopping_kills_the_worker() {
    let (world, mut s, now) = setup(Some(4), false);
    s.tick(now, 0.5);
    s.stop();
    assert_eq!(world.borrow().killed, [4]);
}

#[test]
fn arguments_survive_windows_command_line_quoting() {
    assert_eq!(quote_windows_arg("run"), "run");
    assert_eq!(
        quote_windows_arg(r"C:\Program Files\agent.exe"),
        r#""C:\Program Files\agent.exe""#
    );
    assert_eq!(quote_windows_arg(""), r#""""#);
    assert_eq!(quote_windows_arg(r#"say "hi""#), r#""say \"hi\"""#);
    assert_eq!(
        quote_windows_arg(r"trailing\ slash\"),
        r#""trailing\ slash\\""#
    );
}
