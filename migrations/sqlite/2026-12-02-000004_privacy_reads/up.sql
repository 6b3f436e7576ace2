-- Notifications say which org they concern, so that privacy mode also hides
-- what was told before it was switched on (filtered at read time).
ALTER TABLE notifications ADD COLUMN org_id BIGINT;
-- Backfill where the row tells: links to an org, to a project (its org), and
-- "waiting for your approval" (the sheet owner's home org).
UPDATE notifications SET org_id = (
    SELECT o.id FROM orgs o WHERE o.id = CAST(substr(notifications.link, 7) AS INTEGER))
  WHERE link GLOB '/orgs/[0-9]*' AND substr(link, 7) NOT GLOB '*[^0-9]*';
UPDATE notifications SET org_id = (
    SELECT p.org_id FROM projects p WHERE p.id = CAST(substr(notifications.link, 11) AS INTEGER))
  WHERE link GLOB '/projects/[0-9]*' AND substr(link, 11) NOT GLOB '*[^0-9]*';
UPDATE notifications SET org_id = (
    SELECT u.org_id FROM users u
     WHERE u.id = CAST(substr(notifications.link, 13, instr(substr(notifications.link, 13), '/') - 1) AS INTEGER))
  WHERE kind = 'approval_waiting' AND link GLOB '/timesheets/[0-9]*/*';
CREATE INDEX notifications_user_org ON notifications (user_id, org_id);
