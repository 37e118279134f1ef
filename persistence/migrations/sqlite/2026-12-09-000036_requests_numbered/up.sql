-- The open data read the requests decided page by page in the order of their numbers: the
-- numbers' index with what filters them, walked from the last page's end.
CREATE INDEX requests_numbered ON requests (number, state, campaign_id);
