-- Two-factor sign-in (TOTP, RFC 6238). The shared secret must be read back to
-- check a code, so it is kept sealed (AES-256-GCM under the installation's data
-- key, domain::secrets::seal), never in the clear. `confirmed_at` is null while
-- the person has scanned but not yet confirmed a code; `last_step` is the
-- 30-second step of the last code taken, so a code is good once.
CREATE TABLE two_factor (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- Single-use recovery codes, kept as SHA-256 hashes (they are random, not
-- guessable); a used one keeps its row with `used_at` for the count left.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
