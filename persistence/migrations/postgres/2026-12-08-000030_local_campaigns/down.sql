DROP INDEX deliberations_district;
ALTER TABLE campaigns ALTER COLUMN owner_direction_id SET NOT NULL;
