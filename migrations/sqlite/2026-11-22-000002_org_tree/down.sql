DROP TABLE authz_changes;
DROP TABLE org_settings;
