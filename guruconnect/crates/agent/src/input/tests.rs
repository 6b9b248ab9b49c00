//! The controller's bookkeeping, against an injector that records calls (the real X11 injector
//! is tested against Xvfb in tests/x11.rs).

use super::*;

#[derive(Debug, Default)]
struct Recorder {
    calls: Vec<String>,
}

impl InputInjector for Recorder {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InputError> {
        self.calls.push(format!("move {x},{y}"));
        Ok(())
    }
    fn button(&mut self, button: Button, down: bool) -> Result<(), InputError> {
        self.calls.push(format!("button {button:?} {down}"));
        Ok(())
    }
    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InputError> {
        self.calls.push(format!("wheel {dx},{dy}"));
        Ok(())
    }
    fn key(&mut self, key: KeyCodes, down: bool) -> Result<(), InputError> {
        self.calls.push(format!("key {} {down}", key.evdev));
        Ok(())
    }
    fn text(&mut self, text: &str) -> Result<(), InputError> {
        self.calls.push(format!("text {text}"));
        Ok(())
    }
}

fn two_monitors() -> Vec<DisplayInfo> {
    let display = |id: &str, x, primary| DisplayInfo {
        id: id.into(),
        name: id.into(),
        x,
        y: 0,
        width: 800,
        height: 600,
        primary,
    };
    vec![display("0", 0, true), display("1", 800, false)]
}

fn mouse(action: proto::MouseAction, display: &str, x: i32, y: i32) -> proto::MouseEvent {
    proto::MouseEvent {
        action: action as i32,
        display_id: display.into(),
        x,
        y,
        button: proto::MouseButton::Left as i32,
        ..Default::default()
    }
}

fn key(code: &str, down: bool) -> proto::KeyEvent {
    proto::KeyEvent {
        down,
        code: code.into(),
        ..Default::default()
    }
}

#[test]
fn positions_are_relative_to_the_display_and_clamped_to_it() {
    let mut c = InputController::new(Recorder::default(), two_monitors());
    c.mouse(&mouse(proto::MouseAction::Move, "1", 10, 20))
        .expect("move");
    c.mouse(&mouse(proto::MouseAction::Move, "1", 5000, -5))
        .expect("move");
    c.mouse(&mouse(proto::MouseAction::Move, "0", 900, 10))
        .expect("move");
    c.mouse(&mouse(proto::MouseAction::Move, "gone", 1, 1))
        .expect("ignored");
    assert_eq!(
        c.injector().calls,
        ["move 810,20", "move 1599,0", "move 799,10"],
        "display 0 input never spills onto display 1"
    );
}

#[test]
fn release_all_lets_go_of_everything_held_and_nothing_else() {
    let mut c = InputController::new(Recorder::default(), two_monitors());
    c.key(&key("ShiftLeft", true)).expect("key");
    c.key(&key("KeyA", true)).expect("key");
    c.key(&key("KeyA", false)).expect("key");
    c.key(&key("ControlLeft", true)).expect("key");
    c.mouse(&mouse(proto::MouseAction::Down, "0", 1, 1))
        .expect("down");
    assert_eq!(c.held(), (2, 1));
    let before = c.injector().calls.len();
    c.key(&proto::KeyEvent {
        release_all: true,
        ..Default::default()
    })
    .expect("release");
    let mut released = c.injector().calls[before..].to_vec();
    released.sort();
    assert_eq!(
        released,
        ["button Left false", "key 29 false", "key 42 false"]
    );
    assert_eq!(c.held(), (0, 0));
}

#[test]
fn stray_releases_and_unknown_keys_inject_nothing() {
    let mut c = InputController::new(Recorder::default(), two_monitors());
    c.key(&key("KeyB", false)).expect("stray release");
    c.key(&key("NotAKey", true)).expect("unknown");
    c.mouse(&mouse(proto::MouseAction::Up, "0", 3, 4))
        .expect("stray up");
    assert_eq!(c.injector().calls, ["move 3,4"]);
}

#[test]
fn absolute_coordinates_span_the_virtual_desktop() {
    // A 3840-wide desktop starting at -1920 (a monitor left of the primary).
    assert_eq!(absolute_coordinate(-1920, -1920, 3840), 0);
    assert_eq!(absolute_coordinate(1919, -1920, 3840), 65535);
    assert_eq!(absolute_coordinate(0, -1920, 3840), 32776);
    assert_eq!(absolute_coordinate(9999, -1920, 3840), 65535, "clamped");
    assert_eq!(absolute_coordinate(5, 0, 1), 0, "degenerate desktop");
}

#[test]
fn ctrl_alt_del_is_the_chord_pressed_in_order_and_released_in_reverse() {
    let mut c = InputController::new(Recorder::default(), two_monitors());
    c.key(&proto::KeyEvent {
        secure_attention: true,
        ..Default::default()
    })
    .expect("sas");
    assert_eq!(
        c.injector().calls,
        [
            "key 29 true",
            "key 56 true",
            "key 111 true",
            "key 111 false",
            "key 56 false",
            "key 29 false"
        ]
    );
    assert_eq!(c.held(), (0, 0), "nothing stays held");
}

#[test]
fn a_character_without_a_physical_key_is_typed_once_as_text() {
    let mut c = InputController::new(Recorder::default(), two_monitors());
    let press = |down: bool, text: &str| proto::KeyEvent {
        down,
        code: String::new(),
        text: text.into(),
        ..Default::default()
    };
    c.key(&press(true, "ж")).expect("down");
    c.key(&press(false, "ж")).expect("up: nothing more");
    c.key(&press(true, "\u{7}")).expect("control: ignored");
    c.key(&press(true, "way too many characters"))
        .expect("long: ignored");
    assert_eq!(c.injector().calls, ["text ж"]);
    assert_eq!(c.held(), (0, 0), "text holds no key");
}
