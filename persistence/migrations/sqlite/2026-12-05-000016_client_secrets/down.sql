ALTER TABLE service_accounts DROP COLUMN last_used_at;
ALTER TABLE service_accounts DROP COLUMN previous_secret_until;
ALTER TABLE service_accounts DROP COLUMN previous_secret_hash;
