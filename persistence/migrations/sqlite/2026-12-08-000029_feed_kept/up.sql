-- Whether the change's audience still follows the request after it (a direction relieved of a
-- request by a dispatch is told of that change, as no longer following it).
ALTER TABLE request_changes ADD COLUMN kept BOOLEAN NOT NULL DEFAULT TRUE;
