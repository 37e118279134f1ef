-- The filters of the agents' lists, saved under a name by an agent (`query` as the list's
-- address says it) and maybe shared with one of their services (`bureau`,
-- `direction:<uuid>`, `district:<n>`).
CREATE TABLE saved_filters (
    id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    list TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    shared_with TEXT COLLATE "C",
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, list, name)
);
CREATE INDEX saved_filters_shared ON saved_filters (shared_with);
