DROP INDEX entry_month_totals_month_project;
CREATE INDEX entry_month_totals_month_project ON entry_month_totals (month, project_id, minutes);
