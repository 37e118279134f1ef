-- A kept view's body is read at every read of its request and is a few kilobytes: stored
-- out of line uncompressed, it is read back without decompressing it (pglz, PostgreSQL's
-- default, took more time than the lookup itself). The bodies kept before stay compressed
-- until they are kept again.
ALTER TABLE kept_views ALTER COLUMN body SET STORAGE EXTERNAL;
