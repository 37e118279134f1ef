-- What a request's association is shown of it, kept once made so that reading it again takes
-- one query: the API's view (`api`) and the portal's page (`page`). `key` names what it was
-- made from (the versions of the request, its campaign, its association and its grant, and
-- the shape of the rendering): one whose key no longer matches is made again. Times that
-- depend on "now" are computed at each read from `clock`.
DROP TABLE request_views;
CREATE TABLE kept_views (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    clock TEXT NOT NULL,
    PRIMARY KEY (request_id, kind)
);
