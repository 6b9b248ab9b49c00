//! Property tests of the wire codec: arbitrary bytes, strings and JSON never
//! panic either decoder — they decode or they are refused — and every message the types can
//! express survives encode → decode unchanged, so the golden tests' shapes hold for all values.

use gururmm_protocol::{
    decode_agent, decode_server, encode, short_ascii, AgentMessage, AgentSettings, AuthPayload,
    AuthResponse, ClaudeTask, CommandKind, CommandPayload, CommandResult, CommandType,
    ConnectRelease, DiskMetrics, Heartbeat, KeyRotated, MemoryMetrics, MetricsReport,
    NetworkCounters, NetworkInterface, NetworkState, RemoteControlLaunch, RemoteControlMode,
    ServerMessage, UpdatePayload, UpdateResult, WatchdogEvent,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use uuid::Uuid;

/// Any characters, control characters and non-ASCII included (JSON must escape them).
fn text() -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..24).prop_map(String::from_iter)
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// Every finite `f32` class (JSON has no NaN or infinity, so those are not messages).
fn finite_f32() -> impl Strategy<Value = f32> {
    use proptest::num::f32::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

/// Arbitrary JSON, nested a few levels: what a hostile peer can put in a payload.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f32().prop_map(|f| json!(f)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::from),
            vec((text(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Every `type` either decoder knows.
const MESSAGE_TYPES: &[&str] = &[
    "auth",
    "heartbeat",
    "metrics_report",
    "network_state",
    "command_result",
    "watchdog_event",
    "update_result",
    "auth_response",
    "command",
    "update",
    "ping",
    "settings",
    "key_rotated",
];

/// A message type a decoder knows, or anything else.
fn message_type() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(MESSAGE_TYPES).prop_map(str::to_owned),
        1 => text(),
    ]
}

prop_compose! {
    fn auth()(
        api_key in text(), device_id in text(), hostname in text(), os_type in text(),
        os_version in text(), arch in text(), agent_version in text(),
        previous_version in option::of(text()), protocol_version in any::<u32>(),
    ) -> AuthPayload {
        AuthPayload { api_key, device_id, hostname, os_type, os_version, arch, agent_version,
            previous_version, protocol_version }
    }
}

prop_compose! {
    fn disk()(mount in text(), used_bytes in any::<u64>(), total_bytes in any::<u64>()) -> DiskMetrics {
        DiskMetrics { mount, used_bytes, total_bytes }
    }
}

prop_compose! {
    fn metrics()(
        timestamp_ms in any::<i64>(), cpu_percent in option::of(finite_f32()),
        memory in option::of((any::<u64>(), any::<u64>())), disks in vec(disk(), 0..4),
        network in option::of((any::<u64>(), any::<u64>())), uptime_seconds in any::<u64>(),
    ) -> MetricsReport {
        MetricsReport {
            timestamp_ms,
            cpu_percent,
            memory: memory.map(|(used_bytes, total_bytes)| MemoryMetrics { used_bytes, total_bytes }),
            disks,
            network: network.map(|(rx_bytes, tx_bytes)| NetworkCounters { rx_bytes, tx_bytes }),
            uptime_seconds,
        }
    }
}

prop_compose! {
    fn network()(
        hash in text(),
        interfaces in vec((text(), text(), vec(text(), 0..3)), 0..4),
    ) -> NetworkState {
        let interfaces = interfaces
            .into_iter()
            .map(|(name, mac, addresses)| NetworkInterface { name, mac, addresses })
            .collect();
        NetworkState { hash, interfaces }
    }
}

prop_compose! {
    fn command_result()(
        id in uuid(), exit_code in any::<i32>(), stdout in text(), stderr in text(),
        duration_ms in any::<u64>(), timed_out in any::<bool>(), truncated in any::<bool>(),
    ) -> CommandResult {
        CommandResult { id, exit_code, stdout, stderr, duration_ms, timed_out, truncated }
    }
}

prop_compose! {
    fn watchdog()(service in text(), event in text(), message in text(), timestamp_ms in any::<i64>())
        -> WatchdogEvent {
        WatchdogEvent { service, event, message, timestamp_ms }
    }
}

prop_compose! {
    fn update_result()(
        update_id in uuid(), version in text(), ok in any::<bool>(), reason in text(),
        message in text(),
    ) -> UpdateResult {
        UpdateResult { update_id, version, ok, reason, message }
    }
}

fn agent_message() -> impl Strategy<Value = AgentMessage> {
    prop_oneof![
        auth().prop_map(AgentMessage::Auth),
        any::<u64>()
            .prop_map(|uptime_seconds| AgentMessage::Heartbeat(Heartbeat { uptime_seconds })),
        metrics().prop_map(AgentMessage::MetricsReport),
        network().prop_map(AgentMessage::NetworkState),
        command_result().prop_map(AgentMessage::CommandResult),
        watchdog().prop_map(AgentMessage::WatchdogEvent),
        update_result().prop_map(AgentMessage::UpdateResult),
    ]
}

fn settings() -> impl Strategy<Value = AgentSettings> {
    (option::of(any::<u64>()), option::of(any::<u64>())).prop_map(|(heartbeat, metrics)| {
        AgentSettings {
            heartbeat_interval_secs: heartbeat,
            metrics_interval_secs: metrics,
        }
    })
}

/// Known types, and any other string (which decodes to `Unknown`, keeping its name).
fn command_type() -> impl Strategy<Value = CommandType> {
    prop_oneof![
        proptest::sample::select(CommandType::KNOWN.to_vec()),
        text().prop_map(CommandType::from),
    ]
}

prop_compose! {
    fn release()(
        version in text(), platform in text(), download_url in text(), sha256 in text(),
        signature in text(), size in option::of(any::<u64>()),
    ) -> ConnectRelease {
        ConnectRelease { version, platform, download_url, sha256, signature, size }
    }
}

prop_compose! {
    fn launch()(
        session_id in text(), attended in any::<bool>(), server_url in text(), agent_id in text(),
        agent_key in option::of(text()), support_code in option::of(text()), release in release(),
    ) -> RemoteControlLaunch {
        let mode = if attended { RemoteControlMode::Attended } else { RemoteControlMode::Unattended };
        RemoteControlLaunch { session_id, mode, server_url, agent_id, agent_key, support_code, release }
    }
}

/// Every kind with arbitrary parameters; a type string this build does not know included.
fn command_kind() -> impl Strategy<Value = CommandKind> {
    let claude = (text(), option::of(text()), vec(text(), 0..3)).prop_map(
        |(task, working_directory, context_files)| {
            CommandKind::ClaudeTask(ClaudeTask {
                task,
                working_directory,
                context_files,
            })
        },
    );
    let launch =
        (text(), launch()).prop_map(|(summary, launch)| CommandKind::RemoteControlLaunch {
            summary,
            launch: Box::new(launch),
        });
    prop_oneof![
        (command_type(), text())
            .prop_filter_map("plain kinds", |(kind, text)| CommandKind::plain(kind, text)),
        claude,
        launch,
    ]
}

prop_compose! {
    fn command()(
        id in uuid(), kind in command_kind(), timeout_seconds in option::of(any::<u64>()),
        elevated in any::<bool>(),
    ) -> CommandPayload {
        CommandPayload { id, timeout_seconds, elevated, kind }
    }
}

prop_compose! {
    fn auth_response()(
        success in any::<bool>(), agent_id in option::of(uuid()), message in text(),
        settings in option::of(settings()), agent_key in option::of(text()),
    ) -> AuthResponse {
        AuthResponse { success, agent_id, message, settings, agent_key }
    }
}

prop_compose! {
    fn update()(
        update_id in option::of(uuid()), version in text(), download_url in text(),
        sha256 in text(), signature in text(),
    ) -> UpdatePayload {
        UpdatePayload { update_id, version, download_url, sha256, signature }
    }
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        auth_response().prop_map(ServerMessage::AuthResponse),
        command().prop_map(ServerMessage::Command),
        update().prop_map(ServerMessage::Update),
        Just(ServerMessage::Ping),
        settings().prop_map(ServerMessage::Settings),
        text().prop_map(|agent_key| ServerMessage::KeyRotated(KeyRotated { agent_key })),
    ]
}

/// Runs both decoders; reaching the end means neither panicked.
fn decode_both(text: &str) {
    let _ = decode_agent(text);
    let _ = decode_server(text);
}

/// `text` cut at `at` (moved back to a character boundary).
fn truncated(text: &str, at: Index) -> &str {
    let mut end = at.index(text.len() + 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in vec(any::<u8>(), 0..2048)) {
        decode_both(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_strings_never_panic_the_decoders(text in vec(any::<char>(), 0..512)) {
        decode_both(&String::from_iter(text));
    }

    #[test]
    fn arbitrary_json_under_any_type_never_panics_the_decoders(
        kind in message_type(), payload in json_value(), bare in json_value(),
    ) {
        decode_both(&json!({"type": kind, "payload": payload}).to_string());
        decode_both(&bare.to_string());
    }

    #[test]
    fn damaged_and_truncated_messages_never_panic_the_decoders(
        agent in agent_message(), server in server_message(), at in any::<Index>(), byte in any::<u8>(),
    ) {
        for text in [encode(&agent), encode(&server)] {
            decode_both(truncated(&text, at));
            let mut bytes = text.into_bytes();
            let i = at.index(bytes.len());
            bytes[i] = byte;
            decode_both(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn every_agent_message_round_trips(message in agent_message()) {
        let decoded = decode_agent(&encode(&message)).map_err(|e| e.to_string());
        prop_assert_eq!(decoded, Ok(message));
    }

    #[test]
    fn every_server_message_round_trips(message in server_message()) {
        let decoded = decode_server(&encode(&message)).map_err(|e| e.to_string());
        prop_assert_eq!(decoded, Ok(message));
    }

    /// A command the agent cannot decode is still answered: its id is recovered whatever else
    /// the payload holds.
    #[test]
    fn a_malformed_command_always_yields_its_id(id in uuid(), junk in json_value()) {
        let text = json!({"type": "command",
            "payload": {"id": id.to_string(), "command_type": 7, "junk": junk}}).to_string();
        let error = decode_server(&text).err();
        prop_assert_eq!(error.and_then(|e| e.command_id), Some(id));
    }

    /// What an agent says about a refused update is safe to log, store and show, whatever it
    /// started as: printable ASCII, single spaces, within the limit.
    #[test]
    fn short_ascii_is_always_printable_single_spaced_and_bounded(
        input in vec(any::<char>(), 0..600), max in 0usize..300,
    ) {
        let out = short_ascii(&String::from_iter(input), max);
        prop_assert!(out.len() <= max);
        prop_assert!(out.chars().all(|c| c == ' ' || c.is_ascii_graphic()), "{out:?}");
        prop_assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "), "{out:?}");
    }
}
