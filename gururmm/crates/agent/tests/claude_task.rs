//! The claude_task restrictions (RMM-9), tested against a small stand-in CLI script: what is
//! tested is what the executor refuses, limits and reports, not the AI.

#![cfg(unix)]

use gururmm_agent::config::ClaudeConfig;
use gururmm_agent::exec::claude::{ClaudeExecutor, Clock};
use gururmm_protocol::{
    ClaudeTask, CommandKind, CommandPayload, EXIT_EXECUTOR_ERROR, EXIT_TIMED_OUT,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Fixture {
    dir: tempfile::TempDir,
    config: ClaudeConfig,
}

/// A stand-in CLI: prints its working directory and arguments; `block` waits for a release
/// file, `sleep` sleeps, `fail` exits 7, `exit124` exits 124 by itself.
fn fixture() -> Fixture {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().join("allowed");
    std::fs::create_dir_all(root.join("project")).expect("mkdir");
    std::fs::write(root.join("project/notes.txt"), "context").expect("write");
    std::fs::write(dir.path().join("secret.txt"), "outside").expect("write");
    std::os::unix::fs::symlink(dir.path(), root.join("escape")).expect("symlink");
    let cli = dir.path().join("fake-claude");
    let release = dir.path().join("release");
    std::fs::write(
        &cli,
        format!(
            "#!/bin/sh\necho \"cwd=$(pwd)\"\necho \"args=$*\"\ncase \"$2\" in\n\
             block) touch {}/started.$$; while [ ! -e {} ]; do sleep 0.05; done;;\n\
             sleep) sleep 30;;\nfail) exit 7;;\nexit124) exit 124;;\nesac\n",
            dir.path().display(),
            release.display()
        ),
    )
    .expect("write cli");
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = ClaudeConfig {
        enabled: true,
        cli: cli.to_string_lossy().into_owned(),
        args: vec!["-p".into()],
        working_directory: root,
        ..ClaudeConfig::default()
    };
    Fixture { dir, config }
}

fn task(text: &str) -> CommandPayload {
    CommandPayload {
        id: uuid::Uuid::new_v4(),
        timeout_seconds: None,
        elevated: false,
        kind: CommandKind::ClaudeTask(ClaudeTask {
            task: text.into(),
            ..ClaudeTask::default()
        }),
    }
}

/// The task's own parameters, to change them.
fn spec(command: &mut CommandPayload) -> &mut ClaudeTask {
    match &mut command.kind {
        CommandKind::ClaudeTask(spec) => spec,
        other => panic!("not a claude_task: {other:?}"),
    }
}

#[tokio::test]
async fn a_task_runs_in_the_allowed_directory_with_its_context_files() {
    let f = fixture();
    let exec = ClaudeExecutor::new(f.config.clone());
    let mut t = task("summarise");
    spec(&mut t).working_directory = Some("project".into());
    spec(&mut t).context_files = vec!["notes.txt".into()];
    let r = exec.run(&t).await;
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    let root = f.config.working_directory.canonicalize().expect("canon");
    assert!(
        r.stdout
            .contains(&format!("cwd={}", root.join("project").display())),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("args=-p summarise"), "{}", r.stdout);
    assert!(r.stdout.contains("notes.txt"));
    let failing = exec.run(&task("fail")).await;
    assert_eq!(failing.exit_code, 1, "CLI failures map to 1");
}

#[tokio::test]
async fn forbidden_characters_are_refused_before_anything_runs() {
    let f = fixture();
    let exec = ClaudeExecutor::new(f.config.clone());
    for bad in [
        "a & b", "a | b", "a; b", "$HOME", "$(id)", "a < b", "a > b", "`id`", "a\nb", "a\rb",
    ] {
        let r = exec.run(&task(bad)).await;
        assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR, "{bad:?}");
        assert!(r.stderr.contains("forbidden character"), "{}", r.stderr);
        assert!(r.stdout.is_empty(), "the CLI never ran for {bad:?}");
    }
}

#[tokio::test]
async fn the_working_directory_and_files_cannot_leave_the_root() {
    let f = fixture();
    let exec = ClaudeExecutor::new(f.config.clone());
    for dir in [
        "..",
        "../",
        "project/../..",
        "/etc",
        "escape",
        "C:\\Windows",
        "\\\\server\\share",
    ] {
        let mut t = task("look");
        spec(&mut t).working_directory = Some(dir.into());
        let r = exec.run(&t).await;
        assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR, "{dir}: {}", r.stdout);
    }
    let mut t = task("look");
    spec(&mut t).context_files = vec!["escape/secret.txt".into()];
    let r = exec.run(&t).await;
    assert_eq!(
        r.exit_code, EXIT_EXECUTOR_ERROR,
        "symlinked file outside the root"
    );
    assert!(!Path::new(&r.stdout).exists());
}

#[tokio::test]
async fn at_most_two_run_at_once() {
    let f = fixture();
    let exec = Arc::new(ClaudeExecutor::new(f.config.clone()));
    let first = tokio::spawn({
        let exec = exec.clone();
        async move { exec.run(&task("block")).await }
    });
    let second = tokio::spawn({
        let exec = exec.clone();
        async move { exec.run(&task("block")).await }
    });
    // Wait until both are really running: each stand-in leaves a marker before blocking.
    let started = || {
        std::fs::read_dir(f.dir.path())
            .expect("dir")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("started."))
            })
            .count()
    };
    while started() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let third = exec.run(&task("quick")).await;
    assert_eq!(third.exit_code, EXIT_EXECUTOR_ERROR);
    assert!(third.stderr.contains("already running"), "{}", third.stderr);
    std::fs::write(f.dir.path().join("release"), "").expect("release");
    assert_eq!(first.await.expect("join").exit_code, 0);
    assert_eq!(second.await.expect("join").exit_code, 0);
}

/// A clock the test moves by hand: the hour passes without waiting for it.
#[derive(Debug)]
struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        })
    }

    fn set(&self, since_start: Duration) {
        *self.elapsed.lock().expect("clock") = since_start;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().expect("clock")
    }
}

const MINUTE: Duration = Duration::from_secs(60);

/// Runs a quick task at `at` on the manual clock and returns (exit code, stderr).
async fn quick_at(exec: &ClaudeExecutor, clock: &ManualClock, at: Duration) -> (i32, String) {
    clock.set(at);
    let r = exec.run(&task("quick")).await;
    (r.exit_code, r.stderr)
}

#[tokio::test]
async fn the_hourly_window_slides_one_slot_at_a_time() {
    let f = fixture();
    let clock = ManualClock::new();
    let exec = ClaudeExecutor::with_clock(f.config.clone(), clock.clone());
    // One task a minute for ten minutes fills the window.
    for i in 0..10 {
        assert_eq!(quick_at(&exec, &clock, MINUTE * i).await.0, 0, "task {i}");
    }
    let (code, stderr) = quick_at(&exec, &clock, MINUTE * 10).await;
    assert_eq!(code, EXIT_EXECUTOR_ERROR);
    assert!(stderr.contains("next slot in 3000 s"), "{stderr}");
    // A second before the first task is an hour old, still full.
    let (code, stderr) = quick_at(&exec, &clock, MINUTE * 60 - Duration::from_secs(1)).await;
    assert_eq!(code, EXIT_EXECUTOR_ERROR);
    assert!(stderr.contains("next slot in 1 s"), "{stderr}");
    // The first task leaves the window: exactly one slot frees, not all ten.
    assert_eq!(quick_at(&exec, &clock, MINUTE * 60).await.0, 0);
    let (code, stderr) = quick_at(&exec, &clock, MINUTE * 60).await;
    assert_eq!(
        code, EXIT_EXECUTOR_ERROR,
        "a reset window would accept this"
    );
    assert!(stderr.contains("next slot in 60 s"), "{stderr}");
    // Each following minute frees the next one.
    assert_eq!(quick_at(&exec, &clock, MINUTE * 61).await.0, 0);
    let (code, _) = quick_at(&exec, &clock, MINUTE * 61).await;
    assert_eq!(code, EXIT_EXECUTOR_ERROR);
}

#[tokio::test]
async fn the_default_timeout_is_300_s_and_no_task_gets_more_than_600() {
    let exec = ClaudeExecutor::new(ClaudeConfig::default());
    assert_eq!(exec.timeout_for(None), Duration::from_secs(300));
    assert_eq!(exec.timeout_for(Some(42)), Duration::from_secs(42));
    assert_eq!(exec.timeout_for(Some(600)), Duration::from_secs(600));
    assert_eq!(exec.timeout_for(Some(601)), Duration::from_secs(600));
    assert_eq!(exec.timeout_for(Some(86_400)), Duration::from_secs(600));
    // Even a configuration that skipped validation cannot lift the ceiling.
    let loose = ClaudeExecutor::new(ClaudeConfig {
        max_timeout_secs: 86_400,
        ..ClaudeConfig::default()
    });
    assert_eq!(loose.timeout_for(Some(3600)), Duration::from_secs(600));
}

#[tokio::test]
async fn exit_codes_are_the_seeds_0_1_124_and_minus_1() {
    let f = fixture();
    let exec = ClaudeExecutor::new(f.config.clone());
    assert_eq!(exec.run(&task("quick")).await.exit_code, 0, "done");
    assert_eq!(exec.run(&task("fail")).await.exit_code, 1, "CLI exit 7");
    // 124 means the executor timed the task out, not that the CLI chose 124.
    let r = exec.run(&task("exit124")).await;
    assert_eq!((r.exit_code, r.timed_out), (1, false));
    let mut slow = task("sleep");
    slow.timeout_seconds = Some(1);
    let r = exec.run(&slow).await;
    assert_eq!((r.exit_code, r.timed_out), (EXIT_TIMED_OUT, true));
    assert_eq!(EXIT_TIMED_OUT, 124);
    assert_eq!(exec.run(&task("a;b")).await.exit_code, -1, "validation");
    let missing = ClaudeExecutor::new(ClaudeConfig {
        cli: f.dir.path().join("no-such-cli").display().to_string(),
        ..f.config.clone()
    });
    let r = missing.run(&task("quick")).await;
    assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR, "{r:?}");
    assert!(r.stderr.contains("could not start"), "{}", r.stderr);
    assert_eq!(EXIT_EXECUTOR_ERROR, -1);
}

#[tokio::test]
async fn ten_tasks_per_hour_then_refused() {
    let f = fixture();
    let exec = ClaudeExecutor::new(f.config.clone());
    for i in 0..10 {
        assert_eq!(exec.run(&task("quick")).await.exit_code, 0, "task {i}");
    }
    let r = exec.run(&task("quick")).await;
    assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR);
    assert!(r.stderr.contains("rate limit"), "{}", r.stderr);
}

#[tokio::test]
async fn a_task_past_its_timeout_is_killed_with_124_and_the_timeout_is_capped() {
    let f = fixture();
    let exec = ClaudeExecutor::new(f.config.clone());
    let mut t = task("sleep");
    t.timeout_seconds = Some(1);
    let r = exec.run(&t).await;
    assert_eq!(r.exit_code, EXIT_TIMED_OUT);
    assert!(r.timed_out);
    let text = "[server]\nurl=\"ws://x/ws\"\napi_key=\"k\"\n[claude]\nmax_timeout_secs = 601\n";
    let err = gururmm_agent::config::AgentConfig::parse(text).expect_err("max 600");
    assert!(err.to_string().contains("claude.max_timeout_secs"));
}

#[tokio::test]
async fn disabled_by_default() {
    let exec = ClaudeExecutor::new(ClaudeConfig::default());
    let r = exec.run(&task("anything")).await;
    assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR);
    assert!(r.stderr.contains("disabled"));
}
