-- The three tables again without their CHECK constraints, rebuilt the same
-- way as in up.sql (foreign keys off, one transaction, every index made
-- again). The mapped values stay mapped.

PRAGMA foreign_keys = OFF;
BEGIN;

-- authz_changes
CREATE TABLE authz_changes_new (
    id INTEGER PRIMARY KEY NOT NULL,
    epoch BIGINT NOT NULL,
    scope TEXT NOT NULL,
    user_id BIGINT,
    at TIMESTAMP NOT NULL
);
INSERT INTO authz_changes_new (id, epoch, scope, user_id, at)
  SELECT id, epoch, scope, user_id, at FROM authz_changes;
DROP TABLE authz_changes;
ALTER TABLE authz_changes_new RENAME TO authz_changes;
CREATE INDEX authz_changes_epoch ON authz_changes (epoch);

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
    after_json TEXT
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

-- timesheet_history
CREATE TABLE timesheet_history_new (
    id INTEGER PRIMARY KEY NOT NULL,
    timesheet_id BIGINT NOT NULL REFERENCES timesheets (id),
    actor_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    change TEXT NOT NULL,
    project_id BIGINT REFERENCES projects (id),
    entry_date DATE,
    old_value TEXT,
    new_value TEXT,
    reason TEXT
);
INSERT INTO timesheet_history_new (id, timesheet_id, actor_id, at, change, project_id,
                                   entry_date, old_value, new_value, reason)
  SELECT id, timesheet_id, actor_id, at, change, project_id,
         entry_date, old_value, new_value, reason FROM timesheet_history;
DROP TABLE timesheet_history;
ALTER TABLE timesheet_history_new RENAME TO timesheet_history;
CREATE INDEX timesheet_history_sheet ON timesheet_history (timesheet_id, id);

COMMIT;
PRAGMA foreign_keys = ON;
