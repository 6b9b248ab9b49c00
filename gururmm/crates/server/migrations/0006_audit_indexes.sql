-- GuruRMM schema v6: indexes for GET /api/audit, newest first (ties by id, so pages never
-- overlap), unfiltered or filtered by action or target. They replace the time-only index.
-- Idempotent.
DROP INDEX IF EXISTS audit_time_idx;
CREATE INDEX IF NOT EXISTS audit_recent_idx ON audit_events (occurred_at, id);                   -- newest first
CREATE INDEX IF NOT EXISTS audit_type_idx ON audit_events (event_type, occurred_at, id);         -- by action
CREATE INDEX IF NOT EXISTS audit_target_idx ON audit_events (target, occurred_at, id);           -- by target
