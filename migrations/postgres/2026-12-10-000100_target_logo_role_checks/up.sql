-- The last three closed sets still stored as free text get their CHECK
-- constraints, like 2026-12-07-000100_status_checks and
-- 2026-12-09-000200_kind_checks: the Rust enums (`text_enum!`) and these
-- constraints list the same strings. `audit_log.target_type`
-- (`audit::Target`), `org_logos.content_type` (`logo::ImageType`) and
-- `roles.builtin_key` (`authz::BuiltinRole`; NULL for a custom role).
--
-- Expand: first every stored value the constraint would refuse is mapped to
-- a defined one. A value that differs from a known one only by surrounding
-- blanks or capitals becomes that one. A logo's type is what its bytes say
-- (the app never stored anything else: it sniffs PNG, JPEG, GIF and WebP by
-- their magic bytes). An audit entry is a record of what happened, and a
-- built-in role key names a role the code defines: an unknown one is not
-- guessed at but left alone, and the constraint then fails the migration
-- loudly, as does a logo whose bytes are none of the four. No row is deleted.
-- Contract: then the constraints.

UPDATE audit_log SET target_type = lower(trim(target_type))
  WHERE target_type <> lower(trim(target_type));

UPDATE org_logos SET content_type = CASE
    WHEN substring(bytes FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea THEN 'image/png'
    WHEN substring(bytes FROM 1 FOR 3) = '\xffd8ff'::bytea THEN 'image/jpeg'
    WHEN substring(bytes FROM 1 FOR 6) IN ('GIF87a'::bytea, 'GIF89a'::bytea) THEN 'image/gif'
    WHEN substring(bytes FROM 1 FOR 4) = 'RIFF'::bytea
     AND substring(bytes FROM 9 FOR 4) = 'WEBP'::bytea THEN 'image/webp'
    ELSE content_type
  END
  WHERE content_type NOT IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp');

UPDATE roles SET builtin_key = lower(trim(builtin_key))
  WHERE builtin_key <> lower(trim(builtin_key));

ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check CHECK (target_type IN
  ('user', 'org', 'role', 'grant', 'grant_invitation', 'project', 'timesheet', 'group', 'team',
   'api_token'));
ALTER TABLE org_logos ADD CONSTRAINT org_logos_content_type_check
  CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp'));
ALTER TABLE roles ADD CONSTRAINT roles_builtin_key_check CHECK (builtin_key IS NULL OR builtin_key IN
  ('owner', 'org_admin', 'user_manager', 'project_manager', 'approver', 'auditor', 'viewer'));
