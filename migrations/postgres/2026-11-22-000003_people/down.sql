ALTER TABLE grants DROP CONSTRAINT grants_group_fk;
DROP INDEX roles_org_name;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE user_tokens;
DROP TABLE mail_outbox;
