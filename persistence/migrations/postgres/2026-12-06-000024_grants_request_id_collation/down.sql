ALTER TABLE grants ALTER COLUMN request_id TYPE TEXT COLLATE "default";
