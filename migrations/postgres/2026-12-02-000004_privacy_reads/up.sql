-- Notifications say which org they concern, so that privacy mode also hides
-- what was told before it was switched on (filtered at read time).
ALTER TABLE notifications ADD COLUMN org_id BIGINT;
-- Backfill where the row tells: links to an org, to a project (its org), and
-- "waiting for your approval": the org of the project named in the title
-- (" (Project)"), else the sheet owner's home org, as the code does.
UPDATE notifications n SET org_id = o.id FROM orgs o
  WHERE n.link ~ '^/orgs/[0-9]{1,18}$' AND o.id = CAST(substr(n.link, 7) AS BIGINT);
UPDATE notifications n SET org_id = p.org_id FROM projects p
  WHERE n.link ~ '^/projects/[0-9]{1,18}$' AND p.id = CAST(substr(n.link, 11) AS BIGINT);
UPDATE notifications n SET org_id = COALESCE(
    (SELECT p.org_id FROM approval_parts ap JOIN projects p ON p.id = ap.project_id
      WHERE ap.user_id = u.id AND CAST(ap.week_start AS TEXT) = split_part(n.link, '/', 4)
        AND right(n.title, length(p.name) + 2) = '(' || p.name || ')'
      ORDER BY ap.id LIMIT 1),
    u.org_id) FROM users u
  WHERE n.kind = 'approval_waiting' AND n.link ~ '^/timesheets/[0-9]{1,18}/'
    AND u.id = CAST(split_part(n.link, '/', 3) AS BIGINT);
CREATE INDEX notifications_user_org ON notifications (user_id, org_id);
