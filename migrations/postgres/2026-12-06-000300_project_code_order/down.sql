DROP INDEX projects_code;
