-- Per-team sums for the team reports, kept by triggers in the same
-- transaction as every write to time_entries, entry_month_totals and
-- team_members, so a team report over the whole installation reads a row per
-- team and week (or month and project) for its totals, chart and row count,
-- and the entries of the teams on the page only (docs/architecture.md,
-- "Team totals").
--
-- Both tables are read and written by their primary key alone (a second
-- index cost every save more than it saved the reports).
--
-- team_week_totals: per team and timesheet week (the sheet's week_start),
-- the members' minutes and how many members have any entry that week (the
-- team-hours report's rows). A row nobody is counted in any more is deleted.
CREATE TABLE team_week_totals (
    team_id BIGINT NOT NULL REFERENCES teams (id),
    week_start DATE NOT NULL,
    minutes BIGINT NOT NULL,
    members BIGINT NOT NULL,
    PRIMARY KEY (team_id, week_start)
);

-- team_month_totals: per team, month and project, the members' minutes and
-- how many members logged time on it (the team-projects-users report's rows),
-- summed from entry_month_totals.
CREATE TABLE team_month_totals (
    team_id BIGINT NOT NULL REFERENCES teams (id),
    month DATE NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    minutes BIGINT NOT NULL,
    members BIGINT NOT NULL,
    PRIMARY KEY (team_id, month, project_id)
);

INSERT INTO team_week_totals (team_id, week_start, minutes, members)
SELECT tm.team_id, s.week_start, SUM(s.minutes), COUNT(*)
FROM team_members tm
JOIN (SELECT ts.user_id AS user_id, ts.week_start AS week_start, SUM(e.minutes) AS minutes
      FROM timesheets ts JOIN time_entries e ON e.timesheet_id = ts.id
      GROUP BY ts.id) s ON s.user_id = tm.user_id
GROUP BY tm.team_id, s.week_start;

INSERT INTO team_month_totals (team_id, month, project_id, minutes, members)
SELECT tm.team_id, t.month, t.project_id, SUM(t.minutes), COUNT(*)
FROM team_members tm JOIN entry_month_totals t ON t.user_id = tm.user_id
GROUP BY tm.team_id, t.month, t.project_id;

-- An entry counts its minutes for each team of its person in its sheet's
-- week, and the person as a member of that week when it is the sheet's
-- first entry (or, going, its last).
CREATE FUNCTION team_week_totals_apply() RETURNS trigger AS $$
DECLARE
    week DATE;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT ts.week_start INTO week FROM timesheets ts WHERE ts.id = OLD.timesheet_id;
        UPDATE team_week_totals
        SET minutes = minutes - OLD.minutes,
            members = members - CASE WHEN EXISTS (SELECT 1 FROM time_entries e
                        WHERE e.timesheet_id = OLD.timesheet_id AND e.id <> OLD.id) THEN 0 ELSE 1 END
        WHERE week_start = week
          AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
        DELETE FROM team_week_totals
        WHERE week_start = week AND members <= 0
          AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO team_week_totals (team_id, week_start, minutes, members)
        SELECT tm.team_id, ts.week_start, NEW.minutes,
               CASE WHEN EXISTS (SELECT 1 FROM time_entries e
                    WHERE e.timesheet_id = NEW.timesheet_id AND e.id <> NEW.id) THEN 0 ELSE 1 END
        FROM team_members tm JOIN timesheets ts ON ts.id = NEW.timesheet_id
        WHERE tm.user_id = NEW.user_id
        ON CONFLICT (team_id, week_start)
        DO UPDATE SET minutes = team_week_totals.minutes + EXCLUDED.minutes,
                      members = team_week_totals.members + EXCLUDED.members;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER time_entries_team_week_insert_delete AFTER INSERT OR DELETE ON time_entries
FOR EACH ROW EXECUTE FUNCTION team_week_totals_apply();

-- A note alone changes nothing here.
CREATE TRIGGER time_entries_team_week_update AFTER UPDATE ON time_entries
FOR EACH ROW
WHEN (OLD.minutes IS DISTINCT FROM NEW.minutes OR OLD.timesheet_id IS DISTINCT FROM NEW.timesheet_id
      OR OLD.user_id IS DISTINCT FROM NEW.user_id)
EXECUTE FUNCTION team_week_totals_apply();

-- A person's month on a project counts for each of their teams.
CREATE FUNCTION team_month_totals_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO team_month_totals (team_id, month, project_id, minutes, members)
        SELECT tm.team_id, NEW.month, NEW.project_id, NEW.minutes, 1
        FROM team_members tm WHERE tm.user_id = NEW.user_id
        ON CONFLICT (team_id, month, project_id)
        DO UPDATE SET minutes = team_month_totals.minutes + EXCLUDED.minutes,
                      members = team_month_totals.members + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE team_month_totals SET minutes = minutes + NEW.minutes - OLD.minutes
        WHERE month = NEW.month AND project_id = NEW.project_id
          AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = NEW.user_id);
    ELSE
        UPDATE team_month_totals SET minutes = minutes - OLD.minutes, members = members - 1
        WHERE month = OLD.month AND project_id = OLD.project_id
          AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
        DELETE FROM team_month_totals
        WHERE month = OLD.month AND project_id = OLD.project_id AND members <= 0
          AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER entry_month_totals_team_insert_delete AFTER INSERT OR DELETE ON entry_month_totals
FOR EACH ROW EXECUTE FUNCTION team_month_totals_apply();

CREATE TRIGGER entry_month_totals_team_update AFTER UPDATE ON entry_month_totals
FOR EACH ROW WHEN (OLD.minutes IS DISTINCT FROM NEW.minutes)
EXECUTE FUNCTION team_month_totals_apply();

-- Joining a team brings the person's whole history into its sums; leaving
-- takes it out.
CREATE FUNCTION team_members_totals_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO team_week_totals (team_id, week_start, minutes, members)
        SELECT NEW.team_id, ts.week_start, SUM(e.minutes), 1
        FROM timesheets ts JOIN time_entries e ON e.timesheet_id = ts.id
        WHERE ts.user_id = NEW.user_id
        GROUP BY ts.id, ts.week_start
        ON CONFLICT (team_id, week_start)
        DO UPDATE SET minutes = team_week_totals.minutes + EXCLUDED.minutes,
                      members = team_week_totals.members + 1;
        INSERT INTO team_month_totals (team_id, month, project_id, minutes, members)
        SELECT NEW.team_id, t.month, t.project_id, t.minutes, 1
        FROM entry_month_totals t WHERE t.user_id = NEW.user_id
        ON CONFLICT (team_id, month, project_id)
        DO UPDATE SET minutes = team_month_totals.minutes + EXCLUDED.minutes,
                      members = team_month_totals.members + 1;
    ELSE
        UPDATE team_week_totals w
        SET minutes = w.minutes - s.minutes, members = w.members - 1
        FROM (SELECT ts.week_start, SUM(e.minutes) AS minutes
              FROM timesheets ts JOIN time_entries e ON e.timesheet_id = ts.id
              WHERE ts.user_id = OLD.user_id GROUP BY ts.id, ts.week_start) s
        WHERE w.team_id = OLD.team_id AND w.week_start = s.week_start;
        DELETE FROM team_week_totals WHERE team_id = OLD.team_id AND members <= 0;
        UPDATE team_month_totals m
        SET minutes = m.minutes - t.minutes, members = m.members - 1
        FROM entry_month_totals t
        WHERE m.team_id = OLD.team_id AND t.user_id = OLD.user_id
          AND t.month = m.month AND t.project_id = m.project_id;
        DELETE FROM team_month_totals WHERE team_id = OLD.team_id AND members <= 0;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER team_members_totals AFTER INSERT OR DELETE ON team_members
FOR EACH ROW EXECUTE FUNCTION team_members_totals_apply();

-- A team that goes takes its sums with it (its members go first, so these
-- are empty by then; this keeps it so whatever the order).
CREATE FUNCTION teams_totals_delete() RETURNS trigger AS $$
BEGIN
    DELETE FROM team_week_totals WHERE team_id = OLD.id;
    DELETE FROM team_month_totals WHERE team_id = OLD.id;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER teams_totals_delete BEFORE DELETE ON teams
FOR EACH ROW EXECUTE FUNCTION teams_totals_delete();
