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
);
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

CREATE FUNCTION missing_mark_user(person BIGINT) RETURNS void AS $$
    INSERT INTO missing_dirty_users (user_id, stamp) VALUES (person, 1)
    ON CONFLICT (user_id) DO UPDATE SET stamp = missing_dirty_users.stamp + 1;
$$ LANGUAGE sql;

CREATE FUNCTION missing_mark_org(org BIGINT) RETURNS void AS $$
    INSERT INTO missing_dirty_orgs (org_id, stamp) VALUES (org, 1)
    ON CONFLICT (org_id) DO UPDATE SET stamp = missing_dirty_orgs.stamp + 1;
$$ LANGUAGE sql;

-- Sheets and assignments: the person on the row, before and after.
CREATE FUNCTION missing_person_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM missing_mark_user(OLD.user_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM missing_mark_user(NEW.user_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER missing_sheet_insert AFTER INSERT OR DELETE ON timesheets
FOR EACH ROW EXECUTE FUNCTION missing_person_changed();
CREATE TRIGGER missing_sheet_status AFTER UPDATE OF status, week_start, user_id ON timesheets
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.week_start IS DISTINCT FROM NEW.week_start
      OR OLD.user_id IS DISTINCT FROM NEW.user_id)
EXECUTE FUNCTION missing_person_changed();

CREATE TRIGGER missing_assignment_insert AFTER INSERT OR DELETE ON project_assignments
FOR EACH ROW EXECUTE FUNCTION missing_person_changed();
CREATE TRIGGER missing_assignment_update AFTER UPDATE OF user_id, start_date, end_date ON project_assignments
FOR EACH ROW
WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.start_date IS DISTINCT FROM NEW.start_date
      OR OLD.end_date IS DISTINCT FROM NEW.end_date)
EXECUTE FUNCTION missing_person_changed();

CREATE FUNCTION missing_user_home() RETURNS trigger AS $$
BEGIN
    PERFORM missing_mark_user(NEW.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER missing_user_home AFTER UPDATE OF org_id ON users
FOR EACH ROW WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id)
EXECUTE FUNCTION missing_user_home();

CREATE FUNCTION missing_week_start_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.key = 'week_start' THEN
        PERFORM missing_mark_org(OLD.org_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.key = 'week_start' THEN
        PERFORM missing_mark_org(NEW.org_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER missing_week_start AFTER INSERT OR UPDATE OR DELETE ON org_settings
FOR EACH ROW EXECUTE FUNCTION missing_week_start_changed();

CREATE FUNCTION missing_org_move() RETURNS trigger AS $$
BEGIN
    PERFORM missing_mark_org(NEW.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER missing_org_move AFTER UPDATE OF parent_id ON orgs
FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
EXECUTE FUNCTION missing_org_move();
