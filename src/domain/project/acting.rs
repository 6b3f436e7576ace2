//! The whole decision and write of each change, for both faces.

use chrono::NaiveDate;

use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::{OrgId, ProjectId, UserId};
use crate::domain::org;
use crate::error::{Error, FieldErrors, Result};

use super::*;

// The decisions and writes both faces call (`grant::grant_as` is the pattern):
// each takes the caller's `Access`, decides everything and writes, so the page
// and the API cannot answer differently.

/// The project if the person may do `perm` on it: 404 when they may not even
/// see it, else 403 (see [`require`]).
pub fn find_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    id: i64,
    perm: crate::authz::Permission,
) -> Result<Project> {
    let p = find(conn, id)?;
    require(conn, access, &p, perm)?;
    Ok(p)
}

/// A change to a visible project: an archived org keeps its projects
/// read-only (409, saying so) before `perm` decides (403); one the person
/// may not see is not found.
pub fn require_change(
    conn: &mut Conn,
    access: &crate::authz::Access,
    p: &Project,
    perm: crate::authz::Permission,
) -> Result<()> {
    require(conn, access, p, crate::authz::Permission::ProjectView)?;
    if org::is_frozen(conn, p.org_id)? {
        return Err(Error::conflict(
            "This project's organization is archived; its projects are read-only.",
        ));
    }
    require(conn, access, p, perm)
}

/// The project if the person may change it by [`require_change`] (the forms
/// that edit or assign ask before they show).
pub fn find_for_change(
    conn: &mut Conn,
    access: &crate::authz::Access,
    id: i64,
    perm: crate::authz::Permission,
) -> Result<Project> {
    let p = find(conn, id)?;
    require_change(conn, access, &p, perm)?;
    Ok(p)
}

/// Creating a project at an org, or moving one in: the org seen (else 404),
/// not archived (409), and `project.manage` there (403).
pub fn require_org_takes(
    conn: &mut Conn,
    access: &crate::authz::Access,
    org_id: i64,
) -> Result<()> {
    access.require_visible(org_id)?;
    refuse_frozen(conn, org_id)?;
    access.require(crate::authz::Permission::ProjectManage, org_id)
}

/// Creates a project at `org_id` for the person: the org by
/// [`require_org_takes`] (an org they may not see is not found before any
/// field is judged), then the fields.
pub fn create_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    org_id: i64,
    draft: &ProjectDraft,
) -> Result<Project> {
    access.require_visible(org_id)?;
    let values = draft.validate()?;
    require_org_takes(conn, access, org_id)?;
    create(conn, actor, org_id, &values)
}

/// Some of a project's fields: `None` leaves a field as it is; for the fields
/// that may be empty, `Some(None)` empties it.
#[derive(Clone, Debug, Default)]
pub struct ProjectPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub client_name: Option<String>,
    pub status: Option<String>,
    pub start_date: Option<Option<String>>,
    pub end_date: Option<Option<String>>,
    pub budget_minutes: Option<Option<i64>>,
}

impl ProjectPatch {
    /// True when no field changes.
    pub fn is_empty(&self) -> bool {
        self.code.is_none()
            && self.name.is_none()
            && self.description.is_none()
            && self.client_name.is_none()
            && self.status.is_none()
            && self.start_date.is_none()
            && self.end_date.is_none()
            && self.budget_minutes.is_none()
    }

    /// The project's fields with this patch laid over them.
    pub fn over(self, p: &Project) -> ProjectDraft {
        let current = ProjectDraft::from_project(p);
        ProjectDraft {
            code: self.code.unwrap_or(current.code),
            name: self.name.unwrap_or(current.name),
            description: self.description.unwrap_or(current.description),
            client_name: self.client_name.unwrap_or(current.client_name),
            status: self.status.unwrap_or(current.status),
            start_date: self
                .start_date
                .map_or(current.start_date, Option::unwrap_or_default),
            end_date: self
                .end_date
                .map_or(current.end_date, Option::unwrap_or_default),
            budget_minutes: self.budget_minutes.unwrap_or(current.budget_minutes),
        }
    }
}

impl From<ProjectDraft> for ProjectPatch {
    /// Every field given, as the edit form sends them.
    fn from(d: ProjectDraft) -> Self {
        ProjectPatch {
            code: Some(d.code),
            name: Some(d.name),
            description: Some(d.description),
            client_name: Some(d.client_name),
            status: Some(d.status),
            start_date: Some(Some(d.start_date)),
            end_date: Some(Some(d.end_date)),
            budget_minutes: Some(d.budget_minutes),
        }
    }
}

/// What the edit page and `PATCH /api/v1/projects/{id}` ask for: fields, and
/// the org to move the project to.
#[derive(Clone, Debug, Default)]
pub struct ProjectEdit {
    pub fields: ProjectPatch,
    pub org_id: Option<i64>,
    pub version: Option<i64>,
}

/// Edits and moves a project for the person, in the caller's transaction:
/// the project by [`require_change`] with `project.manage`, a new org by
/// [`require_org_takes`], then the fields (validated over the current ones)
/// and the move. Nothing asked for is a 422, unless `org_id` names the
/// project's own org (then the project, unchanged).
pub fn edit_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    edit: ProjectEdit,
) -> Result<Project> {
    let p = find(conn, id)?;
    require_change(conn, access, &p, crate::authz::Permission::ProjectManage)?;
    let new_org = edit.org_id.filter(|o| *o != p.org_id);
    if let Some(o) = new_org {
        require_org_takes(conn, access, o)?;
    }
    if edit.fields.is_empty() && new_org.is_none() {
        return if edit.org_id.is_some() {
            Ok(p)
        } else {
            Err(FieldErrors::single("body", "Nothing to change."))
        };
    }
    let mut version = edit.version;
    let mut p = p;
    if !edit.fields.is_empty() {
        let values = edit.fields.over(&p).validate()?;
        p = update(conn, actor, id, &values, version.take())?;
    }
    if let Some(o) = new_org {
        p = move_to(conn, actor, ProjectId(id), OrgId(o), version.take())?;
    }
    Ok(p)
}

/// Deletes a project for the person ([`require_change`] with
/// `project.manage`), by [`delete`]'s rule.
pub fn delete_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
) -> Result<()> {
    let p = find(conn, id)?;
    require_change(conn, access, &p, crate::authz::Permission::ProjectManage)?;
    delete(conn, actor, id, version)
}

/// Who an assignment is for: a user by id (one the caller may not see is not
/// found), or by email as the project page's form asks (422 on `user_id`).
pub enum AssigneeRef {
    Id(i64),
    Email(String),
}

pub(super) fn assignee_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    who: &AssigneeRef,
) -> Result<crate::domain::user::User> {
    use crate::domain::user;
    match who {
        AssigneeRef::Id(id) => user::find_visible(conn, access, *id),
        AssigneeRef::Email(email) => user::find_visible_by_email(conn, access, email, "user_id"),
    }
}

/// Assigns someone to a project for the person ([`require_change`] with
/// `project.assign`; the assignee one they may see), or changes the
/// assignment that starts on the draft's start date. True when new.
pub fn assign_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    who: &AssigneeRef,
    draft: &crate::domain::assignment::AssignmentDraft,
    version: Option<i64>,
) -> Result<(
    crate::domain::assignment::Assignment,
    crate::domain::user::User,
    bool,
)> {
    let p = find(conn, id)?;
    require_change(conn, access, &p, crate::authz::Permission::ProjectAssign)?;
    let assignee = assignee_as(conn, access, who)?;
    let values = draft.validate()?;
    let (a, created) =
        crate::domain::assignment::put(conn, actor, id, &assignee, &values, version)?;
    Ok((a, assignee, created))
}

/// Ends someone's work on a project today for the person ([`require_change`]
/// with `project.assign`; the assignee one they may see, else not found).
pub fn end_assignment_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: ProjectId,
    user_id: UserId,
    today: NaiveDate,
) -> Result<()> {
    let p = find(conn, id.0)?;
    require_change(conn, access, &p, crate::authz::Permission::ProjectAssign)?;
    crate::domain::user::find_visible(conn, access, user_id.0)?;
    crate::domain::assignment::end(conn, actor, id, user_id, today)
}
