-- The missing-timesheets report from a kept list (issue 12): `missing_weeks`
-- holds, for every week that ended before the day in job_leases' 'missing'
-- row (`done_for`), each person who worked on a project that week (by their
-- home org's week start) without a submitted or approved sheet. Writes that
-- may change a person's weeks only mark the person (or, for a week-start
-- setting or a move, the org) here by trigger; the report reads a marked
-- person's weeks afresh until `canopy serve`'s schedule has recomputed them
-- (domain::report::missing, docs/architecture.md "Missing timesheets").
-- `stamp` counts the marks, so a recomputation clears only the mark it saw.
CREATE TABLE missing_weeks (
    week_start DATE NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The week's sheet: draft or rejected, NULL when there is none (a new
    -- sheet or a status change marks the person, so it is kept as well).
    state TEXT CHECK (state IN ('draft', 'rejected')),
    PRIMARY KEY (week_start, user_id)
) WITHOUT ROWID;
CREATE INDEX missing_weeks_user ON missing_weeks (user_id, week_start);

CREATE TABLE missing_dirty_users (
    user_id BIGINT PRIMARY KEY NOT NULL,
    stamp BIGINT NOT NULL
);

CREATE TABLE missing_dirty_orgs (
    org_id BIGINT PRIMARY KEY NOT NULL,
    stamp BIGINT NOT NULL
);

INSERT INTO job_leases (name, holder, until, done_for)
VALUES ('missing', '', '1970-01-01 00:00:00', NULL);

CREATE TRIGGER missing_sheet_insert AFTER INSERT ON timesheets
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_sheet_status AFTER UPDATE OF status, week_start, user_id ON timesheets
WHEN OLD.status IS NOT NEW.status OR OLD.week_start IS NOT NEW.week_start
  OR OLD.user_id IS NOT NEW.user_id
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_sheet_delete AFTER DELETE ON timesheets
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_assignment_insert AFTER INSERT ON project_assignments
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_assignment_update AFTER UPDATE OF user_id, start_date, end_date ON project_assignments
WHEN OLD.user_id IS NOT NEW.user_id OR OLD.start_date IS NOT NEW.start_date
  OR OLD.end_date IS NOT NEW.end_date
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_assignment_delete AFTER DELETE ON project_assignments
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_user_home AFTER UPDATE OF org_id ON users
WHEN OLD.org_id <> NEW.org_id
BEGIN
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (NEW.id, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_week_start_insert AFTER INSERT ON org_settings
WHEN NEW.key = 'week_start'
BEGIN
    INSERT INTO missing_dirty_orgs (org_id, stamp) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_week_start_update AFTER UPDATE ON org_settings
WHEN NEW.key = 'week_start' OR OLD.key = 'week_start'
BEGIN
    INSERT INTO missing_dirty_orgs (org_id, stamp) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_week_start_delete AFTER DELETE ON org_settings
WHEN OLD.key = 'week_start'
BEGIN
    INSERT INTO missing_dirty_orgs (org_id, stamp) VALUES (OLD.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER missing_org_move AFTER UPDATE OF parent_id ON orgs
WHEN OLD.parent_id IS NOT NEW.parent_id
BEGIN
    INSERT INTO missing_dirty_orgs (org_id, stamp) VALUES (NEW.id, 1)
    ON CONFLICT (org_id) DO UPDATE SET stamp = stamp + 1;
END;
