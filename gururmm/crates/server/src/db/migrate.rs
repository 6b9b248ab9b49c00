//! GuruRMM's migrations, in order; server-kit's `db` applies them once each, checksummed, so an
//! edited migration stops the server instead of silently diverging.

use server_kit::db::Migration;

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "agent_key_confirmed",
        sql: include_str!("../../migrations/0002_agent_key_confirmed.sql"),
    },
    Migration {
        version: 3,
        name: "dashboard_indexes",
        sql: include_str!("../../migrations/0003_dashboard_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "remote_control",
        sql: include_str!("../../migrations/0004_remote_control.sql"),
    },
    Migration {
        version: 5,
        name: "agent_key_revocation",
        sql: include_str!("../../migrations/0005_agent_key_revocation.sql"),
    },
    Migration {
        version: 6,
        name: "audit_indexes",
        sql: include_str!("../../migrations/0006_audit_indexes.sql"),
    },
    Migration {
        version: 7,
        name: "hot_query_indexes",
        sql: include_str!("../../migrations/0007_hot_query_indexes.sql"),
    },
    Migration {
        version: 8,
        name: "update_failures",
        sql: include_str!("../../migrations/0008_update_failures.sql"),
    },
    Migration {
        version: 9,
        name: "offline_alert_sweep_index",
        sql: include_str!("../../migrations/0009_offline_alert_sweep_index.sql"),
    },
    Migration {
        version: 10,
        name: "sign_ins",
        sql: include_str!("../../migrations/0010_sign_ins.sql"),
    },
    Migration {
        version: 11,
        name: "second_factors",
        sql: include_str!("../../migrations/0011_second_factors.sql"),
    },
    Migration {
        version: 12,
        name: "sso_identities",
        sql: include_str!("../../migrations/0012_sso_identities.sql"),
    },
];
