-- A request may now be ranked by a jury. SQLite cannot change a CHECK constraint in place:
-- the table is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter), with foreign
-- keys off, hence outside diesel's transaction (metadata.toml) and inside our own.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE requests_widened (
    id TEXT PRIMARY KEY,
    number TEXT UNIQUE,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    association_id TEXT NOT NULL REFERENCES associations (id),
    circuit TEXT NOT NULL CHECK (circuit IN ('central', 'local', 'call_for_projects')),
    local_district INTEGER REFERENCES districts (number),
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'rejected', 'withdrawn')),
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

-- The jury of a call for projects: its rules, grid and session (see domain/src/jury.rs).
CREATE TABLE juries (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    -- The scoring grid: [{label, description, weight, max_points}], locked by the first score.
    criteria TEXT NOT NULL,
    normalise BOOLEAN NOT NULL,
    min_scores INTEGER NOT NULL CHECK (min_scores BETWEEN 0 AND 50),
    min_score INTEGER NOT NULL CHECK (min_score BETWEEN 0 AND 100),
    last_request TEXT NOT NULL CHECK (last_request IN ('partial', 'skip')),
    jurors_per_request INTEGER CHECK (jurors_per_request BETWEEN 1 AND 50),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed', 'validated')),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE jury_members (
    campaign_id TEXT NOT NULL REFERENCES juries (campaign_id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    chair BOOLEAN NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    -- A juror who withdrew keeps the row: their seats go to others, their scores no longer count.
    withdrawn_at TIMESTAMP,
    PRIMARY KEY (campaign_id, account_id)
);

-- A juror on a request: seated, their declaration of interests, their score sheet. A juror
-- recused from a request (by declaration, or as a member of the applicant) keeps the row with
-- the conflict and no sheet.
CREATE TABLE jury_seats (
    request_id TEXT NOT NULL REFERENCES requests (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    campaign_id TEXT NOT NULL REFERENCES juries (campaign_id),
    seated_at TIMESTAMP NOT NULL,
    declaration TEXT CHECK (declaration IN ('no_conflict', 'conflict')),
    conflict_reason TEXT,
    automatic BOOLEAN NOT NULL,
    declared_at TIMESTAMP,
    -- [{points, comment}], one per criterion of the grid, while drafted and once handed in.
    points TEXT,
    handed_in_at TIMESTAMP,
    -- The weighted score out of 100 of the sheet handed in (the grid is locked by then): what
    -- the ranking reads, without the marks.
    score REAL,
    PRIMARY KEY (request_id, account_id)
);
CREATE INDEX jury_seats_juror ON jury_seats (campaign_id, account_id);

-- The validated ranking: what the minutes show once the chair validated them.
CREATE TABLE jury_results (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    campaign_id TEXT NOT NULL REFERENCES juries (campaign_id),
    place INTEGER NOT NULL,
    score REAL,
    normalised REAL,
    sheets INTEGER NOT NULL,
    flagged BOOLEAN NOT NULL,
    funded_cents BIGINT NOT NULL CHECK (funded_cents >= 0),
    allotment TEXT NOT NULL
);
CREATE INDEX jury_results_place ON jury_results (campaign_id, place);

COMMIT;
PRAGMA foreign_keys = ON;
