-- An org's logo (issue 14): the image itself, in the database so that every
-- instance serves it; inherited down the tree like the branding settings
-- (the nearest org that has one). `hash` names the bytes in the logo's URL,
-- so a new logo is a new URL and the old one may be cached for good.
CREATE TABLE org_logos (
    org_id BIGINT PRIMARY KEY NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    hash TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The org table's sorts by when an org was created or last changed.
CREATE INDEX orgs_created ON orgs (created_at, id);
CREATE INDEX orgs_updated ON orgs (updated_at, id);
