-- Notifications: what people want to hear, and the transactional outbox every message goes
-- through (written in the same transaction as what causes it, sent by a background worker).

-- The association's requests by e-mail (asked at registration); staff's new work.
ALTER TABLE accounts ADD COLUMN request_emails BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE accounts ADD COLUMN work_emails TEXT NOT NULL DEFAULT 'immediate'
    CHECK (work_emails IN ('immediate', 'daily', 'none'));

CREATE TABLE outbox (
    id TEXT COLLATE "C" PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    -- An e-mail address, or a webhook endpoint's id.
    recipient TEXT NOT NULL,
    -- An e-mail's subject, or a webhook's event type.
    subject TEXT NOT NULL,
    -- An e-mail's plain text, or a webhook's JSON body.
    body TEXT NOT NULL,
    html TEXT,
    request_id TEXT,
    -- One message per thing reminded (reminders are never sent twice).
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL,
    available_at TIMESTAMP NOT NULL,
    -- While a worker sends it, nobody else takes it; a worker that died lets go at this time.
    leased_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, available_at, id);
CREATE INDEX outbox_listed ON outbox (status, created_at, id);
-- The admins' list without a status filter, the latest first.
CREATE INDEX outbox_latest ON outbox (created_at, id);

-- New work for staff who chose a daily digest, until the digest goes out.
CREATE TABLE digest_items (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    request_id TEXT NOT NULL REFERENCES requests (id),
    created_at TIMESTAMP NOT NULL,
    digested_at TIMESTAMP
);
CREATE INDEX digest_items_pending ON digest_items (digested_at, account_id);
