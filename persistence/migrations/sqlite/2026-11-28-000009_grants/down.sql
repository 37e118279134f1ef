DROP TABLE payments;
DROP TABLE installments;
DROP TABLE grants;
DROP TABLE agreements;
