-- Statuses, kinds and modes are closed sets: the Rust enums (`text_enum!`)
-- and these CHECK constraints list the same strings (the PostgreSQL
-- migration of the same name adds the same constraints).
--
-- Expand: first every stored value the constraint would refuse is mapped,
-- exactly as on PostgreSQL (see there: blanks and capitals dropped, then the
-- value the app already read an unknown one as; no row deleted; a link of an
-- unknown purpose or a notification of an unknown kind fails the migration
-- loudly).
--
-- Contract: SQLite cannot add a CHECK to a table, so each table is rebuilt
-- the documented way (https://sqlite.org/lang_altertable.html, "Making Other
-- Kinds Of Table Schema Changes"): with foreign keys off (they would cascade
-- the DROP into child rows), inside one transaction, create the new table with
-- the constraints, copy every row with its id, drop the old table, rename the
-- new one, and create every index and trigger again. `PRAGMA foreign_keys` is
-- a no-op inside a transaction, so this migration runs outside diesel's
-- (metadata.toml) and opens its own. The triggers on these tables are dropped
-- first and made again last, because two of them read each other's tables
-- (`timesheets` ↔ `approval_parts`). `time_entries` and its triggers that keep
-- `entry_month_totals` are not rebuilt and are left as they are; the foreign
-- keys pointing into the rebuilt tables name them and keep pointing at them.

PRAGMA foreign_keys = OFF;
BEGIN;

UPDATE orgs SET kind = lower(trim(kind)) WHERE kind <> lower(trim(kind));
UPDATE orgs SET kind = 'other'
  WHERE kind NOT IN ('customer', 'manufacturer', 'distributor', 'sales_company',
                     'region', 'department', 'site', 'other');
UPDATE orgs SET status = 'active' WHERE status <> 'active' AND lower(trim(status)) <> 'archived';
UPDATE orgs SET status = 'archived' WHERE status <> 'archived' AND lower(trim(status)) = 'archived';

UPDATE users SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE users SET status = 'deactivated' WHERE status NOT IN ('invited', 'active', 'deactivated');

UPDATE projects SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE projects SET status = 'archived' WHERE status NOT IN ('active', 'closed', 'archived');

UPDATE project_assignments SET role = lower(trim(role)) WHERE role <> lower(trim(role));
UPDATE project_assignments SET role = 'member' WHERE role NOT IN ('member', 'approver', 'manager');

UPDATE timesheets SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE timesheets SET status = 'draft'
  WHERE status NOT IN ('draft', 'submitted', 'approved', 'rejected');
UPDATE timesheets SET approval_mode = lower(trim(approval_mode))
  WHERE approval_mode <> lower(trim(approval_mode));
UPDATE timesheets SET approval_mode = 'project'
  WHERE approval_mode NOT IN ('project', 'team', 'both');

UPDATE approval_parts SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE approval_parts SET status = 'cancelled'
  WHERE status NOT IN ('waiting', 'pending', 'approved', 'rejected', 'cancelled');

UPDATE user_tokens SET purpose = lower(trim(purpose)) WHERE purpose <> lower(trim(purpose));

UPDATE notifications SET kind = lower(trim(kind)) WHERE kind <> lower(trim(kind));

-- Triggers of the rebuilt tables, made again at the end.
DROP TRIGGER users_nav_update;
DROP TRIGGER projects_nav_update;
DROP TRIGGER project_assignments_nav_insert;
DROP TRIGGER project_assignments_nav_update;
DROP TRIGGER project_assignments_nav_delete;
DROP TRIGGER timesheets_submitted_update;
DROP TRIGGER approval_parts_nav_insert;
DROP TRIGGER approval_parts_nav_update;
DROP TRIGGER approval_parts_nav_delete;
DROP TRIGGER approval_parts_submitted_insert;
DROP TRIGGER notifications_nav_insert;
DROP TRIGGER notifications_nav_update;
DROP TRIGGER notifications_nav_delete;

-- orgs
CREATE TABLE orgs_new (
    id INTEGER PRIMARY KEY NOT NULL,
    parent_id BIGINT REFERENCES orgs (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    code TEXT NOT NULL,
    code_key TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'other',
    description TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    email_domains TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    privacy_mode BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'active',
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT orgs_kind_check CHECK (kind IN ('customer', 'manufacturer', 'distributor', 'sales_company',
                    'region', 'department', 'site', 'other')),
    CONSTRAINT orgs_status_check CHECK (status IN ('active', 'archived'))
);
INSERT INTO orgs_new (id, parent_id, name, name_key, code, code_key, kind, description, address_line1, address_line2, city, state, country, postal_code, phone, website, email_domains, tags, privacy_mode, status, version, created_at, updated_at)
  SELECT id, parent_id, name, name_key, code, code_key, kind, description, address_line1, address_line2, city, state, country, postal_code, phone, website, email_domains, tags, privacy_mode, status, version, created_at, updated_at FROM orgs;
DROP TABLE orgs;
ALTER TABLE orgs_new RENAME TO orgs;
CREATE UNIQUE INDEX orgs_code_key ON orgs (code_key);
CREATE UNIQUE INDEX orgs_sibling_name ON orgs (parent_id, name_key);
CREATE INDEX orgs_parent ON orgs (parent_id);
CREATE INDEX orgs_name_key ON orgs (name_key, id);

-- users
CREATE TABLE users_new (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'invited',
    password_hash TEXT,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    last_login_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_status_check CHECK (status IN ('invited', 'active', 'deactivated'))
);
INSERT INTO users_new (id, org_id, email, email_key, display_name, job_title, phone, status, password_hash, session_epoch, last_login_at, version, created_at, updated_at)
  SELECT id, org_id, email, email_key, display_name, job_title, phone, status, password_hash, session_epoch, last_login_at, version, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_email_key ON users (email_key);
CREATE INDEX users_org ON users (org_id);
CREATE INDEX users_display_name ON users (display_name, id);

-- projects
CREATE TABLE projects_new (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    code TEXT NOT NULL,
    code_key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    client_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    start_date DATE,
    end_date DATE,
    budget_minutes BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    tenant_id BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT projects_status_check CHECK (status IN ('active', 'closed', 'archived'))
);
INSERT INTO projects_new (id, org_id, code, code_key, name, description, client_name, status, start_date, end_date, budget_minutes, version, created_at, updated_at, tenant_id)
  SELECT id, org_id, code, code_key, name, description, client_name, status, start_date, end_date, budget_minutes, version, created_at, updated_at, tenant_id FROM projects;
DROP TABLE projects;
ALTER TABLE projects_new RENAME TO projects;
CREATE INDEX projects_org ON projects (org_id);
CREATE UNIQUE INDEX projects_tenant_code_key ON projects (tenant_id, code_key);
CREATE INDEX projects_name ON projects (name, id);
CREATE INDEX projects_code ON projects (code, id);

-- project_assignments
CREATE TABLE project_assignments_new (
    id INTEGER PRIMARY KEY NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    minutes_per_week INTEGER NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT project_assignments_role_check CHECK (role IN ('member', 'approver', 'manager'))
);
INSERT INTO project_assignments_new (id, project_id, user_id, role, minutes_per_week, start_date, end_date, version, created_at, updated_at)
  SELECT id, project_id, user_id, role, minutes_per_week, start_date, end_date, version, created_at, updated_at FROM project_assignments;
DROP TABLE project_assignments;
ALTER TABLE project_assignments_new RENAME TO project_assignments;
CREATE INDEX project_assignments_project ON project_assignments (project_id, start_date);
CREATE INDEX project_assignments_user ON project_assignments (user_id, start_date);

-- timesheets
CREATE TABLE timesheets_new (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    week_start DATE NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft',
    -- The home org's approval mode when the sheet was last submitted.
    approval_mode TEXT,
    rejection_reason TEXT,
    submitted_at TIMESTAMP,
    decided_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT timesheets_status_check CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    CONSTRAINT timesheets_approval_mode_check CHECK (approval_mode IN ('project', 'team', 'both'))
);
INSERT INTO timesheets_new (id, user_id, week_start, status, approval_mode, rejection_reason, submitted_at, decided_at, version, created_at, updated_at)
  SELECT id, user_id, week_start, status, approval_mode, rejection_reason, submitted_at, decided_at, version, created_at, updated_at FROM timesheets;
DROP TABLE timesheets;
ALTER TABLE timesheets_new RENAME TO timesheets;
CREATE UNIQUE INDEX timesheets_user_week ON timesheets (user_id, week_start);
CREATE INDEX timesheets_status_week ON timesheets (status, week_start);

-- approval_parts
CREATE TABLE approval_parts_new (
    id INTEGER PRIMARY KEY NOT NULL,
    timesheet_id BIGINT NOT NULL REFERENCES timesheets (id),
    project_id BIGINT REFERENCES projects (id),
    -- The sheet's owner and week, copied so that counting what waits for an
    -- approver needs no join.
    user_id BIGINT NOT NULL REFERENCES users (id),
    week_start DATE NOT NULL,
    status TEXT NOT NULL,
    minutes INTEGER NOT NULL DEFAULT 0,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    reason TEXT,
    submitted_at TIMESTAMP,
    CONSTRAINT approval_parts_status_check CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'cancelled'))
);
INSERT INTO approval_parts_new (id, timesheet_id, project_id, user_id, week_start, status, minutes, decided_by, decided_at, reason, submitted_at)
  SELECT id, timesheet_id, project_id, user_id, week_start, status, minutes, decided_by, decided_at, reason, submitted_at FROM approval_parts;
DROP TABLE approval_parts;
ALTER TABLE approval_parts_new RENAME TO approval_parts;
CREATE INDEX approval_parts_sheet ON approval_parts (timesheet_id);
CREATE INDEX approval_parts_status ON approval_parts (status, project_id, week_start, user_id);
CREATE INDEX approval_parts_status_user ON approval_parts (status, user_id, project_id);
CREATE INDEX approval_parts_submitted ON approval_parts (status, submitted_at, id);

-- user_tokens
CREATE TABLE user_tokens_new (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT user_tokens_purpose_check CHECK (purpose IN ('activation', 'reset'))
);
INSERT INTO user_tokens_new (id, user_id, purpose, token_hash, expires_at, used_at, created_at)
  SELECT id, user_id, purpose, token_hash, expires_at, used_at, created_at FROM user_tokens;
DROP TABLE user_tokens;
ALTER TABLE user_tokens_new RENAME TO user_tokens;
CREATE UNIQUE INDEX user_tokens_hash ON user_tokens (token_hash);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- notifications
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    -- Identifies a fact once (e.g. one reminder per user and week).
    dedupe_key TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    org_id BIGINT,
    CONSTRAINT notifications_kind_check CHECK (kind IN ('approval_waiting', 'sheet_approved', 'sheet_rejected', 'sheet_reopened',
                    'added_to_project', 'added_to_team', 'added_to_group', 'grant_received',
                    'grant_lost', 'timesheet_reminder'))
);
INSERT INTO notifications_new (id, user_id, kind, title, body, link, dedupe_key, created_at, read_at, org_id)
  SELECT id, user_id, kind, title, body, link, dedupe_key, created_at, read_at, org_id FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key);
CREATE INDEX notifications_user_org ON notifications (user_id, org_id);

-- The triggers again, as they were.
CREATE TRIGGER users_nav_update AFTER UPDATE OF org_id, status ON users
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER projects_nav_update AFTER UPDATE OF org_id ON projects
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER project_assignments_nav_insert AFTER INSERT ON project_assignments
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER project_assignments_nav_update AFTER UPDATE ON project_assignments
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER project_assignments_nav_delete AFTER DELETE ON project_assignments
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER timesheets_submitted_update AFTER UPDATE OF submitted_at ON timesheets
WHEN OLD.submitted_at IS NOT NEW.submitted_at
BEGIN
    UPDATE approval_parts SET submitted_at = NEW.submitted_at WHERE timesheet_id = NEW.id;
END;
CREATE TRIGGER approval_parts_nav_insert AFTER INSERT ON approval_parts
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER approval_parts_nav_update AFTER UPDATE ON approval_parts
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER approval_parts_nav_delete AFTER DELETE ON approval_parts
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER approval_parts_submitted_insert AFTER INSERT ON approval_parts
BEGIN
    UPDATE approval_parts
    SET submitted_at = (SELECT t.submitted_at FROM timesheets t WHERE t.id = NEW.timesheet_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER notifications_nav_insert AFTER INSERT ON notifications
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_nav_update AFTER UPDATE ON notifications
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_nav_delete AFTER DELETE ON notifications
BEGIN UPDATE nav_epoch SET value = value + 1 WHERE id = 1; END;

COMMIT;
PRAGMA foreign_keys = ON;
