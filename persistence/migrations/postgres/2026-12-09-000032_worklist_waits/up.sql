-- A worklist is a range of one index. Each assignment keeps, while it waits for its opinion
-- on a request in instruction, since when the request has been in that state; each request
-- of the city's circuit in instruction without instructors keeps since when it has been
-- waiting for the bureau's dispatch.
ALTER TABLE request_instructors ADD COLUMN waiting_since TIMESTAMP;
UPDATE request_instructors SET waiting_since = (
    SELECT requests.state_since FROM requests
    WHERE requests.id = request_instructors.request_id AND requests.state = 'in_instruction'
) WHERE opinion IS NULL;
CREATE INDEX request_instructors_waiting ON request_instructors (instructor, waiting_since, request_id)
    WHERE waiting_since IS NOT NULL;

ALTER TABLE requests ADD COLUMN dispatch_waiting_since TIMESTAMP;
UPDATE requests SET dispatch_waiting_since = state_since
WHERE state = 'in_instruction' AND circuit <> 'local'
    AND NOT EXISTS (SELECT 1 FROM request_instructors WHERE request_instructors.request_id = requests.id);
CREATE INDEX requests_dispatch_waiting ON requests (dispatch_waiting_since, id)
    WHERE dispatch_waiting_since IS NOT NULL;
