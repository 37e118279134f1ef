-- Nothing on SQLite: its text compares byte by byte everywhere (PostgreSQL's migration of the
-- same number gives grants.request_id the collation of requests.id).
SELECT 1;
