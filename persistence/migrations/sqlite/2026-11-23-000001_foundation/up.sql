-- Simpa foundation: reference data, accounts and authentication, associations.
-- UUIDs are stored as TEXT and times as TIMESTAMP (UTC) so that one Diesel schema serves
-- SQLite and PostgreSQL alike.

-- Reference data: a city changes these through data, never through code.
CREATE TABLE districts (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    insee_code TEXT NOT NULL UNIQUE,
    town_hall TEXT NOT NULL
);

CREATE TABLE district_postal_codes (
    postal_code TEXT PRIMARY KEY,
    district_number INTEGER NOT NULL REFERENCES districts (number)
);

CREATE TABLE directions (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL
);

CREATE TABLE sectors (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    position INTEGER NOT NULL
);

-- People and their credentials.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_roles (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'bureau', 'instructor', 'district', 'finance', 'juror')),
    direction_id TEXT REFERENCES directions (id),
    district_number INTEGER REFERENCES districts (number),
    granted_at TIMESTAMP NOT NULL,
    granted_by TEXT REFERENCES accounts (id)
);
CREATE INDEX staff_roles_account ON staff_roles (account_id);
-- A person holds a role with a given scope once (NULL scopes compare equal here).
CREATE UNIQUE INDEX staff_roles_unique ON staff_roles (account_id, kind, COALESCE(direction_id, ''), COALESCE(district_number, 0));

-- Directions' API clients (OAuth 2.0 client-credentials grant).
CREATE TABLE service_accounts (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    direction_id TEXT NOT NULL REFERENCES directions (id),
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES accounts (id)
);

-- A family is one sign-in and its rotations; revoking it (logout, reuse detected) revokes
-- every token of it. Rotation and revocation both lock the family's row.
CREATE TABLE refresh_token_families (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- Refresh tokens are stored hashed; each one is good once.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES refresh_token_families (id),
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Sign-in attempts, counted per account and per address within a sliding window. An attempt
-- is recorded before the password is checked and forgotten if it succeeds, so that parallel
-- guesses count too.
CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_key_time ON login_attempts (throttle_key, attempted_at);
CREATE INDEX login_attempts_time ON login_attempts (attempted_at);

-- Associations and their members.
CREATE TABLE associations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    acronym TEXT,
    rna TEXT UNIQUE,
    siret TEXT UNIQUE,
    object TEXT NOT NULL,
    street TEXT NOT NULL,
    address_complement TEXT,
    postal_code TEXT NOT NULL,
    city TEXT NOT NULL,
    district_number INTEGER REFERENCES districts (number),
    creation_date DATE,
    website TEXT,
    email TEXT,
    phone TEXT,
    directory_consent BOOLEAN NOT NULL,
    legal_representative_name TEXT,
    legal_representative_function TEXT,
    legal_representative_email TEXT,
    legal_representative_phone TEXT,
    -- Accent- and case-folded name, acronym and identifiers, for staff search.
    search_text TEXT NOT NULL,
    -- Accent- and case-folded name: the list order.
    sort_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX associations_sort ON associations (sort_key, id);
CREATE INDEX associations_district ON associations (district_number, sort_key, id);

CREATE TABLE association_sectors (
    association_id TEXT NOT NULL REFERENCES associations (id),
    sector_code TEXT NOT NULL REFERENCES sectors (code),
    position INTEGER NOT NULL,
    PRIMARY KEY (association_id, sector_code)
);
CREATE INDEX association_sectors_sector ON association_sectors (sector_code, association_id);

CREATE TABLE association_members (
    association_id TEXT NOT NULL REFERENCES associations (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('president', 'treasurer', 'manager')),
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (association_id, account_id)
);
CREATE INDEX association_members_account ON association_members (account_id);

-- Invitations to join an association, accepted by the invited person with a single-use token
-- (stored hashed). One pending invitation per address and association.
CREATE TABLE association_invitations (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations (id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('president', 'treasurer', 'manager')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL REFERENCES accounts (id),
    invited_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    accepted_by TEXT REFERENCES accounts (id),
    cancelled_at TIMESTAMP
);
CREATE INDEX association_invitations_association ON association_invitations (association_id);
CREATE UNIQUE INDEX association_invitations_pending ON association_invitations (association_id, email_key)
    WHERE accepted_at IS NULL AND cancelled_at IS NULL;

-- Creating POSTs remember their Idempotency-Key: a retried call answers the first answer.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    -- JSON array of [name, value] pairs (ETag, Location…).
    response_headers TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);

-- The 20 arrondissements of Paris (INSEE COG codes 75101-75120). Since 2020 the 1st to 4th
-- share one town hall, Paris Centre (loi n° 2017-257).
INSERT INTO districts (number, name, insee_code, town_hall) VALUES
    (1, '1er arrondissement', '75101', 'Mairie de Paris Centre'),
    (2, '2e arrondissement', '75102', 'Mairie de Paris Centre'),
    (3, '3e arrondissement', '75103', 'Mairie de Paris Centre'),
    (4, '4e arrondissement', '75104', 'Mairie de Paris Centre'),
    (5, '5e arrondissement', '75105', 'Mairie du 5e arrondissement'),
    (6, '6e arrondissement', '75106', 'Mairie du 6e arrondissement'),
    (7, '7e arrondissement', '75107', 'Mairie du 7e arrondissement'),
    (8, '8e arrondissement', '75108', 'Mairie du 8e arrondissement'),
    (9, '9e arrondissement', '75109', 'Mairie du 9e arrondissement'),
    (10, '10e arrondissement', '75110', 'Mairie du 10e arrondissement'),
    (11, '11e arrondissement', '75111', 'Mairie du 11e arrondissement'),
    (12, '12e arrondissement', '75112', 'Mairie du 12e arrondissement'),
    (13, '13e arrondissement', '75113', 'Mairie du 13e arrondissement'),
    (14, '14e arrondissement', '75114', 'Mairie du 14e arrondissement'),
    (15, '15e arrondissement', '75115', 'Mairie du 15e arrondissement'),
    (16, '16e arrondissement', '75116', 'Mairie du 16e arrondissement'),
    (17, '17e arrondissement', '75117', 'Mairie du 17e arrondissement'),
    (18, '18e arrondissement', '75118', 'Mairie du 18e arrondissement'),
    (19, '19e arrondissement', '75119', 'Mairie du 19e arrondissement'),
    (20, '20e arrondissement', '75120', 'Mairie du 20e arrondissement');

-- Postal codes 750NN serve the NNth arrondissement; 75116 is the north of the 16th.
INSERT INTO district_postal_codes (postal_code, district_number) VALUES
    ('75001', 1),
    ('75002', 2),
    ('75003', 3),
    ('75004', 4),
    ('75005', 5),
    ('75006', 6),
    ('75007', 7),
    ('75008', 8),
    ('75009', 9),
    ('75010', 10),
    ('75011', 11),
    ('75012', 12),
    ('75013', 13),
    ('75014', 14),
    ('75015', 15),
    ('75016', 16),
    ('75017', 17),
    ('75018', 18),
    ('75019', 19),
    ('75020', 20),
    ('75116', 16);

-- Directions that instruct subsidies. Merged or renamed ones stay, inactive, for history:
-- DASES became DSOL (2022), DPSP became DPMP, DPVI joined DDCT.
-- Ids are UUIDv5 of 'direction:<code>' in a fixed namespace, so every install shares them.
INSERT INTO directions (id, code, name, active) VALUES
    ('f925a666-a640-5f08-8807-588d241b0018', 'DDCT', 'Direction de la Démocratie, des Citoyen·ne·s et des Territoires', TRUE),
    ('f889da27-3823-5103-973a-d77d985c9408', 'DAC', 'Direction des Affaires Culturelles', TRUE),
    ('5502fd19-c78d-55e0-b66b-5f33f213699e', 'DSOL', 'Direction des Solidarités', TRUE),
    ('82a36e63-611e-52b9-9cf5-87202fac91cb', 'DASES', 'Direction de l''Action Sociale, de l''Enfance et de la Santé', FALSE),
    ('b2d2b8c3-2225-5bc6-89ca-c0ae8501c52c', 'DJS', 'Direction de la Jeunesse et des Sports', TRUE),
    ('2ce2a975-ba69-5f39-843d-01c5d7af05e1', 'DAE', 'Direction de l''Attractivité et de l''Emploi', TRUE),
    ('2621cb9d-b1d5-515e-9ad6-e23c1cdbfa3d', 'DFPE', 'Direction des Familles et de la Petite Enfance', TRUE),
    ('fce8a7f8-db52-5ec3-aa9d-cdabbd78fa75', 'DASCO', 'Direction des Affaires Scolaires', TRUE),
    ('38403809-c61a-55bb-8e86-9c20dd54c509', 'DPMP', 'Direction de la Police Municipale et de la Prévention', TRUE),
    ('d5939543-deda-5d41-93af-7cd5bb0d0428', 'DPSP', 'Direction de la Prévention, de la Sécurité et de la Protection', FALSE),
    ('0327cbbc-5776-5d23-b290-d673321b1746', 'DPVI', 'Délégation à la Politique de la Ville et à l''Intégration', FALSE),
    ('888f3e39-077a-5ed9-8b91-e2f6ad52eb49', 'DGRI', 'Délégation Générale aux Relations Internationales', TRUE),
    ('08fe16b0-e97a-5c17-a4c1-3b33620ba846', 'DEVE', 'Direction des Espaces Verts et de l''Environnement', TRUE),
    ('da63d28a-a245-5757-b82d-95a1819f65e3', 'DPE', 'Direction de la Propreté et de l''Eau', TRUE),
    ('efae5910-12fd-5bf5-9014-d48514500d2a', 'DU', 'Direction de l''Urbanisme', TRUE),
    ('59cdfdb8-d950-51b0-b92d-2c4d225a010a', 'DLH', 'Direction du Logement et de l''Habitat', TRUE),
    ('a653a865-1254-55e0-8edd-882e4c3641c4', 'DVD', 'Direction de la Voirie et des Déplacements', TRUE),
    ('f03a4037-6720-57a9-ad0e-a1215b2f10b5', 'DRH', 'Direction des Ressources Humaines', TRUE),
    ('9439c893-6e76-5678-a965-21d1b1bfda9e', 'DSP', 'Direction de la Santé Publique', TRUE),
    ('fe9b0c52-af0a-54a1-b329-1435bb4575b0', 'DTEC', 'Direction de la Transition Écologique et du Climat', TRUE);

-- Activity sectors of the Paris associations directory (opendata.paris.fr).
INSERT INTO sectors (code, label, position) VALUES
    ('aides_aux_associations', 'Aides aux associations', 1),
    ('architecture_urbanisme', 'Architecture & urbanisme', 2),
    ('communication_media', 'Communication & média', 3),
    ('culture_arts', 'Culture & Arts', 4),
    ('defense_droits', 'Défense des droits et des intérêts', 5),
    ('deplacements_transports', 'Déplacements et transports', 6),
    ('education_formation', 'Education & formation', 7),
    ('emploi', 'Emploi', 8),
    ('environnement_ecologie', 'Environnement & écologie', 9),
    ('humanitaire', 'Humanitaire', 10),
    ('loisirs', 'Loisirs', 11),
    ('memoire', 'Mémoire', 12),
    ('precarite_exclusion', 'Précarité & Exclusion', 13),
    ('sante', 'Santé', 14),
    ('social', 'Social', 15),
    ('sport', 'Sport', 16),
    ('tourisme', 'Tourisme', 17),
    ('vie_animation_locale', 'Vie et animation locale', 18);
