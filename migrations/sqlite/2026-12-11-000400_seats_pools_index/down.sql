DROP INDEX org_settings_key;
