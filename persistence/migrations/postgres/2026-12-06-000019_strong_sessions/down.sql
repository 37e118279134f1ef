ALTER TABLE refresh_token_families DROP COLUMN strong;
