DROP TABLE request_changes;
DROP TABLE request_events;
DROP TABLE request_views;
DROP TABLE request_documents;
DROP TABLE request_instructors;
DROP TABLE requests;
DROP TABLE request_counters;
DROP TABLE campaigns;
