//! Commands in each language the agent runs, as the real agent process runs them: Python,
//! scripts, claude_task against a stand-in CLI, PowerShell absent and as a stand-in `pwsh`.

use super::*;

#[tokio::test]
async fn python_script_and_claude_task_run_in_the_real_agent_and_their_results_are_stored() {
    let h = Harness::start().await;
    let code = h.site_code().await;
    let claude_root = h.dir.path().join("claude-root");
    std::fs::create_dir_all(&claude_root).expect("mkdir");
    let cli = h.dir.path().join("claude-standin");
    write_executable(&cli, CLAUDE_STANDIN);
    // `-e` makes the configured interpreter's own arguments observable: the script stops at
    // its first failing line.
    let extra = format!(
        "[commands]\nscript_interpreter = [\"/bin/sh\", \"-e\"]\n\
         [claude]\nenabled = true\ncli = \"{}\"\nargs = [\"-p\"]\nworking_directory = \"{}\"\n",
        cli.display(),
        claude_root.display()
    );
    let config = h.agent_config("kinds", &code, &extra);
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("kinds.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-kinds").await;
    h.wait_status(&id, "online").await;

    if gururmm_agent::exec::find_in_path("python3").is_some() {
        let done = run_command(&h, &id, "python", "import sys; print(6 * 7); sys.exit(4)").await;
        assert_eq!(
            (&done["status"], &done["exit_code"], &done["stdout"]),
            (&json!("failed"), &json!(4), &json!("42\n")),
            "{done}"
        );
    } else {
        assert!(!in_ci(), "python3 must be installed in CI");
        eprintln!("python part skipped: no python3 on PATH");
    }

    let done = run_command(&h, &id, "script", "echo one\nfalse\necho never\n").await;
    assert_eq!(
        (&done["status"], &done["exit_code"], &done["stdout"]),
        (&json!("failed"), &json!(1), &json!("one\n")),
        "{done}"
    );
    let done = run_command(&h, &id, "script", "echo first\necho second\n").await;
    assert_eq!(
        (&done["status"], &done["exit_code"], &done["stdout"]),
        (&json!("completed"), &json!(0), &json!("first\nsecond\n")),
        "{done}"
    );

    let done = run_command(&h, &id, "claude_task", "summarise the disk usage").await;
    assert_eq!(
        (&done["status"], &done["exit_code"]),
        (&json!("completed"), &json!(0)),
        "{done}"
    );
    let root = claude_root.canonicalize().expect("canonical");
    let expected = format!("cwd={}\nargs=-p summarise the disk usage\n", root.display());
    assert_eq!(done["stdout"], expected.as_str(), "{done}");
    let done = run_command(&h, &id, "claude_task", "fail").await;
    assert_eq!(
        (&done["status"], &done["exit_code"]),
        (&json!("failed"), &json!(1)),
        "{done}"
    );
    let done = run_command(&h, &id, "claude_task", "df; reboot").await;
    assert_eq!(done["exit_code"], -1, "{done}");
    assert_eq!(done["stdout"], "", "the stand-in never ran: {done}");
    assert!(
        done["stderr"]
            .as_str()
            .expect("stderr")
            .contains("forbidden character"),
        "{done}"
    );
    agent.kill().await.expect("kill");
}

/// A `pwsh` stand-in (PowerShell cannot run on this machine): records its arguments one per
/// line in `argv` beside itself and answers like a command that ran.
fn pwsh_standin(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let argv = dir.join("argv");
    write_executable(
        &dir.join("pwsh"),
        &format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}\n\
             echo 'stand-in pwsh ran'\nexit 0\n",
            argv.display()
        ),
    );
    argv
}

#[tokio::test]
async fn powershell_fails_clearly_when_absent_and_runs_non_interactively_when_present() {
    let h = Harness::start().await;
    let code = h.site_code().await;
    let binary = agent_binary(h.dir.path());

    // Absent: nothing named pwsh or powershell on the agent's PATH.
    let empty = h.dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let config = h.agent_config("nops", &code, "");
    let log = h.dir.path().join("nops.log");
    let mut absent = spawn_agent_with_path(&binary, &config, &log, empty.to_str());
    let id = h.agent_id("e2e-nops").await;
    h.wait_status(&id, "online").await;
    let done = run_command(&h, &id, "powershell", "Get-Date").await;
    assert_eq!(
        (&done["status"], &done["exit_code"]),
        (&json!("failed"), &json!(-1)),
        "{done}"
    );
    assert!(
        done["stderr"]
            .as_str()
            .expect("stderr")
            .contains("PowerShell is not installed"),
        "{done}"
    );
    absent.kill().await.expect("kill");

    // Present: the stand-in first on PATH is started with the non-interactive arguments.
    let standin = h.dir.path().join("pwsh-standin");
    let argv = pwsh_standin(&standin);
    let path = format!("{}:/usr/bin:/bin", standin.display());
    let config = h.agent_config("pwsh", &code, "");
    let log = h.dir.path().join("pwsh.log");
    let mut present = spawn_agent_with_path(&binary, &config, &log, Some(&path));
    let id = h.agent_id("e2e-pwsh").await;
    h.wait_status(&id, "online").await;
    // Elevated where the agent is root: the stand-in lives in the test's root-only temp dir.
    let script = "Write-Output 'hi there'; Get-Date";
    let cmd = h.elevated_command(&id, "powershell", script).await;
    let done = h.finished(&cmd).await;
    assert_eq!(
        (&done["status"], &done["exit_code"], &done["stdout"]),
        (
            &json!("completed"),
            &json!(0),
            &json!("stand-in pwsh ran\n")
        ),
        "{done}"
    );
    let recorded = std::fs::read_to_string(&argv).expect("the stand-in recorded its argv");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        ["-NoProfile", "-NonInteractive", "-Command", script]
    );
    present.kill().await.expect("kill");
}
