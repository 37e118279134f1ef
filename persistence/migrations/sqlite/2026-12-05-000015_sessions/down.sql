DROP INDEX refresh_token_families_account;
ALTER TABLE refresh_token_families DROP COLUMN last_used_at;
ALTER TABLE refresh_token_families DROP COLUMN client_address;
ALTER TABLE refresh_token_families DROP COLUMN user_agent;
