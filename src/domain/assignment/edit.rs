//! Changing an assignment's period, allocation and role after the fact, for
//! both faces (the project page's edit form, `PATCH /api/v1/assignments/{id}`).
//! The period may move earlier (back-dating) or later, but never away from
//! hours already logged in it: those would lose the assignment they were
//! logged under.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::*;
use crate::authz::{Access, Permission};
use crate::db::schema::time_entries;

/// What an edit asks to change; what it leaves out stays.
#[derive(Clone, Debug, Default)]
pub struct AssignmentEdit {
    pub role: Option<String>,
    pub minutes_per_week: Option<i64>,
    pub start_date: Option<String>,
    /// `Some(None)`: open-ended.
    pub end_date: Option<Option<String>>,
    /// Refuse (409) when the assignment changed since.
    pub version: Option<i64>,
}

impl AssignmentEdit {
    /// The whole draft: what is asked for over what `a` holds.
    fn over(&self, a: &Assignment) -> AssignmentDraft {
        AssignmentDraft {
            role: self.role.clone().unwrap_or_else(|| a.role.as_str().into()),
            minutes_per_week: Some(
                self.minutes_per_week
                    .unwrap_or(i64::from(a.minutes_per_week)),
            ),
            start_date: self
                .start_date
                .clone()
                .unwrap_or_else(|| a.start_date.to_string()),
            end_date: match &self.end_date {
                Some(end) => end.clone(),
                None => a.end_date.map(|e| e.to_string()),
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.minutes_per_week.is_none()
            && self.start_date.is_none()
            && self.end_date.is_none()
    }
}

/// The assignment `id` of a project the person may see (else not found),
/// with the project; changing it takes `project.assign` there (403), and an
/// archived org keeps it as it is (409).
pub fn find_for_change(conn: &mut Conn, access: &Access, id: i64) -> Result<(Assignment, Project)> {
    let a = find(conn, id)?;
    let p = project::find(conn, a.project_id)?;
    project::require_change(conn, access, &p, Permission::ProjectAssign)?;
    crate::domain::user::find_visible(conn, access, a.user_id)?;
    Ok((a, p))
}

/// Changes an assignment as a person: [`find_for_change`], the values as
/// [`AssignmentDraft::validate`] checks a new one (422: the end before the
/// start, an allocation out of range, an unknown role), the version (409), no
/// overlap with the same person's other periods on the project (409), and no
/// hours logged in the old period left outside the new one (422 on the date
/// that would leave them).
pub fn edit_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    edit: &AssignmentEdit,
) -> Result<Assignment> {
    let (a, p) = find_for_change(conn, access, id)?;
    if edit.is_empty() {
        return Err(FieldErrors::single("body", "Nothing to change."));
    }
    let values = edit.over(&a).validate()?;
    lock_project(conn, p.id)?;
    if p.status() != ProjectStatus::Active {
        return Err(Error::conflict(format!(
            "This project is {}; its assignments stay as they are.",
            p.status
        )));
    }
    if edit.version.is_some_and(|v| v != a.version) {
        return Err(Error::stale());
    }
    if let Some(clash) = of_user_on(conn, p.id, a.user_id)?
        .into_iter()
        .filter(|o| o.id != a.id)
        .find(|o| o.overlaps(values.start_date, values.end_date))
    {
        return Err(overlap_conflict(&clash));
    }
    require_keeps_logged_hours(conn, &a, &values)?;
    let changed = diesel::update(
        project_assignments::table
            .find(a.id)
            .filter(project_assignments::version.eq(a.version)),
    )
    .set((
        Terms::of(&values),
        project_assignments::start_date.eq(values.start_date),
        project_assignments::version.eq(project_assignments::version + 1),
        project_assignments::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(Error::stale());
    }
    let after = find(conn, a.id)?;
    epoch::bump_user(conn, a.user_id)?;
    audit::record(
        conn,
        actor,
        Event::new("project.assignment_changed", Target::Project, Some(p.id))
            .org(p.org_id)
            .before(json!({"assignment": a}))
            .after(json!({"assignment": after})),
    )?;
    Ok(after)
}

/// Hours the person logged on the project inside `a`'s period must stay inside
/// the new one: the first day that would fall out is named, on the date field
/// that would drop it.
fn require_keeps_logged_hours(
    conn: &mut Conn,
    a: &Assignment,
    values: &AssignmentValues,
) -> Result<()> {
    let logged = |conn: &mut Conn, from: NaiveDate, to: Option<NaiveDate>, first: bool| {
        let mut q = time_entries::table
            .filter(time_entries::user_id.eq(a.user_id))
            .filter(time_entries::project_id.eq(a.project_id))
            .filter(time_entries::minutes.gt(0))
            .filter(time_entries::entry_date.ge(from))
            .select(time_entries::entry_date)
            .into_boxed();
        if let Some(to) = to {
            q = q.filter(time_entries::entry_date.le(to));
        }
        q = if first {
            q.order(time_entries::entry_date.asc())
        } else {
            q.order(time_entries::entry_date.desc())
        };
        q.first::<NaiveDate>(conn).optional()
    };
    // Before the new start, within the old period.
    if values.start_date > a.start_date {
        let to = values.start_date.pred_opt();
        if let Some(day) = logged(conn, a.start_date, to, true)? {
            return Err(FieldErrors::single(
                "start_date",
                format!(
                    "Hours are logged on {day}, before this start: start on {day} or earlier, \
                     or remove those hours first."
                ),
            ));
        }
    }
    // After the new end, within the old period.
    if let Some(end) = values.end_date
        && a.end_date.is_none_or(|old| old > end)
        && let Some(day) = logged(conn, end.succ_opt().unwrap_or(end), a.end_date, false)?
    {
        return Err(FieldErrors::single(
            "end_date",
            format!(
                "Hours are logged on {day}, after this end: end on {day} or later, \
                 or remove those hours first."
            ),
        ));
    }
    Ok(())
}
