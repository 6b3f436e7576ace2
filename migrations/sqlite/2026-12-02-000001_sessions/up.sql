-- Signed-in browser sessions. The cookie carries a random session id; only its
-- SHA-256 is kept. Signing out deletes the row, so a copied cookie stops working
-- on every instance; idle and absolute lifetimes are checked against the times.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sessions_hash ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX sessions_created ON sessions (created_at);

-- Failed sign-ins, kept for the throttle only (the audit log keeps the record):
-- by typed email key and client address, so known and unknown accounts count alike.
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY NOT NULL,
    email_key TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);
CREATE INDEX sign_in_failures_email_ip ON sign_in_failures (email_key, ip, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
