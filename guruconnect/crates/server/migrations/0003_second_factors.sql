-- Two-factor sign-in (server_kit::second_factor). The authenticator secret is sealed under a
-- key derived from the master key and bound to its user; confirmed_at stays NULL until the
-- app's first code proves it holds the secret; last_step is the newest 30-second step a code
-- was accepted for, so each code signs in once. Recovery codes and remembered browsers are
-- kept only as hashes.
CREATE TABLE connect_second_factors (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    sealed_secret TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT
);
CREATE TABLE connect_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE connect_remembered_devices (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX connect_remembered_devices_user ON connect_remembered_devices (user_id);
