ALTER TABLE timesheet_history DROP CONSTRAINT timesheet_history_change_check;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_via_check;
ALTER TABLE authz_changes DROP CONSTRAINT authz_changes_scope_check;
