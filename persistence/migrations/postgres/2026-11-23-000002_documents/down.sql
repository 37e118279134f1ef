ALTER TABLE associations DROP COLUMN confirmed_at;
DROP TABLE association_public_funding;
DROP TABLE document_versions;
DROP TABLE document_kinds;
