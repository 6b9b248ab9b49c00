//! The Windows build of the agent, run under Wine on a private Xvfb: the one place its Windows
//! code (EnumDisplayMonitors, the DXGI → GDI fallback, GDI capture, SendInput, the Win32
//! inventory, the session loop) runs on this machine. Wine has no DXGI desktop duplication,
//! so pictures come from the GDI fallback, as on an RDP session or a basic display adapter.
//!
//! Needs `GC_WINE_AGENT_EXE`, the `.exe` that `./dev test` builds in its Windows step (it sets
//! the variable), and Wine (`scripts/wine-deps.sh`). Without the variable the tests say so and
//! pass, except under `CI=true`, where they fail.
#![cfg(target_os = "linux")]

#[path = "../support/watching.rs"]
mod watching;
#[path = "../x11/xvfb.rs"]
#[allow(dead_code)]
mod xvfb;

use guruconnect_codec::Decoder;
use guruconnect_proto::{self as proto, envelope::Payload};
use guruconnect_testkit::{eventually, send, TestApp, TestViewer};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use x11rb::protocol::xproto::{ConnectionExt as _, EventMask};
use xvfb::{solid_window, Xvfb};

const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver64";

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
        // Wine's own processes (services.exe, and the agent when it runs as a service) keep
        // wineboot's stderr: a file, so a failing test can show what they said.
        let log = std::fs::File::create(wine.log_path()).expect("wine log");
        let init = wine
            .command(Path::new("wineboot"))
            .arg("--init")
            .stdout(Stdio::null())
            .stderr(log)
            .status()
            .expect("wineboot");
        assert!(init.success(), "wineboot failed: {}", wine.log());
        wine
    }

    /// Gives Wine's service manager the patience of a loaded machine: by default it gives up
    /// on a service that has not connected to it within a few seconds, which a 14 MB program
    /// starting under Wine on two busy cores can miss. Restarts Wine so it reads the setting.
    fn patient_service_manager(&self) {
        self.reg(&[
            "add",
            r"HKLM\System\CurrentControlSet\Control",
            "/v",
            "ServicesPipeTimeout",
            "/t",
            "REG_DWORD",
            "/d",
            "120000",
            "/f",
        ]);
        let _ = Command::new(WINESERVER)
            .args(["-k"])
            .env("WINEPREFIX", self.prefix.path())
            .status();
        let _ = Command::new(WINESERVER)
            .args(["-w"])
            .env("WINEPREFIX", self.prefix.path())
            .status();
    }

    /// Runs `reg ARGS`; what Wine's processes started by it print goes to the Wine log.
    fn reg(&self, args: &[&str]) {
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.log_path())
            .expect("wine log");
        let status = self
            .command(Path::new("reg"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .status()
            .expect("reg");
        assert!(status.success(), "reg {args:?} failed: {}", self.log());
    }

    fn log_path(&self) -> PathBuf {
        self.prefix.path().join("wine.log")
    }

    /// What Wine's long-lived processes wrote to stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
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

    /// Runs the agent and returns what it printed, failing the test when it fails.
    fn agent_says(&self, args: &[&str]) -> String {
        let ran = self.run_agent(args);
        assert!(ran.status.success(), "{args:?} failed: {ran:?}");
        String::from_utf8_lossy(&ran.stdout).trim().to_owned()
    }

    /// Sets a string value of the installer's key, `HKLM\SOFTWARE\GuruConnect`.
    fn set_registry(&self, name: &str, value: &str) {
        self.reg(&[
            "add",
            r"HKLM\SOFTWARE\GuruConnect",
            "/v",
            name,
            "/d",
            value,
            "/f",
        ]);
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
        let _ = Command::new(WINESERVER)
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
    // Its live session, not just its machine's online flag: the relay marks the machine
    // online as the agent registers, a moment before it records the session.
    eventually("the Windows agent's session is live", || async {
        app.get_json("/api/sessions?status=live", &app.admin_token)
            .await["items"][0]["id"]
            .is_string()
    })
    .await;
    let sessions = app
        .get_json("/api/sessions?status=live", &app.admin_token)
        .await;
    let session = sessions["items"][0]["id"].as_str().expect("live session");
    let token = app.viewer_token(session, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, session, &token).await.expect("join");

    let mut decoder = Decoder::new().expect("decoder");
    let screen = x.xwd_root();
    let seen = watching::until_the_picture_is(&mut viewer.ws, &mut decoder, &screen).await;
    let display_id = seen.display_id;

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

/// Waits (30 s at most) until the service's machine is online or offline as wanted; when it
/// never gets there, the service's own log says why.
async fn wait_online(app: &TestApp, wine: &Wine, want: bool, what: &str) {
    for _ in 0..300 {
        let machine = app.get_json("/api/machines/svc-pc", &app.admin_token).await;
        if (machine["online"] == true) == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let logs = wine
        .prefix
        .path()
        .join("drive_c/ProgramData/GuruConnect/Logs");
    let log: String = std::fs::read_dir(&logs)
        .into_iter()
        .flatten()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect();
    panic!(
        "timed out: {what}; machines: {}; the service's log in {}:\n{log}\nWine:\n{}",
        app.get_json("/api/machines", &app.admin_token).await,
        logs.display(),
        wine.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_installs_runs_restarts_and_uninstalls_under_wines_service_manager() {
    let Some(exe) = agent_exe() else { return };
    let app = TestApp::spawn().await;
    let x = Xvfb::start(320, 240);
    let wine = Wine::new(&x, &exe);
    wine.patient_service_manager();
    let (key, _) = app.mint_key("svc-pc").await;
    // What an installer writes: the registry values the service reads (no settings file).
    wine.set_registry("Server", &format!("ws://{}", app.addr()));
    wine.set_registry("AgentId", "svc-pc");
    wine.set_registry("ApiKey", &key);

    assert_eq!(
        wine.agent_says(&["install"]),
        "GuruConnect Agent: installed and started"
    );
    wait_online(&app, &wine, true, "the service connects to the relay").await;
    assert_eq!(
        wine.agent_says(&["start"]),
        "GuruConnect Agent: already running"
    );
    // Installing again restarts the running service, which connects again.
    assert_eq!(
        wine.agent_says(&["install"]),
        "GuruConnect Agent: updated and restarted"
    );
    wait_online(&app, &wine, true, "the restarted service connects again").await;

    assert_eq!(
        wine.agent_says(&["uninstall"]),
        "GuruConnect Agent: stopped and removed"
    );
    wait_online(&app, &wine, false, "the stopped service leaves the relay").await;
    assert_eq!(
        wine.agent_says(&["uninstall"]),
        "GuruConnect Agent: not installed; nothing to do"
    );
    let start = wine.run_agent(&["start"]);
    assert!(!start.status.success(), "start without a service");
    assert!(
        String::from_utf8_lossy(&start.stderr).contains("not installed: run `install` first"),
        "{start:?}"
    );
}

#[test]
fn a_settings_file_others_can_read_is_refused_by_the_windows_agent() {
    let Some(exe) = agent_exe() else { return };
    let x = Xvfb::start(320, 240);
    let wine = Wine::new(&x, &exe);
    let settings = wine.prefix.path().join("agent.toml");
    std::fs::write(
        &settings,
        "server = \"ws://127.0.0.1:9\"\nagent_id = \"pc\"\nkey = \"gcak_x\"\n",
    )
    .expect("write settings");
    // Wine derives the file's DACL from its Unix mode: 0644 grants Everyone read, which the
    // agent reads through GetNamedSecurityInfoW and refuses.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let ran = wine.run_agent(&["run", "--config", &windows_path(&settings)]);
    assert!(!ran.status.success(), "a readable key file was accepted");
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(
        stderr.contains("holds the agent key but users other than SYSTEM and Administrators may read or change it"),
        "{stderr}"
    );
}
