//! Assignments: a user on a project for a period, with an allocation and a project
//! role. Periods of one user on one project never overlap; an assignment is
//! identified by its start date. Ending one keeps the row (history); only one that
//! has not started yet is deleted. Project roles feed the resolver, so every change
//! bumps the assignee's epoch.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::{
    self, Conn,
    schema::{project_assignments, projects, users},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::project::{self, Project, ProjectStatus};
use crate::domain::user::User;
use crate::domain::validate::{date, optional_date};
use crate::domain::{epoch, org};
use crate::error::{Error, FieldErrors, Result};

mod edit;
pub use edit::{AssignmentEdit, edit_as, find_for_change};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = project_assignments)]
pub struct Assignment {
    pub id: i64,
    pub project_id: i64,
    pub user_id: i64,
    pub role: ProjectRole,
    pub minutes_per_week: i32,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Assignment {
    /// True when the period covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.start_date <= date && self.end_date.is_none_or(|e| e >= date)
    }

    fn overlaps(&self, start: NaiveDate, end: Option<NaiveDate>) -> bool {
        overlap((self.start_date, self.end_date), (start, end))
    }
}

/// True when two periods (`None` = open-ended) share a day.
fn overlap(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.1.is_none_or(|ae| b.0 <= ae) && b.1.is_none_or(|be| a.0 <= be)
}

crate::text_enum! {
    /// The role someone has on a project (`project_assignments.role`).
    pub enum ProjectRole {
        Member = "member",
        Approver = "approver",
        Manager = "manager",
    }
}

/// 168 hours: a week has no more.
pub const MAX_MINUTES_PER_WEEK: i64 = 7 * 24 * 60;

/// An assignment as typed, before validation.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AssignmentDraft {
    /// `member`, `approver` or `manager`.
    pub role: String,
    pub minutes_per_week: Option<i64>,
    pub start_date: String,
    pub end_date: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub struct AssignmentValues {
    pub role: ProjectRole,
    pub minutes_per_week: i32,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// What putting an assignment writes besides who and from when: one struct,
/// so that a new assignment and a changed one write the same columns (an
/// open end is NULL).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = project_assignments, treat_none_as_null = true)]
struct Terms {
    role: ProjectRole,
    minutes_per_week: i32,
    end_date: Option<NaiveDate>,
}

impl Terms {
    fn of(values: &AssignmentValues) -> Self {
        Terms {
            role: values.role,
            minutes_per_week: values.minutes_per_week,
            end_date: values.end_date,
        }
    }
}

impl AssignmentDraft {
    pub fn validate(&self) -> Result<AssignmentValues> {
        let mut errors = FieldErrors::new();
        let role = ProjectRole::parse(&self.role).unwrap_or_else(|| {
            errors.add("role", "Role must be member, approver or manager.");
            ProjectRole::Member
        });
        let minutes_per_week = match self.minutes_per_week {
            None => {
                errors.add("minutes_per_week", "minutes_per_week is required.");
                0
            }
            Some(m) => i32::try_from(m)
                .ok()
                .filter(|m| (0..=MAX_MINUTES_PER_WEEK).contains(&i64::from(*m)))
                .unwrap_or_else(|| {
                    errors.add(
                        "minutes_per_week",
                        format!(
                            "The allocation must be from 0 to {MAX_MINUTES_PER_WEEK} minutes (168 hours) a week."
                        ),
                    );
                    0
                }),
        };
        let start_date = date(&self.start_date, "Start date")
            .map_err(|m| errors.add("start_date", m))
            .ok();
        let end_date = optional_date(self.end_date.as_deref().unwrap_or(""), "End date")
            .map_err(|m| errors.add("end_date", m))
            .unwrap_or_default();
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            errors.add("end_date", "The end date cannot be before the start date.");
        }
        errors.into_result()?;
        let start_date = start_date.ok_or_else(|| Error::internal("validated date lost"))?;
        Ok(AssignmentValues {
            role,
            minutes_per_week,
            start_date,
            end_date,
        })
    }
}

/// An assignment as listed on its project, with the assignee's name.
#[derive(Clone, Debug, Serialize)]
pub struct Assignee {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub display_name: String,
}

/// Every assignment of a project (history included), current ones first by name.
pub fn of_project(conn: &mut Conn, project_id: i64) -> Result<Vec<Assignee>> {
    let rows: Vec<(Assignment, String)> = project_assignments::table
        .inner_join(users::table)
        .filter(project_assignments::project_id.eq(project_id))
        .order((
            users::display_name,
            users::id,
            project_assignments::start_date,
        ))
        .select((Assignment::as_select(), users::display_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(assignment, display_name)| Assignee {
            assignment,
            display_name,
        })
        .collect())
}

/// One page of a project's assignments (history included) in the order of
/// [`of_project`], narrowed by `q` (the assignee's name or email), with the
/// number of all matches.
pub fn of_project_page(
    conn: &mut Conn,
    project_id: i64,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Assignee>, i64)> {
    let pattern = crate::domain::user::search_pattern(q);
    let query = || {
        let query = project_assignments::table
            .inner_join(users::table)
            .filter(project_assignments::project_id.eq(project_id))
            .into_boxed();
        match pattern.clone() {
            None => query,
            Some(p) => query.filter(crate::domain::user::name_or_email_sql!(p)),
        }
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<(Assignment, String)> = query()
        .order((
            users::display_name,
            users::id,
            project_assignments::start_date,
            project_assignments::id,
        ))
        .offset(offset)
        .limit(limit)
        .select((Assignment::as_select(), users::display_name))
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|(assignment, display_name)| Assignee {
            assignment,
            display_name,
        })
        .collect();
    Ok((rows, total))
}

fn of_user_on(conn: &mut Conn, project_id: i64, user_id: i64) -> Result<Vec<Assignment>> {
    Ok(project_assignments::table
        .filter(project_assignments::project_id.eq(project_id))
        .filter(project_assignments::user_id.eq(user_id))
        .order(project_assignments::start_date)
        .select(Assignment::as_select())
        .load(conn)?)
}

/// A user's assignments covering `date`, with their projects.
pub fn current_for_user(
    conn: &mut Conn,
    user_id: i64,
    date: NaiveDate,
) -> Result<Vec<(Assignment, Project)>> {
    overlapping(conn, user_id, date, date)
}

/// A user's assignments covering any day from `from` to `to`, with their projects.
pub fn overlapping(
    conn: &mut Conn,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Assignment, Project)>> {
    Ok(project_assignments::table
        .inner_join(projects::table)
        .filter(project_assignments::user_id.eq(user_id))
        .filter(project_assignments::start_date.le(to))
        .filter(
            project_assignments::end_date
                .is_null()
                .or(project_assignments::end_date.ge(from)),
        )
        .order((projects::name, projects::id))
        .select((Assignment::as_select(), Project::as_select()))
        .load(conn)?)
}

/// True when the user may work on the project: at home in the project's org
/// subtree, or holding a live grant there (a guest), directly or through a group.
pub fn is_eligible(conn: &mut Conn, user: &User, project: &Project) -> Result<bool> {
    if org::is_within(conn, user.org_id, project.org_id)? {
        return Ok(true);
    }
    let now = db::now();
    let held = crate::domain::grant::held_by(conn, user.id)?;
    for g in held.into_iter().filter(|g| g.is_live(now)) {
        if g.project_id == Some(project.id) {
            return Ok(true);
        }
        if let Some(o) = g.org_id {
            // A grant inside the project's subtree, or one above it that reaches it.
            let inside = org::is_within(conn, o, project.org_id)?;
            let reaches =
                o == project.org_id || (g.descendants && org::is_within(conn, project.org_id, o)?);
            if inside || reaches {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Serializes assignment changes on one project, so two concurrent requests
/// cannot both pass the overlap check. SQLite writers are already queued.
fn lock_project(conn: &mut Conn, project_id: i64) -> Result<()> {
    if let db::AnyConnection::Postgresql(c) = conn {
        projects::table
            .find(project_id)
            .select(projects::id)
            .for_update()
            .first::<i64>(c)?;
    }
    Ok(())
}

/// The 409 for a period that would share a day with `clash`, another period
/// of the same person on the project.
fn overlap_conflict(clash: &Assignment) -> Error {
    let until = clash
        .end_date
        .map_or("open-ended".to_string(), |e| format!("until {e}"));
    Error::Conflict {
        message: format!(
            "This person is already assigned to this project from {} ({until}); periods may not overlap.",
            clash.start_date
        ),
        details: Some(json!({"overlaps": clash.id})),
    }
}

/// Assigns `user` to the project for a period, or changes the assignment that
/// starts on the same day. Answers the assignment and whether it is new.
pub fn put(
    conn: &mut Conn,
    actor: &Actor,
    project_id: i64,
    user: &User,
    values: &AssignmentValues,
    version: Option<i64>,
) -> Result<(Assignment, bool)> {
    lock_project(conn, project_id)?;
    let project = project::find(conn, project_id)?;
    if project.status() != ProjectStatus::Active {
        return Err(Error::conflict(format!(
            "This project is {}; it takes no assignments.",
            project.status
        )));
    }
    if org::is_frozen(conn, project.org_id)? {
        return Err(Error::conflict(
            "This project's organization is archived; it takes no assignments.",
        ));
    }
    if user.status == crate::domain::user::UserStatus::Deactivated {
        return Err(FieldErrors::single(
            "user_id",
            "A deactivated user cannot be assigned.",
        ));
    }
    if !is_eligible(conn, user, &project)? {
        return Err(FieldErrors::single(
            "user_id",
            "Only people of this project's organization, or guests granted access there, can be assigned.",
        ));
    }
    let existing = of_user_on(conn, project_id, user.id)?;
    let same = existing
        .iter()
        .find(|a| a.start_date == values.start_date)
        .cloned();
    if let Some(clash) = existing
        .iter()
        .filter(|a| a.start_date != values.start_date)
        .find(|a| a.overlaps(values.start_date, values.end_date))
    {
        return Err(overlap_conflict(clash));
    }
    let now = db::now();
    let (id, created) = match &same {
        Some(a) => {
            if version.is_some_and(|v| v != a.version) {
                return Err(crate::domain::user::stale());
            }
            let changed = diesel::update(
                project_assignments::table
                    .find(a.id)
                    .filter(project_assignments::version.eq(a.version)),
            )
            .set((
                Terms::of(values),
                project_assignments::version.eq(project_assignments::version + 1),
                project_assignments::updated_at.eq(now),
            ))
            .execute(conn)?;
            if changed == 0 {
                return Err(crate::domain::user::stale());
            }
            (a.id, false)
        }
        None => {
            let id: i64 =
                crate::with_backend!(conn, |c| diesel::insert_into(project_assignments::table)
                    .values((
                        project_assignments::project_id.eq(project_id),
                        project_assignments::user_id.eq(user.id),
                        Terms::of(values),
                        project_assignments::start_date.eq(values.start_date),
                        project_assignments::created_at.eq(now),
                        project_assignments::updated_at.eq(now),
                    ))
                    .returning(project_assignments::id)
                    .get_result(c))?;
            (id, true)
        }
    };
    let after = find(conn, id)?;
    epoch::bump_user(conn, user.id)?;
    if created && actor.user_id != Some(user.id) {
        use crate::domain::notification::{self, Notice, kind};
        notification::send(
            conn,
            user.id,
            &Notice::new(
                kind::ADDED_TO_PROJECT,
                format!(
                    "You were added to the project {} as {}",
                    project.name,
                    values.role.as_str()
                ),
                "/my/projects",
            )
            .about(project.org_id)
            .body(format!(
                "From {}, {} hours a week.",
                values.start_date,
                crate::domain::timesheet::hours(i64::from(values.minutes_per_week))
            )),
        )?;
    }
    audit::record(
        conn,
        actor,
        Event::new("project.assignment_put", Target::Project, Some(project_id))
            .org(project.org_id)
            .before(json!({"assignment": same}))
            .after(json!({"assignment": after, "email": user.email})),
    )?;
    Ok((after, created))
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Assignment> {
    Ok(project_assignments::table
        .find(id)
        .select(Assignment::as_select())
        .first(conn)?)
}

/// Ends a user's work on a project as of `today`: current assignments end today,
/// upcoming ones (not started yet) are deleted. Not found when nothing is open.
pub fn end(
    conn: &mut Conn,
    actor: &Actor,
    project_id: ProjectId,
    user_id: UserId,
    today: NaiveDate,
) -> Result<()> {
    lock_project(conn, project_id.0)?;
    let project = project::find(conn, project_id.0)?;
    let open: Vec<Assignment> = of_user_on(conn, project_id.0, user_id.0)?
        .into_iter()
        .filter(|a| a.end_date.is_none_or(|e| e > today) || a.start_date > today)
        .collect();
    if open.is_empty() {
        return Err(Error::NotFound);
    }
    let mut ended = Vec::new();
    let mut removed = Vec::new();
    for a in &open {
        if a.start_date > today {
            diesel::delete(project_assignments::table.find(a.id)).execute(conn)?;
            removed.push(a.id);
        } else {
            diesel::update(project_assignments::table.find(a.id))
                .set((
                    project_assignments::end_date.eq(Some(today)),
                    project_assignments::version.eq(project_assignments::version + 1),
                    project_assignments::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
            ended.push(a.id);
        }
    }
    epoch::bump_user(conn, user_id.0)?;
    audit::record(
        conn,
        actor,
        Event::new(
            "project.assignment_ended",
            Target::Project,
            Some(project_id.0),
        )
        .org(project.org_id)
        .before(json!({"assignments": open}))
        .after(json!({"user_id": user_id, "ended": ended, "deleted": removed, "end_date": today})),
    )
}

/// The projects `user_id` is assigned to on `date` (they may see those with no
/// grant).
pub fn assigned_project_ids(conn: &mut Conn, user_id: i64, date: NaiveDate) -> Result<Vec<i64>> {
    Ok(current_for_user(conn, user_id, date)?
        .into_iter()
        .map(|(_, p)| p.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        date(s, "d").unwrap()
    }

    #[test]
    fn periods_overlap_when_they_share_a_day() {
        assert!(overlap((d("2026-01-01"), None), (d("2030-01-01"), None)));
        assert!(overlap(
            (d("2026-01-01"), Some(d("2026-01-31"))),
            (d("2026-01-31"), None)
        ));
        assert!(!overlap(
            (d("2026-01-01"), Some(d("2026-01-31"))),
            (d("2026-02-01"), None)
        ));
        assert!(!overlap(
            (d("2026-03-01"), None),
            (d("2026-01-01"), Some(d("2026-02-28")))
        ));
    }

    #[test]
    fn drafts_are_validated() {
        let ok = AssignmentDraft {
            role: "approver".into(),
            minutes_per_week: Some(2400),
            start_date: "2026-01-05".into(),
            end_date: None,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            AssignmentDraft {
                minutes_per_week: Some(-1),
                ..ok.clone()
            },
            AssignmentDraft {
                minutes_per_week: Some(10_081),
                ..ok.clone()
            },
            AssignmentDraft {
                minutes_per_week: Some(i64::MAX),
                ..ok.clone()
            },
            AssignmentDraft {
                role: "boss".into(),
                ..ok.clone()
            },
            AssignmentDraft {
                start_date: "2026-02-30".into(),
                ..ok.clone()
            },
            AssignmentDraft {
                end_date: Some("2026-01-04".into()),
                ..ok.clone()
            },
        ] {
            assert!(matches!(bad.validate(), Err(Error::Validation(_))));
        }
    }
}
