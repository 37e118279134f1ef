DROP TABLE backfills;
DROP INDEX grants_report_due;
DROP TABLE request_spans;
DROP TABLE request_figures;
ALTER TABLE payments ALTER COLUMN request_id TYPE TEXT COLLATE "default";
ALTER TABLE request_instructors ALTER COLUMN request_id TYPE TEXT COLLATE "default";
