ALTER TABLE grants DROP COLUMN claimed_cents;
DROP TABLE repayments;
DROP TABLE final_reports;
