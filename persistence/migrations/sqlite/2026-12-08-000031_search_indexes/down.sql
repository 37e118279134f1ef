DROP INDEX requests_listed;
CREATE INDEX requests_listed ON requests (created_at, id);
DROP INDEX associations_sort;
CREATE INDEX associations_sort ON associations (sort_key, id);
