-- Webhooks: directions' systems (and admins) are told of request changes without polling.
-- Deliveries go through the outbox (channel 'webhook', recipient = the endpoint's id).
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    -- The direction whose requests it follows; none: every submitted request (admins).
    direction_id TEXT REFERENCES directions (id),
    url TEXT NOT NULL,
    -- Signs every delivery (HMAC-SHA256); shown once, at registration.
    secret TEXT NOT NULL,
    -- JSON array of event types (action codes); empty: every type.
    event_types TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by_account TEXT REFERENCES accounts (id),
    created_by_service TEXT REFERENCES service_accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_direction ON webhook_endpoints (direction_id, active);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at, id);
