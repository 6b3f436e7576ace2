-- Foundation: installation secrets, the authz epoch, the org tree, users, roles,
-- grants, API tokens and the audit log.

CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One row of installation-wide counters. `authz_epoch` is bumped in every
-- transaction that changes access, so every app instance sees it at once.
CREATE TABLE app_state (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    authz_epoch BIGINT NOT NULL DEFAULT 0
);
INSERT INTO app_state (id, authz_epoch) VALUES (1, 0);

CREATE TABLE orgs (
    id INTEGER PRIMARY KEY NOT NULL,
    parent_id BIGINT REFERENCES orgs (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    code TEXT NOT NULL,
    code_key TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'other',
    description TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    email_domains TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    privacy_mode BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'active',
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX orgs_code_key ON orgs (code_key);
CREATE UNIQUE INDEX orgs_sibling_name ON orgs (parent_id, name_key);
CREATE INDEX orgs_parent ON orgs (parent_id);

CREATE TABLE org_closure (
    ancestor_id BIGINT NOT NULL REFERENCES orgs (id),
    descendant_id BIGINT NOT NULL REFERENCES orgs (id),
    depth INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_closure_descendant ON org_closure (descendant_id, depth);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'invited',
    password_hash TEXT,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    last_login_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email_key);
CREATE INDEX users_org ON users (org_id);

-- Built-in roles have no org and a `builtin_key`; custom roles belong to an org.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT REFERENCES orgs (id),
    builtin_key TEXT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    permissions TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX roles_builtin_key ON roles (builtin_key);
CREATE INDEX roles_org ON roles (org_id);

-- A role given to a principal at a scope. Group and project scopes arrive with
-- those tables; their constraints are added then.
CREATE TABLE grants (
    id INTEGER PRIMARY KEY NOT NULL,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    user_id BIGINT REFERENCES users (id),
    group_id BIGINT,
    org_id BIGINT REFERENCES orgs (id),
    project_id BIGINT,
    descendants BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at TIMESTAMP,
    granted_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    CHECK ((org_id IS NULL) <> (project_id IS NULL))
);
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_group ON grants (group_id);
CREATE INDEX grants_org ON grants (org_id);
CREATE INDEX grants_project ON grants (project_id);
CREATE INDEX grants_role ON grants (role_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    token_prefix TEXT NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Append-only. No foreign keys: an entry outlives whatever it names.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    actor_token_id BIGINT,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BIGINT,
    org_id BIGINT,
    ip TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at);
CREATE INDEX audit_log_actor_at ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
CREATE INDEX audit_log_action_ip_at ON audit_log (action, ip, at);
