-- A request may now be scheduled in a deliberation and granted by its vote: the CHECK of
-- its state widens, by the rebuild of 000007 (SQLite cannot change a CHECK in place).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE requests_widened (
    id TEXT PRIMARY KEY,
    number TEXT UNIQUE,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    association_id TEXT NOT NULL REFERENCES associations (id),
    circuit TEXT NOT NULL CHECK (circuit IN ('central', 'local', 'call_for_projects')),
    local_district INTEGER REFERENCES districts (number),
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'scheduled', 'granted', 'rejected', 'withdrawn')),
    state_since TIMESTAMP NOT NULL,
    resume_state TEXT,
    title TEXT NOT NULL,
    -- Accent- and case-folded title, for search.
    search_text TEXT NOT NULL,
    summary TEXT NOT NULL,
    objectives TEXT NOT NULL,
    target_public TEXT NOT NULL,
    expected_beneficiaries INTEGER,
    districts TEXT NOT NULL,
    start_date DATE,
    end_date DATE,
    nature TEXT NOT NULL CHECK (nature IN ('fonctionnement', 'projet', 'investissement')),
    renews_request_id TEXT REFERENCES requests (id),
    requested_cents BIGINT NOT NULL CHECK (requested_cents >= 0),
    proposed_cents BIGINT,
    budget TEXT NOT NULL,
    indicators TEXT NOT NULL,
    -- When the current step is due; empty while waiting for the association.
    sla_due_at TIMESTAMP,
    submitted_at TIMESTAMP,
    -- The hash of the last event: removing the latest events shows when verifying.
    head_hash TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO requests_widened SELECT * FROM requests;
DROP TABLE requests;
ALTER TABLE requests_widened RENAME TO requests;
CREATE INDEX requests_association ON requests (association_id, created_at, id);
CREATE INDEX requests_campaign ON requests (campaign_id, state);
CREATE INDEX requests_listed ON requests (created_at, id);
CREATE INDEX requests_state_age ON requests (state, state_since, id);
CREATE INDEX requests_local ON requests (local_district, state, state_since, id);
CREATE INDEX requests_submitted ON requests (submitted_at);
CREATE INDEX requests_amount ON requests (requested_cents);

-- Deliberations: the acts by which a council votes subsidies (see domain/src/deliberation.rs).
CREATE TABLE deliberations (
    id TEXT PRIMARY KEY,
    -- 'YYYY DIR NN', unique.
    reference TEXT NOT NULL UNIQUE,
    council TEXT NOT NULL CHECK (council IN ('conseil_de_paris', 'conseil_arrondissement')),
    district_number INTEGER REFERENCES districts (number),
    session_on DATE NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'voted')),
    outcome TEXT CHECK (outcome IN ('adopted', 'adopted_with_amendments', 'rejected')),
    voted_on DATE,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX deliberations_session ON deliberations (session_on, id);

-- A request on a deliberation's agenda, with the amount proposed and, once voted, granted.
CREATE TABLE deliberation_lines (
    deliberation_id TEXT NOT NULL REFERENCES deliberations (id),
    request_id TEXT NOT NULL REFERENCES requests (id),
    proposed_cents BIGINT NOT NULL CHECK (proposed_cents >= 0),
    voted_cents BIGINT CHECK (voted_cents >= 0),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (deliberation_id, request_id)
);
-- A request is on one agenda at most.
CREATE UNIQUE INDEX deliberation_lines_request ON deliberation_lines (request_id);

COMMIT;
PRAGMA foreign_keys = ON;
