ALTER TABLE juries DROP COLUMN closes_on;
DROP TABLE late_steps_told;
