-- Hours per month, project and person, kept by triggers in the same
-- transaction as every write to time_entries (the grid, the demo set, any
-- later path), so roll-ups and the by-project reports sum a few rows per
-- project and month instead of every entry (docs/architecture.md).
-- `month` is the first day of the entry's month; `entries` counts the rows
-- summed (the entries report's row count). A row whose entries all went is
-- deleted.
CREATE TABLE entry_month_totals (
    month DATE NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    minutes BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    PRIMARY KEY (month, project_id, user_id)
);
CREATE INDEX entry_month_totals_user ON entry_month_totals (user_id, month);

INSERT INTO entry_month_totals (month, project_id, user_id, minutes, entries)
SELECT substr(entry_date, 1, 7) || '-01', project_id, user_id, SUM(minutes), COUNT(*)
FROM time_entries
GROUP BY substr(entry_date, 1, 7), project_id, user_id;

CREATE TRIGGER time_entries_month_insert AFTER INSERT ON time_entries
BEGIN
    INSERT INTO entry_month_totals (month, project_id, user_id, minutes, entries)
    VALUES (substr(NEW.entry_date, 1, 7) || '-01', NEW.project_id, NEW.user_id, NEW.minutes, 1)
    ON CONFLICT (month, project_id, user_id)
    DO UPDATE SET minutes = minutes + excluded.minutes, entries = entries + 1;
END;

CREATE TRIGGER time_entries_month_delete AFTER DELETE ON time_entries
BEGIN
    UPDATE entry_month_totals
    SET minutes = minutes - OLD.minutes, entries = entries - 1
    WHERE month = substr(OLD.entry_date, 1, 7) || '-01'
      AND project_id = OLD.project_id AND user_id = OLD.user_id;
    DELETE FROM entry_month_totals
    WHERE month = substr(OLD.entry_date, 1, 7) || '-01'
      AND project_id = OLD.project_id AND user_id = OLD.user_id AND entries <= 0;
END;

-- A note alone changes nothing here.
CREATE TRIGGER time_entries_month_update AFTER UPDATE ON time_entries
WHEN OLD.minutes <> NEW.minutes OR OLD.entry_date <> NEW.entry_date
  OR OLD.project_id <> NEW.project_id OR OLD.user_id <> NEW.user_id
BEGIN
    UPDATE entry_month_totals
    SET minutes = minutes - OLD.minutes, entries = entries - 1
    WHERE month = substr(OLD.entry_date, 1, 7) || '-01'
      AND project_id = OLD.project_id AND user_id = OLD.user_id;
    DELETE FROM entry_month_totals
    WHERE month = substr(OLD.entry_date, 1, 7) || '-01'
      AND project_id = OLD.project_id AND user_id = OLD.user_id AND entries <= 0;
    INSERT INTO entry_month_totals (month, project_id, user_id, minutes, entries)
    VALUES (substr(NEW.entry_date, 1, 7) || '-01', NEW.project_id, NEW.user_id, NEW.minutes, 1)
    ON CONFLICT (month, project_id, user_id)
    DO UPDATE SET minutes = minutes + excluded.minutes, entries = entries + 1;
END;

-- Entries by day: the part of this month after today that a roll-up
-- "month so far" leaves out, and the entries report's order.
CREATE INDEX time_entries_date ON time_entries (entry_date, project_id, minutes);

-- The inbox sorts what waits by the sheet's submission: a copy on the part,
-- kept equal to its sheet's by triggers (whatever order a write path sets
-- them in), so a page of the oldest or newest is an index range, not a
-- lookup of every pending part's sheet.
ALTER TABLE approval_parts ADD COLUMN submitted_at TIMESTAMP;
UPDATE approval_parts
SET submitted_at = (SELECT t.submitted_at FROM timesheets t WHERE t.id = approval_parts.timesheet_id);
CREATE INDEX approval_parts_submitted ON approval_parts (status, submitted_at, id);

CREATE TRIGGER approval_parts_submitted_insert AFTER INSERT ON approval_parts
BEGIN
    UPDATE approval_parts
    SET submitted_at = (SELECT t.submitted_at FROM timesheets t WHERE t.id = NEW.timesheet_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER timesheets_submitted_update AFTER UPDATE OF submitted_at ON timesheets
WHEN OLD.submitted_at IS NOT NEW.submitted_at
BEGIN
    UPDATE approval_parts SET submitted_at = NEW.submitted_at WHERE timesheet_id = NEW.id;
END;
