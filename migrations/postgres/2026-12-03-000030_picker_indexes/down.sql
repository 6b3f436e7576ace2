DROP INDEX orgs_name_key;
