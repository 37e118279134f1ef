-- A person's second factor (domain/src/two_factor.rs): the secret their authenticator app
-- shares (kept to check codes; confirmed once a first code matched), the last step whose
-- code was used (a code works once), and their recovery codes, stored hashed, each good once.
CREATE TABLE totp_credentials (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    last_used_step BIGINT
);

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_account ON recovery_codes (account_id, code_hash);
