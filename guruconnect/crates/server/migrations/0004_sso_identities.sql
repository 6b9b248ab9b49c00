-- OpenID Connect single sign-on (server_kit::sso::links): which provider identity (issuer and
-- subject) signs in as which person. Made once, when the provider vouched for an email address
-- that is the account's sign-in name; after that the subject alone is recognised.
CREATE TABLE connect_sso_identities (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email        TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX connect_sso_identities_user ON connect_sso_identities (user_id);
