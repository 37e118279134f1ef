DROP INDEX request_instructors_worklist;
CREATE INDEX request_instructors_worklist ON request_instructors (instructor, request_id);
