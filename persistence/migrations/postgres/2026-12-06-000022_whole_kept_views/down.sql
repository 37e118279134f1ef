DROP TABLE kept_views;
CREATE TABLE kept_views (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    clock TEXT NOT NULL,
    PRIMARY KEY (request_id, kind)
);
