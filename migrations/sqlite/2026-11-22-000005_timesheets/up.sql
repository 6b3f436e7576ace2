-- Timesheets: one per user per week, its entries, the parts approvers decide,
-- the history of every change, and the notifications people read.

CREATE TABLE timesheets (
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
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX timesheets_user_week ON timesheets (user_id, week_start);
CREATE INDEX timesheets_status_week ON timesheets (status, week_start);

-- One cell of the grid: minutes of one user on one project on one day.
CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY NOT NULL,
    timesheet_id BIGINT NOT NULL REFERENCES timesheets (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    entry_date DATE NOT NULL,
    minutes INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX time_entries_cell ON time_entries (timesheet_id, project_id, entry_date);
CREATE INDEX time_entries_user_date ON time_entries (user_id, entry_date);
CREATE INDEX time_entries_project_date ON time_entries (project_id, entry_date);

-- What approvers decide: one part per project (project_id set) and/or one team
-- part for the whole sheet (project_id null). A team part waits while the
-- project parts of a 'both' sheet are open.
CREATE TABLE approval_parts (
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
    reason TEXT
);
CREATE INDEX approval_parts_sheet ON approval_parts (timesheet_id);
-- Covers the navigation's count of what waits for an approver (index only).
CREATE INDEX approval_parts_status ON approval_parts (status, project_id, week_start, user_id);

-- Every change to an entry or a state: who, when, old and new.
CREATE TABLE timesheet_history (
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
CREATE INDEX timesheet_history_sheet ON timesheet_history (timesheet_id, id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    -- Identifies a fact once (e.g. one reminder per user and week).
    dedupe_key TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key);

-- The public base URL of the running app, so that mail written by any instance
-- or command (e.g. `canopy remind`) links back to it.
ALTER TABLE app_state ADD COLUMN public_url TEXT NOT NULL DEFAULT '';
