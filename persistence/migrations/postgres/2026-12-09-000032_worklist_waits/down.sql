DROP INDEX requests_dispatch_waiting;
ALTER TABLE requests DROP COLUMN dispatch_waiting_since;
DROP INDEX request_instructors_waiting;
ALTER TABLE request_instructors DROP COLUMN waiting_since;
