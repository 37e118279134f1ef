-- Single sign-on (OpenID Connect, domain/src/sso.rs). A sign-in started at the identity
-- provider: its state (the browser's proof, stored as its hash), the nonce its ID token must
-- carry and the PKCE verifier of its code; used once. And the provider's subjects linked to
-- Simpa accounts.
CREATE TABLE sso_logins (
    id TEXT PRIMARY KEY,
    state_hash TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX sso_logins_created ON sso_logins (created_at);

CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    linked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_account ON sso_identities (account_id);
