DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE project_assignments;
DROP TABLE projects;
