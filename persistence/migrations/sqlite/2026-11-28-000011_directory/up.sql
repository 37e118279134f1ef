-- The public directory: what a card shows beyond the profile, and the index it is searched by.
ALTER TABLE associations ADD COLUMN target_publics TEXT NOT NULL DEFAULT '[]';
ALTER TABLE associations ADD COLUMN action_districts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE associations ADD COLUMN public_email BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE associations ADD COLUMN public_phone BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE associations ADD COLUMN public_website BOOLEAN NOT NULL DEFAULT FALSE;

-- The terms each consenting association's card is found by (domain/src/search.rs): the words
-- of its name, acronym and object with their weight, and its facets (@sector:…, @district:…,
-- @public:…) weighing 0. Compared byte by byte, so that a word's prefix is a range; the
-- key holds every column a search reads.
CREATE TABLE directory_terms (
    term TEXT NOT NULL,
    association_id TEXT NOT NULL REFERENCES associations (id),
    weight INTEGER NOT NULL,
    -- The card's name as it sorts (associations.sort_key), so that a search ranks its
    -- matches from the index alone.
    sort_key TEXT NOT NULL,
    PRIMARY KEY (term, association_id)
) WITHOUT ROWID;
CREATE INDEX directory_terms_association ON directory_terms (association_id);
-- The directory without a search, by name.
CREATE INDEX associations_directory ON associations (directory_consent, sort_key, id);
