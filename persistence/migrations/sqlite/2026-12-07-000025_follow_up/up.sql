-- Follow-up: the named agent who follows a request for the city ("suivi par"), chosen among
-- the agents of the services it is in the hands of, and who chose them when; and the agents
-- who keep an eye on a request (their "mine" list holds both).
CREATE TABLE request_assignees (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    assigned_by TEXT NOT NULL REFERENCES accounts (id),
    assigned_at TIMESTAMP NOT NULL
);
CREATE INDEX request_assignees_account ON request_assignees (account_id);
CREATE TABLE request_followers (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    request_id TEXT NOT NULL REFERENCES requests (id),
    followed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, request_id)
);
