-- A granted request closes once paid and reported on (or its repayment settled).
ALTER TABLE requests DROP CONSTRAINT requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'ranked', 'scheduled', 'granted', 'rejected', 'withdrawn', 'closed'));

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
