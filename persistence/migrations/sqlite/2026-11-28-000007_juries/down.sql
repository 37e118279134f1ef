DROP TABLE jury_results;
DROP TABLE jury_seats;
DROP TABLE jury_members;
DROP TABLE juries;
