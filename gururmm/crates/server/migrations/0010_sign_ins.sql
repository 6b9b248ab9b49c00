-- One row per sign-in: the family every access token of that sign-in belongs to. A refresh
-- rotates current_jti (the one before stays usable for a minute after rotated_at, for requests
-- already on their way); presenting any older token, a sign-out, or disabling the user revokes
-- the whole family, so a stolen token dies with it. expires_at ends the family however often
-- it is refreshed.
CREATE TABLE sign_ins (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    current_jti    TEXT NOT NULL,
    previous_jti   TEXT,
    rotated_at     BIGINT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT
);
CREATE INDEX sign_ins_user ON sign_ins (user_id);
