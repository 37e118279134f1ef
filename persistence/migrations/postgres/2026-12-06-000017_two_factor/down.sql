DROP INDEX recovery_codes_account;
DROP TABLE recovery_codes;
DROP TABLE totp_credentials;
