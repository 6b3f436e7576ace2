-- Pickers and the org search: orgs by name in name order (the search walks
-- this index and stops at the first matches; a typed path resolves its last
-- name through it).
CREATE INDEX orgs_name_key ON orgs (name_key, id);
