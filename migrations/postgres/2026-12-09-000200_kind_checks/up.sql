-- The kinds still written as free text become closed sets, like the statuses
-- of 2026-12-07-000100_status_checks: the Rust enums (`text_enum!`) and these
-- CHECK constraints list the same strings. `authz_changes.scope`
-- (`authz::epoch::Scope`), `audit_log.via` (`audit::Via`) and
-- `timesheet_history.change` (`timesheet::HistoryChange`).
--
-- Expand: first every stored value the constraint would refuse is mapped to
-- a defined one. A value that differs from a known one only by surrounding
-- blanks or capitals becomes that one. An unknown scope becomes `tree`: the
-- app already read one as "rebuild everything", which is what `tree` says.
-- The audit log and the sheets' history are records of what happened: an
-- unknown `via` or `change` is not guessed at but left alone, and the
-- constraint then fails the migration loudly. No row is deleted.
-- Contract: then the constraints.

UPDATE authz_changes SET scope = lower(trim(scope)) WHERE scope <> lower(trim(scope));
UPDATE authz_changes SET scope = 'tree' WHERE scope NOT IN ('tree', 'user');

UPDATE audit_log SET via = lower(trim(via)) WHERE via <> lower(trim(via));

UPDATE timesheet_history SET change = lower(trim(change)) WHERE change <> lower(trim(change));

ALTER TABLE authz_changes ADD CONSTRAINT authz_changes_scope_check
  CHECK (scope IN ('tree', 'user'));
ALTER TABLE audit_log ADD CONSTRAINT audit_log_via_check
  CHECK (via IN ('session', 'token', 'cli', 'setup', 'system', 'anonymous', 'link'));
ALTER TABLE timesheet_history ADD CONSTRAINT timesheet_history_change_check CHECK (change IN
  ('entry', 'submitted', 'withdrawn', 'approved', 'rejected', 'reopened', 'part', 'team part'));
