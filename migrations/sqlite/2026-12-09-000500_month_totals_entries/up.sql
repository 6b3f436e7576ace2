-- The month's totals per project read from the index alone with their entry
-- counts too: the entries report's total and chart sum `entries` beside
-- `minutes` over a month, and without it in the index PostgreSQL fetched every
-- row from the table (16k pages for the root's December: 178 ms; from the
-- index, 8 ms). The old index's columns are this one's first three, so what
-- read that one reads this one (docs/performance.md, "Missing timesheets from
-- a kept list", the entries report).
DROP INDEX entry_month_totals_month_project;
CREATE INDEX entry_month_totals_month_project ON entry_month_totals (month, project_id, minutes, entries);
