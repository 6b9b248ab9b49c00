//! The Windows build of the agent, run under Wine against the real server in-process: where its
//! Windows code (cmd.exe command lines, the job object that ends a timed-out command's whole
//! process tree, the Windows service under Wine's service manager, the watchdog's Service
//! Control Manager calls) actually runs on this
//! machine. Wine is not Windows: what these tests show is that the calls are made right and
//! behave as documented where Wine implements them (it implements all the ones used here).
//!
//! Needs `GRMM_WINE_AGENT_EXE`, the `.exe` that `./dev test` builds in its Windows step (it
//! sets the variable), Wine (`scripts/wine-deps.sh`) and MinGW (`scripts/windows-check.sh`).
//! Without the variable the tests say so and pass, except under `CI=true`, where they fail.
#![cfg(target_os = "linux")]

#[allow(dead_code)]
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::Harness;

const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver64";

/// The Windows agent, or `None` (after saying why) when this run has none.
fn agent_exe() -> Option<PathBuf> {
    match std::env::var_os("GRMM_WINE_AGENT_EXE") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "GRMM_WINE_AGENT_EXE={} is missing",
                path.display()
            );
            assert!(
                Path::new(WINE).exists(),
                "Wine is not installed: run scripts/wine-deps.sh (./dev test does)"
            );
            Some(path)
        }
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("GRMM_WINE_AGENT_EXE must be set in CI (./dev test builds the Windows agent)")
        }
        None => {
            eprintln!("skipped: set GRMM_WINE_AGENT_EXE to the Windows build of gururmm-agent (./dev test does)");
            None
        }
    }
}

/// A Wine prefix of its own for one test, shut down (every process in it) when dropped, with
/// the agent copied into it beside the bcryptprimitives.dll stand-in Wine 8 lacks, and the
/// `nap.exe` helper (both built from `scripts/wine/` with MinGW).
struct Wine {
    prefix: tempfile::TempDir,
    agent: PathBuf,
}

impl Wine {
    fn new(exe: &Path) -> Self {
        let prefix = tempfile::tempdir().expect("prefix dir");
        let bin = prefix.path().join("agent");
        std::fs::create_dir_all(&bin).expect("agent dir");
        let agent = bin.join("gururmm-agent.exe");
        std::fs::copy(exe, &agent).expect("copy the agent");
        mingw(
            "bcryptprimitives.c",
            &["-shared", "-ladvapi32"],
            &bin.join("bcryptprimitives.dll"),
        );
        mingw("nap.c", &[], &bin.join("nap.exe"));
        let wine = Self { prefix, agent };
        let init = wine
            .command(Path::new("wineboot"))
            .arg("--init")
            .stdout(Stdio::null())
            .stderr(wine.log_file())
            .status()
            .expect("wineboot");
        assert!(init.success(), "wineboot failed: {}", wine.log());
        wine
    }

    fn log_file(&self) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.prefix.path().join("wine.log"))
            .expect("wine log")
    }

    /// What Wine's own processes wrote to stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("wine.log")).unwrap_or_default()
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(WINE);
        command
            .arg(program)
            .env("WINEPREFIX", self.prefix.path())
            .env_remove("DISPLAY")
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer prompts: the agent needs neither.
            .env("WINEDLLOVERRIDES", "mscoree=d;mshtml=d")
            .stdin(Stdio::null());
        command
    }

    /// Starts the agent in the foreground with `config`; its stderr goes to `log`.
    fn spawn_agent(&self, config: &Path, log: &Path) -> tokio::process::Child {
        let mut command = tokio::process::Command::from(self.command(&self.agent));
        command
            .args(["--config", &windows_path(config), "run"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("agent log"))
            .kill_on_drop(true);
        command.spawn().expect("start the agent under Wine")
    }

    /// Runs the agent with `args` and waits for it.
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

    /// Gives Wine's service manager the patience of a loaded machine: by default it gives up
    /// on a service that has not connected to it within a few seconds, which a large program
    /// starting under Wine on two busy cores can miss. Restarts Wine so it reads the setting.
    fn patient_service_manager(&self) {
        let key = r"HKLM\System\CurrentControlSet\Control";
        let set = self
            .command(Path::new("reg"))
            .args(["add", key, "/v", "ServicesPipeTimeout", "/t", "REG_DWORD"])
            .args(["/d", "120000", "/f"])
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .status()
            .expect("reg");
        assert!(set.success(), "reg add failed: {}", self.log());
        for flag in ["-k", "-w"] {
            let _ = Command::new(WINESERVER)
                .arg(flag)
                .env("WINEPREFIX", self.prefix.path())
                .status();
        }
        // Wine's service manager (and every service it starts) keeps the stderr of the
        // command that brought Wine back up: the log file, so a failing test can show it.
        let up = self
            .command(Path::new("wineboot"))
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .status()
            .expect("wineboot");
        assert!(up.success(), "wineboot failed: {}", self.log());
    }

    /// Runs Wine's `sc ARGS` and returns what it printed.
    fn sc(&self, args: &[&str]) -> String {
        let ran = self
            .command(Path::new("sc"))
            .args(args)
            .output()
            .expect("sc");
        String::from_utf8_lossy(&ran.stdout).into_owned()
    }

    /// The helper that sleeps and then leaves a marker file, as a Windows path.
    fn nap(&self) -> String {
        windows_path(&self.prefix.path().join("agent/nap.exe"))
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = Command::new(WINESERVER)
            .arg("-k")
            .env("WINEPREFIX", self.prefix.path())
            .status();
    }
}

/// Prints a log file (or every file of a log directory) when the test fails while this lives:
/// what the agent said is the first thing to read when something under Wine goes wrong.
struct ShownOnFailure(PathBuf);

impl Drop for ShownOnFailure {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let files = match std::fs::read_dir(&self.0) {
            Ok(dir) => dir.filter_map(|e| Some(e.ok()?.path())).collect(),
            Err(_) => vec![self.0.clone()],
        };
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            eprintln!("--- {} ---\n{text}", file.display());
        }
    }
}

/// `path` as the Windows program sees it: Wine maps `/` to drive Z:.
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Compiles `scripts/wine/SOURCE` with MinGW (installed with the Windows toolchain) to `out`.
fn mingw(source: &str, flags: &[&str], out: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../scripts/wine")
        .join(source);
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-o"])
        .arg(out)
        .arg(&source)
        .args(flags)
        .output()
        .expect("x86_64-w64-mingw32-gcc (scripts/windows-check.sh installs MinGW)");
    assert!(built.status.success(), "building {source:?}: {built:?}");
}

/// The harness's agent configuration without CPU metrics: sysinfo reads them through PDH and,
/// when Wine's PDH lacks the counters, re-enumerates them with PdhEnumObjectsA, which Wine
/// does not implement (the process aborts). Memory, disk and network metrics stay on.
fn wine_config(h: &Harness, name: &str, site_code: &str) -> PathBuf {
    let path = h.agent_config(name, site_code, "");
    let text = std::fs::read_to_string(&path).expect("read config");
    let text = text.replacen("[metrics]\n", "[metrics]\ncollect_cpu = false\n", 1);
    std::fs::write(&path, text).expect("write config");
    path
}

/// Sends a shell command and waits for its stored result.
async fn shell(h: &Harness, agent: &str, text: &str, timeout: u64, elevated: bool) -> Value {
    let id = h
        .command_with(agent, "shell", text, timeout, elevated)
        .await;
    h.finished(&id).await
}

/// Waits up to `secs` for `path` to exist.
async fn appears(path: &Path, secs: u64) -> bool {
    for _ in 0..secs * 10 {
        if path.exists() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    path.exists()
}

#[tokio::test]
async fn the_windows_agent_runs_cmd_commands_as_typed_and_a_timeout_ends_the_whole_tree() {
    let Some(exe) = agent_exe() else { return };
    let wine = Wine::new(&exe);
    let h = Harness::start().await;
    let code = h.site_code().await;
    let config = wine_config(&h, "wine", &code);
    let log = h.dir.path().join("wine-agent.log");
    let _agent = wine.spawn_agent(&config, &log);
    let _shown = ShownOnFailure(log.clone());
    let id = h.agent_id("e2e-wine").await;
    h.wait_status(&id, "online").await;
    let detail = h.get(&format!("/api/agents/{id}")).await;
    assert!(
        detail.to_string().to_lowercase().contains("windows"),
        "the agent reports Windows: {detail}"
    );

    // Quotes, `&` and `%VAR%` reach cmd.exe exactly as typed, through both ways of starting a
    // command: with the agent's rights and through the restricted `run-unelevated` helper.
    for elevated in [true, false] {
        let done = shell(
            &h,
            &id,
            r#"echo "a b" & echo %OS%& exit /b 3"#,
            60,
            elevated,
        )
        .await;
        assert_eq!(done["exit_code"], 3, "elevated={elevated}: {done}");
        assert_eq!(
            done["stdout"], "\"a b\" \r\nWindows_NT\r\n",
            "elevated={elevated}: {done}"
        );
    }

    // Control: a grandchild left running by a command that finished keeps running (and the
    // marker mechanism works under Wine): `start` leaves nap orphaned, its parent gone.
    let dir = h.dir.path();
    let kept = dir.join("kept.txt");
    let start = |secs: u64, marker: &Path| {
        format!(
            r#"start "" /b {} {secs} {}"#,
            wine.nap(),
            windows_path(marker)
        )
    };
    let done = shell(&h, &id, &start(1, &kept), 60, true).await;
    assert_eq!(done["exit_code"], 0, "{done}");
    assert!(appears(&kept, 30).await, "the orphaned nap never finished");

    // A timeout ends the command and every process it started, the orphan included.
    let ended = dir.join("ended.txt");
    let text = format!("{} & {} 120", start(4, &ended), wine.nap());
    let done = shell(&h, &id, &text, 2, true).await;
    assert_eq!(done["status"], "timed_out", "{done}");
    assert_eq!(done["exit_code"], 124, "{done}");
    assert!(
        !appears(&ended, 8).await,
        "a process the timed-out command started survived it: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_installs_runs_and_uninstalls_under_wines_service_manager() {
    let Some(exe) = agent_exe() else { return };
    let wine = Wine::new(&exe);
    wine.patient_service_manager();
    let h = Harness::start().await;
    let code = h.site_code().await;

    // A configuration that does not load is refused before anything is registered.
    let broken = h.dir.path().join("broken.toml");
    std::fs::write(&broken, "[server]\nurl = 5\n").expect("write");
    let refused = wine.run_agent(&["--config", &windows_path(&broken), "install"]);
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("not installing with"), "{said}");
    let uninstall = ["uninstall"];
    assert_eq!(
        wine.agent_says(&uninstall),
        "GuruRMM Agent: not installed; nothing to do"
    );

    let config = wine_config(&h, "svc", &code);
    let _shown = ShownOnFailure(config.with_file_name("logs"));
    let _wine_said = ShownOnFailure(wine.prefix.path().join("wine.log"));
    let config = windows_path(&config);
    let install = ["--config", config.as_str(), "install"];
    assert_eq!(
        wine.agent_says(&install),
        "GuruRMM Agent: installed and started"
    );
    let id = h.agent_id("e2e-svc").await;
    h.wait_status(&id, "online").await;
    // The service runs commands like the foreground agent.
    let done = shell(&h, &id, "echo %OS%", 60, true).await;
    assert_eq!(
        (&done["exit_code"], &done["stdout"]),
        (&0.into(), &"Windows_NT\r\n".into()),
        "{done}"
    );

    // Installing again updates the registration and restarts the service, which reconnects.
    assert_eq!(
        wine.agent_says(&install),
        "GuruRMM Agent: updated and restarted"
    );
    h.wait_status(&id, "online").await;

    assert_eq!(
        wine.agent_says(&uninstall),
        "GuruRMM Agent: stopped and removed"
    );
    h.wait_status(&id, "offline").await;
    assert_eq!(
        wine.agent_says(&uninstall),
        "GuruRMM Agent: not installed; nothing to do"
    );
}

/// The service names in `events` (a watchdog-events list) whose event is `kind`.
fn with_event<'a>(events: &'a Value, kind: &str) -> Vec<&'a str> {
    let list = events.as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .filter(|e| e["event"] == kind)
        .filter_map(|e| e["service"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_restarts_a_stopped_windows_service_through_the_scm() {
    let Some(exe) = agent_exe() else { return };
    let wine = Wine::new(&exe);
    wine.patient_service_manager();
    let h = Harness::start().await;
    let code = h.site_code().await;
    let config = wine_config(&h, "watch", &code);
    // Wine's Automatic Updates stub: a real SCM service, demand-start, stopped after boot.
    let watched = |name: &str| {
        format!(
            "[[watchdog.services]]\nname = \"{name}\"\naction = \"restart\"\n\
             max_restarts = 3\nrestart_cooldown_seconds = 5\n"
        )
    };
    let mut text = std::fs::read_to_string(&config).expect("read config");
    text.push_str("[watchdog]\nenabled = true\ncheck_interval_seconds = 5\n");
    text.push_str(&watched("wuauserv"));
    text.push_str(&watched("NoSuchService"));
    std::fs::write(&config, text).expect("write config");
    assert!(wine.sc(&["query", "wuauserv"]).contains("STOPPED"));

    let log = h.dir.path().join("watch-agent.log");
    let _agent = wine.spawn_agent(&config, &log);
    let _shown = ShownOnFailure(log.clone());
    let id = h.agent_id("e2e-watch").await;
    let path = format!("/api/agents/{id}/watchdog-events");
    let events = h
        .wait_for(
            "the watchdog to restart wuauserv",
            |v| with_event(&v, "restarted").contains(&"wuauserv"),
            &path,
        )
        .await;
    assert!(wine.sc(&["query", "wuauserv"]).contains("RUNNING"));
    // A service that does not exist is reported, never "restarted".
    let events = if with_event(&events, "check_failed").contains(&"NoSuchService") {
        events
    } else {
        h.wait_for(
            "the missing service to be reported",
            |v| with_event(&v, "check_failed").contains(&"NoSuchService"),
            &path,
        )
        .await
    };
    assert!(!with_event(&events, "restarted").contains(&"NoSuchService"));

    // Stopped again by hand: seen at the next check and started again (restart 2 of 3).
    wine.sc(&["stop", "wuauserv"]);
    h.wait_for(
        "the second restart",
        |v| {
            with_event(&v, "restarted")
                .iter()
                .filter(|s| **s == "wuauserv")
                .count()
                == 2
        },
        &path,
    )
    .await;
}
