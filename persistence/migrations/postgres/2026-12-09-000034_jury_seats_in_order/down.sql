DROP INDEX jury_seats_request;
