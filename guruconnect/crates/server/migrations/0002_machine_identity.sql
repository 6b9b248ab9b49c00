-- Machine identity (ARCHITECTURE.md, "Machine identity"): one machine may be served by several
-- agent ids -- its own installer's and the device id of a product that manages it (GuruRMM) --
-- each bound to the hardware it first registered from. machine_uid stops being unique; the
-- table is rebuilt because SQLite cannot drop a column's UNIQUE constraint.
CREATE TABLE connect_machines_v2 (
    id                   TEXT PRIMARY KEY,
    agent_id             TEXT NOT NULL UNIQUE,
    machine_uid          TEXT,                      -- hashed hardware identity of the agent id's first registration
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
INSERT INTO connect_machines_v2 (id, agent_id, machine_uid, hostname, is_persistent, status, agent_version, first_seen_at, last_seen_at, os_name, os_version, os_arch, cpu_model, cpu_cores, ram_bytes, manufacturer, model, serial_number, private_ips, mac_addresses, external_ip, logged_on_user, idle_seconds, time_zone, uptime_seconds, user_is_local_admin, inventory_updated_at, organization, site, department, device_type, tags, search_text)
    SELECT id, agent_id, machine_uid, hostname, is_persistent, status, agent_version, first_seen_at, last_seen_at, os_name, os_version, os_arch, cpu_model, cpu_cores, ram_bytes, manufacturer, model, serial_number, private_ips, mac_addresses, external_ip, logged_on_user, idle_seconds, time_zone, uptime_seconds, user_is_local_admin, inventory_updated_at, organization, site, department, device_type, tags, search_text FROM connect_machines;
DROP TABLE connect_machines;
ALTER TABLE connect_machines_v2 RENAME TO connect_machines;
CREATE INDEX IF NOT EXISTS connect_machines_status_idx ON connect_machines (status);
CREATE INDEX IF NOT EXISTS connect_machines_org_idx ON connect_machines (organization, hostname);
CREATE INDEX IF NOT EXISTS connect_machines_uid_idx ON connect_machines (machine_uid);
