-- GuruRMM schema v7: indexes found missing by asking the planner about the real hot queries
-- (known_issues::hot_queries_use_an_index). Idempotent.

-- The agents list filtered by status, site or OS comes out in hostname order straight from
-- the index, instead of sorting every match; each replaces the index on its first column
-- alone, which still serves the lookups (presence, a site's agents, the OS filter).
DROP INDEX IF EXISTS agents_status_idx;
DROP INDEX IF EXISTS agents_site_idx;
DROP INDEX IF EXISTS agents_os_idx;
CREATE INDEX IF NOT EXISTS agents_status_order_idx ON agents (status, hostname, id);   -- status filter, list order
CREATE INDEX IF NOT EXISTS agents_site_order_idx ON agents (site_id, hostname, id);    -- site filter, list order
CREATE INDEX IF NOT EXISTS agents_os_order_idx ON agents (os_type, hostname, id);      -- OS filter, list order
-- Polling agents' presence (every reaper pass). Only connect and disconnect change it, not
-- every heartbeat; the few polling rows are then checked for silence.
CREATE INDEX IF NOT EXISTS agents_connection_idx ON agents (connection_id);

-- An agent's queue in delivery order (created_at, then id), and its command history newest
-- first (the agent page's terminal), which the queue index could not order across statuses.
DROP INDEX IF EXISTS commands_agent_idx;
CREATE INDEX IF NOT EXISTS commands_queue_idx ON commands (agent_id, status, created_at, id);
CREATE INDEX IF NOT EXISTS commands_agent_time_idx ON commands (agent_id, created_at);
