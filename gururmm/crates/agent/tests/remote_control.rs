//! NRC-9 with real files and real processes: a "GuruConnect agent" release (a shell script that
//! records how it was started, then stays up) published by a local HTTP server, signed with a
//! test release key. Corrupted, wrongly signed, oversized and tampered-in-cache builds are
//! refused and provably never run: the script would create a marker file.

#![cfg(all(unix, target_os = "linux", target_arch = "x86_64"))]

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use gururmm_agent::config::RemoteControlConfig;
use gururmm_agent::remote_control::Launcher;
use gururmm_protocol::{
    CommandResult, ConnectRelease, RemoteControlLaunch, RemoteControlMode, EXIT_EXECUTOR_ERROR,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DEVICE: &str = "0123456789abcdef0123456789abcdef";

fn release_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

fn pinned() -> String {
    STANDARD.encode(release_key().verifying_key().to_bytes())
}

/// What the release server serves and how often it was asked.
#[derive(Default)]
struct Published {
    body: Mutex<Vec<u8>>,
    downloads: AtomicUsize,
}

struct Rig {
    dir: tempfile::TempDir,
    published: Arc<Published>,
    url: String,
    launcher: Launcher,
    _server: tokio::task::JoinHandle<()>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.launcher.stop_all();
        // Attended agents are not tracked (only reaped): end whatever still runs from this
        // rig's cache, so no test leaves a process behind.
        let _ = std::process::Command::new("pkill")
            .arg("-f")
            .arg(self.launcher.cache_dir())
            .status();
    }
}

/// A fake GuruConnect agent: records its arguments, its key variable and each start, then
/// stays up (so "already running" can be observed). It stays the script's shell, as the real
/// agent stays its own binary, so what runs is recognisably the cached build.
fn script(marks: &Path, tag: &str) -> Vec<u8> {
    format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{m}/args'\nprintf '%s' \"${{GURUCONNECT_AGENT_KEY-unset}}\" > '{m}/key'\nprintf '%s' \"${{GURUCONNECT_CA_CERT-unset}}\" > '{m}/ca'\necho {tag} >> '{m}/runs'\nsleep 600\n",
        m = marks.display()
    )
    .into_bytes()
}

async fn serve(State(p): State<Arc<Published>>) -> impl IntoResponse {
    p.downloads.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::OK,
        p.body.lock().unwrap_or_else(|e| e.into_inner()).clone(),
    )
}

async fn rig_with(tweak: impl FnOnce(&mut RemoteControlConfig)) -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("marks")).expect("marks");
    let published = Arc::new(Published::default());
    let app = axum::Router::new()
        .route("/api/releases/linux-x86_64/1.2.3/download", get(serve))
        .with_state(published.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/api/releases/linux-x86_64/1.2.3/download",
        listener.local_addr().expect("addr")
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut config = RemoteControlConfig {
        release_public_key: Some(pinned()),
        download_timeout_secs: 30,
        ..RemoteControlConfig::default()
    };
    tweak(&mut config);
    let launcher = Launcher::new(config, DEVICE.into(), dir.path(), &Default::default());
    Rig {
        dir,
        published,
        url,
        launcher,
        _server: server,
    }
}

async fn rig() -> Rig {
    rig_with(|_| {}).await
}

fn signed(binary: &[u8], key: &SigningKey) -> (String, String) {
    let digest = Sha256::digest(binary);
    (
        hex::encode(digest),
        STANDARD.encode(key.sign(&digest).to_bytes()),
    )
}

/// The parameters of a `remote_control_launch` for this machine, as the server sends them.
fn launch_command(mode: RemoteControlMode, release: ConnectRelease) -> RemoteControlLaunch {
    let (agent_key, support_code) = match mode {
        RemoteControlMode::Unattended => (Some("gcak_machine-secret".to_owned()), None),
        RemoteControlMode::Attended => (None, Some("482913".to_owned())),
    };
    RemoteControlLaunch {
        session_id: "sess-1".into(),
        mode,
        server_url: "wss://connect.example.com".into(),
        agent_id: DEVICE.into(),
        agent_key,
        support_code,
        release,
    }
}

impl Rig {
    fn marks(&self) -> PathBuf {
        self.dir.path().join("marks")
    }

    /// Publishes `served` as the download, announcing `announced`'s hash signed by `key`.
    fn publish(&self, served: &[u8], announced: &[u8], key: &SigningKey) -> ConnectRelease {
        *self.published.body.lock().expect("lock") = served.to_vec();
        let (sha256, signature) = signed(announced, key);
        ConnectRelease {
            version: "1.2.3".into(),
            platform: "linux-x86_64".into(),
            download_url: self.url.clone(),
            sha256,
            signature,
            size: Some(served.len() as u64),
        }
    }

    fn genuine(&self) -> ConnectRelease {
        let binary = script(&self.marks(), "genuine");
        self.publish(&binary, &binary, &release_key())
    }

    async fn run(&self, mode: RemoteControlMode, release: ConnectRelease) -> CommandResult {
        let launch = launch_command(mode, release);
        self.launcher.run(uuid::Uuid::new_v4(), &launch).await
    }

    fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.marks().join(name)).ok()
    }

    fn downloads(&self) -> usize {
        self.published.downloads.load(Ordering::SeqCst)
    }

    fn cached(&self) -> PathBuf {
        self.launcher.cache_dir().join("1.2.3/guruconnect-agent")
    }

    /// Waits (bounded) for the started script to write its marks.
    async fn wait_for(&self, name: &str) -> String {
        for _ in 0..500 {
            if let Some(text) = self.read(name).filter(|t| !t.is_empty()) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the launched agent never wrote {name}");
    }

    fn assert_nothing_ran(&self, result: &CommandResult) {
        assert_eq!(result.exit_code, EXIT_EXECUTOR_ERROR, "{result:?}");
        assert!(
            result.stderr.contains("nothing was run"),
            "{}",
            result.stderr
        );
        assert_eq!(self.read("runs"), None, "the refused build ran");
        assert!(!self.cached().exists(), "a refused build was stored");
        assert_eq!(self.launcher.running_pid(DEVICE), None);
    }
}

#[tokio::test]
async fn a_genuine_build_is_verified_cached_and_started_unattended_with_the_key_in_env() {
    let rig = rig().await;
    let result = rig.run(RemoteControlMode::Unattended, rig.genuine()).await;
    assert_eq!(result.exit_code, 0, "{result:?}");
    assert!(result.stdout.contains("started guruconnect-agent 1.2.3"));
    let args = rig.wait_for("args").await;
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "run",
            "--server",
            "wss://connect.example.com",
            "--agent-id",
            DEVICE
        ]
    );
    assert_eq!(rig.wait_for("key").await, "gcak_machine-secret");
    assert!(
        !args.contains("gcak_"),
        "the key is never on the command line"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(rig.cached())
        .expect("cached")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    assert!(rig.launcher.running_pid(DEVICE).is_some());
}

#[tokio::test]
async fn the_relay_ca_reaches_the_guruconnect_agent_and_nothing_else_does() {
    let rig = rig().await;
    assert_eq!(
        rig.run(RemoteControlMode::Unattended, rig.genuine())
            .await
            .exit_code,
        0
    );
    assert_eq!(
        rig.wait_for("ca").await,
        "unset",
        "no CA configured, none passed"
    );
    rig.launcher.stop_all();

    let ca = PathBuf::from("/etc/gururmm/msp-ca.pem");
    let rig = rig_with(|c| c.ca_cert = Some(ca.clone())).await;
    assert_eq!(
        rig.run(RemoteControlMode::Unattended, rig.genuine())
            .await
            .exit_code,
        0
    );
    assert_eq!(rig.wait_for("ca").await, ca.display().to_string());
}

#[tokio::test]
async fn after_the_rmm_agent_restarts_it_still_knows_the_guruconnect_agent_it_started() {
    let rig = rig().await;
    let release = rig.genuine();
    assert_eq!(
        rig.run(RemoteControlMode::Unattended, release.clone())
            .await
            .exit_code,
        0
    );
    rig.wait_for("runs").await;
    let pid = rig.launcher.running_pid(DEVICE).expect("running");

    // The RMM agent restarts: a new launcher, nothing in memory, the same cache.
    let restarted = Launcher::new(
        RemoteControlConfig {
            release_public_key: Some(pinned()),
            ..RemoteControlConfig::default()
        },
        DEVICE.into(),
        rig.dir.path(),
        &Default::default(),
    );
    assert_eq!(restarted.running_pid(DEVICE), Some(pid));
    let again = restarted
        .run(
            uuid::Uuid::new_v4(),
            &launch_command(RemoteControlMode::Unattended, release),
        )
        .await;
    assert!(again.stdout.contains("already running"), "{again:?}");
    assert_eq!(
        rig.read("runs").as_deref(),
        Some("genuine\n"),
        "no second agent"
    );

    // Once it is gone, the remembered pid no longer counts.
    rig.launcher.stop_all();
    assert_eq!(restarted.running_pid(DEVICE), None);
}

#[tokio::test]
async fn an_attended_agent_that_exits_is_reaped() {
    let rig = rig().await;
    let quick = b"#!/bin/sh\nexit 0\n".to_vec();
    let release = rig.publish(&quick, &quick, &release_key());
    let result = rig.run(RemoteControlMode::Attended, release).await;
    assert_eq!(result.exit_code, 0, "{result:?}");
    let pid: u32 = result
        .stdout
        .split("pid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the pid in the result");
    // A child nobody waits for stays a zombie (state Z) until its parent exits.
    let proc_dir = format!("/proc/{pid}");
    for _ in 0..200 {
        if !std::path::Path::new(&proc_dir).exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).unwrap_or_default();
    panic!("the attended agent was not reaped: {stat}");
}

#[tokio::test]
async fn a_second_unattended_launch_does_not_start_a_second_agent() {
    let rig = rig().await;
    let release = rig.genuine();
    assert_eq!(
        rig.run(RemoteControlMode::Unattended, release.clone())
            .await
            .exit_code,
        0
    );
    rig.wait_for("runs").await;
    let pid = rig.launcher.running_pid(DEVICE).expect("running");
    let again = rig
        .run(RemoteControlMode::Unattended, release.clone())
        .await;
    assert_eq!(again.exit_code, 0);
    assert!(again.stdout.contains("already running"), "{}", again.stdout);
    assert_eq!(rig.launcher.running_pid(DEVICE), Some(pid));
    assert_eq!(rig.read("runs").as_deref(), Some("genuine\n"));
    assert_eq!(rig.downloads(), 1);

    // Once it has exited, the next launch starts it again from the verified cache.
    rig.launcher.stop_all();
    let third = rig.run(RemoteControlMode::Unattended, release).await;
    assert_eq!(third.exit_code, 0, "{third:?}");
    for _ in 0..500 {
        if rig.read("runs").as_deref() == Some("genuine\ngenuine\n") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rig.read("runs").as_deref(), Some("genuine\ngenuine\n"));
    assert_eq!(rig.downloads(), 1, "served from the cache");
}

#[tokio::test]
async fn attended_passes_the_support_code_and_no_key() {
    let rig = rig().await;
    let result = rig.run(RemoteControlMode::Attended, rig.genuine()).await;
    assert_eq!(result.exit_code, 0, "{result:?}");
    let args = rig.wait_for("args").await;
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "run",
            "--server",
            "wss://connect.example.com",
            "--support-code",
            "482913"
        ]
    );
    assert_eq!(rig.wait_for("key").await, "unset");
    kill_started(&result);
}

/// Stops a child the launcher does not track (attended), by the pid its result names.
fn kill_started(result: &CommandResult) {
    let pid = result
        .stdout
        .split_whitespace()
        .skip_while(|w| *w != "pid")
        .nth(1)
        .and_then(|p| p.parse::<u32>().ok())
        .expect("the result names the pid");
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
}

#[tokio::test]
async fn a_corrupted_download_is_refused_and_never_run() {
    let rig = rig().await;
    let genuine = script(&rig.marks(), "genuine");
    let mut corrupted = genuine.clone();
    corrupted.extend_from_slice(b"touch /tmp/pwned\n");
    let release = rig.publish(&corrupted, &genuine, &release_key());
    let result = rig.run(RemoteControlMode::Unattended, release).await;
    assert!(
        result.stderr.contains("SHA-256 mismatch"),
        "{}",
        result.stderr
    );
    rig.assert_nothing_ran(&result);
}

#[tokio::test]
async fn a_build_signed_by_another_key_is_refused_and_never_run() {
    let rig = rig().await;
    let evil = script(&rig.marks(), "evil");
    // The server's hash matches the file; only the pinned key tells it is not GuruConnect's.
    let release = rig.publish(&evil, &evil, &SigningKey::from_bytes(&[9u8; 32]));
    let result = rig.run(RemoteControlMode::Unattended, release).await;
    assert!(result.stderr.contains("signature"), "{}", result.stderr);
    rig.assert_nothing_ran(&result);
    // An unsigned one (empty signature) too.
    let mut unsigned = rig.publish(&evil, &evil, &release_key());
    unsigned.signature = String::new();
    let result = rig.run(RemoteControlMode::Unattended, unsigned).await;
    rig.assert_nothing_ran(&result);
}

#[tokio::test]
async fn a_tampered_cached_build_is_replaced_by_a_verified_download_before_running() {
    let rig = rig().await;
    let release = rig.genuine();
    assert_eq!(
        rig.run(RemoteControlMode::Unattended, release.clone())
            .await
            .exit_code,
        0
    );
    rig.wait_for("runs").await;
    rig.launcher.stop_all();
    // Someone swaps the cached file.
    std::fs::write(rig.cached(), script(&rig.marks(), "tampered")).expect("tamper");
    let result = rig.run(RemoteControlMode::Unattended, release).await;
    assert_eq!(result.exit_code, 0, "{result:?}");
    for _ in 0..500 {
        if rig.read("runs").is_some_and(|r| r.lines().count() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rig.read("runs").as_deref(), Some("genuine\ngenuine\n"));
    assert_eq!(rig.downloads(), 2);
}

#[tokio::test]
async fn without_a_pinned_key_nothing_is_downloaded_or_run() {
    let rig = rig_with(|c| c.release_public_key = None).await;
    let result = rig.run(RemoteControlMode::Unattended, rig.genuine()).await;
    assert!(
        result.stderr.contains("remote_control.release_public_key"),
        "{}",
        result.stderr
    );
    rig.assert_nothing_ran(&result);
    assert_eq!(rig.downloads(), 0);
}

#[tokio::test]
async fn oversized_foreign_machine_and_bad_version_launches_are_refused() {
    let rig = rig_with(|c| c.max_download_bytes = 1024).await;
    let mut big = script(&rig.marks(), "big");
    big.resize(4096, b'#');
    let mut release = rig.publish(&big, &big, &release_key());
    release.size = None; // not announced: the stream itself is cut off
    let result = rig.run(RemoteControlMode::Unattended, release).await;
    assert!(
        result.stderr.contains("larger than 1024"),
        "{}",
        result.stderr
    );
    rig.assert_nothing_ran(&result);

    let rig = self::rig().await;
    let mut release = rig.genuine();
    release.version = "../../bin".into();
    let result = rig.run(RemoteControlMode::Unattended, release).await;
    assert!(
        result.stderr.contains("not a plain version"),
        "{}",
        result.stderr
    );
    rig.assert_nothing_ran(&result);

    let launcher = Launcher::new(
        RemoteControlConfig {
            release_public_key: Some(pinned()),
            ..RemoteControlConfig::default()
        },
        "another-machine".into(),
        rig.dir.path(),
        &Default::default(),
    );
    let launch = RemoteControlLaunch {
        session_id: "s".into(),
        mode: RemoteControlMode::Unattended,
        server_url: "wss://c".into(),
        agent_id: DEVICE.into(),
        agent_key: Some("k".into()),
        support_code: None,
        release: rig.genuine(),
    };
    let result = launcher.run(uuid::Uuid::new_v4(), &launch).await;
    assert!(
        result.stderr.contains("this machine is"),
        "{}",
        result.stderr
    );
    assert_eq!(rig.downloads(), 0);
}
