-- A counter the navigation's numbers (pending approvals, unread notifications)
-- are cached against: bumped by triggers on every table those numbers read,
-- so no write path can forget it. The cache (domain::nav_counts) also keys on
-- the authz epoch, which covers grants, privacy and the tree.
CREATE TABLE nav_epoch (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    value BIGINT NOT NULL DEFAULT 0
);
INSERT INTO nav_epoch (id, value) VALUES (1, 0);

CREATE TRIGGER approval_parts_nav_insert AFTER INSERT ON approval_parts
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER approval_parts_nav_update AFTER UPDATE ON approval_parts
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER approval_parts_nav_delete AFTER DELETE ON approval_parts
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER project_assignments_nav_insert AFTER INSERT ON project_assignments
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER project_assignments_nav_update AFTER UPDATE ON project_assignments
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER project_assignments_nav_delete AFTER DELETE ON project_assignments
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER team_members_nav_insert AFTER INSERT ON team_members
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER team_members_nav_update AFTER UPDATE ON team_members
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER team_members_nav_delete AFTER DELETE ON team_members
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER notifications_nav_insert AFTER INSERT ON notifications
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_nav_update AFTER UPDATE ON notifications
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_nav_delete AFTER DELETE ON notifications
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER users_nav_update AFTER UPDATE OF org_id, status ON users
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER projects_nav_update AFTER UPDATE OF org_id ON projects
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;

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
