//! GuruConnect's migrations, in order; server-kit's `db` applies them once each, checksummed.
//! The SQL itself is idempotent as well.

use server_kit::db::Migration;

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "machine_identity",
        sql: include_str!("../../migrations/0002_machine_identity.sql"),
    },
    Migration {
        version: 3,
        name: "second_factors",
        sql: include_str!("../../migrations/0003_second_factors.sql"),
    },
    Migration {
        version: 4,
        name: "sso_identities",
        sql: include_str!("../../migrations/0004_sso_identities.sql"),
    },
];
