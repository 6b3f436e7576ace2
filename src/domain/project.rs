//! Projects: work lives here. A project belongs to exactly one org (moving it
//! reassigns it); its code is unique within its tenant (`domain::tenant`).
//! Assignments (who works on it, when and how much) live in
//! `domain::assignment`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::{
    self, Conn,
    schema::{grants, org_closure, project_assignments, projects},
};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::{epoch, org, tenant, validate};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    #[serde(skip)]
    pub code_key: String,
    pub name: String,
    pub description: String,
    pub client_name: String,
    pub status: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub budget_minutes: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Project {
    pub fn status(&self) -> ProjectStatus {
        ProjectStatus::parse(&self.status).unwrap_or(ProjectStatus::Archived)
    }
}

/// Where a project is in its life: only active projects take assignments and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectStatus {
    Active,
    Closed,
    Archived,
}

impl ProjectStatus {
    pub const ALL: &'static [ProjectStatus] = &[
        ProjectStatus::Active,
        ProjectStatus::Closed,
        ProjectStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::Closed => "closed",
            ProjectStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s.trim())
    }
}

/// Most minutes a budget may hold (about 166,666 hours).
pub const MAX_BUDGET_MINUTES: i64 = 10_000_000;

/// A project's fields as typed, before validation. Empty dates mean none.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProjectDraft {
    pub code: String,
    pub name: String,
    pub description: String,
    #[serde(alias = "client")]
    pub client_name: String,
    pub status: String,
    pub start_date: String,
    pub end_date: String,
    pub budget_minutes: Option<i64>,
}

/// Validated project fields.
#[derive(Clone, Debug)]
pub struct ProjectValues {
    pub code: String,
    pub name: String,
    pub description: String,
    pub client_name: String,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub budget_minutes: Option<i64>,
}

impl ProjectDraft {
    pub fn from_project(p: &Project) -> Self {
        ProjectDraft {
            code: p.code.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            client_name: p.client_name.clone(),
            status: p.status.clone(),
            start_date: p.start_date.map(|d| d.to_string()).unwrap_or_default(),
            end_date: p.end_date.map(|d| d.to_string()).unwrap_or_default(),
            budget_minutes: p.budget_minutes,
        }
    }

    /// Validates every field, collecting a message per field.
    pub fn validate(&self) -> Result<ProjectValues> {
        let mut errors = FieldErrors::new();
        let code = org::parse_code(&self.code)
            .map_err(|m| errors.add("code", m))
            .unwrap_or_default();
        let name = org::parse_name(&self.name)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let description =
            crate::domain::validate::text_block(&self.description, "Description", 2000)
                .map_err(|m| errors.add("description", m))
                .unwrap_or_default();
        let client_name = validate::optional_line(&self.client_name, "Client name", 200)
            .map_err(|m| errors.add("client_name", m))
            .unwrap_or_default();
        let status = if self.status.trim().is_empty() {
            ProjectStatus::Active
        } else {
            ProjectStatus::parse(&self.status).unwrap_or_else(|| {
                errors.add("status", "Status must be active, closed or archived.");
                ProjectStatus::Active
            })
        };
        let start_date = validate::optional_date(&self.start_date, "Start date")
            .map_err(|m| errors.add("start_date", m))
            .unwrap_or_default();
        let end_date = validate::optional_date(&self.end_date, "End date")
            .map_err(|m| errors.add("end_date", m))
            .unwrap_or_default();
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            errors.add("end_date", "The end date cannot be before the start date.");
        }
        if let Some(b) = self.budget_minutes
            && !(0..=MAX_BUDGET_MINUTES).contains(&b)
        {
            errors.add(
                "budget_minutes",
                format!("The budget must be from 0 to {MAX_BUDGET_MINUTES} minutes."),
            );
        }
        errors.into_result()?;
        Ok(ProjectValues {
            code,
            name,
            description,
            client_name,
            status,
            start_date,
            end_date,
            budget_minutes: self.budget_minutes,
        })
    }
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Project> {
    Ok(projects::table
        .find(id)
        .select(Project::as_select())
        .first(conn)?)
}

/// Projects by id (in no particular order).
pub fn find_many(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Project>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            projects::table
                .filter(projects::id.eq_any(chunk))
                .select(Project::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

fn refuse_frozen(conn: &mut Conn, org_id: i64) -> Result<()> {
    if org::is_frozen(conn, org_id)? {
        return Err(Error::conflict("Archived orgs take no new projects."));
    }
    Ok(())
}

/// Creates a project at `org_id`.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    org_id: i64,
    values: &ProjectValues,
) -> Result<Project> {
    org::find(conn, org_id)?;
    refuse_frozen(conn, org_id)?;
    org::lock_tree_shared(conn)?;
    let tenant = tenant::of(conn, org_id)?;
    tenant::ensure_project_code_free(conn, tenant, &values.code, None)?;
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(projects::table)
        .values((
            projects::org_id.eq(org_id),
            projects::tenant_id.eq(tenant),
            projects::code.eq(&values.code),
            projects::code_key.eq(validate::key(&values.code)),
            projects::name.eq(&values.name),
            projects::description.eq(&values.description),
            projects::client_name.eq(&values.client_name),
            projects::status.eq(values.status.as_str()),
            projects::start_date.eq(values.start_date),
            projects::end_date.eq(values.end_date),
            projects::budget_minutes.eq(values.budget_minutes),
            projects::created_at.eq(now),
            projects::updated_at.eq(now),
        ))
        .returning(projects::id)
        .get_result(c))?;
    let project = find(conn, id)?;
    // The resolver maps projects to their orgs; a new project is a tree change.
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("project.created", "project", Some(id))
            .org(org_id)
            .after(&project),
    )?;
    Ok(project)
}

fn check_version(p: &Project, version: Option<i64>) -> Result<()> {
    match version {
        Some(v) if v != p.version => Err(crate::domain::user::stale()),
        _ => Ok(()),
    }
}

/// Writes new field values (not the org).
pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &ProjectValues,
    version: Option<i64>,
) -> Result<Project> {
    let before = find(conn, id)?;
    check_version(&before, version)?;
    if org::is_frozen(conn, before.org_id)? {
        return Err(Error::conflict(
            "This project's organization is archived; its projects are read-only.",
        ));
    }
    org::lock_tree_shared(conn)?;
    let tenant = tenant::of(conn, before.org_id)?;
    tenant::ensure_project_code_free(conn, tenant, &values.code, Some(id))?;
    let changed = diesel::update(
        projects::table
            .find(id)
            .filter(projects::version.eq(before.version)),
    )
    .set((
        projects::code.eq(&values.code),
        projects::code_key.eq(validate::key(&values.code)),
        projects::name.eq(&values.name),
        projects::description.eq(&values.description),
        projects::client_name.eq(&values.client_name),
        projects::status.eq(values.status.as_str()),
        projects::start_date.eq(values.start_date),
        projects::end_date.eq(values.end_date),
        projects::budget_minutes.eq(values.budget_minutes),
        projects::version.eq(projects::version + 1),
        projects::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(crate::domain::user::stale());
    }
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("project.updated", "project", Some(id))
            .org(after.org_id)
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Reassigns a project to another org (never into an archived one).
pub fn move_to(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    new_org_id: i64,
    version: Option<i64>,
) -> Result<Project> {
    let before = find(conn, id)?;
    check_version(&before, version)?;
    if before.org_id == new_org_id {
        return Ok(before);
    }
    org::find(conn, new_org_id)?;
    if org::is_frozen(conn, before.org_id)? {
        return Err(Error::conflict(
            "This project's organization is archived; its projects are read-only.",
        ));
    }
    refuse_frozen(conn, new_org_id)?;
    org::lock_tree_shared(conn)?;
    let tenant = tenant::of(conn, new_org_id)?;
    tenant::ensure_project_code_free(conn, tenant, &before.code, Some(id))?;
    let changed = diesel::update(
        projects::table
            .find(id)
            .filter(projects::version.eq(before.version)),
    )
    .set((
        projects::org_id.eq(new_org_id),
        projects::tenant_id.eq(tenant),
        projects::version.eq(projects::version + 1),
        projects::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(crate::domain::user::stale());
    }
    // The resolver judges project roles and project-scope grants at the
    // project's org: everyone's view of this project may change.
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("project.moved", "project", Some(id))
            .org(new_org_id)
            .before(json!({"org_id": before.org_id}))
            .after(json!({"org_id": new_org_id})),
    )?;
    find(conn, id)
}

/// Number of assignments (current, past and upcoming) of a project.
pub fn assignment_count(conn: &mut Conn, id: i64) -> Result<i64> {
    Ok(project_assignments::table
        .filter(project_assignments::project_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// Deletes a project that never had anyone assigned, with the grants made at it.
pub fn delete(conn: &mut Conn, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
    let project = find(conn, id)?;
    check_version(&project, version)?;
    let assignments = assignment_count(conn, id)?;
    if assignments > 0 {
        return Err(Error::Conflict {
            message: format!(
                "This project has {assignments} assignment{}; close or archive it instead.",
                if assignments == 1 { "" } else { "s" }
            ),
            details: Some(json!({"blocking": {"assignments": assignments}})),
        });
    }
    let revoked: Vec<i64> = grants::table
        .filter(grants::project_id.eq(id))
        .select(grants::id)
        .load(conn)?;
    diesel::delete(grants::table.filter(grants::project_id.eq(id))).execute(conn)?;
    diesel::delete(projects::table.find(id)).execute(conn)?;
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("project.deleted", "project", Some(id))
            .org(project.org_id)
            .before(&project)
            .after(json!({"revoked_grants": revoked})),
    )
}

/// Filters for listing projects.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// The org's whole subtree.
    pub org_id: Option<i64>,
    pub status: Option<ProjectStatus>,
    /// Name or code contains (case-insensitive).
    pub q: Option<String>,
}

/// Projects matching `filter`, by name. The caller keeps those its viewer may see.
pub fn search(conn: &mut Conn, filter: &ProjectFilter) -> Result<Vec<Project>> {
    let mut query = projects::table
        .select(Project::as_select())
        .order((projects::name, projects::id))
        .into_boxed();
    if let Some(org_id) = filter.org_id {
        query = query.filter(
            projects::org_id.eq_any(
                org_closure::table
                    .filter(org_closure::ancestor_id.eq(org_id))
                    .select(org_closure::descendant_id),
            ),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(projects::status.eq(status.as_str()));
    }
    let mut found: Vec<Project> = query.load(conn)?;
    if let Some(q) = filter
        .q
        .as_deref()
        .map(validate::key)
        .filter(|q| !q.is_empty())
    {
        // Names keep their case (no lower-cased column): compare here.
        found.retain(|p| p.code_key.contains(&q) || p.name.to_lowercase().contains(&q));
    }
    Ok(found)
}

/// May the person know the project exists? `project.view` through a grant at its
/// org (or above) or at the project itself — or a current assignment to it.
pub fn can_view(conn: &mut Conn, access: &crate::authz::Access, p: &Project) -> Result<bool> {
    use crate::authz::Permission;
    if access.can_project(Permission::ProjectView, p.id) {
        return Ok(true);
    }
    let today = db::now().date();
    Ok(
        crate::domain::assignment::assigned_project_ids(conn, access.user_id, today)?
            .contains(&p.id),
    )
}

/// `Ok` when the person may do `perm` on the project; 404 when they may not even
/// see it (exactly as if it did not exist), else 403.
pub fn require(
    conn: &mut Conn,
    access: &crate::authz::Access,
    p: &Project,
    perm: crate::authz::Permission,
) -> Result<()> {
    if !can_view(conn, access, p)? {
        return Err(Error::NotFound);
    }
    if perm == crate::authz::Permission::ProjectView || access.can_project(perm, p.id) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "You do not have the permission {perm} on this project."
        )))
    }
}

/// The project if the person may see it, else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Project> {
    let p = find(conn, id)?;
    require(conn, access, &p, crate::authz::Permission::ProjectView)?;
    Ok(p)
}

/// One page (in name order) of the projects `filter` matches among those
/// `access` may see (`project.view` at their org, a grant on the project
/// itself) or `also` (the viewer's current assignments), narrowed in SQL;
/// with the number of all matches. The caller keeps the resolver's final word.
pub fn search_visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    filter: &ProjectFilter,
    also: &[i64],
    offset: i64,
    limit: i64,
) -> Result<(Vec<Project>, i64)> {
    use crate::authz::Permission;
    use crate::db::schema::group_members;
    use crate::domain::org::subtree_ids;
    let scope = access.org_scope(Permission::ProjectView);
    let everything = scope.is_whole_tree(access.snapshot.tree());
    // Projects open by a grant on the project itself (the person's, or one
    // of their groups'), as the resolver sees them.
    let mut extra: Vec<i64> = grants::table
        .filter(grants::project_id.is_not_null())
        .filter(
            grants::user_id
                .eq(access.user_id)
                .or(grants::group_id.eq_any(
                    group_members::table
                        .filter(group_members::user_id.eq(access.user_id))
                        .select(group_members::group_id.nullable()),
                )),
        )
        .filter(crate::domain::grant::live_at(crate::db::now()))
        .select(grants::project_id.assume_not_null())
        .load(conn)?;
    extra.retain(|p| access.can_project(Permission::ProjectView, *p));
    extra.extend_from_slice(also);
    extra.sort_unstable();
    extra.dedup();
    let needle = filter
        .q
        .as_deref()
        .map(validate::key)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", q.replace(['%', '_'], "")));
    let build = || {
        let mut query = projects::table.into_boxed();
        if !everything {
            query = query.filter(
                projects::org_id
                    .eq_any(subtree_ids(scope.roots.clone()))
                    .and(projects::org_id.ne_all(subtree_ids(scope.hidden.clone())))
                    .or(projects::id.eq_any(extra.clone())),
            );
        }
        if let Some(org_id) = filter.org_id {
            query = query.filter(projects::org_id.eq_any(subtree_ids(vec![org_id])));
        }
        if let Some(status) = filter.status {
            query = query.filter(projects::status.eq(status.as_str()));
        }
        if let Some(pattern) = &needle {
            query = query.filter(
                projects::code_key
                    .like(pattern.clone())
                    .or(crate::db::lower(projects::name).like(pattern.clone())),
            );
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((projects::name, projects::id))
        .offset(offset)
        .limit(limit)
        .select(Project::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// One page of the projects `access` may see (`search_visible`, with the
/// viewer's current assignments), each row given the resolver's final word:
/// the list behind both the projects page and `GET /api/v1/projects`.
pub fn visible_page(
    conn: &mut Conn,
    access: &crate::authz::Access,
    filter: &ProjectFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Project>, i64)> {
    use crate::authz::Permission;
    let assigned = crate::domain::assignment::assigned_project_ids(
        conn,
        access.user_id,
        crate::db::now().date(),
    )?;
    let (found, total) = search_visible(conn, access, filter, &assigned, offset, limit)?;
    let found = found
        .into_iter()
        .filter(|p| access.can_project(Permission::ProjectView, p.id) || assigned.contains(&p.id))
        .collect();
    Ok((found, total))
}

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
        p = move_to(conn, actor, id, o, version.take())?;
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

fn assignee_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    who: &AssigneeRef,
) -> Result<crate::domain::user::User> {
    use crate::domain::user;
    match who {
        AssigneeRef::Id(id) => user::find_visible(conn, access, *id),
        AssigneeRef::Email(email) => {
            let none =
                || FieldErrors::single("user_id", "There is no user with this email you can see.");
            let Some(found) = user::find_by_email(conn, email)? else {
                return Err(none());
            };
            user::find_visible(conn, access, found.id).map_err(|_| none())
        }
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
    id: i64,
    user_id: i64,
    today: NaiveDate,
) -> Result<()> {
    let p = find(conn, id)?;
    require_change(conn, access, &p, crate::authz::Permission::ProjectAssign)?;
    crate::domain::user::find_visible(conn, access, user_id)?;
    crate::domain::assignment::end(conn, actor, id, user_id, today)
}
