-- A local campaign is run by its district's town hall: no direction need carry it.
ALTER TABLE campaigns ALTER COLUMN owner_direction_id DROP NOT NULL;
-- A town hall lists its own council's deliberations, a page at a time.
CREATE INDEX deliberations_district ON deliberations (district_number, session_on, id);
