-- A counter the navigation's numbers (pending approvals, unread notifications)
-- are cached against: bumped by triggers on every table those numbers read,
-- so no write path can forget it. The cache (domain::nav_counts) also keys on
-- the authz epoch, which covers grants, privacy and the tree.
CREATE TABLE nav_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL DEFAULT 0
);
INSERT INTO nav_epoch (id, value) VALUES (1, 0);

CREATE FUNCTION bump_nav_epoch() RETURNS trigger AS $$
BEGIN
    UPDATE nav_epoch SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER approval_parts_nav AFTER INSERT OR UPDATE OR DELETE ON approval_parts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_nav_epoch();
CREATE TRIGGER project_assignments_nav AFTER INSERT OR UPDATE OR DELETE ON project_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_nav_epoch();
CREATE TRIGGER team_members_nav AFTER INSERT OR UPDATE OR DELETE ON team_members
    FOR EACH STATEMENT EXECUTE FUNCTION bump_nav_epoch();
CREATE TRIGGER notifications_nav AFTER INSERT OR UPDATE OR DELETE ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION bump_nav_epoch();
CREATE TRIGGER users_nav AFTER UPDATE OF org_id, status ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_nav_epoch();
CREATE TRIGGER projects_nav AFTER UPDATE OF org_id ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION bump_nav_epoch();

-- The people list's order (display name, then id) straight from an index:
-- the first page of 20k people reads 50 index entries, not a sort of all.
CREATE INDEX users_display_name ON users (display_name, id);
-- The same for the other lists' orders (projects by name; teams and groups
-- by their normalised name).
CREATE INDEX projects_name ON projects (name, id);
CREATE INDEX teams_name ON teams (name_key, id);
CREATE INDEX groups_name ON groups (name_key, id);

-- Roll-ups and reports sum minutes per project and date range: with the
-- minutes in the index they read no table rows.
DROP INDEX time_entries_project_date;
CREATE INDEX time_entries_project_date ON time_entries (project_id, entry_date, minutes);
