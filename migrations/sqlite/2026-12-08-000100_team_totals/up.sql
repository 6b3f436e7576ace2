-- Per-team sums for the team reports, kept by triggers in the same
-- transaction as every write to time_entries, entry_month_totals and
-- team_members, so a team report over the whole installation reads a row per
-- team and week (or month and project) for its totals, chart and row count,
-- and the entries of the teams on the page only (docs/architecture.md,
-- "Team totals").
--
-- Both tables are read and written by their primary key alone (WITHOUT
-- ROWID on SQLite: one B-tree a row, so each entry's save writes one page
-- per team, not three).
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
) WITHOUT ROWID;

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
) WITHOUT ROWID;

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
CREATE TRIGGER time_entries_team_week_insert AFTER INSERT ON time_entries
BEGIN
    INSERT INTO team_week_totals (team_id, week_start, minutes, members)
    SELECT tm.team_id, ts.week_start, NEW.minutes,
           NOT EXISTS (SELECT 1 FROM time_entries e
                       WHERE e.timesheet_id = NEW.timesheet_id AND e.id <> NEW.id)
    FROM team_members tm JOIN timesheets ts ON ts.id = NEW.timesheet_id
    WHERE tm.user_id = NEW.user_id
    ON CONFLICT (team_id, week_start)
    DO UPDATE SET minutes = minutes + excluded.minutes, members = members + excluded.members;
END;

CREATE TRIGGER time_entries_team_week_delete AFTER DELETE ON time_entries
BEGIN
    UPDATE team_week_totals
    SET minutes = minutes - OLD.minutes,
        members = members - NOT EXISTS (SELECT 1 FROM time_entries e
                                        WHERE e.timesheet_id = OLD.timesheet_id AND e.id <> OLD.id)
    WHERE week_start = (SELECT ts.week_start FROM timesheets ts WHERE ts.id = OLD.timesheet_id)
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
    DELETE FROM team_week_totals
    WHERE week_start = (SELECT ts.week_start FROM timesheets ts WHERE ts.id = OLD.timesheet_id)
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id)
      AND members <= 0;
END;

-- A note alone changes nothing here.
CREATE TRIGGER time_entries_team_week_update AFTER UPDATE ON time_entries
WHEN OLD.minutes <> NEW.minutes OR OLD.timesheet_id <> NEW.timesheet_id
  OR OLD.user_id <> NEW.user_id
BEGIN
    UPDATE team_week_totals
    SET minutes = minutes - OLD.minutes,
        members = members - NOT EXISTS (SELECT 1 FROM time_entries e
                                        WHERE e.timesheet_id = OLD.timesheet_id AND e.id <> OLD.id)
    WHERE week_start = (SELECT ts.week_start FROM timesheets ts WHERE ts.id = OLD.timesheet_id)
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
    DELETE FROM team_week_totals
    WHERE week_start = (SELECT ts.week_start FROM timesheets ts WHERE ts.id = OLD.timesheet_id)
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id)
      AND members <= 0;
    INSERT INTO team_week_totals (team_id, week_start, minutes, members)
    SELECT tm.team_id, ts.week_start, NEW.minutes,
           NOT EXISTS (SELECT 1 FROM time_entries e
                       WHERE e.timesheet_id = NEW.timesheet_id AND e.id <> NEW.id)
    FROM team_members tm JOIN timesheets ts ON ts.id = NEW.timesheet_id
    WHERE tm.user_id = NEW.user_id
    ON CONFLICT (team_id, week_start)
    DO UPDATE SET minutes = minutes + excluded.minutes, members = members + excluded.members;
END;

-- A person's month on a project counts for each of their teams.
CREATE TRIGGER entry_month_totals_team_insert AFTER INSERT ON entry_month_totals
BEGIN
    INSERT INTO team_month_totals (team_id, month, project_id, minutes, members)
    SELECT tm.team_id, NEW.month, NEW.project_id, NEW.minutes, 1
    FROM team_members tm WHERE tm.user_id = NEW.user_id
    ON CONFLICT (team_id, month, project_id)
    DO UPDATE SET minutes = minutes + excluded.minutes, members = members + 1;
END;

CREATE TRIGGER entry_month_totals_team_update AFTER UPDATE ON entry_month_totals
WHEN OLD.minutes <> NEW.minutes
BEGIN
    UPDATE team_month_totals SET minutes = minutes + NEW.minutes - OLD.minutes
    WHERE month = NEW.month AND project_id = NEW.project_id
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = NEW.user_id);
END;

CREATE TRIGGER entry_month_totals_team_delete AFTER DELETE ON entry_month_totals
BEGIN
    UPDATE team_month_totals SET minutes = minutes - OLD.minutes, members = members - 1
    WHERE month = OLD.month AND project_id = OLD.project_id
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
    DELETE FROM team_month_totals
    WHERE month = OLD.month AND project_id = OLD.project_id AND members <= 0
      AND team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = OLD.user_id);
END;

-- Joining a team brings the person's whole history into its sums; leaving
-- takes it out.
CREATE TRIGGER team_members_totals_insert AFTER INSERT ON team_members
BEGIN
    INSERT INTO team_week_totals (team_id, week_start, minutes, members)
    SELECT NEW.team_id, ts.week_start, SUM(e.minutes), 1
    FROM timesheets ts JOIN time_entries e ON e.timesheet_id = ts.id
    WHERE ts.user_id = NEW.user_id
    GROUP BY ts.id, ts.week_start
    ON CONFLICT (team_id, week_start)
    DO UPDATE SET minutes = minutes + excluded.minutes, members = members + 1;
    INSERT INTO team_month_totals (team_id, month, project_id, minutes, members)
    SELECT NEW.team_id, t.month, t.project_id, t.minutes, 1
    FROM entry_month_totals t WHERE t.user_id = NEW.user_id
    ON CONFLICT (team_id, month, project_id)
    DO UPDATE SET minutes = minutes + excluded.minutes, members = members + 1;
END;

CREATE TRIGGER team_members_totals_delete AFTER DELETE ON team_members
BEGIN
    UPDATE team_week_totals
    SET minutes = minutes - (SELECT COALESCE(SUM(e.minutes), 0)
                             FROM timesheets ts JOIN time_entries e ON e.timesheet_id = ts.id
                             WHERE ts.user_id = OLD.user_id
                               AND ts.week_start = team_week_totals.week_start),
        members = members - 1
    WHERE team_id = OLD.team_id
      AND week_start IN (SELECT ts.week_start FROM timesheets ts
                         WHERE ts.user_id = OLD.user_id
                           AND EXISTS (SELECT 1 FROM time_entries e WHERE e.timesheet_id = ts.id));
    DELETE FROM team_week_totals WHERE team_id = OLD.team_id AND members <= 0;
    UPDATE team_month_totals
    SET minutes = minutes - (SELECT t.minutes FROM entry_month_totals t
                             WHERE t.user_id = OLD.user_id AND t.month = team_month_totals.month
                               AND t.project_id = team_month_totals.project_id),
        members = members - 1
    WHERE team_id = OLD.team_id
      AND (month, project_id) IN (SELECT t.month, t.project_id FROM entry_month_totals t
                                  WHERE t.user_id = OLD.user_id);
    DELETE FROM team_month_totals WHERE team_id = OLD.team_id AND members <= 0;
END;

-- A team that goes takes its sums with it (its members go first, so these
-- are empty by then; this keeps it so whatever the order).
CREATE TRIGGER teams_totals_delete BEFORE DELETE ON teams
BEGIN
    DELETE FROM team_week_totals WHERE team_id = OLD.id;
    DELETE FROM team_month_totals WHERE team_id = OLD.id;
END;
