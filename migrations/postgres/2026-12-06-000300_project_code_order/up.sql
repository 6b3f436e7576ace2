-- Project hours of a large scope walk the projects in code order and read
-- each one's monthly totals (docs/performance.md, "Project hours walk the
-- projects"), instead of sorting every (project, person, month) of the period.
CREATE INDEX projects_code ON projects (code, id);
