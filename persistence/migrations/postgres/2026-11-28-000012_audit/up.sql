-- The audit trail (domain/src/audit.rs): sign-ins and those refused, changes of roles, exports.
-- Never a password, a token or a secret.
CREATE TABLE audit_events (
    id TEXT COLLATE "C" PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    -- An AuditAction's code, e.g. auth.signed_in, staff_role.granted.
    action TEXT NOT NULL,
    actor_account_id TEXT,
    actor_service_id TEXT,
    -- What a sign-in gave: an e-mail or a client id.
    actor_identifier TEXT,
    -- What the event is about: an account, an association, a campaign…, as "kind:id".
    subject TEXT,
    -- The client's address, as the sign-in limits see it.
    client_address TEXT,
    -- What else matters (the role granted, the export's filters), as JSON.
    details TEXT NOT NULL
);
CREATE INDEX audit_events_latest ON audit_events (occurred_at, id);
CREATE INDEX audit_events_action ON audit_events (action, occurred_at, id);
