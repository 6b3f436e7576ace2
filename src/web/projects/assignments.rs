//! Assigning someone to a project from its page, and ending an assignment
//! (`project::assign_as`, `project::end_assignment_as`, as the API).

use super::*;

#[derive(Clone, Default, Deserialize)]
pub(super) struct AssignForm {
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) role: String,
    #[serde(default)]
    pub(super) hours_per_week: String,
    #[serde(default)]
    pub(super) start_date: String,
    #[serde(default)]
    pub(super) end_date: String,
}

/// The assignment form's hours a week as minutes (empty is none).
fn minutes_per_week(hours: &str) -> Result<i64, FieldErrors> {
    let hours = hours.trim();
    if hours.is_empty() {
        return Ok(0);
    }
    hours
        .parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && *h >= 0.0 && *h <= 1_000.0)
        .map(|h| (h * 60.0).round() as i64)
        .ok_or_else(|| FieldErrors::of("minutes_per_week", "Enter hours per week, from 0 to 168."))
}

impl AssignForm {
    /// The form as an assignment holds it (the edit page's first values).
    fn of(a: &assignment::Assignment) -> AssignForm {
        AssignForm {
            email: String::new(),
            role: a.role.as_str().into(),
            hours_per_week: crate::domain::timesheet::hours(i64::from(a.minutes_per_week)),
            start_date: a.start_date.to_string(),
            end_date: a.end_date.map(|e| e.to_string()).unwrap_or_default(),
        }
    }

    /// The whole edit the form asks for (an empty end is open-ended).
    fn edit(&self, version: Option<i64>) -> Result<assignment::AssignmentEdit, FieldErrors> {
        let end = self.end_date.trim();
        Ok(assignment::AssignmentEdit {
            role: Some(self.role.clone()),
            minutes_per_week: Some(minutes_per_week(&self.hours_per_week)?),
            start_date: Some(self.start_date.clone()),
            end_date: Some((!end.is_empty()).then(|| end.to_string())),
            version,
        })
    }
}

/// `POST /projects/{id}/assignments`: assign someone (by email), decided by
/// `project::assign_as` as `PUT /api/v1/projects/{id}/assignments/{user_id}`.
#[post("/projects/{id}/assignments")]
pub(super) async fn assign(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    changeable(&me, id, Permission::ProjectAssign).await?;
    let form = form.into_inner();
    let minutes = match minutes_per_week(&form.hours_per_week) {
        Ok(m) => m,
        Err(e) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_show(&me, id, status, form, GrantForm::new(), e).await;
        }
    };
    let draft = AssignmentDraft {
        role: form.role.clone(),
        minutes_per_week: Some(minutes),
        start_date: form.start_date.clone(),
        end_date: Some(form.end_date.clone()).filter(|d| !d.trim().is_empty()),
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let who = AssigneeRef::Email(form.email.clone());
    let outcome = me
        .db()
        .write(move |conn| project::assign_as(conn, &access, &actor, id, &who, &draft, None))
        .await;
    match outcome {
        Ok((_, assignee, _)) => {
            let name = assignee.display_name;
            me.ctx.flash("success", format!("{name} is assigned."))?;
            see_other(&format!("/projects/{id}"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_show(&me, id, status, form, GrantForm::new(), errors).await
        }
    }
}

/// `POST /projects/{id}/assignments/{user_id}/end`: ends it today, keeping
/// history (`project::end_assignment_as`, as the API's `DELETE`).
#[post("/projects/{id}/assignments/{user_id}/end")]
pub(super) async fn end_assignment(
    me: SignedIn,
    path: web::Path<(ProjectId, UserId)>,
) -> Result<HttpResponse, PageError> {
    let (id, user_id) = path.into_inner();
    let (access, actor, today) = (me.access.clone(), me.actor(), db::now().date());
    me.db()
        .write(move |conn| project::end_assignment_as(conn, &access, &actor, id, user_id, today))
        .await?;
    me.ctx
        .flash("success", "The assignment ends today; its history stays.")?;
    see_other(&format!("/projects/{id}"))
}

#[derive(Template)]
#[template(path = "projects/assignment_edit.html")]
struct EditAssignmentPage {
    layout: Layout,
    project: Project,
    assignment: assignment::Assignment,
    name: String,
    roles: &'static [ProjectRole],
    form: AssignForm,
    version: i64,
    errors: FieldErrors,
}

/// The edit page of assignment `aid` of project `id`, as the person may
/// change it (`assignment::find_for_change`; another project's id is not found).
async fn render_edit(
    me: &SignedIn,
    (id, aid): (i64, i64),
    status: StatusCode,
    typed: Option<(AssignForm, i64)>,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (a, p, name) = me
        .db()
        .read(move |conn| {
            let (a, p) = assignment::find_for_change(conn, &access, aid)?;
            let name = crate::domain::user::find(conn, a.user_id)?.display_name;
            Ok((a, p, name))
        })
        .await?;
    if p.id != id {
        return Err(Error::NotFound.into());
    }
    let (form, version) = typed.unwrap_or_else(|| (AssignForm::of(&a), a.version));
    let layout = me.ctx.layout(format!("{name} on {}", p.name), "projects")?;
    Ok(render(
        status,
        &EditAssignmentPage {
            layout,
            project: p,
            assignment: a,
            name,
            roles: ProjectRole::ALL,
            form,
            version,
            errors,
        },
    ))
}

/// `GET /projects/{id}/assignments/{aid}/edit`.
#[get("/projects/{id}/assignments/{aid}/edit")]
pub(super) async fn edit_form(
    me: SignedIn,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, PageError> {
    let ids = path.into_inner();
    render_edit(&me, ids, StatusCode::OK, None, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub(super) struct EditAssignmentForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    hours_per_week: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    version: Option<i64>,
}

impl EditAssignmentForm {
    /// The fields as the assign form holds them, and the version.
    fn split(self) -> (AssignForm, Option<i64>) {
        let form = AssignForm {
            email: String::new(),
            role: self.role,
            hours_per_week: self.hours_per_week,
            start_date: self.start_date,
            end_date: self.end_date,
        };
        (form, self.version)
    }
}

/// `POST /projects/{id}/assignments/{aid}/edit`: dates, allocation and role,
/// by `assignment::edit_as` (as `PATCH /api/v1/assignments/{id}`).
#[post("/projects/{id}/assignments/{aid}/edit")]
pub(super) async fn edit(
    me: SignedIn,
    path: web::Path<(i64, i64)>,
    body: web::Form<EditAssignmentForm>,
) -> Result<HttpResponse, PageError> {
    let (id, aid) = path.into_inner();
    let (form, version) = body.into_inner().split();
    let typed = Some((form.clone(), version.unwrap_or_default()));
    let edit = match form.edit(version) {
        Ok(edit) => edit,
        Err(e) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_edit(&me, (id, aid), status, typed, e).await;
        }
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| {
            // Only through its own project's path.
            if assignment::find(conn, aid)?.project_id != id {
                return Err(Error::NotFound);
            }
            assignment::edit_as(conn, &access, &actor, aid, &edit)
        })
        .await;
    match outcome {
        Ok(_) => {
            me.ctx.flash("success", "The assignment is saved.")?;
            see_other(&format!("/projects/{id}"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_edit(&me, (id, aid), status, typed, errors).await
        }
    }
}
