-- The steps past their deadline each agent was told of, by the request and the deadline that
-- passed: a step is told once, and again only if a new deadline passes.
CREATE TABLE late_steps_told (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    due_at TIMESTAMP NOT NULL,
    told_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, request_id, due_at)
);

-- The day a jury's session is planned to close: jurors whose sheets are not handed in are
-- recalled three days before.
ALTER TABLE juries ADD COLUMN closes_on DATE;
