DROP INDEX associations_directory;
DROP TABLE directory_terms;
ALTER TABLE associations DROP COLUMN public_website;
ALTER TABLE associations DROP COLUMN public_phone;
ALTER TABLE associations DROP COLUMN public_email;
ALTER TABLE associations DROP COLUMN action_districts;
ALTER TABLE associations DROP COLUMN target_publics;
