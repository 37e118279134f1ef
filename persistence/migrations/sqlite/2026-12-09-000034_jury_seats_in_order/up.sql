-- A jury's seats are read request by request (its standing, its minutes): in the order of an
-- index, not sorted again at each reading.
CREATE INDEX jury_seats_request ON jury_seats (campaign_id, request_id, seated_at, account_id);
