//! Assigning someone to a project from its page, and ending an assignment
//! (`project::assign_as`, `project::end_assignment_as`, as the API).

use super::*;

#[derive(Default, Deserialize)]
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
