DROP INDEX sso_identities_account;
DROP TABLE sso_identities;
DROP INDEX sso_logins_created;
DROP TABLE sso_logins;
