-- A person proves their e-mail address, and resets a forgotten password, with a link sent to
-- it: its token is random, stored as its hash only, bound to one account and one purpose,
-- single use, and expires (domain/src/account.rs: TokenPurpose).
ALTER TABLE accounts ADD COLUMN email_verified_at TIMESTAMP;
-- Accounts made before addresses were verified keep what they could do.
UPDATE accounts SET email_verified_at = created_at;

CREATE TABLE account_tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose, created_at);
