-- GuruRMM schema v2: agents enrolled by site code or registration token get their own key in
-- auth_response. Until the agent has authenticated once with that key, the enrolment credential
-- may enrol the device again (and rotate the key), so an auth_response lost in transit cannot
-- lock a device out. Applied once, inside the migration transaction.
ALTER TABLE agents ADD COLUMN key_confirmed BIGINT NOT NULL DEFAULT 0;
