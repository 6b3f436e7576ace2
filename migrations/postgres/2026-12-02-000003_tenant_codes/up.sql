-- Project codes are unique within a tenant (the top-level org below the root
-- that contains the project's org; projects at the root form their own
-- tenant), no longer in the whole installation. `tenant_id` is derived from
-- the tree: written on create, on a project move and on an org move
-- (domain::tenant), and backfilled here from the closure table.
ALTER TABLE projects ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET tenant_id = COALESCE(
    (SELECT oc.ancestor_id FROM org_closure oc
       JOIN orgs o ON o.id = oc.ancestor_id
       JOIN orgs r ON r.id = o.parent_id
      WHERE oc.descendant_id = projects.org_id AND r.parent_id IS NULL),
    projects.org_id);
DROP INDEX projects_code_key;
CREATE UNIQUE INDEX projects_tenant_code_key ON projects (tenant_id, code_key);
