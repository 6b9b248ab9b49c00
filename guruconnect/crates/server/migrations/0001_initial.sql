-- GuruConnect schema v1. Written in the SQL subset SQLite and PostgreSQL share: TEXT ids (UUIDs),
-- BIGINT Unix milliseconds for times, BIGINT 0/1 flags (sqlx's Any driver cannot carry SQLite
-- booleans). Idempotent: safe to apply twice.

CREATE TABLE IF NOT EXISTS users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    username_key    TEXT NOT NULL UNIQUE,          -- lower-cased: one account per spelling
    password_hash   TEXT NOT NULL,                 -- Argon2id PHC string
    role            TEXT NOT NULL CHECK (role IN ('admin', 'technician')),
    display_name    TEXT NOT NULL DEFAULT '',
    disabled        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    last_login_at   BIGINT
);

CREATE TABLE IF NOT EXISTS connect_machines (
    id                   TEXT PRIMARY KEY,
    agent_id             TEXT NOT NULL UNIQUE,
    machine_uid          TEXT UNIQUE,               -- hashed hardware identity, bound on first registration
    hostname             TEXT NOT NULL DEFAULT '',
    is_persistent        BIGINT NOT NULL DEFAULT 0,
    status               TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    agent_version        TEXT NOT NULL DEFAULT '',
    first_seen_at        BIGINT NOT NULL,
    last_seen_at         BIGINT NOT NULL,
    -- inventory (SPEC-003)
    os_name              TEXT NOT NULL DEFAULT '',
    os_version           TEXT NOT NULL DEFAULT '',
    os_arch              TEXT NOT NULL DEFAULT '',
    cpu_model            TEXT NOT NULL DEFAULT '',
    cpu_cores            BIGINT NOT NULL DEFAULT 0,
    ram_bytes            BIGINT NOT NULL DEFAULT 0,
    manufacturer         TEXT NOT NULL DEFAULT '',
    model                TEXT NOT NULL DEFAULT '',
    serial_number        TEXT NOT NULL DEFAULT '',
    private_ips          TEXT NOT NULL DEFAULT '',  -- comma-separated
    mac_addresses        TEXT NOT NULL DEFAULT '',  -- comma-separated
    external_ip          TEXT NOT NULL DEFAULT '',  -- as the server saw the agent connect
    logged_on_user       TEXT NOT NULL DEFAULT '',
    idle_seconds         BIGINT NOT NULL DEFAULT 0,
    time_zone            TEXT NOT NULL DEFAULT '',
    uptime_seconds       BIGINT NOT NULL DEFAULT 0,
    user_is_local_admin  BIGINT NOT NULL DEFAULT 0,
    inventory_updated_at BIGINT,
    -- labels (SPEC-005/007)
    organization         TEXT NOT NULL DEFAULT '',
    site                 TEXT NOT NULL DEFAULT '',
    department           TEXT NOT NULL DEFAULT '',
    device_type          TEXT NOT NULL DEFAULT '',
    tags                 TEXT NOT NULL DEFAULT '',  -- comma-separated
    -- lower-cased concatenation of every searchable attribute (SPEC-006 `?q=`)
    search_text          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS connect_machines_status_idx ON connect_machines (status);
CREATE INDEX IF NOT EXISTS connect_machines_org_idx ON connect_machines (organization, hostname);

CREATE TABLE IF NOT EXISTS connect_sessions (
    id                 TEXT PRIMARY KEY,
    agent_id           TEXT NOT NULL,               -- no FK: managed sessions exist before their machine
    mode               TEXT NOT NULL CHECK (mode IN ('unattended', 'attended')),
    is_managed         BIGINT NOT NULL DEFAULT 0,
    source             TEXT NOT NULL,               -- agent | technician | support_code | gururmm
    status             TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'agent_offline', 'ended')),
    created_by         TEXT,                        -- users.id, when a person asked for it
    support_code_id    TEXT,
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,                      -- agent first bound
    agent_last_seen_at BIGINT,
    ended_at           BIGINT,
    end_reason         TEXT,
    bytes_from_agent   BIGINT NOT NULL DEFAULT 0,
    bytes_to_agent     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS connect_sessions_agent_status_idx ON connect_sessions (agent_id, status);
CREATE INDEX IF NOT EXISTS connect_sessions_status_created_idx ON connect_sessions (status, created_at);

CREATE TABLE IF NOT EXISTS connect_support_codes (
    id              TEXT PRIMARY KEY,
    code_hash       TEXT NOT NULL UNIQUE,           -- HMAC-SHA256 with the install's key: a dump is useless
    code_hint       TEXT NOT NULL,                  -- last two digits, for lists
    created_by      TEXT NOT NULL,
    technician_name TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'used', 'cancelled', 'expired')),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    session_id      TEXT
);
CREATE INDEX IF NOT EXISTS connect_support_codes_status_idx ON connect_support_codes (status, expires_at);
CREATE INDEX IF NOT EXISTS connect_support_codes_creator_idx ON connect_support_codes (created_by, created_at);

-- Audit trail (GC-11): session-scoped events carry session_id; server-wide ones (logins, keys,
-- removals) leave it NULL.
CREATE TABLE IF NOT EXISTS connect_session_events (
    id          TEXT PRIMARY KEY,
    session_id  TEXT,
    agent_id    TEXT,
    event_type  TEXT NOT NULL,
    actor_type  TEXT NOT NULL CHECK (actor_type IN ('user', 'agent', 'system', 'integration')),
    actor_id    TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',         -- JSON object
    ip          TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS connect_session_events_session_idx ON connect_session_events (session_id, created_at);
CREATE INDEX IF NOT EXISTS connect_session_events_created_idx ON connect_session_events (created_at);

CREATE TABLE IF NOT EXISTS connect_agent_keys (
    id           TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,              -- SHA-256 of the 256-bit key
    key_prefix   TEXT NOT NULL,                     -- first characters, to tell keys apart in lists
    label        TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX IF NOT EXISTS connect_agent_keys_agent_idx ON connect_agent_keys (agent_id);

-- Access tokens revoked before their expiry (logout), by jti.
CREATE TABLE IF NOT EXISTS connect_revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);

-- Rotating refresh tokens; a family is one login. Reusing a rotated token revokes the family.
CREATE TABLE IF NOT EXISTS connect_refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX IF NOT EXISTS connect_refresh_tokens_family_idx ON connect_refresh_tokens (family_id);

-- Viewer tokens issued, by jti: a viewer socket opens only for a token recorded here, unrevoked.
CREATE TABLE IF NOT EXISTS connect_viewer_tokens (
    jti         TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX IF NOT EXISTS connect_viewer_tokens_session_idx ON connect_viewer_tokens (session_id);

CREATE TABLE IF NOT EXISTS releases (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    platform    TEXT NOT NULL,                      -- e.g. windows-x86_64, linux-x86_64
    url         TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL,
    signature   TEXT NOT NULL,                      -- detached signature over the binary
    created_at  BIGINT NOT NULL,
    UNIQUE (version, platform)
);
