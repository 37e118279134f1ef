DROP TABLE backfills;
DROP INDEX grants_report_due;
DROP TABLE request_spans;
DROP TABLE request_figures;
