-- GuruRMM schema v3: indexes for the dashboard's agents list, which filters by OS and sorts by
-- last contact (10,000 agents per install is the target). Idempotent.
CREATE INDEX IF NOT EXISTS agents_os_idx ON agents (os_type, hostname);            -- OS filter
CREATE INDEX IF NOT EXISTS agents_last_seen_idx ON agents (last_seen_at);          -- sort by last contact
