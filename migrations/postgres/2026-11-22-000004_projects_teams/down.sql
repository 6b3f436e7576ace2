ALTER TABLE grants DROP CONSTRAINT grants_project_fk;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE project_assignments;
DROP TABLE projects;
