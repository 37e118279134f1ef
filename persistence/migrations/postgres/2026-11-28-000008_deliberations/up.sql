-- A request may now be scheduled in a deliberation and granted by its vote.
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'scheduled', 'granted', 'rejected', 'withdrawn'));

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
