-- The portal's sessions: a browser's cookie names one by its token (stored as its hash only).
-- Signed in, it belongs to a sign-in (a family, listed and revoked with the others); while the
-- second factor's code is awaited after the password, it has no family yet and lasts minutes.
CREATE TABLE browser_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    family_id TEXT REFERENCES refresh_token_families (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX browser_sessions_family ON browser_sessions (family_id);
