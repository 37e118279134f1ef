-- Whom a notice goes to among the staff is read from the roles of a kind (the bureau, a
-- direction, a town hall), not by walking every account and looking up its roles.
CREATE INDEX staff_roles_kind ON staff_roles (kind, direction_id, district_number);
