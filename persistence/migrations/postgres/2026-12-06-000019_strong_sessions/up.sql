-- Whether a sign-in proved more than a password (a second factor, or the city's identity
-- provider): staff whose role requires a second factor act only through such sessions.
-- Sessions opened before are not.
ALTER TABLE refresh_token_families ADD COLUMN strong BOOLEAN NOT NULL DEFAULT FALSE;
