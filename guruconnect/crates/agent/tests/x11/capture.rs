//! Capture: pixels equal the X server's own dump, damage covers changes and little else, idle
//! screens report no damage, RandR monitors become displays, `--test-capture` writes PNGs.

use crate::xvfb::{eventually, solid_window, Xvfb};
use guruconnect_agent::capture::x11::X11Capturer;
use guruconnect_agent::capture::Capturer;
use guruconnect_codec::{Frame, MoveHint, Rect};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ConfigureWindowAux, ConnectionExt as _, EventMask};

fn scene(x: &Xvfb) -> x11rb::rust_connection::RustConnection {
    let (conn, root) = x.connect();
    solid_window(
        &conn,
        root,
        (10, 20, 200, 100),
        0xff0000,
        EventMask::NO_EVENT,
    );
    solid_window(
        &conn,
        root,
        (300, 50, 64, 64),
        0x00ff00,
        EventMask::NO_EVENT,
    );
    solid_window(
        &conn,
        root,
        (500, 400, 120, 30),
        0x123456,
        EventMask::NO_EVENT,
    );
    conn
}

/// Whether every pixel of `frame` equals the X server's own dump of the root window.
fn equals_the_servers_dump(x: &Xvfb, frame: &Frame) -> bool {
    let (w, h, dump) = x.xwd_root();
    (0..h).all(|y| (0..w).all(|px| frame.pixel(px, y)[..3] == dump[(y * w + px) as usize]))
}

#[test]
fn captured_pixels_equal_the_x_servers_own_dump() {
    let x = Xvfb::start(800, 600);
    let _scene = scene(&x);
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let displays = capturer.displays().expect("displays");
    assert_eq!(displays.len(), 1);
    assert_eq!((displays[0].width, displays[0].height), (800, 600));
    let frame = capturer.capture(&displays[0]).expect("capture");
    // Known colours where the scene put them (BGRA in memory).
    assert_eq!(frame.pixel(15, 25)[..3], [0x00, 0x00, 0xff]);
    assert_eq!(frame.pixel(330, 80)[..3], [0x00, 0xff, 0x00]);
    assert_eq!(frame.pixel(619, 429)[..3], [0x56, 0x34, 0x12]);
    let (w, h, dump) = x.xwd_root();
    assert_eq!((w, h), (800, 600));
    let differing = (0..600)
        .flat_map(|y| (0..800).map(move |x| (x, y)))
        .filter(|&(px, py)| frame.pixel(px, py)[..3] != dump[(py * 800 + px) as usize])
        .count();
    assert_eq!(differing, 0, "every pixel equals xwd's");
}

#[test]
fn damage_covers_a_change_and_little_else_and_is_empty_when_idle() {
    let x = Xvfb::start(800, 600);
    let conn = scene(&x);
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let display = capturer.displays().expect("displays").remove(0);
    capturer.damage(&display).expect("drain initial damage");
    assert_eq!(
        capturer.damage(&display).expect("idle"),
        Some(vec![]),
        "idle: no damage"
    );
    assert!(
        capturer.capture_changes(&display).expect("idle").is_none(),
        "idle: no capture"
    );

    let (_, root) = (&conn, x.connect().1);
    solid_window(
        &conn,
        root,
        (400, 300, 40, 20),
        0xffffff,
        EventMask::NO_EVENT,
    );
    let mut damage = Vec::new();
    eventually("damage for the new window", || {
        damage.extend(capturer.damage(&display).expect("damage").expect("known"));
        !damage.is_empty()
    });
    let changed = Rect::new(400, 300, 40, 20);
    let covered: u64 = damage
        .iter()
        .filter_map(|r| r.intersect(&changed))
        .map(|r| r.area())
        .sum();
    let total: u64 = damage.iter().map(|r| r.area()).sum();
    assert_eq!(
        covered,
        changed.area(),
        "damage covers the change: {damage:?}"
    );
    assert!(total <= changed.area() * 2, "and little else: {damage:?}");
}

#[test]
fn randr_monitors_are_separate_displays() {
    let x = Xvfb::start(1600, 600);
    let _scene = scene(&x);
    x.run(
        "xrandr",
        &["--setmonitor", "left", "800/0x600/0+0+0", "none"],
    );
    x.run(
        "xrandr",
        &["--setmonitor", "right", "800/0x600/0+800+0", "none"],
    );
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let (conn, root) = x.connect();
    solid_window(
        &conn,
        root,
        (810, 10, 50, 50),
        0x0000ff,
        EventMask::NO_EVENT,
    );
    let mut displays = Vec::new();
    eventually("two monitors", || {
        displays = capturer.displays().expect("displays");
        displays.len() == 2
    });
    let right = displays
        .iter()
        .find(|d| d.name == "right")
        .expect("right monitor");
    assert_eq!(
        (right.x, right.y, right.width, right.height),
        (800, 0, 800, 600)
    );
    let frame = capturer.capture(right).expect("capture right");
    assert_eq!((frame.width(), frame.height()), (800, 600));
    assert_eq!(
        frame.pixel(15, 15)[..3],
        [0xff, 0x00, 0x00],
        "the blue window at 810,10"
    );

    // --test-capture writes one file per monitor: OUT.png for the primary, OUT-1.png next.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shot.png");
    let ran = std::process::Command::new(env!("CARGO_BIN_EXE_guruconnect-agent"))
        .arg("--test-capture")
        .arg(&out)
        .env("DISPLAY", &x.display)
        .output()
        .expect("run agent");
    assert!(ran.status.success(), "{ran:?}");
    let listed = String::from_utf8_lossy(&ran.stdout);
    let second = dir.path().join("shot-1.png");
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [out.display().to_string(), second.display().to_string()]
    );
    for path in [&out, &second] {
        let decoder = png::Decoder::new(std::fs::File::open(path).expect("png"));
        let info = decoder.read_info().expect("png header");
        assert_eq!(
            (info.info().width, info.info().height),
            (800, 600),
            "{path:?}"
        );
    }
}

#[test]
fn test_capture_writes_one_png_per_display() {
    let x = Xvfb::start(640, 480);
    let _scene = scene(&x);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shot.png");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_guruconnect-agent"))
        .arg("--test-capture")
        .arg(&out)
        .env("DISPLAY", &x.display)
        .status()
        .expect("run agent");
    assert!(status.success());
    let decoder = png::Decoder::new(std::fs::File::open(&out).expect("png written"));
    let mut reader = decoder.read_info().expect("png header");
    let mut rgb = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut rgb).expect("png data");
    assert_eq!((info.width, info.height), (640, 480));
    let at = |x: usize, y: usize| &rgb[(y * 640 + x) * 3..(y * 640 + x) * 3 + 3];
    assert_eq!(at(15, 25), [0xff, 0x00, 0x00], "the red window, as RGB");
}

#[test]
fn idle_time_comes_from_the_server_and_resets_on_input() {
    use guruconnect_agent::input::{x11::X11Injector, InputInjector};
    let x = Xvfb::start(320, 240);
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let mut injector = X11Injector::connect(Some(&x.display)).expect("injector");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(capturer.idle_seconds().expect("screensaver extension") >= 1);
    injector.move_to(5, 5).expect("move");
    assert_eq!(
        capturer.idle_seconds(),
        Some(0),
        "input resets the idle time"
    );
}

#[test]
fn partial_captures_keep_the_picture_equal_to_the_screen() {
    let x = Xvfb::start(640, 480);
    let conn = scene(&x);
    let root = x.connect().1;
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let display = capturer.displays().expect("displays").remove(0);
    capturer.capture(&display).expect("first full capture");
    for (i, area) in [(5, 5, 30, 30), (600, 400, 40, 80), (200, 150, 300, 10)]
        .iter()
        .enumerate()
    {
        solid_window(
            &conn,
            root,
            *area,
            0x101010 * (i as u32 + 3),
            EventMask::NO_EVENT,
        );
        let mut latest = None;
        eventually("the change is captured", || {
            if let Some(c) = capturer.capture_changes(&display).expect("capture") {
                latest = Some(c.frame);
            }
            latest.as_ref().is_some_and(|f| {
                let (px, py) = (area.0 as u32 + 1, area.1 as u32 + 1);
                f.pixel(px, py)[0] == (0x10 * (i as u32 + 3)) as u8
            })
        });
        let frame = latest.expect("frame");
        assert!(
            equals_the_servers_dump(&x, &frame),
            "after change {i} the partially refreshed picture equals xwd's dump"
        );
    }
}

#[test]
fn a_recycled_picture_receives_the_next_capture() {
    let x = Xvfb::start(640, 480);
    let conn = scene(&x);
    let root = x.connect().1;
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let display = capturer.displays().expect("displays").remove(0);
    let spent = capturer.capture(&display).expect("first full capture");
    let memory = spent.pixels().as_ptr();
    capturer.recycle(spent);
    solid_window(
        &conn,
        root,
        (40, 300, 90, 50),
        0x445566,
        EventMask::NO_EVENT,
    );
    eventually("the server drew the window", || {
        x.xwd_root().2[(320 * 640 + 60) as usize] == [0x66, 0x55, 0x44] // blue, green, red
    });
    let frame = capturer
        .capture_changes(&display)
        .expect("capture")
        .expect("damage was reported")
        .frame;
    assert_eq!(
        frame.pixels().as_ptr(),
        memory,
        "copied into the recycled memory"
    );
    assert!(
        equals_the_servers_dump(&x, &frame),
        "the recycled picture equals xwd's dump"
    );
}

#[test]
fn a_window_moved_between_two_pictures_comes_as_one_move_hint() {
    let x = Xvfb::start(640, 480);
    let (conn, root) = x.connect();
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let display = capturer.displays().expect("displays").remove(0);
    // Created after the capturer started: known from its CreateNotify.
    let window = solid_window(
        &conn,
        root,
        (50, 60, 120, 80),
        0x336699,
        EventMask::NO_EVENT,
    );
    // Everything captured until the screen is still again, after at least one change: right
    // after the requests the capturer may not have seen their damage yet.
    let captured = |capturer: &mut X11Capturer| {
        let mut moves = Vec::new();
        let mut changed = false;
        eventually("a change, then a still screen", || {
            match capturer.capture_changes(&display).expect("capture") {
                Some(c) => {
                    moves.extend(c.moves);
                    changed = true;
                    false
                }
                None => changed,
            }
        });
        moves
    };
    assert!(
        captured(&mut capturer).is_empty(),
        "a new window is no move"
    );
    for (to_x, to_y) in [(120, 90), (200, 100)] {
        conn.configure_window(window, &ConfigureWindowAux::new().x(to_x).y(to_y))
            .expect("move");
    }
    conn.flush().expect("flush");
    let moves = captured(&mut capturer);
    assert_eq!(
        moves,
        vec![MoveHint {
            src_x: 50,
            src_y: 60,
            dest: Rect::new(200, 100, 120, 80),
        }],
        "two moves since the last picture are one hint from where it was to where it is"
    );
    conn.configure_window(window, &ConfigureWindowAux::new().width(60))
        .expect("resize");
    conn.flush().expect("flush");
    assert!(captured(&mut capturer).is_empty(), "a resize is no move");
}

#[test]
fn shared_memory_and_socket_captures_agree_with_the_server() {
    let x = Xvfb::start(800, 600);
    let _scene = scene(&x);
    let mut shm = X11Capturer::connect_with(Some(&x.display), true).expect("shm capturer");
    let mut socket = X11Capturer::connect_with(Some(&x.display), false).expect("plain capturer");
    assert!(shm.uses_shm(), "a local Xvfb offers MIT-SHM");
    assert!(!socket.uses_shm());
    let display = shm.displays().expect("displays").remove(0);
    let a = shm.capture(&display).expect("shm capture");
    let b = socket.capture(&display).expect("socket capture");
    assert!(a.same_colours(&b), "both transports see the same picture");
    assert!(equals_the_servers_dump(&x, &a));
}

#[test]
fn a_service_without_credentials_reaches_a_locked_display_with_the_servers_cookie() {
    let x = Xvfb::start_locked(320, 240);
    let home = tempfile::tempdir().expect("empty home");
    // A client with nothing but the display name is refused: the server really checks.
    let refused = std::process::Command::new("xdpyinfo")
        .env("DISPLAY", &x.display)
        .env_remove("XAUTHORITY")
        .env("HOME", home.path())
        .output()
        .expect("xdpyinfo");
    assert!(
        !refused.status.success(),
        "the locked server let xdpyinfo in"
    );
    // The agent, which a systemd service starts without XAUTHORITY, gets in with the cookie
    // the server was started with.
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer connects");
    let displays = capturer.displays().expect("displays");
    assert_eq!((displays[0].width, displays[0].height), (320, 240));
    let frame = capturer.capture(&displays[0]).expect("capture");
    assert_eq!(frame.width(), 320);
    guruconnect_agent::input::x11::X11Injector::connect(Some(&x.display))
        .expect("the injector connects the same way");
}
