-- A local campaign is run by its district's town hall: no direction need carry it. SQLite
-- cannot drop a NOT NULL in place: the table is rebuilt, as 000008 rebuilt the requests.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE campaigns_widened (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_direction_id TEXT REFERENCES directions (id),
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
INSERT INTO campaigns_widened SELECT * FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_widened RENAME TO campaigns;
CREATE INDEX campaigns_list ON campaigns (opens_at, id);
-- A town hall lists its own council's deliberations, a page at a time.
CREATE INDEX deliberations_district ON deliberations (district_number, session_on, id);
COMMIT;
PRAGMA foreign_keys = ON;
