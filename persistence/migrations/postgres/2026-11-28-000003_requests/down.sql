DROP TABLE request_changes;
DROP TABLE request_events;
DROP FUNCTION simpa_refuse_change();
DROP TABLE request_documents;
DROP TABLE request_instructors;
DROP TABLE requests;
DROP TABLE request_counters;
DROP TABLE campaigns;
