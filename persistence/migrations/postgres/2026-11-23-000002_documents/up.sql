-- The document vault: kinds of supporting documents (data a city edits), every version an
-- association files (its bytes live in the content-addressed store, never in rows), the
-- yearly confirmation of the profile, and the public funding that conditions some kinds.

CREATE TABLE document_kinds (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    validity_rule TEXT NOT NULL CHECK (validity_rule IN ('permanent', 'fiscal_year', 'valid_until', 'dated', 'attestation')),
    fiscal_year_offset INTEGER NOT NULL,
    grace_months INTEGER NOT NULL,
    max_age_months INTEGER,
    bank_details BOOLEAN NOT NULL,
    required_for_profile BOOLEAN NOT NULL,
    required_when TEXT CHECK (required_when IN ('public_cash_subsidies_over_153000')),
    position INTEGER NOT NULL
);

CREATE TABLE document_versions (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations (id),
    kind_code TEXT NOT NULL REFERENCES document_kinds (code),
    fiscal_year INTEGER,
    valid_until DATE,
    event_date DATE,
    -- A file: its SHA-256 names its bytes in the store. Empty for attestations.
    blob_sha256 TEXT,
    size_bytes BIGINT,
    media_type TEXT,
    file_name TEXT,
    -- A RIB's bank details, as declared with it.
    iban TEXT,
    bic TEXT,
    account_holder TEXT,
    filed_by TEXT NOT NULL REFERENCES accounts (id),
    filed_at TIMESTAMP NOT NULL,
    review_state TEXT NOT NULL CHECK (review_state IN ('pending', 'accepted', 'rejected')),
    reviewed_by TEXT REFERENCES accounts (id),
    reviewed_at TIMESTAMP,
    review_reason TEXT
);
CREATE INDEX document_versions_association ON document_versions (association_id, kind_code, filed_at);
CREATE INDEX document_versions_blob ON document_versions (blob_sha256);

-- Public cash subsidies an association received, per financial year (the auditor's report
-- is required above 153,000 €).
CREATE TABLE association_public_funding (
    association_id TEXT NOT NULL REFERENCES associations (id),
    fiscal_year INTEGER NOT NULL,
    cash_subsidies_cents BIGINT NOT NULL CHECK (cash_subsidies_cents >= 0),
    declared_by TEXT NOT NULL REFERENCES accounts (id),
    declared_at TIMESTAMP NOT NULL,
    PRIMARY KEY (association_id, fiscal_year)
);

-- When the association last confirmed its profile (creation and edits confirm it).
ALTER TABLE associations ADD COLUMN confirmed_at TIMESTAMP;
UPDATE associations SET confirmed_at = updated_at;

-- Paris's supporting documents (CERFA 12156 attachments and the Paris FAQ).
INSERT INTO document_kinds (code, label, validity_rule, fiscal_year_offset, grace_months, max_age_months, bank_details, required_for_profile, required_when, position) VALUES
    ('statuts', 'Statuts', 'permanent', 0, 0, NULL, FALSE, TRUE, NULL, 1),
    ('liste_dirigeants', 'Liste des dirigeants', 'permanent', 0, 0, NULL, FALSE, TRUE, NULL, 2),
    ('recepisse_prefecture', 'Récépissé de déclaration en préfecture', 'permanent', 0, 0, NULL, FALSE, TRUE, NULL, 3),
    ('rib', 'Relevé d''identité bancaire (RIB)', 'permanent', 0, 0, NULL, TRUE, FALSE, NULL, 4),
    ('comptes_annuels', 'Comptes annuels approuvés (exercice N-1)', 'fiscal_year', -1, 6, NULL, FALSE, FALSE, NULL, 5),
    ('budget_previsionnel', 'Budget prévisionnel de l''association (exercice N)', 'fiscal_year', 0, 3, NULL, FALSE, FALSE, NULL, 6),
    ('rapport_activite', 'Rapport d''activité (exercice N-1)', 'fiscal_year', -1, 6, NULL, FALSE, FALSE, NULL, 7),
    ('rapport_commissaire_comptes', 'Rapport du commissaire aux comptes (exercice N-1)', 'fiscal_year', -1, 6, NULL, FALSE, FALSE, 'public_cash_subsidies_over_153000', 8),
    ('attestation_assurance', 'Attestation d''assurance', 'valid_until', 0, 0, NULL, FALSE, FALSE, NULL, 9),
    ('pv_assemblee_generale', 'Procès-verbal de la dernière assemblée générale', 'dated', 0, 0, 18, FALSE, FALSE, NULL, 10),
    ('contrat_engagement_republicain', 'Contrat d''engagement républicain', 'attestation', 0, 0, NULL, FALSE, FALSE, NULL, 11);
