-- A request may now be ranked by a jury.
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'rejected', 'withdrawn'));

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
    score DOUBLE PRECISION,
    PRIMARY KEY (request_id, account_id)
);
CREATE INDEX jury_seats_juror ON jury_seats (campaign_id, account_id);

-- The validated ranking: what the minutes show once the chair validated them.
CREATE TABLE jury_results (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    campaign_id TEXT NOT NULL REFERENCES juries (campaign_id),
    place INTEGER NOT NULL,
    score DOUBLE PRECISION,
    normalised DOUBLE PRECISION,
    sheets INTEGER NOT NULL,
    flagged BOOLEAN NOT NULL,
    funded_cents BIGINT NOT NULL CHECK (funded_cents >= 0),
    allotment TEXT NOT NULL
);
CREATE INDEX jury_results_place ON jury_results (campaign_id, place);
