-- GuruRMM schema v1, in the SQL subset SQLite and PostgreSQL share: TEXT ids (UUIDs), BIGINT
-- Unix milliseconds for times, BIGINT 0/1 flags (sqlx's Any driver cannot carry SQLite
-- booleans), DOUBLE PRECISION for measurements. Idempotent: safe to apply twice. Every index
-- names the query it serves.

CREATE TABLE IF NOT EXISTS users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL UNIQUE,            -- lower-cased: one account per address
    password_hash   TEXT NOT NULL,                   -- Argon2id PHC string
    role            TEXT NOT NULL CHECK (role IN ('admin', 'technician')),
    display_name    TEXT NOT NULL DEFAULT '',
    disabled        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    last_login_at   BIGINT
);

CREATE TABLE IF NOT EXISTS clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    notes       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS sites (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    -- HMAC-SHA256 of the site code under the install's key: the code is shown once.
    site_code_hash  TEXT NOT NULL UNIQUE,
    notes           TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sites_client_idx ON sites (client_id, name);   -- sites of a client

CREATE TABLE IF NOT EXISTS agents (
    id              TEXT PRIMARY KEY,
    site_id         TEXT REFERENCES sites (id) ON DELETE SET NULL,   -- NULL: unassigned
    device_id       TEXT NOT NULL UNIQUE,
    hostname        TEXT NOT NULL DEFAULT '',
    os_type         TEXT NOT NULL DEFAULT '',
    os_version      TEXT NOT NULL DEFAULT '',
    arch            TEXT NOT NULL DEFAULT '',
    agent_version   TEXT NOT NULL DEFAULT '',
    api_key_hash    TEXT UNIQUE,                     -- SHA-256 of the grmm_ key, when one was issued
    status          TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    -- The live socket that set `online`; only that socket's end may set `offline`.
    connection_id   TEXT,
    search_text     TEXT NOT NULL DEFAULT '',        -- lower-cased hostname, os, version, device id
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT
);
CREATE INDEX IF NOT EXISTS agents_site_idx ON agents (site_id);               -- by site, unassigned
CREATE INDEX IF NOT EXISTS agents_status_idx ON agents (status);              -- stats, online filter
CREATE INDEX IF NOT EXISTS agents_hostname_idx ON agents (hostname, id);      -- list order

CREATE TABLE IF NOT EXISTS agent_state (
    agent_id            TEXT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    network_hash        TEXT NOT NULL DEFAULT '',
    network_json        TEXT NOT NULL DEFAULT '[]',
    network_updated_at  BIGINT,
    metrics_json        TEXT NOT NULL DEFAULT '{}',
    metrics_updated_at  BIGINT,
    uptime_seconds      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS commands (
    id               TEXT PRIMARY KEY,
    agent_id         TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_by       TEXT,                            -- user id; NULL for system
    command_type     TEXT NOT NULL,
    command          TEXT NOT NULL,
    timeout_seconds  BIGINT NOT NULL,
    elevated         BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN
                       ('pending', 'running', 'completed', 'failed', 'timed_out', 'cancelled')),
    exit_code        BIGINT,
    stdout           TEXT,
    stderr           TEXT,
    duration_ms      BIGINT,
    truncated        BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT,
    deadline_at      BIGINT,                          -- sent_at + timeout + grace
    completed_at     BIGINT,
    connection_id    TEXT                             -- the socket it was delivered on
);
CREATE INDEX IF NOT EXISTS commands_agent_idx ON commands (agent_id, status, created_at);  -- queue, per agent
CREATE INDEX IF NOT EXISTS commands_deadline_idx ON commands (status, deadline_at);         -- timeout reaper
CREATE INDEX IF NOT EXISTS commands_created_idx ON commands (created_at);                   -- recent list

CREATE TABLE IF NOT EXISTS metrics (
    id                  TEXT PRIMARY KEY,
    agent_id            TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    recorded_at         BIGINT NOT NULL,              -- server clock
    sampled_at          BIGINT NOT NULL,              -- agent clock
    cpu_percent         DOUBLE PRECISION,
    memory_used_bytes   BIGINT,
    memory_total_bytes  BIGINT,
    disk_used_bytes     BIGINT,
    disk_total_bytes    BIGINT,
    network_rx_bytes    BIGINT,
    network_tx_bytes    BIGINT,
    disks_json          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS metrics_agent_time_idx ON metrics (agent_id, recorded_at);  -- history
CREATE INDEX IF NOT EXISTS metrics_time_idx ON metrics (recorded_at);                  -- retention

CREATE TABLE IF NOT EXISTS watchdog_events (
    id           TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    service      TEXT NOT NULL,
    event        TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    occurred_at  BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS watchdog_agent_idx ON watchdog_events (agent_id, recorded_at);
CREATE INDEX IF NOT EXISTS watchdog_time_idx ON watchdog_events (recorded_at);

CREATE TABLE IF NOT EXISTS alerts (
    id           TEXT PRIMARY KEY,
    agent_id     TEXT REFERENCES agents (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,                       -- agent_offline, cpu_high, ...
    severity     TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    message      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX IF NOT EXISTS alerts_status_idx ON alerts (status, created_at);          -- open alerts
CREATE INDEX IF NOT EXISTS alerts_agent_kind_idx ON alerts (agent_id, kind, status);  -- dedupe

CREATE TABLE IF NOT EXISTS registration_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,                -- SHA-256
    site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    description  TEXT NOT NULL DEFAULT '',
    max_uses     BIGINT,
    uses         BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE IF NOT EXISTS policies (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('global', 'client', 'site', 'agent')),
    scope_id      TEXT,
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS policies_scope_idx ON policies (scope, scope_id);

CREATE TABLE IF NOT EXISTS releases (
    id            TEXT PRIMARY KEY,
    version       TEXT NOT NULL,
    os_type       TEXT NOT NULL,
    arch          TEXT NOT NULL,
    download_url  TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    signature     TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    UNIQUE (version, os_type, arch)
);
CREATE INDEX IF NOT EXISTS releases_target_idx ON releases (os_type, arch, active);

CREATE TABLE IF NOT EXISTS agent_updates (
    id            TEXT PRIMARY KEY,
    agent_id      TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    release_id    TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    from_version  TEXT NOT NULL,
    to_version    TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('offered', 'completed', 'failed')),
    offered_at    BIGINT NOT NULL,
    completed_at  BIGINT
);
CREATE INDEX IF NOT EXISTS agent_updates_agent_idx ON agent_updates (agent_id, status);

CREATE TABLE IF NOT EXISTS audit_events (
    id           TEXT PRIMARY KEY,
    occurred_at  BIGINT NOT NULL,
    actor        TEXT NOT NULL,                       -- user:<id>, agent:<id>, system
    event_type   TEXT NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    detail_json  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_time_idx ON audit_events (occurred_at);
