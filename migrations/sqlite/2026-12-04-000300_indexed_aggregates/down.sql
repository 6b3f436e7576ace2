DROP TRIGGER timesheets_submitted_update;
DROP TRIGGER approval_parts_submitted_insert;
DROP INDEX approval_parts_submitted;
ALTER TABLE approval_parts DROP COLUMN submitted_at;
DROP INDEX time_entries_date;
DROP TRIGGER time_entries_month_update;
DROP TRIGGER time_entries_month_delete;
DROP TRIGGER time_entries_month_insert;
DROP TABLE entry_month_totals;
