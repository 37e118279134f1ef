DROP TABLE deliberation_lines;
DROP TABLE deliberations;
