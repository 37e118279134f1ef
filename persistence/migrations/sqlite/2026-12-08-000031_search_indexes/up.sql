-- Staff searches match the text they look for in the index that gives their order, and stop
-- once they have a page: they read no row that they do not show.
DROP INDEX requests_listed;
CREATE INDEX requests_listed ON requests (created_at, id, submitted_at, search_text);
DROP INDEX associations_sort;
CREATE INDEX associations_sort ON associations (sort_key, id, search_text);
