ALTER TABLE app_state DROP COLUMN public_url;
DROP TABLE notifications;
DROP TABLE timesheet_history;
DROP TABLE approval_parts;
DROP TABLE time_entries;
DROP TABLE timesheets;
