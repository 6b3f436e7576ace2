ALTER TABLE roles DROP CONSTRAINT roles_builtin_key_check;
ALTER TABLE org_logos DROP CONSTRAINT org_logos_content_type_check;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_target_type_check;
