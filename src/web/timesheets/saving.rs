//! Saving the grid: the typed cells read back from the form, saved, and the
//! page shown again with what was kept on an error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::NaiveDate;

use crate::domain::timesheet::{self, CellInput};
use crate::error::{Error, FieldErrors};
use crate::web::{PageError, SignedIn, is_htmx, see_other};

use super::grid::{Outcome, Typed, build_page, cell_key, load, parse_hours, parse_week};

/// The assignable project `typed` names: an id, a label ("Name (CODE)") or
/// a code.
pub(super) fn added_project(assignable: &[(i64, String)], typed: &str) -> Option<i64> {
    let key = typed.trim().to_lowercase();
    assignable
        .iter()
        .find(|(id, label)| {
            let label = label.to_lowercase();
            id.to_string() == key || label == key || label.ends_with(&format!("({key})"))
        })
        .map(|(id, _)| *id)
}

/// Reads the grid form: `row` (project ids shown), `h-{project}-{date}` hours,
/// `n-{project}-{date}` notes, `version`, `action` (save or submit).
pub(super) fn read_grid(
    fields: &[(String, String)],
    week: NaiveDate,
) -> (Typed, Vec<CellInput>, FieldErrors, i64, String) {
    let days = timesheet::days_of(week);
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut typed = Typed::default();
    for (k, v) in fields {
        if k == "row"
            && let Ok(id) = v.trim().parse::<i64>()
            && !typed.rows.contains(&id)
        {
            typed.rows.push(id);
        }
    }
    let mut cells = Vec::new();
    let mut errors = FieldErrors::new();
    for &pid in &typed.rows {
        for &date in &days {
            let h = get(&format!("h-{pid}-{date}"));
            let n = get(&format!("n-{pid}-{date}"));
            let key = cell_key(pid, date);
            match parse_hours(&h) {
                Ok(minutes) => cells.push(CellInput {
                    key,
                    project_id: pid,
                    date: date.to_string(),
                    minutes,
                    note: n.clone(),
                }),
                Err(message) => errors.add(&format!("{key}.hours"), message),
            }
            typed.cells.insert((pid, date), (h, n));
        }
    }
    let version = get("version").trim().parse().unwrap_or(-1);
    (typed, cells, errors, version, get("action"))
}

/// `POST /timesheets/{user_id}/{week_start}`: saves the grid (`action=save`)
/// or saves and submits it (`action=submit`), in one transaction.
#[post("/timesheets/{user_id}/{week_start}")]
pub(super) async fn save(
    req: HttpRequest,
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let (user_id, raw) = path.into_inner();
    let week = parse_week(&raw)?;
    let (typed, cells, parse_errors, version, action) = read_grid(&form, week);
    let submit = action == "submit";
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = if !parse_errors.is_empty() {
        Err(Error::Validation(parse_errors))
    } else {
        me.db()
            .write(move |conn| {
                timesheet::save_as(
                    conn, &access, &actor, user_id, week, version, &cells, submit,
                )
            })
            .await
            .map(|_| ())
    };
    let done = if submit {
        "Your week is submitted for approval."
    } else {
        "Saved."
    };
    if outcome.is_ok() && !is_htmx(&req) {
        me.ctx.flash("success", done)?;
        return see_other(&format!("/timesheets/{user_id}/{week}"));
    }
    let (status, outcome) = shown_outcome(outcome, typed, done)?;
    let access = me.access.clone();
    let loaded = me
        .db()
        .read(move |conn| load(conn, &access, user_id, week))
        .await?;
    build_page(&me, loaded, outcome, status)
}

/// What the grid page says after a save: done, the marked cells (422), or
/// the newer data with what was typed that it lacks (409).
fn shown_outcome(
    outcome: Result<(), Error>,
    typed: Typed,
    done: &str,
) -> Result<(StatusCode, Outcome), PageError> {
    Ok(match outcome {
        Ok(()) => (
            StatusCode::OK,
            Outcome {
                message: Some(done.into()),
                ..Outcome::default()
            },
        ),
        Err(Error::Validation(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome {
                problem: Some("Nothing was saved: please correct the marked cells.".into()),
                typed: Some(typed),
                errors,
                ..Outcome::default()
            },
        ),
        Err(Error::Conflict { message, .. }) => (
            StatusCode::CONFLICT,
            Outcome {
                problem: Some(message),
                unsaved: describe_typed(&typed),
                extra_rows: typed.rows.clone(),
                ..Outcome::default()
            },
        ),
        Err(e) => return Err(e.into()),
    })
}

/// The typed cells as a list a person can re-enter from.
pub(super) fn describe_typed(typed: &Typed) -> Vec<String> {
    let mut out: Vec<String> = typed
        .cells
        .iter()
        .filter(|(_, (h, n))| !h.trim().is_empty() || !n.trim().is_empty())
        .map(|((pid, date), (h, n))| {
            let note = if n.trim().is_empty() {
                String::new()
            } else {
                format!(" — {}", n.trim())
            };
            format!("project #{pid}, {date}: {} h{note}", h.trim())
        })
        .collect();
    out.sort();
    out
}
