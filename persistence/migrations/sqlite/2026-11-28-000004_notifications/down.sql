DROP TABLE digest_items;
DROP TABLE outbox;
ALTER TABLE accounts DROP COLUMN work_emails;
ALTER TABLE accounts DROP COLUMN request_emails;
