DROP INDEX orgs_updated;
DROP INDEX orgs_created;
DROP TABLE org_logos;
