-- The staff's search of associations: the words of every association's name and acronym, its
-- RNA and its SIRET (domain/src/search.rs: name_terms), consenting to the directory or not.
-- A word searched is a range of terms; a rare one is read from it, a frequent one is tested
-- on each association met in the order of the list (association_terms_association), instead
-- of testing every association's text. Filled for the associations already there by a
-- backfill (persistence/src/migrations.rs).
CREATE TABLE association_terms (
    term TEXT NOT NULL,
    association_id TEXT NOT NULL REFERENCES associations (id),
    PRIMARY KEY (term, association_id)
) WITHOUT ROWID;
CREATE INDEX association_terms_association ON association_terms (association_id, term);
INSERT INTO backfills (name) VALUES ('association_terms');
