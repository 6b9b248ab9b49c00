-- GuruRMM schema v9: the reaper's offline-alert rule (every pass) looks for offline agents
-- without an unresolved agent_offline alert. Resolved alerts pile up forever and the only
-- index holding `kind` leads with agent_id, so once many agents were offline PostgreSQL read
-- every alert ever raised on each pass (a hash anti-join over the whole table; found by
-- hot_queries::hot_queries_use_an_index on PostgreSQL). The rule now asks for status IN
-- ('open', 'acknowledged') — the same rows, by the CHECK on status — and this index hands it
-- exactly the unresolved offline alerts. Idempotent.
CREATE INDEX IF NOT EXISTS alerts_kind_status_idx ON alerts (kind, status, agent_id);   -- offline-alert rule
