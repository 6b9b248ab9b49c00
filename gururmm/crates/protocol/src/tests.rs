//! Golden-JSON tests: the exact wire form of every message, including the seed's examples.
//! Changing one of these strings is a protocol change and needs a new `PROTOCOL_VERSION`.

use crate::*;
use serde_json::{json, Value};
use uuid::Uuid;

const ID: &str = "6f1c2a9e-8d3b-4e5f-9a1b-2c3d4e5f6a7b";

fn id() -> Uuid {
    ID.parse().expect("uuid")
}

fn as_value<T: serde::Serialize>(message: &T) -> Value {
    serde_json::from_str(&encode(message)).expect("valid json")
}

#[test]
fn the_seeds_powershell_command_decodes_with_a_string_command_type() {
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":"powershell","command":"Get-Process","timeout_seconds":300,"elevated":false}}}}"#
    );
    let decoded = decode_server(&text).expect("seed form decodes");
    let ServerMessage::Command(cmd) = &decoded else {
        panic!("not a command: {decoded:?}")
    };
    assert_eq!(cmd.kind, CommandKind::PowerShell("Get-Process".into()));
    assert_eq!(cmd.timeout_seconds, Some(300));
    // And the server writes exactly that form back.
    assert_eq!(
        as_value(&decoded),
        serde_json::from_str::<Value>(&text).expect("json")
    );
}

#[test]
fn the_seeds_claude_task_form_decodes() {
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":"claude_task","command":"task description","timeout_seconds":300,"elevated":false}}}}"#
    );
    let ServerMessage::Command(cmd) = decode_server(&text).expect("decodes") else {
        panic!("not a command")
    };
    assert_eq!(
        cmd.kind,
        CommandKind::ClaudeTask(ClaudeTask {
            task: "task description".into(),
            working_directory: None,
            context_files: Vec::new(),
        })
    );
}

#[test]
fn claude_task_with_its_options_has_a_pinned_form() {
    let msg = ServerMessage::Command(CommandPayload {
        id: id(),
        timeout_seconds: Some(600),
        elevated: false,
        kind: CommandKind::ClaudeTask(ClaudeTask {
            task: "summarise the logs".into(),
            working_directory: Some("reports".into()),
            context_files: vec!["a.log".into()],
        }),
    });
    assert_eq!(
        as_value(&msg),
        json!({"type": "command", "payload": {"id": ID, "command_type": "claude_task",
            "command": "summarise the logs", "timeout_seconds": 600, "elevated": false,
            "working_directory": "reports", "context_files": ["a.log"]}})
    );
}

#[test]
fn every_known_command_type_is_a_plain_string_that_round_trips() {
    let names = [
        "shell",
        "powershell",
        "python",
        "script",
        "claude_task",
        "remote_control_launch",
    ];
    for (kind, name) in CommandType::KNOWN.iter().zip(names) {
        assert_eq!(as_value(kind), json!(name));
        let back: CommandType = serde_json::from_value(json!(name)).expect("decodes");
        assert_eq!(&back, kind);
        assert!(back.is_known());
    }
}

#[test]
fn an_unknown_command_type_decodes_and_keeps_its_name() {
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":"bash","command":"ls"}}}}"#
    );
    let ServerMessage::Command(cmd) = decode_server(&text).expect("decodes") else {
        panic!("not a command")
    };
    assert_eq!(
        cmd.kind,
        CommandKind::Unknown {
            command_type: "bash".into(),
            command: "ls".into()
        }
    );
    assert!(!cmd.kind.command_type().is_known());
    assert_eq!(cmd.timeout_seconds, None);
    assert!(!cmd.elevated);
}

#[test]
fn a_malformed_command_still_yields_its_id() {
    // The earlier agent's enum form: the whole payload fails, but the id is recovered so the
    // agent can report a failed result rather than stay silent.
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":{{"claude_task":{{"task":"x"}}}},"command":"x"}}}}"#
    );
    let err = decode_server(&text).expect_err("object command_type is refused");
    assert_eq!(err.command_id, Some(id()));
    let err = decode_server(r#"{"type":"nonsense"}"#).expect_err("unknown type");
    assert_eq!(err.command_id, None);
}

#[test]
fn auth_has_a_pinned_form_and_hides_its_key_from_debug() {
    let msg = AgentMessage::Auth(AuthPayload {
        api_key: "grmm_secretvalue".into(),
        device_id: "dev-1".into(),
        hostname: "host".into(),
        os_type: "linux".into(),
        os_version: "Debian 12".into(),
        arch: "x86_64".into(),
        agent_version: "0.1.0".into(),
        previous_version: Some("0.0.9".into()),
        protocol_version: PROTOCOL_VERSION,
    });
    assert_eq!(
        as_value(&msg),
        json!({"type": "auth", "payload": {"api_key": "grmm_secretvalue", "device_id": "dev-1",
            "hostname": "host", "os_type": "linux", "os_version": "Debian 12", "arch": "x86_64",
            "agent_version": "0.1.0", "previous_version": "0.0.9", "protocol_version": 2}})
    );
    assert!(!format!("{msg:?}").contains("secretvalue"));
    // A minimal auth (older agents) still decodes.
    let minimal = r#"{"type":"auth","payload":{"api_key":"DARK-GROVE-7839","device_id":"d","hostname":"h","os_type":"windows","agent_version":"0.5.1"}}"#;
    let AgentMessage::Auth(auth) = decode_agent(minimal).expect("decodes") else {
        panic!("not auth")
    };
    assert_eq!(
        auth.protocol_version, 1,
        "no field: an agent older than version 2"
    );
    assert_eq!(auth.previous_version, None);
}

#[test]
fn command_result_has_a_pinned_form() {
    let msg = AgentMessage::CommandResult(CommandResult {
        id: id(),
        exit_code: 0,
        stdout: "hi\n".into(),
        stderr: String::new(),
        duration_ms: 12,
        timed_out: false,
        truncated: false,
    });
    assert_eq!(
        as_value(&msg),
        json!({"type": "command_result", "payload": {"id": ID, "exit_code": 0, "stdout": "hi\n",
            "stderr": "", "duration_ms": 12, "timed_out": false, "truncated": false}})
    );
}

#[test]
fn the_other_messages_have_pinned_forms() {
    let cases: Vec<(Value, Value)> = vec![
        (
            as_value(&AgentMessage::Heartbeat(Heartbeat { uptime_seconds: 5 })),
            json!({"type": "heartbeat", "payload": {"uptime_seconds": 5}}),
        ),
        (
            as_value(&AgentMessage::MetricsReport(MetricsReport {
                timestamp_ms: 1000,
                cpu_percent: Some(12.5),
                memory: Some(MemoryMetrics {
                    used_bytes: 1,
                    total_bytes: 2,
                }),
                disks: vec![DiskMetrics {
                    mount: "/".into(),
                    used_bytes: 3,
                    total_bytes: 4,
                }],
                network: Some(NetworkCounters {
                    rx_bytes: 5,
                    tx_bytes: 6,
                }),
                uptime_seconds: 7,
            })),
            json!({"type": "metrics_report", "payload": {"timestamp_ms": 1000, "cpu_percent": 12.5,
                "memory": {"used_bytes": 1, "total_bytes": 2},
                "disks": [{"mount": "/", "used_bytes": 3, "total_bytes": 4}],
                "network": {"rx_bytes": 5, "tx_bytes": 6}, "uptime_seconds": 7}}),
        ),
        (
            as_value(&AgentMessage::NetworkState(NetworkState {
                hash: "ab".into(),
                interfaces: vec![NetworkInterface {
                    name: "eth0".into(),
                    mac: "00:11:22:33:44:55".into(),
                    addresses: vec!["10.0.0.2/24".into()],
                }],
            })),
            json!({"type": "network_state", "payload": {"hash": "ab", "interfaces": [
                {"name": "eth0", "mac": "00:11:22:33:44:55", "addresses": ["10.0.0.2/24"]}]}}),
        ),
        (
            as_value(&AgentMessage::WatchdogEvent(WatchdogEvent {
                service: "nginx".into(),
                event: "restarted".into(),
                message: String::new(),
                timestamp_ms: 9,
            })),
            json!({"type": "watchdog_event", "payload": {"service": "nginx", "event": "restarted",
                "message": "", "timestamp_ms": 9}}),
        ),
        (
            as_value(&ServerMessage::AuthResponse(AuthResponse {
                success: true,
                agent_id: Some(id()),
                message: "welcome".into(),
                settings: None,
                agent_key: None,
            })),
            json!({"type": "auth_response", "payload": {"success": true, "agent_id": ID,
                "message": "welcome"}}),
        ),
        (
            as_value(&ServerMessage::AuthResponse(AuthResponse {
                success: true,
                agent_id: Some(id()),
                message: "enrolled".into(),
                settings: None,
                agent_key: Some("grmm_issued".into()),
            })),
            json!({"type": "auth_response", "payload": {"success": true, "agent_id": ID,
                "message": "enrolled", "agent_key": "grmm_issued"}}),
        ),
        (
            as_value(&ServerMessage::Update(UpdatePayload {
                update_id: None,
                version: "0.2.0".into(),
                download_url: "https://rmm.example/dl/agent".into(),
                sha256: "00".into(),
                signature: "c2ln".into(),
            })),
            json!({"type": "update", "payload": {"version": "0.2.0",
                "download_url": "https://rmm.example/dl/agent", "sha256": "00", "signature": "c2ln"}}),
        ),
        (as_value(&ServerMessage::Ping), json!({"type": "ping"})),
        (
            as_value(&ServerMessage::Settings(AgentSettings {
                heartbeat_interval_secs: Some(15),
                metrics_interval_secs: None,
            })),
            json!({"type": "settings", "payload": {"heartbeat_interval_secs": 15,
                "metrics_interval_secs": null}}),
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    assert_eq!(
        decode_server(r#"{"type":"ping","payload":null}"#).expect("ping"),
        ServerMessage::Ping
    );
}

#[test]
fn an_issued_key_is_hidden_from_debug() {
    let r = AuthResponse {
        success: true,
        agent_id: None,
        message: String::new(),
        settings: None,
        agent_key: Some("grmm_secret-issued-key".into()),
    };
    assert!(!format!("{r:?}").contains("secret-issued-key"));
}

#[test]
fn oversized_messages_are_refused_before_parsing() {
    let huge = format!(
        r#"{{"type":"heartbeat","payload":{{"pad":"{}"}}}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    assert!(decode_agent(&huge).is_err());
}

fn launch(mode: RemoteControlMode) -> ServerMessage {
    let (agent_key, support_code) = match mode {
        RemoteControlMode::Unattended => (Some("gcak_secret-key".to_owned()), None),
        RemoteControlMode::Attended => (None, Some("482913".to_owned())),
    };
    ServerMessage::Command(CommandPayload {
        id: id(),
        timeout_seconds: Some(300),
        elevated: false,
        kind: CommandKind::RemoteControlLaunch {
            summary: "launch GuruConnect agent".into(),
            launch: Box::new(RemoteControlLaunch {
                session_id: "s-1".into(),
                mode,
                server_url: "wss://connect.example.com".into(),
                agent_id: "0123456789abcdef0123456789abcdef".into(),
                agent_key,
                support_code,
                release: ConnectRelease {
                    version: "1.2.3".into(),
                    platform: "linux-x86_64".into(),
                    download_url:
                        "https://connect.example.com/api/releases/linux-x86_64/1.2.3/download"
                            .into(),
                    sha256: "ab".repeat(32),
                    signature: "c2lnbmF0dXJl".into(),
                    size: Some(1024),
                },
            }),
        },
    })
}

#[test]
fn remote_control_launch_has_a_pinned_form() {
    let release = json!({"version": "1.2.3", "platform": "linux-x86_64",
        "download_url": "https://connect.example.com/api/releases/linux-x86_64/1.2.3/download",
        "sha256": "ab".repeat(32), "signature": "c2lnbmF0dXJl", "size": 1024});
    let unattended = launch(RemoteControlMode::Unattended);
    assert_eq!(
        as_value(&unattended),
        json!({"type": "command", "payload": {"id": ID, "command_type": "remote_control_launch",
            "command": "launch GuruConnect agent", "timeout_seconds": 300, "elevated": false,
            "remote_control": {"session_id": "s-1", "mode": "unattended",
                "server_url": "wss://connect.example.com",
                "agent_id": "0123456789abcdef0123456789abcdef",
                "agent_key": "gcak_secret-key", "release": release}}})
    );
    let attended = launch(RemoteControlMode::Attended);
    assert_eq!(
        as_value(&attended)["payload"]["remote_control"],
        json!({"session_id": "s-1", "mode": "attended", "server_url": "wss://connect.example.com",
            "agent_id": "0123456789abcdef0123456789abcdef", "support_code": "482913",
            "release": release})
    );
    for msg in [unattended, attended] {
        assert_eq!(decode_server(&encode(&msg)).expect("round trip"), msg);
    }
}

#[test]
fn remote_control_secrets_are_hidden_from_debug() {
    for mode in [RemoteControlMode::Unattended, RemoteControlMode::Attended] {
        let printed = format!("{:?}", launch(mode));
        assert!(
            !printed.contains("gcak_secret-key") && !printed.contains("482913"),
            "{printed}"
        );
        assert!(printed.contains("[redacted]"), "{printed}");
    }
}

#[test]
fn an_unknown_remote_control_mode_is_a_decode_error_with_the_command_id() {
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":"remote_control_launch","command":"x","remote_control":{{"session_id":"s","mode":"sideways","server_url":"wss://c","agent_id":"a","release":{{"version":"1","platform":"linux-x86_64","download_url":"u","sha256":"h","signature":"s"}}}}}}}}"#
    );
    let err = decode_server(&text).expect_err("unknown mode");
    assert_eq!(err.command_id, Some(id()));
}

#[test]
fn a_launch_without_its_parameters_is_a_decode_error_with_the_command_id() {
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":"remote_control_launch","command":"x"}}}}"#
    );
    let err = decode_server(&text).expect_err("no remote_control");
    assert!(
        err.message.contains("remote_control parameters"),
        "{}",
        err.message
    );
    assert_eq!(err.command_id, Some(id()));
}

#[test]
fn parameters_a_kind_does_not_take_are_dropped_on_the_way_in() {
    let text = format!(
        r#"{{"type":"command","payload":{{"id":"{ID}","command_type":"shell","command":"ls","working_directory":"w","context_files":["f"]}}}}"#
    );
    let decoded = decode_server(&text).expect("decodes");
    assert_eq!(
        as_value(&decoded),
        json!({"type": "command", "payload": {"id": ID, "command_type": "shell", "command": "ls",
            "timeout_seconds": null, "elevated": false}})
    );
}

#[test]
fn an_update_offer_carries_its_id_and_one_without_still_decodes() {
    let offer = ServerMessage::Update(UpdatePayload {
        update_id: Some(id()),
        version: "0.2.0".into(),
        download_url: "https://rmm.example/dl/agent".into(),
        sha256: "00".into(),
        signature: "c2ln".into(),
    });
    assert_eq!(
        as_value(&offer),
        json!({"type": "update", "payload": {"update_id": ID, "version": "0.2.0",
            "download_url": "https://rmm.example/dl/agent", "sha256": "00", "signature": "c2ln"}})
    );
    // A version-1 server's offer: no id, so the agent knows not to answer it.
    let old = r#"{"type":"update","payload":{"version":"0.2.0","download_url":"u","sha256":"00","signature":"c2ln"}}"#;
    let ServerMessage::Update(update) = decode_server(old).expect("decodes") else {
        panic!("not an update")
    };
    assert_eq!(update.update_id, None);
}

#[test]
fn update_result_has_a_pinned_form() {
    let msg = AgentMessage::UpdateResult(UpdateResult::refused(
        id(),
        "0.2.0",
        UpdateResult::HASH_MISMATCH,
        "SHA-256 mismatch: the download is not the offered binary",
    ));
    assert_eq!(
        as_value(&msg),
        json!({"type": "update_result", "payload": {"update_id": ID, "version": "0.2.0",
            "ok": false, "reason": "hash_mismatch",
            "message": "SHA-256 mismatch: the download is not the offered binary"}})
    );
    let minimal = format!(
        r#"{{"type":"update_result","payload":{{"update_id":"{ID}","version":"1","ok":true}}}}"#
    );
    let AgentMessage::UpdateResult(ok) = decode_agent(&minimal).expect("decodes") else {
        panic!("not an update result")
    };
    assert!(ok.ok && ok.reason.is_empty() && ok.message.is_empty());
}

#[test]
fn the_refusal_codes_are_pinned() {
    assert_eq!(
        [
            UpdateResult::HASH_MISMATCH,
            UpdateResult::BAD_SIGNATURE,
            UpdateResult::DOWNLOAD_FAILED,
            UpdateResult::DOES_NOT_START,
            UpdateResult::WRONG_VERSION,
            UpdateResult::NO_PINNED_KEY,
            UpdateResult::BAD_PINNED_KEY,
            UpdateResult::INSTALL_FAILED,
        ],
        [
            "hash_mismatch",
            "bad_signature",
            "download_failed",
            "does_not_start",
            "wrong_version",
            "no_pinned_key",
            "bad_pinned_key",
            "install_failed",
        ]
    );
}

#[test]
fn a_refusal_message_is_short_printable_ascii() {
    let r = UpdateResult::refused(
        id(),
        "1",
        UpdateResult::WRONG_VERSION,
        "reports \"gururmm-agent 1.0\u{e9}\u{1b}[31m\"\n\n  and\tmore",
    );
    assert_eq!(r.message, "reports \"gururmm-agent 1.0??[31m\" and more");
    let long = UpdateResult::refused(id(), "1", UpdateResult::DOES_NOT_START, &"x ".repeat(500));
    assert!(long.message.len() <= UpdateResult::MAX_MESSAGE_CHARS);
    assert!(long.message.len() >= UpdateResult::MAX_MESSAGE_CHARS - 1);
    assert!(long.message.starts_with("x x") && long.message.ends_with('x'));
    assert_eq!(short_ascii("  \u{2014}  ", 10), "?");
    assert_eq!(short_ascii("", 10), "");
}

#[test]
fn key_rotated_has_a_pinned_form_and_hides_its_key_from_debug() {
    let msg = ServerMessage::KeyRotated(KeyRotated {
        agent_key: "grmm_rotated-secret".into(),
    });
    assert_eq!(
        as_value(&msg),
        json!({"type": "key_rotated", "payload": {"agent_key": "grmm_rotated-secret"}})
    );
    assert_eq!(decode_server(&encode(&msg)).expect("round trip"), msg);
    let printed = format!("{msg:?}");
    assert!(!printed.contains("rotated-secret"), "{printed}");
    assert!(printed.contains("[redacted]"), "{printed}");
}

#[test]
fn protocol_2_is_what_this_build_speaks() {
    assert_eq!(PROTOCOL_VERSION, 2);
    assert_eq!(KEY_ROTATION_SINCE, 2);
}
