//! Project pages: the list with search and filters, one project (overview,
//! assignments, access), the forms that create, edit, move and assign, and
//! "My projects". Decisions go through `Access::can_project`: grants at the
//! project's org (or above) or at the project itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::error::form_errors;
use super::grant_form::GrantForm;
use super::layout::Layout;
use super::pager::{Pager, SearchQuery, fetch};
use super::pick::{Kind, Picker, org_value, resolve, resolve_required};
use super::users::{org_paths, with_org_paths};
use super::{PageError, SignedIn, page, render, see_other};
use crate::authz::Permission;
use crate::db;
use crate::domain::assignment::{self, Assignee, AssignmentDraft, ProjectRole};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::project::{
    self, AssigneeRef, Project, ProjectDraft, ProjectEdit, ProjectFilter, ProjectStatus,
};
use crate::error::{Error, FieldErrors};

mod assignments;
use assignments::AssignForm;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(mine)
        .service(new_form)
        .service(create)
        .service(show)
        .service(edit_form)
        .service(edit)
        .service(assignments::assign)
        .service(assignments::end_assignment)
        .service(assignments::edit_form)
        .service(assignments::edit)
        .service(add_grant);
}

pub struct ProjectRow {
    pub project: Project,
    pub org_path: String,
}

#[derive(Template)]
#[template(path = "projects/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ProjectRow>,
    q: String,
    status: String,
    org_id: String,
    pager: Pager,
    can_create: bool,
}

const PER_PAGE: usize = 50;

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    org_id: Option<i64>,
    page: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ProjectFilter {
        ProjectFilter {
            org_id: self.org_id,
            status: ProjectStatus::parse(self.status.as_deref().unwrap_or_default()),
            q: Some(self.q.clone().unwrap_or_default()),
        }
    }
}

/// `GET /projects?q=&status=&org_id=` (org subtree).
#[get("/projects")]
async fn list(me: SignedIn, query: web::Query<ListQuery>) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let q = query.q.clone().unwrap_or_default();
    let status_text = query.status.clone().unwrap_or_default();
    let filter = query.filter();
    if let Some(o) = query.org_id {
        me.access.require_visible(o)?;
    }
    let access = me.access.clone();
    let page_no = super::page_number(query.page.as_deref());
    let (rows, total, page_no) = me
        .db()
        .read(move |conn| {
            let (found, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                project::visible_page(conn, &access, &filter, offset, limit)
            })?;
            let rows = with_org_paths(conn, &access, found, |p| p.org_id)?
                .into_iter()
                .map(|(project, org_path)| ProjectRow { project, org_path })
                .collect::<Vec<_>>();
            Ok((rows, total, page_no))
        })
        .await?;
    let org_id = query.org_id.map(|o| o.to_string()).unwrap_or_default();
    let params = [
        ("q", q.as_str()),
        ("status", status_text.as_str()),
        ("org_id", org_id.as_str()),
    ];
    let pager = Pager::new("/projects", &params, page_no, PER_PAGE, total);
    page(&ListPage {
        layout: me.ctx.layout("Projects", "projects")?,
        rows,
        q,
        status: status_text,
        org_id,
        pager,
        can_create: me.access.anywhere(Permission::ProjectManage),
    })
}

#[derive(Template)]
#[template(path = "projects/mine.html")]
struct MinePage {
    layout: Layout,
    /// Each assignment with hours logged this week and this month.
    rows: Vec<(assignment::Assignment, Project, String, String)>,
    week_start: chrono::NaiveDate,
    month: String,
}

/// `GET /my/projects`: the signed-in person's current assignments.
#[get("/my/projects")]
async fn mine(me: SignedIn) -> Result<HttpResponse, PageError> {
    let user = me.user.clone();
    let today = db::now().date();
    let (rows, week_start) = me
        .db()
        .read(move |conn| {
            use crate::domain::timesheet;
            use chrono::Datelike;
            let rules = timesheet::rules(conn, user.org_id)?;
            let week_start = timesheet::week_start_of(today, rules.week_start);
            let month_start = today.with_day(1).unwrap_or(today);
            let week = timesheet::minutes_by_project(
                conn,
                user.id,
                week_start,
                week_start + chrono::Duration::days(6),
            )?;
            let month = timesheet::minutes_by_project(conn, user.id, month_start, today)?;
            let rows = assignment::current_for_user(conn, user.id, today)?
                .into_iter()
                .map(|(a, p)| {
                    let w = timesheet::hours(week.get(&p.id).copied().unwrap_or(0));
                    let m = timesheet::hours(month.get(&p.id).copied().unwrap_or(0));
                    (a, p, w, m)
                })
                .collect();
            Ok((rows, week_start))
        })
        .await?;
    page(&MinePage {
        layout: me.ctx.layout("My projects", "my-projects")?,
        rows,
        week_start,
        month: today.format("%B %Y").to_string(),
    })
}

#[derive(Template)]
#[template(path = "projects/form.html")]
struct FormPage {
    layout: Layout,
    project: Option<Project>,
    org_picker: Picker,
    draft: ProjectDraft,
    errors: FieldErrors,
}

#[derive(Default, Deserialize)]
struct ProjectForm {
    #[serde(default)]
    org_id: String,
    #[serde(flatten)]
    draft: FormDraft,
    version: Option<i64>,
}

/// The form's fields as typed (budget in hours, as people think of it).
#[derive(Default, Deserialize, Clone)]
struct FormDraft {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    client_name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    budget_hours: String,
}

impl FormDraft {
    fn into_draft(self) -> Result<ProjectDraft, FieldErrors> {
        let budget = self.budget_hours.trim();
        let budget_minutes = if budget.is_empty() {
            None
        } else {
            match budget.parse::<f64>() {
                Ok(h) if h.is_finite() && (0.0..=166_666.0).contains(&h) => {
                    Some((h * 60.0).round() as i64)
                }
                _ => {
                    return Err(FieldErrors::of(
                        "budget_minutes",
                        "Enter the budget in hours, from 0 to 166,666.",
                    ));
                }
            }
        };
        Ok(ProjectDraft {
            code: self.code,
            name: self.name,
            description: self.description,
            client_name: self.client_name,
            status: self.status,
            start_date: self.start_date,
            end_date: self.end_date,
            budget_minutes,
        })
    }
}

async fn render_form(
    me: &SignedIn,
    project: Option<Project>,
    org_id: String,
    draft: ProjectDraft,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    if project.is_none() && !me.access.anywhere(Permission::ProjectManage) {
        return Err(Error::NotFound.into());
    }
    let org_picker = Picker::org("org_id", "Organization", Permission::ProjectManage)
        .value(org_id)
        .required()
        .errors(&errors);
    let title = match &project {
        Some(p) => format!("Edit {}", p.name),
        None => "New project".to_string(),
    };
    Ok(render(
        status,
        &FormPage {
            layout: me.ctx.layout(title, "projects")?,
            project,
            org_picker,
            draft,
            errors,
        },
    ))
}

/// `GET /projects/new`.
#[get("/projects/new")]
async fn new_form(me: SignedIn, query: web::Query<ListQuery>) -> Result<HttpResponse, PageError> {
    let org_id = org_value(&me, query.org_id).await?;
    let draft = ProjectDraft {
        status: "active".into(),
        ..Default::default()
    };
    render_form(&me, None, org_id, draft, StatusCode::OK, FieldErrors::new()).await
}

/// `POST /projects/new`.
#[post("/projects/new")]
async fn create(me: SignedIn, form: web::Form<ProjectForm>) -> Result<HttpResponse, PageError> {
    let ProjectForm {
        org_id: typed,
        draft,
        ..
    } = form.into_inner();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let draft = match draft.into_draft() {
        Ok(d) => d,
        Err(e) => {
            let blank = ProjectDraft::default();
            return render_form(&me, None, typed, blank, unprocessable, e).await;
        }
    };
    let kind = Kind::Org(Permission::ProjectManage);
    let why = "Choose the organization the project belongs to.";
    let org_id = match resolve_required(&me, kind, "org_id", &typed, why).await? {
        Ok(id) => id,
        Err(e) => return render_form(&me, None, typed, draft, unprocessable, e).await,
    };
    let (access, actor, asked) = (me.access.clone(), me.actor(), draft.clone());
    let created = me
        .db()
        .write(move |conn| project::create_as(conn, &access, &actor, org_id, &asked))
        .await;
    match created {
        Ok(p) => {
            me.ctx
                .flash("success", format!("Project {} is created.", p.name))?;
            see_other(&format!("/projects/{}", p.id))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "org_id")?;
            render_form(&me, None, typed, draft, status, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "projects/show.html")]
struct ShowPage {
    layout: Layout,
    project: Project,
    org_path: String,
    /// One page of the assignments, matching `q` (the assignee).
    assignees: Vec<Assignee>,
    q: String,
    pager: Pager,
    grants: Vec<crate::domain::grant::GrantView>,
    /// Grants reaching the project from its org and above (the first ones,
    /// and how many in all), for those who may read the access there.
    inherited: Option<(crate::domain::access::EffectiveAccess, i64)>,
    activity: Vec<crate::domain::audit::Entry>,
    can_manage: bool,
    can_assign: bool,
    roles: &'static [ProjectRole],
    form: AssignForm,
    /// May grant roles at this project (the server checks each grant again).
    can_grant: bool,
    grant_roles: Vec<crate::domain::role::Role>,
    grant_form: GrantForm,
    my_id: i64,
    errors: FieldErrors,
    /// Where the assign form's start date begins: this week's first day.
    assign_from: chrono::NaiveDate,
    /// Minutes logged on the project, for those who may see time there.
    logged: Option<i64>,
}

async fn render_show(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    form: AssignForm,
    grant_form: GrantForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let asked = SearchQuery::default();
    render_show_listed(me, id, status, asked, form, grant_form, errors).await
}

/// How many of the grants reaching a project from above its page lists (the
/// rest are on its org's Access tab).
const INHERITED_SHOWN: i64 = 10;

/// The project page with the assignments of `list` (50 a page, paged in SQL).
async fn render_show_listed(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    asked: SearchQuery,
    form: AssignForm,
    grant_form: GrantForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let (q, page_no) = (asked.q(), asked.page());
    let needle = q.clone();
    let access = me.access.clone();
    let (
        p,
        org_path,
        (assignees, total, page_no),
        (grants, inherited),
        activity,
        (logged, assign_from),
        (can_grant, grant_roles),
    ) = me
        .db()
        .read(move |conn| {
            let p = project::find_visible(conn, &access, id)?;
            let org_path = org_paths(conn, &access, &[p.org_id])?
                .remove(&p.org_id)
                .unwrap_or_default();
            let assignees = fetch(page_no, PER_PAGE, |offset, limit| {
                assignment::of_project_page(conn, id, &needle, offset, limit)
            })?;
            let grants = if access.can(Permission::AccessView, p.org_id) {
                let filter = crate::domain::grant::GrantFilter {
                    project_id: Some(id),
                    ..Default::default()
                };
                crate::domain::grant::matching(conn, &filter)?
            } else {
                vec![]
            };
            let inherited = crate::domain::access::inherited_by_project(
                conn,
                &access,
                p.org_id,
                INHERITED_SHOWN,
            )?;
            // The project's own trail, for those who may read the audit log there.
            let activity = if access.can(Permission::AuditView, p.org_id) {
                crate::domain::audit::recent_for_target(
                    conn,
                    crate::domain::audit::Target::Project,
                    id,
                    20,
                )?
            } else {
                vec![]
            };
            let sees_time = access.can_project(Permission::TimeView, id)
                || access.can_project(Permission::ProjectManage, id);
            let logged = if sees_time {
                Some(crate::domain::timesheet::minutes_on_project(conn, id)?)
            } else {
                None
            };
            // A new assignment starts with this week (by the project's org),
            // so the days of it already worked can be logged.
            let rules = crate::domain::timesheet::rules(conn, p.org_id)?;
            let assign_from =
                crate::domain::timesheet::week_start_of(db::now().date(), rules.week_start);
            // Grants at a project are decided at its org (`grant::grant_as`).
            let can_grant = access.can(Permission::AccessManage, p.org_id);
            let grant_roles = if can_grant {
                crate::domain::grant::grantable_roles(conn, &access, p.org_id, false)?
            } else {
                vec![]
            };
            Ok((
                p,
                org_path,
                assignees,
                (grants, inherited),
                activity,
                (logged, assign_from),
                (can_grant, grant_roles),
            ))
        })
        .await?;
    Ok(render(
        status,
        &ShowPage {
            layout: me.ctx.layout(p.name.clone(), "projects")?,
            can_manage: me.access.can_project(Permission::ProjectManage, id),
            can_assign: me.access.can_project(Permission::ProjectAssign, id),
            project: p,
            org_path,
            assignees,
            pager: Pager::new(
                &format!("/projects/{id}"),
                &[("q", q.as_str())],
                page_no,
                PER_PAGE,
                total,
            ),
            q,
            grants,
            inherited,
            activity,
            roles: ProjectRole::ALL,
            form,
            can_grant,
            grant_roles,
            grant_form,
            my_id: me.user.id,
            errors,
            assign_from,
            logged,
        },
    ))
}

/// `GET /projects/{id}`.
#[get("/projects/{id}")]
async fn show(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let form = AssignForm {
        role: "member".into(),
        ..Default::default()
    };
    render_show_listed(
        &me,
        id.into_inner(),
        StatusCode::OK,
        query.into_inner(),
        form,
        GrantForm::new(),
        FieldErrors::new(),
    )
    .await
}

/// The project, when the person may change it with `perm` (`project::require_change`).
async fn changeable(me: &SignedIn, id: i64, perm: Permission) -> Result<Project, PageError> {
    let access = me.access.clone();
    Ok(me
        .db()
        .read(move |conn| project::find_for_change(conn, &access, id, perm))
        .await?)
}

/// `GET /projects/{id}/edit`.
#[get("/projects/{id}/edit")]
async fn edit_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let p = changeable(&me, id.into_inner(), Permission::ProjectManage).await?;
    let draft = ProjectDraft::from_project(&p);
    let org_id = org_value(&me, Some(p.org_id)).await?;
    render_form(
        &me,
        Some(p),
        org_id,
        draft,
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

/// `POST /projects/{id}/edit`: fields, and a move when the org changed, decided
/// by `project::edit_as` exactly as `PATCH /api/v1/projects/{id}`.
#[post("/projects/{id}/edit")]
async fn edit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<ProjectForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let p = changeable(&me, id, Permission::ProjectManage).await?;
    let (typed, version) = (form.org_id.clone(), form.version);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let draft = match form.into_inner().draft.into_draft() {
        Ok(d) => d,
        Err(e) => {
            let blank = ProjectDraft::default();
            return render_form(&me, Some(p), typed, blank, unprocessable, e).await;
        }
    };
    // Any org the viewer sees resolves; `edit_as` decides whether it may be the new one.
    let new_org = match resolve(&me, Kind::Org(Permission::OrgView), "org_id", &typed).await? {
        Ok(org) => org.unwrap_or(p.org_id),
        Err(e) => return render_form(&me, Some(p), typed, draft, unprocessable, e).await,
    };
    let edit = edit_of(&draft, new_org, version);
    let (access, actor, moving) = (me.access.clone(), me.actor(), new_org != p.org_id);
    let outcome = me
        .db()
        .write(move |conn| project::edit_as(conn, &access, &actor, id, edit))
        .await;
    match outcome {
        Ok(updated) => {
            me.ctx
                .flash("success", format!("Project {} is saved.", updated.name))?;
            see_other(&format!("/projects/{id}"))
        }
        Err(e) => {
            let (status, errors) = form_errors(refused_org(e, moving), "form")?;
            render_form(&me, Some(p), typed, draft, status, errors).await
        }
    }
}

/// The edit the form asks for: its fields, and the org (a move when it changed).
fn edit_of(draft: &ProjectDraft, org_id: i64, version: Option<i64>) -> ProjectEdit {
    ProjectEdit {
        fields: draft.clone().into(),
        org_id: Some(org_id),
        version,
    }
}

/// The project was already allowed, so a 404 or 403 while moving is about the
/// new org: a message on the org field, as for any org not offered.
fn refused_org(e: Error, moving: bool) -> Error {
    match e {
        Error::NotFound | Error::Forbidden(_) if moving => {
            FieldErrors::single("org_id", "Choose one of the listed organizations.")
        }
        e => e,
    }
}

/// `POST /projects/{id}/grants`: give a user (by email) a role at this project
/// only, by the same rule as at an org.
#[post("/projects/{id}/grants")]
async fn add_grant(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let access = me.access.clone();
    let project = me
        .db()
        .read(move |conn| project::find_visible(conn, &access, id))
        .await?;
    me.access
        .require(Permission::AccessManage, project.org_id)?;
    match form
        .submit(&me, crate::domain::grant::Scope::Project(id))
        .await?
    {
        Ok(message) => {
            me.ctx.flash("success", message)?;
            see_other(&format!("/projects/{id}#grants"))
        }
        Err((status, errors)) => {
            let assignment_form = AssignForm {
                role: "member".into(),
                ..Default::default()
            };
            render_show(&me, id, status, assignment_form, form, errors).await
        }
    }
}
