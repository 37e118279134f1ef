-- A grant's request is found by joining `requests.id`, which is COLLATE "C": the grant's
-- `request_id` is too, so that such a join uses its key (with two collations, the index was
-- left unused and every grant read).
ALTER TABLE grants ALTER COLUMN request_id TYPE TEXT COLLATE "C";
