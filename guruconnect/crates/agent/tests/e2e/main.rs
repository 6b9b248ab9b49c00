//! End to end: the real agent process on a private Xvfb, the real server in-process, a test
//! viewer speaking the real protocol. Frames decode to the X server's own pixels, viewer input
//! reaches the desktop, and a restarted agent comes back as the same machine.

mod pacing;
#[path = "../support/watching.rs"]
mod watching;
#[path = "../x11/xvfb.rs"]
#[allow(dead_code)]
mod xvfb;

use guruconnect_agent::wire;
use guruconnect_codec::Decoder;
use guruconnect_proto::{self as proto, envelope::Payload};
use guruconnect_testkit::{ack, eventually, recv, recv_until, send, TestApp, TestViewer};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use x11rb::protocol::xproto::{ConnectionExt as _, EventMask};
use xvfb::{solid_window, Xvfb};

/// The time zone the agents run in, so the inventory's is known.
const AGENT_TZ: &str = "Pacific/Chatham";

struct AgentProcess(Child);

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_agent(app: &TestApp, x: &Xvfb, agent_id: &str, key: &str) -> AgentProcess {
    start_agent_with(app, x, agent_id, key, &[], Stdio::inherit())
}

fn start_agent_with(
    app: &TestApp,
    x: &Xvfb,
    agent_id: &str,
    key: &str,
    extra: &[&str],
    stderr: Stdio,
) -> AgentProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_guruconnect-agent"))
        .args(["run", "--server", &app.relay_url()])
        .args(["--agent-id", agent_id, "--display", &x.display])
        .args(extra)
        .stderr(stderr)
        .env("GURUCONNECT_AGENT_KEY", key)
        .env("GURUCONNECT_LOG_LEVEL", "warn")
        .env("TZ", AGENT_TZ)
        .env(
            "GURUCONNECT_LOG_DIR",
            std::env::temp_dir().join("guruconnect-e2e-logs"),
        )
        .stdout(Stdio::null())
        .spawn()
        .expect("start agent");
    AgentProcess(child)
}

async fn online(app: &TestApp, agent_id: &str) -> Value {
    let path = format!("/api/machines/{agent_id}");
    let mut machine = Value::Null;
    for _ in 0..200 {
        machine = app.get_json(&path, &app.admin_token).await;
        if machine["online"] == true {
            return machine;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("agent {agent_id} never came online: {machine}");
}

/// A viewer joined to the one live session, with a fresh viewer token.
async fn join_live_session(app: &TestApp) -> TestViewer {
    let session_id = live_session(app).await;
    let token = app.viewer_token(&session_id, &app.admin_token).await;
    TestViewer::join(app, &session_id, &token)
        .await
        .expect("join")
}

/// The one live session. Waited for: the relay marks a machine online as its agent registers,
/// a moment before it records the session as active.
async fn live_session(app: &TestApp) -> String {
    for _ in 0..200 {
        let sessions = app
            .get_json("/api/sessions?status=live", &app.admin_token)
            .await;
        if let Some(id) = sessions["items"][0]["id"].as_str() {
            return id.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no live session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_sees_the_real_screen_and_drives_the_real_pointer() {
    let app = TestApp::spawn().await;
    let x = Xvfb::start(640, 480);
    let (conn, root) = x.connect();
    solid_window(
        &conn,
        root,
        (20, 30, 200, 120),
        0xcc3300,
        EventMask::NO_EVENT,
    );
    solid_window(
        &conn,
        root,
        (300, 200, 90, 60),
        0x00aa55,
        EventMask::NO_EVENT,
    );
    let (key, _) = app.mint_key("e2e-pc").await;
    let _agent = start_agent(&app, &x, "e2e-pc", &key);
    online(&app, "e2e-pc").await;

    let mut viewer = join_live_session(&app).await;
    let mut decoder = Decoder::new().expect("decoder");
    let screen = x.xwd_root();
    let watching::Seen { display_id, frames } =
        watching::until_the_picture_is(&mut viewer.ws, &mut decoder, &screen).await;
    assert_eq!(display_id, "0");

    // A change on the desktop reaches the viewer as a delta.
    solid_window(
        &conn,
        root,
        (500, 50, 40, 40),
        0x0000ff,
        EventMask::NO_EVENT,
    );
    loop {
        if let Payload::VideoFrame(f) = recv(&mut viewer.ws).await.expect("stream") {
            assert!(!f.key_frame || frames == 0, "a delta, not a new key frame");
            decoder
                .apply(&wire::encoded_frame(&f).expect("ours"))
                .expect("delta decodes");
            ack(&mut viewer.ws, f.sequence).await;
            if decoder.picture().expect("picture").pixel(510, 60)[..3] == [0xff, 0x00, 0x00] {
                break;
            }
        }
    }

    // The agent's timing reaches the viewer: the stats of a second that carried frames.
    let mut seen = 0;
    let stats = recv_until(&mut viewer.ws, |p| match p {
        Payload::FrameStats(s) if s.fps > 0 => Some(s),
        Payload::FrameStats(_) => {
            seen += 1;
            assert!(seen < 30, "no busy second among 30 stats");
            None
        }
        _ => None,
    })
    .await;
    assert!(
        stats.capture_us > 0 && stats.encode_us > 0 && stats.bytes_sent > 0,
        "capture, encode and bytes are measured: {stats:?}"
    );

    // Viewer input moves the real pointer.
    send(
        &mut viewer.ws,
        Payload::MouseEvent(proto::MouseEvent {
            action: proto::MouseAction::Move as i32,
            display_id: display_id.clone(),
            x: 123,
            y: 234,
            ..Default::default()
        }),
    )
    .await;
    let pointer_at = || async {
        let p = conn
            .query_pointer(root)
            .expect("query")
            .reply()
            .expect("reply");
        (p.root_x, p.root_y) == (123, 234)
    };
    eventually("the pointer reaches 123,234", pointer_at).await;
}

/// A relay whose certificate a private CA issued: refused until the agent is told to trust
/// that CA (`--ca-cert`), then the session works over wss://.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_wss_the_agent_trusts_exactly_the_ca_it_is_given() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = guruconnect_testkit::PrivateCa::create(dir.path());
    let app = TestApp::spawn_tls(&ca).await;
    assert!(app.relay_url().starts_with("wss://"));
    let x = Xvfb::start(320, 240);
    let (key, _) = app.mint_key("tls-pc").await;

    let log = dir.path().join("untrusting.log");
    let file = std::fs::File::create(&log).expect("log");
    let untrusting = start_agent_with(&app, &x, "tls-pc", &key, &[], Stdio::from(file));
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    eventually("the agent reports the untrusted certificate", || async {
        said().contains("connection failed")
    })
    .await;
    let text = said();
    assert!(
        text.to_lowercase().contains("certificate") && !text.contains("not compiled in"),
        "the agent names the certificate problem: {text}"
    );
    let machine = app.get("/api/machines/tls-pc", &app.admin_token).await;
    assert_eq!(machine.status(), 404, "it never registered");
    drop(untrusting);

    let ca_arg = ca.ca_pem.display().to_string();
    let _trusting = start_agent_with(
        &app,
        &x,
        "tls-pc",
        &key,
        &["--ca-cert", &ca_arg],
        Stdio::inherit(),
    );
    let machine = online(&app, "tls-pc").await;
    assert_eq!(machine["hostname"], sysinfo_hostname());
}

fn sysinfo_hostname() -> String {
    guruconnect_agent::inventory::collect(&Default::default(), &Default::default()).hostname
}

/// Stopped by its service manager (SIGTERM), the agent says goodbye: the relay records that it
/// left, not that its connection was lost, and the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_agent_says_goodbye_to_the_relay() {
    let app = TestApp::spawn().await;
    let x = Xvfb::start(320, 240);
    let (key, _) = app.mint_key("stopping-pc").await;
    let mut agent = start_agent(&app, &x, "stopping-pc", &key);
    online(&app, "stopping-pc").await;
    let session_id = live_session(&app).await;
    let status = Command::new("kill")
        .args(["-TERM", &agent.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut exit = None;
    for _ in 0..100 {
        exit = agent.0.try_wait().expect("wait");
        if exit.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        exit.is_some_and(|e| e.success()),
        "exited cleanly: {exit:?}"
    );
    let path = format!("/api/sessions/{session_id}/events");
    let reason = || async {
        let events = app.get_json(&path, &app.admin_token).await;
        events
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["event_type"] == "agent_disconnected")
            .and_then(|e| e["detail"].as_str())
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .map(|d| d["reason"].clone())
    };
    eventually("the departure is audited", || async {
        reason().await.is_some()
    })
    .await;
    assert_eq!(reason().await, Some(serde_json::json!("agent_closed")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_agent_is_the_same_machine() {
    let app = TestApp::spawn().await;
    let x = Xvfb::start(320, 240);
    let (key, _) = app.mint_key("restart-pc").await;
    let agent = start_agent(&app, &x, "restart-pc", &key);
    let first = online(&app, "restart-pc").await;
    drop(agent); // killed, as a crash or reboot would
    let path = "/api/machines/restart-pc";
    eventually("the machine goes offline", || async {
        app.get_json(path, &app.admin_token).await["online"] == false
    })
    .await;
    let _again = start_agent(&app, &x, "restart-pc", &key);
    let second = online(&app, "restart-pc").await;
    // The same machine row, not a new one (the API does not expose machine_uid).
    assert_eq!(first["first_seen_at"], second["first_seen_at"]);
    assert!(first["first_seen_at"].is_string());
    // The agent's inventory reached the machine record.
    let path = "/api/machines/restart-pc";
    eventually("the inventory arrives", || async {
        let m = app.get_json(path, &app.admin_token).await;
        m["cpu_cores"].as_i64().unwrap_or(0) > 0 && m["ram_bytes"].as_i64().unwrap_or(0) > 0
    })
    .await;
    let m = app.get_json(path, &app.admin_token).await;
    // What the agent collected on this machine is what the server stored.
    let here = guruconnect_agent::inventory::collect(&Default::default(), &Default::default());
    assert_eq!(m["os_arch"], std::env::consts::ARCH);
    assert!(!m["os_name"].as_str().unwrap_or_default().is_empty(), "{m}");
    for (field, value) in [
        ("hostname", &here.hostname),
        ("os_name", &here.os_name),
        ("os_version", &here.os_version),
        ("cpu_model", &here.cpu_model),
    ] {
        assert_eq!(m[field].as_str(), Some(value.as_str()), "{field}: {m}");
    }
    assert_eq!(m["cpu_cores"], here.cpu_cores);
    assert_eq!(m["ram_bytes"], here.ram_bytes);
    assert_eq!(m["time_zone"], AGENT_TZ);
    let ips: Vec<&str> = here.addresses.iter().map(|a| a.ip.as_str()).collect();
    assert_eq!(m["private_ips"], serde_json::json!(ips));
    assert!(m["uptime_seconds"].as_i64().unwrap_or(0) > 0, "{m}");
    let machines = app.get_json("/api/machines", &app.admin_token).await;
    assert_eq!(
        machines["total"], 1,
        "no second record for the same machine"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settings_file_is_enough_and_the_agent_logs_to_a_file() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let x = Xvfb::start(320, 240);
    let (key, _) = app.mint_key("file-pc").await;
    let dir = tempfile::tempdir().expect("dir");
    let logs = dir.path().join("logs");
    let settings = dir.path().join("agent.toml");
    let text = format!(
        "server = \"ws://{}\"\nagent_id = \"file-pc\"\nkey = \"{key}\"\ndisplay = \"{}\"\nlog_dir = \"{}\"\n[labels]\nsite = \"Branch 7\"\n",
        app.addr(),
        x.display,
        logs.display()
    );
    std::fs::write(&settings, text).expect("write settings");
    std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let child = Command::new(env!("CARGO_BIN_EXE_guruconnect-agent"))
        .args(["run", "--config"])
        .arg(&settings)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start agent");
    let _agent = AgentProcess(child);
    online(&app, "file-pc").await;
    let path = "/api/machines/file-pc";
    eventually("the label from the settings file arrives", || async {
        app.get_json(path, &app.admin_token).await["site"] == "Branch 7"
    })
    .await;
    eventually("the log file records the session", || async {
        std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                std::fs::read_to_string(entry.path()).is_ok_and(|t| t.contains("session started"))
            })
    })
    .await;
}

/// The attended agent with a support code, its consent window found on the desktop.
async fn attended_agent_asking(app: &TestApp, x: &Xvfb) -> (AgentProcess, String, String) {
    let code = app
        .post_json(
            "/api/codes",
            &app.admin_token,
            serde_json::json!({"technician_name": "Dana Tech"}),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let child = Command::new(env!("CARGO_BIN_EXE_guruconnect-agent"))
        .args(["run", "--server", &format!("ws://{}", app.addr())])
        .args(["--support-code", &code, "--display", &x.display])
        .env("GURUCONNECT_LOG_LEVEL", "warn")
        .env(
            "GURUCONNECT_LOG_DIR",
            std::env::temp_dir().join("guruconnect-e2e-logs"),
        )
        .stdout(Stdio::null())
        .spawn()
        .expect("start attended agent");
    let agent = AgentProcess(child);
    let mut window = String::new();
    eventually("the consent window to appear", || {
        let found = Command::new("xdotool")
            .args(["search", "--name", "GuruConnect: remote support request"])
            .env("DISPLAY", &x.display)
            .output()
            .expect("xdotool");
        window = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        let shown = !window.is_empty();
        async move { shown }
    })
    .await;
    let session = live_session(app).await;
    (agent, session, window)
}

fn click_in(x: &Xvfb, window: &str, (bx, by, w, h): (i16, i16, u16, u16)) {
    let (cx, cy) = (bx + w as i16 / 2, by + h as i16 / 2);
    x.run(
        "xdotool",
        &[
            "mousemove",
            "--window",
            window,
            &cx.to_string(),
            &cy.to_string(),
            "click",
            "1",
        ],
    );
}

async fn event_types(app: &TestApp, session: &str) -> Vec<String> {
    app.get_json(&format!("/api/sessions/{session}/events"), &app.admin_token)
        .await
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attended_agent_streams_once_its_user_clicks_accept() {
    use guruconnect_agent::consent::x11::ACCEPT_BUTTON;
    let app = TestApp::spawn().await;
    let x = Xvfb::start(640, 480);
    let (_agent, session, window) = attended_agent_asking(&app, &x).await;
    let token = app.viewer_token(&session, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, &session, &token)
        .await
        .expect("join");
    assert!(event_types(&app, &session)
        .await
        .contains(&"consent_requested".to_owned()));
    assert!(!event_types(&app, &session)
        .await
        .contains(&"consent_accepted".to_owned()));

    click_in(&x, &window, ACCEPT_BUTTON);
    let frame = viewer.next_frame().await;
    assert!(frame.key_frame, "streaming starts with a full picture");
    assert!(event_types(&app, &session)
        .await
        .contains(&"consent_accepted".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attended_agent_exits_successfully_when_the_technician_ends_its_session() {
    use guruconnect_agent::consent::x11::ACCEPT_BUTTON;
    let app = TestApp::spawn().await;
    let x = Xvfb::start(640, 480);
    let (mut agent, session, window) = attended_agent_asking(&app, &x).await;
    click_in(&x, &window, ACCEPT_BUTTON);
    eventually("the session to become active", || async {
        app.get_json(&format!("/api/sessions/{session}"), &app.admin_token)
            .await["status"]
            == "active"
    })
    .await;
    let ended = app
        .post(
            &format!("/api/sessions/{session}/end"),
            &app.admin_token,
            serde_json::json!({}),
        )
        .await;
    assert!(ended.status().is_success(), "{}", ended.status());
    let mut status = None;
    eventually("the attended agent to exit", || {
        status = agent.0.try_wait().expect("wait");
        let exited = status.is_some();
        async move { exited }
    })
    .await;
    assert!(
        status.expect("exited").success(),
        "one session, then a clean exit: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attended_agent_whose_user_declines_ends_the_session_and_exits() {
    use guruconnect_agent::consent::x11::DECLINE_BUTTON;
    let app = TestApp::spawn().await;
    let x = Xvfb::start(640, 480);
    let (mut agent, session, window) = attended_agent_asking(&app, &x).await;
    click_in(&x, &window, DECLINE_BUTTON);
    eventually("the attended agent to exit", || {
        let exited = agent.0.try_wait().expect("wait").is_some();
        async move { exited }
    })
    .await;
    let row = app
        .get_json(&format!("/api/sessions/{session}"), &app.admin_token)
        .await;
    assert_eq!(row["status"], "ended");
    assert_eq!(row["end_reason"], "consent_declined");
}

/// Whether X reports `keycode` held.
fn key_held(conn: &impl x11rb::connection::Connection, keycode: u8) -> bool {
    let keys = conn
        .query_keymap()
        .expect("query keymap")
        .reply()
        .expect("keymap")
        .keys;
    keys[usize::from(keycode / 8)] & (1 << (keycode % 8)) != 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_a_departing_viewer_held_are_released_while_another_stays() {
    const SHIFT_LEFT: u8 = 42 + 8; // evdev code + 8
    let app = TestApp::spawn().await;
    let x = Xvfb::start(320, 240);
    let (conn, _) = x.connect();
    let (key, _) = app.mint_key("held-pc").await;
    let _agent = start_agent(&app, &x, "held-pc", &key);
    online(&app, "held-pc").await;
    let session_id = live_session(&app).await;
    let token = app.viewer_token(&session_id, &app.admin_token).await;
    let mut leaving = TestViewer::join(&app, &session_id, &token)
        .await
        .expect("join");
    let mut staying = TestViewer::join(&app, &session_id, &token)
        .await
        .expect("join");
    staying.next_frame().await;

    send(
        &mut leaving.ws,
        Payload::KeyEvent(proto::KeyEvent {
            down: true,
            code: "ShiftLeft".into(),
            modifiers: 1,
            ..Default::default()
        }),
    )
    .await;
    eventually("Shift is held on the desktop", || async {
        key_held(&conn, SHIFT_LEFT)
    })
    .await;
    drop(leaving); // the tab closes with Shift still down
    eventually("Shift is let go once its viewer left", || async {
        !key_held(&conn, SHIFT_LEFT)
    })
    .await;
    // The other viewer is still connected and still gets pictures.
    x.run("xsetroot", &["-solid", "#336699"]);
    staying.next_frame().await;
}
