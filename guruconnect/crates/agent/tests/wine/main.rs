//! The Windows build of the agent, run under Wine on a private Xvfb: the one place its Windows
//! code (EnumDisplayMonitors, the DXGI → GDI fallback, GDI capture, SendInput, the Win32
//! inventory, the session loop) runs on this machine. Wine has no DXGI desktop duplication,
//! so pictures come from the GDI fallback, as on an RDP session or a basic display adapter.
//!
//! Needs `GC_WINE_AGENT_EXE`, the `.exe` that `./dev test` builds in its Windows step (it sets
//! the variable), and Wine (`scripts/wine-deps.sh`). Without the variable the tests say so and
//! pass, except under `CI=true`, where they fail.
#![cfg(target_os = "linux")]

#[path = "../x11/xvfb.rs"]
#[allow(dead_code)]
mod xvfb;

use guruconnect_agent::wire;
use guruconnect_codec::Decoder;
use guruconnect_proto::{self as proto, envelope::Payload};
use guruconnect_testkit::{eventually, recv, send, TestApp, TestViewer};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use x11rb::protocol::xproto::{ConnectionExt as _, EventMask};
use xvfb::{solid_window, Xvfb};

const WINE: &str = "/usr/lib/wine/wine64";

/// The Windows agent, or `None` (after saying why) when this run has none.
fn agent_exe() -> Option<PathBuf> {
    match std::env::var_os("GC_WINE_AGENT_EXE") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "GC_WINE_AGENT_EXE={} is missing",
                path.display()
            );
            assert!(
                Path::new(WINE).exists(),
                "Wine is not installed: run scripts/wine-deps.sh (./dev test does)"
            );
            Some(path)
        }
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("GC_WINE_AGENT_EXE must be set in CI (./dev test builds the Windows agent)")
        }
        None => {
            eprintln!("skipped: set GC_WINE_AGENT_EXE to the Windows build of guruconnect-agent (./dev test does)");
            None
        }
    }
}

/// A Wine prefix of its own for one test, initialised on this test's display and shut down
/// (every process in it) when dropped, with the agent copied into it beside the
/// bcryptprimitives.dll stand-in Wine 8 lacks (see `scripts/wine/bcryptprimitives.c`).
struct Wine {
    prefix: tempfile::TempDir,
    display: String,
    agent: PathBuf,
}

impl Wine {
    fn new(x: &Xvfb, exe: &Path) -> Self {
        let prefix = tempfile::tempdir().expect("prefix dir");
        let agent_dir = prefix.path().join("agent");
        std::fs::create_dir_all(&agent_dir).expect("agent dir");
        let agent = agent_dir.join("guruconnect-agent.exe");
        std::fs::copy(exe, &agent).expect("copy the agent");
        build_prng_stand_in(&agent_dir.join("bcryptprimitives.dll"));
        let wine = Self {
            prefix,
            display: x.display.clone(),
            agent,
        };
        let init = wine
            .command(Path::new("wineboot"))
            .arg("--init")
            .output()
            .expect("wineboot");
        assert!(init.status.success(), "wineboot failed: {init:?}");
        wine
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(WINE);
        command
            .arg(program)
            .env("WINEPREFIX", self.prefix.path())
            .env("DISPLAY", &self.display)
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer prompts: the agent needs neither.
            .env("WINEDLLOVERRIDES", "mscoree=d;mshtml=d")
            .stdin(Stdio::null());
        command
    }

    fn run_agent(&self, args: &[&str]) -> Output {
        self.command(&self.agent)
            .args(args)
            .output()
            .expect("run the agent under Wine")
    }
}

/// Compiles `bcryptprimitives.c` with MinGW (installed with the Windows toolchain) to `out`.
fn build_prng_stand_in(out: &Path) {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts/wine/bcryptprimitives.c");
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-o"])
        .arg(out)
        .arg(&source)
        .arg("-ladvapi32")
        .output()
        .expect("x86_64-w64-mingw32-gcc (scripts/windows-check.sh installs MinGW)");
    assert!(built.status.success(), "building the stand-in: {built:?}");
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = Command::new("wineserver")
            .arg("-k")
            .env("WINEPREFIX", self.prefix.path())
            .status();
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The name Windows programs under Wine know a Unix path by (drive Z: is /).
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// A scene with sharp edges and distinct colours, so an offset or a channel swap shows.
fn scene(x: &Xvfb) {
    let (conn, root) = x.connect();
    x.run("xsetroot", &["-solid", "#203040"]);
    for (rect, rgb) in [
        ((16, 24, 200, 120), 0xcc3300),
        ((300, 180, 96, 64), 0x00aa55),
        ((500, 40, 40, 300), 0x1122ee),
    ] {
        solid_window(&conn, root, rect, rgb, EventMask::NO_EVENT);
    }
}

/// (width, height, RGB bytes) of a PNG.
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("png written"));
    let mut reader = decoder.read_info().expect("png header");
    let mut rgb = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut rgb).expect("png data");
    rgb.truncate(info.buffer_size());
    (info.width, info.height, rgb)
}

#[test]
fn gdi_capture_under_wine_equals_the_x_servers_dump() {
    let Some(exe) = agent_exe() else { return };
    let x = Xvfb::start(640, 480);
    scene(&x);
    let wine = Wine::new(&x, &exe);
    let out = wine.prefix.path().join("shot.png");
    let ran = wine.run_agent(&["--test-capture", &windows_path(&out)]);
    assert!(ran.status.success(), "--test-capture failed: {ran:?}");
    let (width, height, rgb) = read_png(&out);
    let (w, h, screen) = x.xwd_root();
    assert_eq!((width, height), (w, h), "one display, the whole screen");
    let differing = screen
        .iter()
        .zip(rgb.chunks_exact(3))
        .filter(|(bgr, rgb)| [bgr[2], bgr[1], bgr[0]] != **rgb)
        .count();
    assert_eq!(differing, 0, "every pixel as the X server has it");
}

#[test]
fn the_inventory_under_wine_comes_from_the_win32_calls() {
    let Some(exe) = agent_exe() else { return };
    let x = Xvfb::start(320, 240);
    let wine = Wine::new(&x, &exe);
    let ran = wine.run_agent(&["inventory"]);
    assert!(ran.status.success(), "inventory failed: {ran:?}");
    let text = String::from_utf8_lossy(&ran.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .trim_end_matches(',')
            .trim_matches('"')
            .to_owned()
    };
    assert_eq!(field("os_arch"), "x86_64");
    assert_eq!(field("os_name"), "Windows", "{text}");
    assert!(field("cpu_cores").parse::<u32>().expect("cores") > 0);
    assert!(field("ram_bytes").parse::<u64>().expect("ram") > 0);
    assert!(
        !field("time_zone").is_empty(),
        "GetDynamicTimeZoneInformation: {text}"
    );
    assert!(
        !field("logged_on_user").is_empty(),
        "the console session's user: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_agent_streams_the_screen_and_takes_input_through_the_relay() {
    let Some(exe) = agent_exe() else { return };
    let app = TestApp::spawn().await;
    let x = Xvfb::start(640, 480);
    scene(&x);
    let wine = Wine::new(&x, &exe);
    let (key, _) = app.mint_key("wine-pc").await;
    let server = format!("ws://{}", app.addr());
    let agent = wine
        .command(&wine.agent)
        .args(["run", "--server", &server, "--agent-id", "wine-pc"])
        .env("GURUCONNECT_AGENT_KEY", &key)
        .env("GURUCONNECT_LOG_DIR", wine.prefix.path().join("logs"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the Windows agent");
    let _agent = Killed(agent);
    eventually("the Windows agent comes online", || async {
        app.get_json("/api/machines/wine-pc", &app.admin_token)
            .await["online"]
            == true
    })
    .await;
    let sessions = app
        .get_json("/api/sessions?status=live", &app.admin_token)
        .await;
    let session = sessions["items"][0]["id"].as_str().expect("live session");
    let token = app.viewer_token(session, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, session, &token).await.expect("join");

    let (w, h, screen) = x.xwd_root();
    let mut decoder = Decoder::new().expect("decoder");
    let (mut display_id, mut frames) = (String::new(), 0);
    let matches = |decoder: &Decoder| {
        decoder.picture().is_some_and(|p| {
            p.width() == w
                && (0..h)
                    .all(|y| (0..w).all(|x| p.pixel(x, y)[..3] == screen[(y * w + x) as usize]))
        })
    };
    while !matches(&decoder) {
        match recv(&mut viewer.ws).await.expect("stream") {
            Payload::DisplayList(list) => display_id = list.selected_display_id,
            Payload::VideoFrame(f) => {
                let encoded = wire::encoded_frame(&f).expect("our encoding");
                decoder.apply(&encoded).expect("frame decodes");
                frames += 1;
                assert!(frames < 200, "the decoded picture never matched the screen");
            }
            _ => {}
        }
    }

    // SendInput, through Wine, moves the X pointer.
    send(
        &mut viewer.ws,
        Payload::MouseEvent(proto::MouseEvent {
            action: proto::MouseAction::Move as i32,
            display_id,
            x: 321,
            y: 123,
            ..Default::default()
        }),
    )
    .await;
    let (conn, root) = x.connect();
    eventually("the pointer reaches 321,123", || async {
        let p = conn
            .query_pointer(root)
            .expect("query")
            .reply()
            .expect("reply");
        (p.root_x, p.root_y) == (321, 123)
    })
    .await;
}
