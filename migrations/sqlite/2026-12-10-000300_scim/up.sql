-- SCIM provisioning (issue 15): tokens an org admin makes for one org, and
-- what SCIM knows of a person or a group beyond Canopy's own fields.
CREATE TABLE scim_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    token_prefix TEXT NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (token_hash);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id);

-- userName (unique in the installation, by its lowercase key), externalId, and
-- whether SCIM deleted the person (they stay, deactivated, for their time).
CREATE TABLE scim_users (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX scim_users_name ON scim_users (user_name_key);
CREATE INDEX scim_users_external ON scim_users (external_id);

CREATE TABLE scim_groups (
    group_id BIGINT PRIMARY KEY NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    external_id TEXT
);
CREATE INDEX scim_groups_external ON scim_groups (external_id);
