DROP INDEX requests_numbered;
