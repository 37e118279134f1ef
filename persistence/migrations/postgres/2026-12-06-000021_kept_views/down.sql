DROP TABLE kept_views;
CREATE TABLE request_views (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    version BIGINT NOT NULL,
    format INTEGER NOT NULL,
    body TEXT NOT NULL,
    clock TEXT NOT NULL
);
