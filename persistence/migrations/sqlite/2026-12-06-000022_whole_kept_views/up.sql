-- A kept view is now the whole answer, clock included: `fresh_until` is when its clock
-- would first read differently (a day more in a count that runs, or the deadline passed),
-- NULL while the clock is stopped. The views kept before are made again at their next read.
DROP TABLE kept_views;
CREATE TABLE kept_views (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    fresh_until TIMESTAMP,
    PRIMARY KEY (request_id, kind)
);
