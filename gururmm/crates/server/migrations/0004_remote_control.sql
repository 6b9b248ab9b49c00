-- GuruRMM schema v4: Native Remote Control (NRC-8). Idempotent.

-- The GuruConnect per-machine key of each agent, minted once through the integration contract
-- and sealed (ChaCha20-Poly1305 under a key derived from the install's master key, bound to
-- the agent id): a database dump alone holds no usable GuruConnect key.
CREATE TABLE IF NOT EXISTS connect_agent_keys (
    agent_id        TEXT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    connect_key_id  TEXT NOT NULL,                   -- GuruConnect's id of the key (to revoke it)
    key_prefix      TEXT NOT NULL DEFAULT '',        -- recognisable prefix, not secret
    key_sealed      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

-- One row per remote-control start: who, which machine, which GuruConnect session, how.
CREATE TABLE IF NOT EXISTS remote_control_sessions (
    id                  TEXT PRIMARY KEY,
    agent_id            TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    technician_id       TEXT NOT NULL,
    technician_email    TEXT NOT NULL,
    connect_session_id  TEXT NOT NULL,
    mode                TEXT NOT NULL CHECK (mode IN ('unattended', 'attended')),
    status              TEXT NOT NULL CHECK (status IN ('started', 'ended', 'failed')),
    command_id          TEXT,                         -- the remote_control_launch command
    started_at          BIGINT NOT NULL,
    ended_at            BIGINT,
    end_reason          TEXT
);
CREATE INDEX IF NOT EXISTS rc_sessions_agent_idx ON remote_control_sessions (agent_id, started_at);      -- list for an agent
CREATE INDEX IF NOT EXISTS rc_sessions_connect_idx ON remote_control_sessions (connect_session_id);      -- end by GC session
CREATE INDEX IF NOT EXISTS rc_sessions_tech_idx ON remote_control_sessions (technician_id, started_at);  -- a technician's sessions
