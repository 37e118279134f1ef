DROP INDEX staff_roles_kind;
