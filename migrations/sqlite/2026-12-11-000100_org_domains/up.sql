-- Verified domains (issue 16, point 3): each of an org's email domains is a
-- claim with a random token, verified by a DNS TXT record. Only a verified
-- claim routes sign-in and suggests a home org; a domain is verified by one
-- org at most (the partial unique index holds even when two checks race).
CREATE TABLE org_domains (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    token TEXT NOT NULL,
    verified_at TIMESTAMP,
    last_checked_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX org_domains_claim ON org_domains (org_id, domain);
CREATE UNIQUE INDEX org_domains_verified ON org_domains (domain) WHERE verified_at IS NOT NULL;

-- Every domain orgs list today becomes an unverified claim with a fresh token.
INSERT OR IGNORE INTO org_domains (org_id, domain, token, created_at)
WITH RECURSIVE split (org_id, rest, domain) AS (
    SELECT id, email_domains || ',', '' FROM orgs WHERE email_domains <> ''
    UNION ALL
    SELECT org_id, substr(rest, instr(rest, ',') + 1), trim(substr(rest, 1, instr(rest, ',') - 1))
    FROM split WHERE rest <> ''
)
SELECT org_id, lower(domain), lower(hex(randomblob(20))), CURRENT_TIMESTAMP
FROM split WHERE domain <> '';
