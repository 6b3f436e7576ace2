//! `/api/v1/projects`: projects and their assignments.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};

use super::json::{VersionQuery, double_option, time};
use super::list::{ListBody, PageQuery, SearchPageQuery, offset};
use super::{ApiError, ApiUser};
use crate::domain::assignment::{self, Assignee, Assignment, AssignmentDraft};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::project::{
    self, AssigneeRef, Project, ProjectDraft, ProjectEdit, ProjectFilter, ProjectPatch,
    ProjectStatus,
};
use crate::error::FieldErrors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(show)
        .service(update)
        .service(remove)
        .service(list_assignments)
        .service(put_assignment)
        .service(end_assignment)
        .service(edit_assignment);
}

fn date(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// A project as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Project)]
struct ProjectJson {
    id: i64,
    org_id: i64,
    code: String,
    name: String,
    description: String,
    client: String,
    /// The same as `client`.
    client_name: String,
    /// `active`, `closed` or `archived`.
    status: String,
    #[schema(format = Date)]
    start_date: Option<String>,
    #[schema(format = Date)]
    end_date: Option<String>,
    budget_minutes: Option<i64>,
    version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// On `GET /projects/{id}` only, history included.
    #[serde(skip_serializing_if = "Option::is_none")]
    assignments: Option<Vec<AssignmentJson>>,
}

/// An assignment as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Assignment)]
struct AssignmentJson {
    id: i64,
    project_id: i64,
    user_id: i64,
    /// `member`, `approver` or `manager`.
    role: String,
    minutes_per_week: i32,
    #[schema(format = Date)]
    start_date: String,
    #[schema(format = Date)]
    end_date: Option<String>,
    version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// The assignee's name, in a project's assignments.
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
}

fn project_json(p: &Project) -> ProjectJson {
    ProjectJson {
        id: p.id,
        org_id: p.org_id,
        code: p.code.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        client: p.client_name.clone(),
        client_name: p.client_name.clone(),
        status: p.status.to_string(),
        start_date: date(p.start_date),
        end_date: date(p.end_date),
        budget_minutes: p.budget_minutes,
        version: p.version,
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
        assignments: None,
    }
}

fn assignment_json(a: &Assignment) -> AssignmentJson {
    AssignmentJson {
        id: a.id,
        project_id: a.project_id,
        user_id: a.user_id,
        role: a.role.to_string(),
        minutes_per_week: a.minutes_per_week,
        start_date: a.start_date.to_string(),
        end_date: date(a.end_date),
        version: a.version,
        created_at: time(a.created_at),
        updated_at: time(a.updated_at),
        display_name: None,
    }
}

fn assignee_json(a: &Assignee) -> AssignmentJson {
    AssignmentJson {
        display_name: Some(a.display_name.clone()),
        ..assignment_json(&a.assignment)
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// The org and its whole subtree.
    org_id: Option<i64>,
    /// `active`, `closed` or `archived`.
    status: Option<String>,
    /// Name or code contains.
    q: Option<String>,
}

/// `GET /projects?org_id=&status=&q=`: projects visible to the caller; `org_id`
/// takes its whole subtree.
#[utoipa::path(
    operation_id = "listProjects",
    summary = "Projects visible to you (project.view at their org)",
    params(PageQuery),
    responses((status = 200, description = "A page of projects", body = ListBody<ProjectJson>)),
)]
#[get("/projects")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let status = super::list::optional(
        query.status.as_deref().map(str::trim),
        ProjectStatus::parse,
        "status",
        "Status must be active, closed or archived.",
    )?;
    if let Some(o) = query.org_id {
        me.access.require_visible(o)?;
    }
    let filter = ProjectFilter {
        org_id: query.org_id,
        status,
        q: query.q.clone(),
    };
    let access = me.access.clone();
    let (found, total) = me
        .db()
        .read(move |conn| {
            let limit = i64::from(per_page);
            project::visible_page(conn, &access, &filter, offset(page, per_page), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody {
        items: found.iter().map(project_json).collect::<Vec<_>>(),
        page,
        per_page,
        total: usize::try_from(total).unwrap_or(0),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ProjectCreate)]
struct CreateBody {
    /// Required: the project's org.
    org_id: Option<i64>,
    #[serde(flatten)]
    draft: CreateDraft,
}

/// The create body: like [`ProjectDraft`], with dates that may be null.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct CreateDraft {
    code: String,
    name: String,
    description: String,
    /// Also as `client`.
    #[serde(alias = "client")]
    client_name: String,
    /// `active`, `closed` or `archived` (default `active`).
    status: String,
    #[schema(format = Date)]
    start_date: Option<String>,
    #[schema(format = Date)]
    end_date: Option<String>,
    budget_minutes: Option<i64>,
}

/// `POST /projects`.
#[utoipa::path(
    operation_id = "createProject",
    summary = "Create a project (project.manage at the org); codes are unique within a tenant",
    responses((status = 201, description = "The project", body = ProjectJson)),
)]
#[post("/projects")]
async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let CreateBody { org_id, draft } = body.into_inner();
    let org_id = org_id.ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    let (access, actor) = (me.access.clone(), me.actor());
    let draft = ProjectDraft::from(draft);
    let p = me
        .db()
        .write(move |conn| project::create_as(conn, &access, &actor, org_id, &draft))
        .await?;
    Ok(HttpResponse::Created().json(project_json(&p)))
}

impl From<CreateDraft> for ProjectDraft {
    fn from(draft: CreateDraft) -> Self {
        ProjectDraft {
            code: draft.code,
            name: draft.name,
            description: draft.description,
            client_name: draft.client_name,
            status: draft.status,
            start_date: draft.start_date.unwrap_or_default(),
            end_date: draft.end_date.unwrap_or_default(),
            budget_minutes: draft.budget_minutes,
        }
    }
}

/// `GET /projects/{id}`: the project with its assignments (history included).
#[utoipa::path(
    operation_id = "getProject",
    summary = "One project with its assignments (history included)",
    responses((status = 200, description = "The project", body = ProjectJson)),
)]
#[get("/projects/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let (p, assignees) = me
        .db()
        .read(move |conn| {
            let p = project::find_visible(conn, &access, id)?;
            let assignees = assignment::of_project(conn, id)?;
            Ok((p, assignees))
        })
        .await?;
    let mut body = project_json(&p);
    body.assignments = Some(assignees.iter().map(assignee_json).collect());
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProjectPatch)]
struct PatchBody {
    /// Reassign to this org (project.manage at both).
    org_id: Option<i64>,
    code: Option<String>,
    name: Option<String>,
    description: Option<String>,
    #[serde(alias = "client")]
    client_name: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(format = Date)]
    start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(format = Date)]
    end_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    budget_minutes: Option<Option<i64>>,
    /// Refuse with 409 if the project changed since this version.
    version: Option<i64>,
}

impl From<PatchBody> for ProjectEdit {
    fn from(body: PatchBody) -> Self {
        ProjectEdit {
            fields: ProjectPatch {
                code: body.code,
                name: body.name,
                description: body.description,
                client_name: body.client_name,
                status: body.status,
                start_date: body.start_date,
                end_date: body.end_date,
                budget_minutes: body.budget_minutes,
            },
            org_id: body.org_id,
            version: body.version,
        }
    }
}

/// `PATCH /projects/{id}`: fields, and `org_id` to reassign it (`project.manage`
/// at both ends), in one transaction.
#[utoipa::path(
    operation_id = "updateProject",
    summary = "Edit fields; org_id reassigns it (project.manage at both orgs)",
    responses((status = 200, description = "The project", body = ProjectJson)),
)]
#[patch("/projects/{id}")]
async fn update(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let edit = ProjectEdit::from(body.into_inner());
    let p = me
        .db()
        .write(move |conn| project::edit_as(conn, &access, &actor, id, edit))
        .await?;
    Ok(HttpResponse::Ok().json(project_json(&p)))
}

/// `DELETE /projects/{id}`: only a project nobody was ever assigned to.
#[utoipa::path(
    operation_id = "deleteProject",
    summary = "Delete a project nobody was ever assigned to (project.manage); 409 otherwise",
    responses((status = 204, description = "Deleted")),
)]
#[delete("/projects/{id}")]
async fn remove(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, access, actor, version) = (
        id.into_inner(),
        me.access.clone(),
        me.actor(),
        query.version,
    );
    me.db()
        .write(move |conn| project::delete_as(conn, &access, &actor, id, version))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AssignmentPut)]
struct AssignmentBody {
    #[serde(flatten)]
    draft: AssignmentDraft,
    /// When changing an assignment: refuse if it changed since.
    version: Option<i64>,
}

/// `GET /projects/{id}/assignments?q=&page=&per_page=`: the assignments
/// (history included) by the assignee's name, paged in SQL (the project
/// page's list).
#[utoipa::path(
    operation_id = "listAssignments",
    summary = "The project's assignments (history included) by the assignee's name, paged in SQL",
    params(PageQuery),
    responses((status = 200, description = "A page of assignments", body = ListBody<AssignmentJson>)),
)]
#[get("/projects/{id}/assignments")]
async fn list_assignments(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<SearchPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page, q) = query.parse()?;
    let (id, access) = (id.into_inner(), me.access.clone());
    let (items, total) = me
        .db()
        .read(move |conn| {
            project::find_visible(conn, &access, id)?;
            let offset = offset(page, per_page);
            assignment::of_project_page(conn, id, &q, offset, i64::from(per_page))
        })
        .await?;
    let items: Vec<AssignmentJson> = items.iter().map(assignee_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
}

/// `PUT /projects/{id}/assignments/{user_id}`: assigns for a period, or changes
/// the assignment that starts on `start_date`. 201 when new.
#[utoipa::path(
    operation_id = "putAssignment",
    summary = "Assign a user for a period, or change the assignment starting on start_date (project.assign)",
    responses(
        (status = 200, description = "The changed assignment", body = AssignmentJson),
        (status = 201, description = "The new assignment", body = AssignmentJson),
    ),
)]
#[put("/projects/{id}/assignments/{user_id}")]
async fn put_assignment(
    me: ApiUser,
    path: web::Path<(i64, i64)>,
    body: web::Json<AssignmentBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let AssignmentBody { draft, version } = body.into_inner();
    let who = AssigneeRef::Id(user_id);
    let (a, _, created) = me
        .db()
        .write(move |conn| project::assign_as(conn, &access, &actor, id, &who, &draft, version))
        .await?;
    let body = assignment_json(&a);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// `DELETE /projects/{id}/assignments/{user_id}`: ends the user's work on the
/// project today (history stays); an assignment not started yet is deleted.
#[utoipa::path(
    operation_id = "endAssignment",
    summary = "End the user's assignment today (kept as history); one not started yet is deleted (project.assign)",
    responses((status = 204, description = "Ended")),
)]
#[delete("/projects/{id}/assignments/{user_id}")]
async fn end_assignment(
    me: ApiUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let (id, user_id) = (ProjectId(id), UserId(user_id));
    let (access, actor) = (me.access.clone(), me.actor());
    let today = chrono::Utc::now().date_naive();
    me.db()
        .write(move |conn| project::end_assignment_as(conn, &access, &actor, id, user_id, today))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AssignmentPatch)]
struct AssignmentPatchBody {
    /// `member`, `approver` or `manager`.
    role: Option<String>,
    minutes_per_week: Option<i64>,
    /// May move earlier (back-dating) or later, never past logged hours.
    #[schema(format = Date)]
    start_date: Option<String>,
    /// `null`: open-ended.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(format = Date)]
    end_date: Option<Option<String>>,
    /// Refuse with 409 if the assignment changed since this version.
    version: Option<i64>,
}

impl From<AssignmentPatchBody> for assignment::AssignmentEdit {
    fn from(body: AssignmentPatchBody) -> Self {
        assignment::AssignmentEdit {
            role: body.role,
            minutes_per_week: body.minutes_per_week,
            start_date: body.start_date,
            end_date: body.end_date,
            version: body.version,
        }
    }
}

/// `PATCH /assignments/{id}`: an assignment's dates, allocation and role
/// (`project.assign` at its project). The end before the start, or a period
/// that would leave logged hours outside it, is 422 on the date field; a stale
/// version or an overlap with the person's other periods on the project 409.
#[utoipa::path(
    operation_id = "editAssignment",
    summary = "Change an assignment's dates, allocation and role (project.assign); never away from logged hours",
    responses((status = 200, description = "The changed assignment", body = AssignmentJson)),
)]
#[patch("/assignments/{id}")]
async fn edit_assignment(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<AssignmentPatchBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, edit) = (id.into_inner(), body.into_inner().into());
    let (access, actor) = (me.access.clone(), me.actor());
    let a = me
        .db()
        .write(move |conn| assignment::edit_as(conn, &access, &actor, id, &edit))
        .await?;
    Ok(HttpResponse::Ok().json(assignment_json(&a)))
}
