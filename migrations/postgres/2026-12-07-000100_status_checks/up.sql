-- Statuses, kinds and modes are closed sets: the Rust enums (`text_enum!`)
-- and these CHECK constraints list the same strings.
--
-- Expand: first every stored value the constraint would refuse is mapped to
-- a defined one. A value that differs from a known one only by surrounding
-- blanks or capitals becomes that one; any other unknown value becomes what
-- the app already read it as: an org kind other, an org status active (only
-- `archived` froze), a user status deactivated, a project status archived, a
-- project role member (it approved nothing), a sheet status draft, an
-- approval mode project, a part status cancelled (it was neither pending,
-- waiting nor decided). No row is deleted. A link of an unknown purpose (it
-- could never be used) and a notification of an unknown kind have no value
-- the app read them as: they are left alone, and the constraint then fails
-- the migration loudly rather than guess.
-- Contract: then the constraints.

UPDATE orgs SET kind = lower(trim(kind)) WHERE kind <> lower(trim(kind));
UPDATE orgs SET kind = 'other'
  WHERE kind NOT IN ('customer', 'manufacturer', 'distributor', 'sales_company',
                     'region', 'department', 'site', 'other');
UPDATE orgs SET status = 'active' WHERE status <> 'active' AND lower(trim(status)) <> 'archived';
UPDATE orgs SET status = 'archived' WHERE status <> 'archived' AND lower(trim(status)) = 'archived';

UPDATE users SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE users SET status = 'deactivated' WHERE status NOT IN ('invited', 'active', 'deactivated');

UPDATE projects SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE projects SET status = 'archived' WHERE status NOT IN ('active', 'closed', 'archived');

UPDATE project_assignments SET role = lower(trim(role)) WHERE role <> lower(trim(role));
UPDATE project_assignments SET role = 'member' WHERE role NOT IN ('member', 'approver', 'manager');

UPDATE timesheets SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE timesheets SET status = 'draft'
  WHERE status NOT IN ('draft', 'submitted', 'approved', 'rejected');
UPDATE timesheets SET approval_mode = lower(trim(approval_mode))
  WHERE approval_mode <> lower(trim(approval_mode));
UPDATE timesheets SET approval_mode = 'project'
  WHERE approval_mode NOT IN ('project', 'team', 'both');

UPDATE approval_parts SET status = lower(trim(status)) WHERE status <> lower(trim(status));
UPDATE approval_parts SET status = 'cancelled'
  WHERE status NOT IN ('waiting', 'pending', 'approved', 'rejected', 'cancelled');

UPDATE user_tokens SET purpose = lower(trim(purpose)) WHERE purpose <> lower(trim(purpose));

UPDATE notifications SET kind = lower(trim(kind)) WHERE kind <> lower(trim(kind));

ALTER TABLE orgs ADD CONSTRAINT orgs_kind_check CHECK (kind IN
  ('customer', 'manufacturer', 'distributor', 'sales_company', 'region', 'department', 'site', 'other'));
ALTER TABLE orgs ADD CONSTRAINT orgs_status_check CHECK (status IN ('active', 'archived'));
ALTER TABLE users ADD CONSTRAINT users_status_check
  CHECK (status IN ('invited', 'active', 'deactivated'));
ALTER TABLE projects ADD CONSTRAINT projects_status_check
  CHECK (status IN ('active', 'closed', 'archived'));
ALTER TABLE project_assignments ADD CONSTRAINT project_assignments_role_check
  CHECK (role IN ('member', 'approver', 'manager'));
ALTER TABLE timesheets ADD CONSTRAINT timesheets_status_check
  CHECK (status IN ('draft', 'submitted', 'approved', 'rejected'));
ALTER TABLE timesheets ADD CONSTRAINT timesheets_approval_mode_check
  CHECK (approval_mode IN ('project', 'team', 'both'));
ALTER TABLE approval_parts ADD CONSTRAINT approval_parts_status_check
  CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'cancelled'));
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
  CHECK (purpose IN ('activation', 'reset'));
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN
  ('approval_waiting', 'sheet_approved', 'sheet_rejected', 'sheet_reopened', 'added_to_project',
   'added_to_team', 'added_to_group', 'grant_received', 'grant_lost', 'timesheet_reminder'));
