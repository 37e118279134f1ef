-- Campaigns, subsidy requests, their instruction and their history. Lists inside a row
-- (eligible districts, a CERFA budget's lines) are JSON text: they are read and written whole.

CREATE TABLE campaigns (
    id TEXT COLLATE "C" PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_direction_id TEXT NOT NULL REFERENCES directions (id),
    -- For the local circuit: the district whose town hall runs the campaign.
    district_number INTEGER REFERENCES districts (number),
    nature TEXT NOT NULL CHECK (nature IN ('fonctionnement', 'projet', 'investissement')),
    circuit TEXT NOT NULL CHECK (circuit IN ('central', 'local', 'call_for_projects')),
    budget_year INTEGER NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP,
    envelope_cents BIGINT CHECK (envelope_cents >= 0),
    required_documents TEXT NOT NULL,
    eligible_districts TEXT NOT NULL,
    eligible_sectors TEXT NOT NULL,
    max_requested_cents BIGINT,
    min_association_age_months INTEGER,
    final_reports_required BOOLEAN NOT NULL,
    sla_admissibility_days INTEGER NOT NULL,
    sla_instruction_days INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'closed')),
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX campaigns_list ON campaigns (opens_at, id);

-- The last serial given per budget year: numbers are allocated inside the submitting
-- transaction, so a rolled-back submission gives its number back and none is ever skipped.
CREATE TABLE request_counters (
    year INTEGER PRIMARY KEY,
    last_serial INTEGER NOT NULL
);

CREATE TABLE requests (
    id TEXT COLLATE "C" PRIMARY KEY,
    number TEXT UNIQUE,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    association_id TEXT NOT NULL REFERENCES associations (id),
    circuit TEXT NOT NULL CHECK (circuit IN ('central', 'local', 'call_for_projects')),
    local_district INTEGER REFERENCES districts (number),
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'incomplete', 'in_instruction', 'instructed', 'rejected', 'withdrawn')),
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
CREATE INDEX requests_association ON requests (association_id, created_at, id);
CREATE INDEX requests_campaign ON requests (campaign_id, state);
CREATE INDEX requests_listed ON requests (created_at, id);
CREATE INDEX requests_state_age ON requests (state, state_since, id);
CREATE INDEX requests_local ON requests (local_district, state, state_since, id);
CREATE INDEX requests_submitted ON requests (submitted_at);
CREATE INDEX requests_amount ON requests (requested_cents);

-- Who instructs a request ('direction:<id>' or, on the local circuit, 'district:<n>') and
-- their opinion once given.
CREATE TABLE request_instructors (
    request_id TEXT NOT NULL REFERENCES requests (id),
    instructor TEXT COLLATE "C" NOT NULL,
    lead BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    opinion TEXT CHECK (opinion IN ('favourable', 'reserved', 'unfavourable')),
    proposed_cents BIGINT,
    public_comment TEXT,
    internal_comment TEXT,
    opinion_at TIMESTAMP,
    PRIMARY KEY (request_id, instructor)
);
CREATE INDEX request_instructors_worklist ON request_instructors (instructor, request_id);

-- The document versions attached to a request when it was (re)submitted.
CREATE TABLE request_documents (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind_code TEXT NOT NULL REFERENCES document_kinds (code),
    version_id TEXT NOT NULL REFERENCES document_versions (id),
    PRIMARY KEY (request_id, kind_code)
);
CREATE INDEX request_documents_version ON request_documents (version_id);

-- The association's view of a request, rendered once per version of the request (times
-- that depend on "now" are computed at each read from `clock`): its reads take one query.
CREATE TABLE request_views (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    version BIGINT NOT NULL,
    -- The shape of the rendering: a view of another shape is rendered again.
    format INTEGER NOT NULL,
    body TEXT NOT NULL,
    clock TEXT NOT NULL
);

-- The history: appended, never updated or deleted; each event carries the hash of the one
-- before it.
CREATE TABLE request_events (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_account_id TEXT REFERENCES accounts (id),
    actor_service_id TEXT REFERENCES service_accounts (id),
    actor_name TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    public_message TEXT,
    internal_note TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (request_id, seq)
);

-- Appended, never changed or removed.
CREATE FUNCTION simpa_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER request_events_append_only BEFORE UPDATE OR DELETE ON request_events
    FOR EACH ROW EXECUTE FUNCTION simpa_refuse_change();

-- The change feed: one row per change and per audience that saw the request before or after
-- it ('city' for the bureau, 'direction:<id>', 'district:<n>'). Sequence numbers are taken
-- under a lock held until commit, so they commit in order and a cursor never skips one.
CREATE TABLE request_changes (
    seq BIGINT NOT NULL,
    audience TEXT COLLATE "C" NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id),
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (audience, seq)
);
CREATE INDEX request_changes_seq ON request_changes (seq);
