DROP TABLE jury_results;
DROP TABLE jury_seats;
DROP TABLE jury_members;
DROP TABLE juries;
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'rejected', 'withdrawn'));
