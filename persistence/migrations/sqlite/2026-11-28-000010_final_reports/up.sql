-- A granted request closes once paid and reported on (or its repayment settled): the CHECK
-- of its state widens, by the rebuild of 000008 (SQLite cannot change a CHECK in place).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE requests_widened (
    id TEXT PRIMARY KEY,
    number TEXT UNIQUE,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    association_id TEXT NOT NULL REFERENCES associations (id),
    circuit TEXT NOT NULL CHECK (circuit IN ('central', 'local', 'call_for_projects')),
    local_district INTEGER REFERENCES districts (number),
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'scheduled', 'granted', 'rejected', 'withdrawn', 'closed')),
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

-- The final report (CERFA 15059) of a grant: the budget carried out, the indicators
-- achieved, the summary and annex, and its review (see domain/src/final_report.rs).
CREATE TABLE final_reports (
    request_id TEXT PRIMARY KEY REFERENCES grants (request_id),
    status TEXT NOT NULL CHECK (status IN ('filed', 'changes_asked', 'accepted')),
    -- JSON, as requests.budget: the lines carried out.
    budget TEXT NOT NULL,
    -- JSON [{"name", "unit", "target", "achieved"}].
    indicators TEXT NOT NULL,
    summary TEXT NOT NULL,
    beneficiaries_reached BIGINT,
    annex TEXT,
    -- JSON [document version ids] of the association's vault.
    attachments TEXT NOT NULL,
    times_filed INTEGER NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    reviewed_by TEXT,
    reviewed_at TIMESTAMP,
    review_reason TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX final_reports_status ON final_reports (status, filed_at);

-- Repayment orders (titres de recette) and their settlement.
CREATE TABLE repayments (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES grants (request_id),
    cents BIGINT NOT NULL CHECK (cents > 0),
    reason TEXT NOT NULL,
    -- For a breach of the contrat d'engagement républicain: the day of the breach.
    breach_on DATE,
    ordered_by TEXT NOT NULL,
    ordered_at TIMESTAMP NOT NULL,
    settled_on DATE,
    settled_by TEXT,
    settled_at TIMESTAMP
);
CREATE INDEX repayments_request ON repayments (request_id, ordered_at);
CREATE INDEX repayments_open ON repayments (settled_on, ordered_at);

-- What repayment orders claimed of the grant: once above 0, nothing more is paid.
ALTER TABLE grants ADD COLUMN claimed_cents BIGINT NOT NULL DEFAULT 0;

COMMIT;
PRAGMA foreign_keys = ON;
