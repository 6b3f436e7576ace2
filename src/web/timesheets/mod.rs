//! Timesheet pages: a person's weeks, and the weekly grid (rows are projects,
//! columns days) that saves with htmx or as a plain form, keeps typed values on
//! an error, shows the newer data on a stale save, and carries the actions the
//! viewer may take: submit, withdraw, approve, reject, reopen.

mod actions;
mod grid;
mod saving;

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::NaiveDate;

use super::layout::Layout;
use super::{PageError, SignedIn, page, see_other};
use crate::db;
use crate::domain::timesheet::{self, hours};

use actions::act;
use grid::show;
use saving::save;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `act` before `save`: both take two path segments after /timesheets.
    cfg.service(weeks)
        .service(current_week)
        .service(act)
        .service(show)
        .service(save);
}

#[derive(Template)]
#[template(path = "timesheets/weeks.html")]
struct WeeksPage {
    layout: Layout,
    this_week: NaiveDate,
    user_id: i64,
    rows: Vec<(timesheet::Timesheet, String)>,
}

/// `GET /timesheets`: the signed-in person's weeks, newest first.
#[get("/timesheets")]
async fn weeks(me: SignedIn) -> Result<HttpResponse, PageError> {
    let user = me.user.clone();
    let (this_week, sheets) = me
        .db()
        .read(move |conn| {
            let rules = timesheet::rules(conn, user.org_id)?;
            let this_week = timesheet::week_start_of(db::now().date(), rules.week_start);
            Ok((this_week, timesheet::sheets_of(conn, user.id, 104)?))
        })
        .await?;
    page(&WeeksPage {
        layout: me.ctx.layout("Timesheets", "timesheets")?,
        this_week,
        user_id: me.user.id,
        rows: sheets.into_iter().map(|(s, m)| (s, hours(m))).collect(),
    })
}

/// `GET /timesheets/this-week`: straight to the current week's grid.
#[get("/timesheets/this-week")]
async fn current_week(me: SignedIn) -> Result<HttpResponse, PageError> {
    let user = me.user.clone();
    let week = me
        .db()
        .read(move |conn| {
            let rules = timesheet::rules(conn, user.org_id)?;
            Ok(timesheet::week_start_of(db::now().date(), rules.week_start))
        })
        .await?;
    see_other(&format!("/timesheets/{}/{week}", me.user.id))
}
