-- GuruRMM schema v5: admins rotate or revoke an agent's key. A revoked agent has no key and
-- cannot enrol again with its site's code or a registration token (a stolen machine whose
-- agent.toml still names the site code must not get back in); rotating a new key in lifts
-- the revocation. Applied once, inside the migration transaction.
ALTER TABLE agents ADD COLUMN key_revoked_at BIGINT;
