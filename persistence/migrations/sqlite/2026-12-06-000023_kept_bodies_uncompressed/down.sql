-- Nothing on SQLite: it never compresses a value (PostgreSQL's migration of the same number
-- stores kept bodies uncompressed).
SELECT 1;
