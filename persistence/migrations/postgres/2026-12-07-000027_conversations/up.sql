-- The messages about requests. Each is an event of its request's history (what it says is
-- there, in the hash chain); this table finds them: by thread, by who wrote them, by what
-- they say (`search_text`, folded without accents or case).
CREATE TABLE request_messages (
    event_id TEXT PRIMARY KEY REFERENCES request_events (id),
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,
    thread TEXT NOT NULL CHECK (thread IN ('association', 'internal')),
    side TEXT NOT NULL CHECK (side IN ('association', 'city')),
    author_account_id TEXT COLLATE "C" REFERENCES accounts (id),
    written_at TIMESTAMP NOT NULL,
    search_text TEXT NOT NULL,
    UNIQUE (request_id, seq)
);

-- The files messages carry: uploaded with them, or taken from the association's documents.
CREATE TABLE message_attachments (
    id TEXT COLLATE "C" PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES request_messages (event_id),
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    position INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    blob_sha256 TEXT NOT NULL,
    document_version_id TEXT REFERENCES document_versions (id)
);
CREATE INDEX message_attachments_request ON message_attachments (request_id);

-- How far each person read a request's threads (the last event read), and on which side.
CREATE TABLE message_reads (
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    side TEXT NOT NULL CHECK (side IN ('association', 'city')),
    read_seq INTEGER NOT NULL,
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, account_id)
);
