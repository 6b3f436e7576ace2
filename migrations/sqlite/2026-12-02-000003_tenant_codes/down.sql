-- Fails (and changes nothing) when two tenants already use the same project code.
DROP INDEX projects_tenant_code_key;
CREATE UNIQUE INDEX projects_code_key ON projects (code_key);
ALTER TABLE projects DROP COLUMN tenant_id;
