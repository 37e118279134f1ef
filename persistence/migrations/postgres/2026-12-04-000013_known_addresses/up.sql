-- The addresses an account signed in from (domain/src/throttle.rs): past the account's limit
-- of failures over every address, its owner's usual addresses are still let through.
CREATE INDEX audit_events_sign_ins_from ON audit_events (actor_account_id, client_address, occurred_at);
