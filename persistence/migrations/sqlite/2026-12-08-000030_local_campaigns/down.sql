-- The column stays nullable: SQLite would need the table rebuilt again to restore NOT NULL,
-- and local campaigns without a direction would not fit it.
DROP INDEX deliberations_district;
