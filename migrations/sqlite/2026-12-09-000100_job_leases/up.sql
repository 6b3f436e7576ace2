-- Work `canopy serve` does by itself (issue 15): the weekly reminders and the
-- pruning of expired sessions, links and old authz change records. Every
-- instance ticks; a lease row says which one runs a job now (`holder`, until
-- `until`), and `done_for` the day a daily job last finished, so several
-- instances on one database run each job once.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    until TIMESTAMP NOT NULL,
    done_for DATE
);

INSERT INTO job_leases (name, holder, until, done_for) VALUES
    ('reminders', '', '1970-01-01 00:00:00', NULL),
    ('prune', '', '1970-01-01 00:00:00', NULL);
