DROP TABLE deliberation_lines;
DROP TABLE deliberations;
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'rejected', 'withdrawn'));
