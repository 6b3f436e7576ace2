//! `/api/v1/projects`: projects and their assignments.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{double_option, time};
use super::list::{ListBody, PageQuery, SearchPageQuery, offset};
use super::{ApiError, ApiUser};
use crate::domain::assignment::{self, Assignee, Assignment, AssignmentDraft};
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
        .service(end_assignment);
}

fn date(d: Option<chrono::NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| Value::String(d.to_string()))
}

fn project_json(p: &Project) -> Value {
    json!({
        "id": p.id, "org_id": p.org_id, "code": p.code, "name": p.name,
        "description": p.description, "client": p.client_name, "client_name": p.client_name,
        "status": p.status, "start_date": date(p.start_date), "end_date": date(p.end_date),
        "budget_minutes": p.budget_minutes, "version": p.version,
        "created_at": time(p.created_at), "updated_at": time(p.updated_at),
    })
}

fn assignment_json(a: &Assignment) -> Value {
    json!({
        "id": a.id, "project_id": a.project_id, "user_id": a.user_id, "role": a.role,
        "minutes_per_week": a.minutes_per_week, "start_date": a.start_date.to_string(),
        "end_date": date(a.end_date), "version": a.version,
        "created_at": time(a.created_at), "updated_at": time(a.updated_at),
    })
}

fn assignee_json(a: &Assignee) -> Value {
    let mut v = assignment_json(&a.assignment);
    v["display_name"] = json!(a.display_name);
    v
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    org_id: Option<i64>,
    status: Option<String>,
    q: Option<String>,
}

/// `GET /projects?org_id=&status=&q=`: projects visible to the caller; `org_id`
/// takes its whole subtree.
#[get("/projects")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(ProjectStatus::parse(s).ok_or_else(|| {
            FieldErrors::single("status", "Status must be active, closed or archived.")
        })?),
    };
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
        items: found.iter().map(project_json).collect::<Vec<Value>>(),
        page,
        per_page,
        total: usize::try_from(total).unwrap_or(0),
    }))
}

#[derive(Deserialize)]
struct CreateBody {
    org_id: Option<i64>,
    #[serde(flatten)]
    draft: CreateDraft,
}

/// The create body: like [`ProjectDraft`], with dates that may be null.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateDraft {
    code: String,
    name: String,
    description: String,
    #[serde(alias = "client")]
    client_name: String,
    status: String,
    start_date: Option<String>,
    end_date: Option<String>,
    budget_minutes: Option<i64>,
}

/// `POST /projects`.
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
    body["assignments"] = Value::Array(assignees.iter().map(assignee_json).collect());
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    org_id: Option<i64>,
    code: Option<String>,
    name: Option<String>,
    description: Option<String>,
    #[serde(alias = "client")]
    client_name: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    end_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    budget_minutes: Option<Option<i64>>,
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

#[derive(Deserialize)]
struct VersionQuery {
    version: Option<i64>,
}

/// `DELETE /projects/{id}`: only a project nobody was ever assigned to.
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

#[derive(Deserialize)]
struct AssignmentBody {
    #[serde(flatten)]
    draft: AssignmentDraft,
    version: Option<i64>,
}

/// `GET /projects/{id}/assignments?q=&page=&per_page=`: the assignments
/// (history included) by the assignee's name, paged in SQL (the project
/// page's list).
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
    let items: Vec<Value> = items.iter().map(assignee_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
}

/// `PUT /projects/{id}/assignments/{user_id}`: assigns for a period, or changes
/// the assignment that starts on `start_date`. 201 when new.
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
#[delete("/projects/{id}/assignments/{user_id}")]
async fn end_assignment(
    me: ApiUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let today = chrono::Utc::now().date_naive();
    me.db()
        .write(move |conn| project::end_assignment_as(conn, &access, &actor, id, user_id, today))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
