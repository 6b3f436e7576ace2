-- The pools are the orgs that set `seats`: every seat check reads them by key,
-- so that read costs the pools, not every setting of the installation.
CREATE INDEX org_settings_key ON org_settings (key);
