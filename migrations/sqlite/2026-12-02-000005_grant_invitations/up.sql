-- Grants by exact email to someone the inviter may not see (or to nobody):
-- a pending invitation, stored the same whether an account uses the email or
-- not, and turned into a grant only when that person accepts it. No foreign
-- keys: accepting checks everything again, and a gone role or org only makes
-- the invitation fail to accept.
CREATE TABLE grant_invitations (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    role_id BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    project_id BIGINT,
    descendants BOOLEAN NOT NULL,
    grant_expires_at TIMESTAMP,
    invited_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    declined_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX grant_invitations_email ON grant_invitations (email_key);
CREATE INDEX grant_invitations_org ON grant_invitations (org_id);
