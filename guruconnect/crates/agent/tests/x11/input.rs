//! Input: pointer moves land where XQueryPointer says, clicks and wheel notches arrive at the
//! right window coordinates, and typed text (with modifiers, Backspace and Enter) reaches a
//! real program.

use crate::xvfb::{eventually, solid_window, Xvfb};
use guruconnect_agent::capture::DisplayInfo;
use guruconnect_agent::input::x11::X11Injector;
use guruconnect_agent::input::InputController;
use guruconnect_proto as proto;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, EventMask};
use x11rb::protocol::Event;

fn two_displays() -> Vec<DisplayInfo> {
    let display = |id: &str, x| DisplayInfo {
        id: id.into(),
        name: id.into(),
        x,
        y: 0,
        width: 400,
        height: 300,
        primary: id == "0",
    };
    vec![display("0", 0), display("1", 400)]
}

fn controller(x: &Xvfb) -> InputController<X11Injector> {
    let injector = X11Injector::connect(Some(&x.display)).expect("injector");
    InputController::new(injector, two_displays())
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

#[test]
fn pointer_moves_land_where_the_server_says_the_pointer_is() {
    let x = Xvfb::start(800, 300);
    let (conn, root) = x.connect();
    let mut input = controller(&x);
    for (display, px, py, want) in [
        ("0", 10, 20, (10, 20)),
        ("1", 33, 44, (433, 44)),
        ("1", 999, 5, (799, 5)),
    ] {
        input
            .mouse(&mouse(proto::MouseAction::Move, display, px, py))
            .expect("move");
        let pointer = conn
            .query_pointer(root)
            .expect("query")
            .reply()
            .expect("reply");
        assert_eq!((i32::from(pointer.root_x), i32::from(pointer.root_y)), want);
    }
}

#[test]
fn a_click_arrives_at_the_right_window_coordinates() {
    let x = Xvfb::start(800, 300);
    let (conn, root) = x.connect();
    let window = solid_window(
        &conn,
        root,
        (450, 100, 200, 100),
        0x808080,
        EventMask::BUTTON_PRESS | EventMask::BUTTON_RELEASE,
    );
    let mut input = controller(&x);
    input
        .mouse(&mouse(proto::MouseAction::Down, "1", 75, 130))
        .expect("down");
    input
        .mouse(&mouse(proto::MouseAction::Up, "1", 75, 130))
        .expect("up");
    let mut seen = Vec::new();
    eventually("press and release", || {
        while let Some(event) = conn.poll_for_event().expect("event") {
            match event {
                Event::ButtonPress(e) if e.event == window => {
                    seen.push(("press", e.event_x, e.event_y, e.detail))
                }
                Event::ButtonRelease(e) if e.event == window => {
                    seen.push(("release", e.event_x, e.event_y, e.detail))
                }
                _ => {}
            }
        }
        seen.len() == 2
    });
    // Display 1 starts at x=400: (75,130) on it is (475,130) on the desktop, (25,30) in the window.
    assert_eq!(seen, [("press", 25, 30, 1), ("release", 25, 30, 1)]);
}

#[test]
fn wheel_notches_arrive_as_x_scroll_buttons_over_the_pointer() {
    let x = Xvfb::start(800, 300);
    let (conn, root) = x.connect();
    let window = solid_window(
        &conn,
        root,
        (50, 50, 200, 100),
        0x808080,
        EventMask::BUTTON_PRESS,
    );
    let mut input = controller(&x);
    let wheel = |dx, dy| proto::MouseEvent {
        action: proto::MouseAction::Wheel as i32,
        display_id: "0".into(),
        x: 60,
        y: 70,
        wheel_dx: dx,
        wheel_dy: dy,
        ..Default::default()
    };
    // Two notches down, one up, one right, one left: X buttons 5, 5, 4, 7, 6.
    for (dx, dy) in [(0, 2), (0, -1), (1, 0), (-1, 0)] {
        input.mouse(&wheel(dx, dy)).expect("wheel");
    }
    let mut buttons = Vec::new();
    eventually("five scroll presses", || {
        while let Some(event) = conn.poll_for_event().expect("event") {
            if let Event::ButtonPress(e) = event {
                if e.event == window {
                    assert_eq!((e.event_x, e.event_y), (10, 20), "over the pointer");
                    buttons.push(e.detail);
                }
            }
        }
        buttons.len() >= 5
    });
    assert_eq!(buttons, [5, 5, 4, 7, 6]);
}

fn key(input: &mut InputController<X11Injector>, code: &str) {
    for down in [true, false] {
        input
            .key(&proto::KeyEvent {
                down,
                code: code.into(),
                ..Default::default()
            })
            .expect("key");
    }
}

fn shifted(input: &mut InputController<X11Injector>, code: &str) {
    let shift = |down| proto::KeyEvent {
        down,
        code: "ShiftLeft".into(),
        ..Default::default()
    };
    input.key(&shift(true)).expect("shift");
    key(input, code);
    input.key(&shift(false)).expect("shift");
}

#[test]
fn typed_text_with_modifiers_and_special_keys_reaches_a_real_program() {
    let x = Xvfb::start(800, 300);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("typed.txt");
    let command = format!("cat > {}", out.display());
    let mut xterm = x.spawn(
        "xterm",
        &["-geometry", "80x10+0+0", "-e", "sh", "-c", &command],
    );
    x.run(
        "xdotool",
        &["search", "--sync", "--onlyvisible", "--class", "xterm"],
    );
    let mut input = controller(&x);
    // No window manager: keyboard focus follows the pointer, so point into the terminal.
    input
        .mouse(&mouse(proto::MouseAction::Move, "0", 100, 60))
        .expect("move");
    shifted(&mut input, "KeyH");
    for code in ["KeyE", "KeyL", "KeyL", "KeyO", "Comma", "Space"] {
        key(&mut input, code);
    }
    shifted(&mut input, "KeyW");
    for code in ["KeyO", "KeyR", "KeyX", "Backspace", "KeyL", "KeyD"] {
        key(&mut input, code);
    }
    shifted(&mut input, "Digit1");
    key(&mut input, "Enter");
    let mut text = String::new();
    eventually("the line reaches cat", || {
        text = std::fs::read_to_string(&out).unwrap_or_default();
        text.ends_with('\n')
    });
    assert_eq!(text, "Hello, World!\n");
    assert_eq!(input.held(), (0, 0));
    let _ = xterm.kill();
    let _ = xterm.wait();
}

/// Characters no key of the layout makes arrive as the keysym a client looks up for the key
/// it was sent: Latin-1 directly, others in the Unicode keysym range.
#[test]
fn characters_without_a_key_arrive_as_their_keysyms() {
    use guruconnect_agent::input::x11::keysym_for;
    use guruconnect_agent::input::InputInjector;
    let x = Xvfb::start(320, 240);
    let (conn, root) = x.connect();
    let window = solid_window(
        &conn,
        root,
        (0, 0, 320, 240),
        0xffffff,
        EventMask::KEY_PRESS,
    );
    conn.set_input_focus(
        x11rb::protocol::xproto::InputFocus::PARENT,
        window,
        x11rb::CURRENT_TIME,
    )
    .expect("focus");
    conn.flush().expect("flush");
    let mut injector = X11Injector::connect(Some(&x.display)).expect("injector");
    for c in ['é', 'ж', '€'] {
        injector.text(&c.to_string()).expect("text");
        let keycode = loop {
            match conn.wait_for_event().expect("event") {
                Event::KeyPress(e) => break e.detail,
                _ => continue,
            }
        };
        let map = conn
            .get_keyboard_mapping(keycode, 1)
            .expect("request")
            .reply()
            .expect("mapping");
        assert_eq!(map.keysyms[0], keysym_for(c), "{c}");
    }
    assert_eq!(keysym_for('é'), 0xe9);
    assert_eq!(keysym_for('ж'), 0x0100_0436);
}
