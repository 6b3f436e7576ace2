-- The approvals inbox pages in SQL (domain::inbox): the team parts of the
-- people in an approver's orgs or teams are found by person, not by scanning
-- every pending part.
CREATE INDEX approval_parts_status_user ON approval_parts (status, user_id, project_id);
