DELETE FROM backfills WHERE name = 'association_terms';
DROP TABLE association_terms;
