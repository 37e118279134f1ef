-- A sign-in (a family of refresh tokens) as its owner sees it among their sessions: the
-- device it came from (its User-Agent, cut short), its address, and when it was last used (a
-- refresh). Sign-ins made before keep none of these.
ALTER TABLE refresh_token_families ADD COLUMN user_agent TEXT;
ALTER TABLE refresh_token_families ADD COLUMN client_address TEXT;
ALTER TABLE refresh_token_families ADD COLUMN last_used_at TIMESTAMP;
CREATE INDEX refresh_token_families_account ON refresh_token_families (account_id, revoked_at);
