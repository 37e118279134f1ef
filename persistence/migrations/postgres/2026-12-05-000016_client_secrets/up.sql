-- An API client's secret is rotated with an overlap: the secret before keeps working until
-- a time, so that the direction's system moves to the new one without a gap. When a client
-- last signed in is shown to admins.
ALTER TABLE service_accounts ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE service_accounts ADD COLUMN previous_secret_until TIMESTAMP;
ALTER TABLE service_accounts ADD COLUMN last_used_at TIMESTAMP;
