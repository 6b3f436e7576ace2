-- Single sign-on with OpenID Connect, one provider per org (issue 16, point 2).
-- The client secret must be read back to redeem a code, so it is kept sealed
-- (AES-256-GCM under the installation's data key, domain::secrets::seal).
-- `allowed_domains` is the lower-case email domains routed to the provider,
-- one per line. `on_first_sign_in` is 'create' (just in time, in this org,
-- with `default_role_id` when set) or 'link' (only people Canopy knows).
CREATE TABLE org_sso (
    org_id BIGINT PRIMARY KEY NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    issuer_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT,
    allowed_domains TEXT NOT NULL,
    password_sign_in BOOLEAN NOT NULL DEFAULT TRUE,
    on_first_sign_in TEXT NOT NULL DEFAULT 'link' CHECK (on_first_sign_in IN ('create', 'link')),
    default_role_id BIGINT REFERENCES roles (id) ON DELETE SET NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);

-- A person's account at a provider: the ID token's (issuer, subject), found
-- again on every later sign-in whatever the email says then.
CREATE TABLE sso_identities (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sso_identities_subject ON sso_identities (issuer, subject);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- A sign-in sent to a provider and not yet back: the state (as its SHA-256),
-- the nonce and the PKCE verifier, kept on the server and taken once.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sso_logins_created ON sso_logins (created_at);
