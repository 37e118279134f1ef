ALTER TABLE request_changes DROP COLUMN kept;
