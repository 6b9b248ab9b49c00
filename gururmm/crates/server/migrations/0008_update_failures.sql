-- GuruRMM schema v8: an agent reports the updates it refuses (update_result). The
-- offer's row becomes 'failed' (a status the first schema already allows) with the agent's
-- reason code, its short message and the time; the same release is then not offered to that
-- agent again until limits.update_retry_secs have passed or a newer release exists. Applied
-- once, inside the migration transaction.
ALTER TABLE agent_updates ADD COLUMN failure_reason TEXT;
ALTER TABLE agent_updates ADD COLUMN failure_message TEXT;
ALTER TABLE agent_updates ADD COLUMN failed_at BIGINT;
