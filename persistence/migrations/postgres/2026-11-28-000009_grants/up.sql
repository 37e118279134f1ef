-- What follows a vote: the grant, its agreement, its payment schedule and its payments (see
-- domain/src/funding.rs and domain/src/agreement.rs).

-- An agreement (convention d'objectifs) with an association, over one to four years.
CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    -- The number of the request whose grant opened it.
    reference TEXT NOT NULL UNIQUE,
    association_id TEXT NOT NULL REFERENCES associations (id),
    object TEXT NOT NULL,
    -- JSON array of {"year", "cents"}, consecutive years from the first grant's.
    years TEXT NOT NULL,
    first_year INTEGER NOT NULL,
    last_year INTEGER NOT NULL,
    payment_days INTEGER NOT NULL CHECK (payment_days BETWEEN 1 AND 365),
    status TEXT NOT NULL CHECK (status IN ('drafted', 'signed_by_association', 'signed')),
    association_signer_id TEXT REFERENCES accounts (id),
    association_signer TEXT,
    association_signed_at TIMESTAMP,
    city_signer_id TEXT REFERENCES accounts (id),
    city_signer TEXT,
    city_signed_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agreements_association ON agreements (association_id, last_year);
CREATE INDEX agreements_status ON agreements (status, created_at);

-- A request granted by a vote, with where its money stands.
CREATE TABLE grants (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    association_id TEXT NOT NULL REFERENCES associations (id),
    deliberation_id TEXT NOT NULL REFERENCES deliberations (id),
    cents BIGINT NOT NULL CHECK (cents > 0),
    year INTEGER NOT NULL,
    voted_on DATE NOT NULL,
    notified_on DATE NOT NULL,
    -- NULL when no agreement is required.
    agreement_id TEXT REFERENCES agreements (id),
    final_report_due_on DATE NOT NULL,
    paid_cents BIGINT NOT NULL CHECK (paid_cents >= 0 AND paid_cents <= cents),
    -- What the schedule makes payable now, and by when what is not yet paid of it is due
    -- (NULL when nothing is owed): kept by every change, so that the worklist of payments
    -- due reads an index.
    payable_cents BIGINT NOT NULL,
    due_on DATE,
    report_accepted_on DATE,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX grants_association ON grants (association_id, voted_on);
CREATE INDEX grants_agreement ON grants (agreement_id);
CREATE INDEX grants_due ON grants (due_on, request_id);

-- The payment schedule of a grant.
CREATE TABLE installments (
    request_id TEXT NOT NULL REFERENCES grants (request_id),
    position INTEGER NOT NULL,
    cents BIGINT NOT NULL CHECK (cents > 0),
    due TEXT NOT NULL CHECK (due IN ('on_notification', 'after_final_report')),
    PRIMARY KEY (request_id, position)
);

-- The payment orders finance recorded.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES grants (request_id),
    cents BIGINT NOT NULL CHECK (cents > 0),
    paid_on DATE NOT NULL,
    -- The payment order's number in the city's accounting.
    reference TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES accounts (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_request ON payments (request_id, paid_on);
