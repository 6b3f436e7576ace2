-- The month's minutes per project read from the index alone: the roll-up of
-- a large subtree sums a whole month (about one row per person and project)
-- and the per-project sums join on (month, project_id); without `minutes` in
-- the index every row was a lookup in the table (docs/performance.md, "Root
-- overview, API lists and org search").
CREATE INDEX entry_month_totals_month_project ON entry_month_totals (month, project_id, minutes);
