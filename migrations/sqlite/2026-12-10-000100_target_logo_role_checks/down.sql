-- The three tables again without the CHECK constraints of up.sql, rebuilt
-- the same way (foreign keys off, one transaction, every index made again);
-- audit_log keeps its `via` check of 2026-12-09-000200. The mapped values
-- stay mapped.

PRAGMA foreign_keys = OFF;
BEGIN;

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
        CHECK (via IN ('session', 'token', 'cli', 'setup', 'system', 'anonymous', 'link'))
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
    updated_at TIMESTAMP NOT NULL
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
    updated_at TIMESTAMP NOT NULL
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
