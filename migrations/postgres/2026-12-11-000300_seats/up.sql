-- Seat licences: who holds a seat, and from which pool. A pool is an org that
-- sets the `seats` setting (org_settings); a person's seat comes from the
-- nearest pool on their home org's chain, so `pool_org_id` is that org. One
-- seat per person at most (the primary key). `how` says how it was given:
-- by hand, in bulk, automatically on the first time entry, or by an import.
CREATE TABLE seat_assignments (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    assigned_at TIMESTAMP NOT NULL,
    assigned_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    how TEXT NOT NULL CHECK (how IN ('hand', 'bulk', 'automatic', 'import'))
);
CREATE INDEX seat_assignments_pool ON seat_assignments (pool_org_id);
