-- The last three closed sets still stored as free text get their CHECK
-- constraints (the PostgreSQL migration of the same name adds the same):
-- `audit_log.target_type`, `org_logos.content_type`, `roles.builtin_key`.
--
-- Expand: first every stored value the constraint would refuse is mapped,
-- exactly as on PostgreSQL (see there: blanks and capitals dropped, a logo's
-- type read from its bytes; an unknown target type or built-in role key is
-- left alone and fails the migration loudly, as does a logo that is none of
-- the four images; no row deleted).
--
-- Contract: SQLite cannot add a CHECK to a table, so each table is rebuilt
-- the documented way, as in 2026-12-07-000100_status_checks: foreign keys
-- off (this migration runs outside diesel's transaction, metadata.toml), one
-- transaction, the new table with the constraint, every row copied with its
-- id, the old table dropped, the new one renamed, its indexes made again. No
-- trigger reads or writes these tables; `grants.role_id` points into `roles`
-- by name and finds the rebuilt table; the tables' own foreign keys are
-- declared again as they were.

PRAGMA foreign_keys = OFF;
BEGIN;

UPDATE audit_log SET target_type = lower(trim(target_type))
  WHERE target_type <> lower(trim(target_type));

UPDATE org_logos SET content_type = CASE
    WHEN hex(substr(bytes, 1, 8)) = '89504E470D0A1A0A' THEN 'image/png'
    WHEN hex(substr(bytes, 1, 3)) = 'FFD8FF' THEN 'image/jpeg'
    WHEN hex(substr(bytes, 1, 6)) IN (hex('GIF87a'), hex('GIF89a')) THEN 'image/gif'
    WHEN hex(substr(bytes, 1, 4)) = hex('RIFF') AND hex(substr(bytes, 9, 4)) = hex('WEBP')
      THEN 'image/webp'
    ELSE content_type
  END
  WHERE content_type NOT IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp');

UPDATE roles SET builtin_key = lower(trim(builtin_key))
  WHERE builtin_key <> lower(trim(builtin_key));

-- audit_log (append-only, no foreign keys)
CREATE TABLE audit_log_new (
    id INTEGER PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    actor_token_id BIGINT,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BIGINT,
    org_id BIGINT,
    ip TEXT,
    before_json TEXT,
    after_json TEXT,
    CONSTRAINT audit_log_via_check
        CHECK (via IN ('session', 'token', 'cli', 'setup', 'system', 'anonymous', 'link')),
    CONSTRAINT audit_log_target_type_check CHECK (target_type IN
        ('user', 'org', 'role', 'grant', 'grant_invitation', 'project', 'timesheet', 'group',
         'team', 'api_token'))
);
INSERT INTO audit_log_new (id, at, actor_user_id, actor_token_id, via, action, target_type,
                           target_id, org_id, ip, before_json, after_json)
  SELECT id, at, actor_user_id, actor_token_id, via, action, target_type,
         target_id, org_id, ip, before_json, after_json FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at);
CREATE INDEX audit_log_actor_at ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
CREATE INDEX audit_log_action_ip_at ON audit_log (action, ip, at);

-- org_logos
CREATE TABLE org_logos_new (
    org_id BIGINT PRIMARY KEY NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    hash TEXT NOT NULL,
    bytes BLOB NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT org_logos_content_type_check
        CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp'))
);
INSERT INTO org_logos_new (org_id, content_type, hash, bytes, updated_at)
  SELECT org_id, content_type, hash, bytes, updated_at FROM org_logos;
DROP TABLE org_logos;
ALTER TABLE org_logos_new RENAME TO org_logos;

-- roles
CREATE TABLE roles_new (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT REFERENCES orgs (id),
    builtin_key TEXT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    permissions TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT roles_builtin_key_check CHECK (builtin_key IS NULL OR builtin_key IN
        ('owner', 'org_admin', 'user_manager', 'project_manager', 'approver', 'auditor', 'viewer'))
);
INSERT INTO roles_new (id, org_id, builtin_key, name, name_key, permissions, version,
                       created_at, updated_at)
  SELECT id, org_id, builtin_key, name, name_key, permissions, version,
         created_at, updated_at FROM roles;
DROP TABLE roles;
ALTER TABLE roles_new RENAME TO roles;
CREATE UNIQUE INDEX roles_builtin_key ON roles (builtin_key);
CREATE INDEX roles_org ON roles (org_id);
CREATE UNIQUE INDEX roles_org_name ON roles (org_id, name_key);

COMMIT;
PRAGMA foreign_keys = ON;
