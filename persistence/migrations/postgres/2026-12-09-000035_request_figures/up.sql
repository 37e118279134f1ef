-- What the city's indicators count, kept narrow so that they group a few columns of every
-- request instead of reading each request, its grant, payments and history.
--
-- One row per submitted request: its own columns the indicators group and add, its lead
-- instructor and its grant's money. Rewritten from those tables by every change to them
-- (`persistence::indicators::refresh`).
-- The keys are COLLATE "C" as `requests.id` is, so that joins on them use their indexes.
CREATE TABLE request_figures (
    request_id TEXT COLLATE "C" PRIMARY KEY REFERENCES requests (id),
    association_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    state TEXT NOT NULL,
    nature TEXT NOT NULL,
    requested_cents BIGINT NOT NULL,
    proposed_cents BIGINT,
    sla_due_at TIMESTAMP,
    -- The lead instructor's key (`direction:<id>`, `district:<n>`).
    lead TEXT,
    voted_cents BIGINT,
    paid_cents BIGINT,
    voted_on DATE,
    first_paid_on DATE
);
-- Each grouping reads an index in its order: no table, no sort.
CREATE INDEX request_figures_groups ON request_figures
    (state, nature, campaign_id, lead, requested_cents, proposed_cents, voted_cents, paid_cents);
CREATE INDEX request_figures_associations ON request_figures
    (association_id, requested_cents, proposed_cents, voted_cents, paid_cents);
CREATE INDEX request_figures_first_paid ON request_figures (voted_on, first_paid_on)
    WHERE first_paid_on IS NOT NULL;
CREATE INDEX request_figures_due ON request_figures (sla_due_at, state)
    WHERE sla_due_at IS NOT NULL;

-- The steps of its history each request went through to their end (`indicators::step_spans`),
-- written when an action ends one: how long it took and how long it waited for the
-- association, in tenths of a day, as the indicators show them.
CREATE TABLE request_spans (
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    step TEXT NOT NULL
        CHECK (step IN ('submission_to_admissible', 'admissible_to_instructed', 'instructed_to_vote')),
    days_tenths BIGINT NOT NULL,
    waiting_tenths BIGINT NOT NULL,
    PRIMARY KEY (request_id, step)
);
CREATE INDEX request_spans_days ON request_spans (step, days_tenths);
CREATE INDEX request_spans_waiting ON request_spans (step, waiting_tenths);

-- The figures read a request's lead instructor and first payment by the request's id, which
-- is COLLATE "C": these keys are too, or their indexes are left unused (every assignment and
-- payment read at each change, as `grants.request_id` was before migration 000024).
ALTER TABLE request_instructors ALTER COLUMN request_id TYPE TEXT COLLATE "C";
ALTER TABLE payments ALTER COLUMN request_id TYPE TEXT COLLATE "C";

-- The final reports overdue are counted among the grants past their report's due date.
CREATE INDEX grants_report_due ON grants (final_report_due_on, request_id);

-- What the migrations leave to the application to fill in from the data already there (the
-- spans come from histories, which SQL does not replay): done, and removed, in one
-- transaction, once the migrations have run (`migrations::run_pending`).
CREATE TABLE backfills (name TEXT PRIMARY KEY);
INSERT INTO backfills (name) VALUES ('request_figures');
