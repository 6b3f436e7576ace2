DROP INDEX notifications_user_org;
ALTER TABLE notifications DROP COLUMN org_id;
