-- Settings an org overrides; absent keys inherit from the nearest ancestor.
CREATE TABLE org_settings (
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- What each authz_epoch bump changed, so app instances can patch their resolver
-- snapshot (one user's grants) instead of rebuilding it. scope: 'tree' or 'user'.
CREATE TABLE authz_changes (
    id INTEGER PRIMARY KEY NOT NULL,
    epoch BIGINT NOT NULL,
    scope TEXT NOT NULL,
    user_id BIGINT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX authz_changes_epoch ON authz_changes (epoch);
