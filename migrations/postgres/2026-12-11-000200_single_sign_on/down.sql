DROP TABLE sso_logins;
DROP TABLE sso_identities;
DROP TABLE org_sso;
