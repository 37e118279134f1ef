-- A direction's worklist asks which of its assignments still await its opinion: with the
-- opinion in the index, that is read from the index alone, without visiting each assignment.
DROP INDEX request_instructors_worklist;
CREATE INDEX request_instructors_worklist ON request_instructors (instructor, opinion, request_id);
