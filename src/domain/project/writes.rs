//! Project writes: create, update, move, delete; each audited and version
//! checked.

use diesel::prelude::*;
use serde_json::json;

use crate::db::{
    self, Conn,
    schema::{grants, project_assignments, projects},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::ids::{OrgId, ProjectId};
use crate::domain::{epoch, org, tenant, validate};
use crate::error::{Error, Result};

use super::*;

/// The columns a project's editable fields fill: one struct, so that create
/// and update write them the same way (an empty date or budget is NULL).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = projects, treat_none_as_null = true)]
struct ProjectColumns<'a> {
    code: &'a str,
    code_key: String,
    name: &'a str,
    description: &'a str,
    client_name: &'a str,
    status: ProjectStatus,
    start_date: Option<chrono::NaiveDate>,
    end_date: Option<chrono::NaiveDate>,
    budget_minutes: Option<i64>,
}

impl<'a> ProjectColumns<'a> {
    fn of(values: &'a ProjectValues) -> Self {
        ProjectColumns {
            code: &values.code,
            code_key: validate::key(&values.code),
            name: &values.name,
            description: &values.description,
            client_name: &values.client_name,
            status: values.status,
            start_date: values.start_date,
            end_date: values.end_date,
            budget_minutes: values.budget_minutes,
        }
    }
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
            ProjectColumns::of(values),
            projects::org_id.eq(org_id),
            projects::tenant_id.eq(tenant),
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
        Event::new("project.created", Target::Project, Some(id))
            .org(org_id)
            .after(&project),
    )?;
    Ok(project)
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
        ProjectColumns::of(values),
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
        Event::new("project.updated", Target::Project, Some(id))
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
    id: ProjectId,
    new_org_id: OrgId,
    version: Option<i64>,
) -> Result<Project> {
    let (id, new_org_id) = (id.0, new_org_id.0);
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
        Event::new("project.moved", Target::Project, Some(id))
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
        Event::new("project.deleted", Target::Project, Some(id))
            .org(project.org_id)
            .before(&project)
            .after(json!({"revoked_grants": revoked})),
    )
}
