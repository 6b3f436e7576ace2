-- Notifications say which org they concern, so that privacy mode also hides
-- what was told before it was switched on (filtered at read time).
ALTER TABLE notifications ADD COLUMN org_id BIGINT;
-- Backfill where the row tells: links to an org, to a project (its org), and
-- "waiting for your approval": the org of the project named in the title
-- (" (Project)"), else the sheet owner's home org, as the code does.
UPDATE notifications SET org_id = (
    SELECT o.id FROM orgs o WHERE o.id = CAST(substr(notifications.link, 7) AS INTEGER))
  WHERE link GLOB '/orgs/[0-9]*' AND substr(link, 7) NOT GLOB '*[^0-9]*';
UPDATE notifications SET org_id = (
    SELECT p.org_id FROM projects p WHERE p.id = CAST(substr(notifications.link, 11) AS INTEGER))
  WHERE link GLOB '/projects/[0-9]*' AND substr(link, 11) NOT GLOB '*[^0-9]*';
UPDATE notifications SET org_id = (
    SELECT COALESCE(
        (SELECT p.org_id FROM approval_parts ap JOIN projects p ON p.id = ap.project_id
          WHERE ap.user_id = u.id
            AND CAST(ap.week_start AS TEXT) = substr(notifications.link, 14 + length(CAST(u.id AS TEXT)), 10)
            AND substr(notifications.title, -(length(p.name) + 2)) = '(' || p.name || ')'
          ORDER BY ap.id LIMIT 1),
        u.org_id)
      FROM users u
     WHERE u.id = CAST(substr(notifications.link, 13, instr(substr(notifications.link, 13), '/') - 1) AS INTEGER))
  WHERE kind = 'approval_waiting' AND link GLOB '/timesheets/[0-9]*/*';
CREATE INDEX notifications_user_org ON notifications (user_id, org_id);
