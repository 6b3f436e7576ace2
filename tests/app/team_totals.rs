//! The per-team sums behind the team reports (`team_week_totals`,
//! `team_month_totals`, kept by triggers): equal to the entries after every
//! kind of change, and a report read from them (the root owner, whole
//! months) answers exactly what the report computed from the entries does,
//! page by page.

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date};
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::ExpectStatus;
use crate::timesheets::{World, post, world};

#[derive(Debug, PartialEq, QueryableByName)]
struct Sum {
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Date)]
    period: NaiveDate,
    #[diesel(sql_type = BigInt)]
    project_id: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    members: i64,
}

const KEPT_WEEKS: &str = "SELECT team_id, week_start AS period, CAST(0 AS BIGINT) AS project_id, minutes, members \
     FROM team_week_totals ORDER BY 1, 2";
const WEEKS_FROM_ENTRIES: &str = "SELECT tm.team_id AS team_id, s.week_start AS period, \
     CAST(0 AS BIGINT) AS project_id, CAST(SUM(s.minutes) AS BIGINT) AS minutes, \
     CAST(COUNT(*) AS BIGINT) AS members FROM team_members tm \
     JOIN (SELECT ts.user_id AS user_id, ts.week_start AS week_start, SUM(e.minutes) AS minutes \
           FROM timesheets ts JOIN time_entries e ON e.timesheet_id = ts.id \
           GROUP BY ts.id, ts.user_id, ts.week_start) s ON s.user_id = tm.user_id \
     GROUP BY tm.team_id, s.week_start ORDER BY 1, 2";
const KEPT_MONTHS: &str = "SELECT team_id, month AS period, project_id, minutes, members \
     FROM team_month_totals ORDER BY 1, 2, 3";
const MONTHS_FROM_ENTRIES: &str = "SELECT tm.team_id AS team_id, t.month AS period, \
     t.project_id AS project_id, CAST(SUM(t.minutes) AS BIGINT) AS minutes, \
     CAST(COUNT(*) AS BIGINT) AS members \
     FROM team_members tm JOIN entry_month_totals t ON t.user_id = tm.user_id \
     GROUP BY tm.team_id, t.month, t.project_id ORDER BY 1, 2, 3";

async fn sums(w: &World, sql: &'static str) -> Vec<Sum> {
    w.app
        .db
        .read(move |conn| {
            Ok(canopy::with_backend!(conn, |c| diesel::sql_query(sql).load::<Sum>(c))?)
        })
        .await
        .unwrap()
}

/// The kept sums equal a count from the entries; `what` names the step.
async fn assert_sums_hold(w: &World, what: &str) {
    let weeks = sums(w, KEPT_WEEKS).await;
    assert_eq!(
        weeks,
        sums(w, WEEKS_FROM_ENTRIES).await,
        "weeks after {what}"
    );
    let months = sums(w, KEPT_MONTHS).await;
    assert_eq!(
        months,
        sums(w, MONTHS_FROM_ENTRIES).await,
        "months after {what}"
    );
}

/// Saves `user`'s week starting `monday` as `(project, day, minutes)` cells
/// (a week saved before is replaced).
async fn log(w: &World, token: &str, user: i64, monday: NaiveDate, entries: &[(i64, i64, i64)]) {
    let entries: Vec<Value> = entries
        .iter()
        .map(|(project, day, minutes)| {
            json!({"project_id": project, "date": (monday + Duration::days(*day)).to_string(), "minutes": minutes})
        })
        .collect();
    let path = format!("/timesheets/{user}/{monday}");
    let (_, sheet) = w.app.get_json(token, path.clone()).await;
    let version = sheet["version"].as_i64().unwrap_or(0);
    let body = json!({"version": version, "entries": entries});
    let (status, out) = w.app.put_json(token, path, body).await;
    assert_eq!(status, S::OK, "{out}");
}

async fn put_member(w: &World, team: i64, user: i64) {
    let (status, body) = w
        .app
        .put_json(
            &w.ada,
            format!("/teams/{team}/members/{user}"),
            json!({"lead": false}),
        )
        .await;
    assert!(status.is_success(), "{body}");
}

/// A second team at Acme, "Night", with Eve in it.
async fn night_team_with_eve(w: &World) -> i64 {
    let team = json!({"org_id": w.acme, "name": "Night"});
    let night = post(&w.app, &w.ada, "/teams", team).await["id"]
        .as_i64()
        .unwrap();
    put_member(w, night, w.eve_id).await;
    night
}

#[tokio::test]
async fn team_sums_equal_the_entries_after_saves_edits_joins_leaves_and_deletes() {
    let w = world().await;
    let start = w.week - Duration::days(30);
    w.app.assign(&w.ada, w.p2, w.lee_id, "member", start).await;
    let before = w.week - Duration::days(7);
    assert_sums_hold(&w, "setting up").await;

    // Saves: two weeks of Eve's (one of them across both projects), Lee's.
    log(
        &w,
        &w.eve,
        w.eve_id,
        before,
        &[(w.p1, 0, 60), (w.p2, 1, 30)],
    )
    .await;
    log(
        &w,
        &w.eve,
        w.eve_id,
        w.week,
        &[(w.p1, 0, 90), (w.p1, 1, 90)],
    )
    .await;
    log(&w, &w.lee, w.lee_id, w.week, &[(w.p2, 2, 45)]).await;
    assert_sums_hold(&w, "saves").await;
    let field: Vec<Sum> = sums(&w, KEPT_WEEKS).await;
    let this_week = field.iter().find(|s| s.period == w.week).unwrap();
    assert_eq!((this_week.minutes, this_week.members), (225, 2));

    // Edits: a changed cell, a removed cell, a week emptied.
    log(&w, &w.eve, w.eve_id, w.week, &[(w.p1, 0, 120)]).await;
    log(&w, &w.eve, w.eve_id, before, &[]).await;
    assert_sums_hold(&w, "edits").await;

    // Pat logs time, then joins: their history comes in; a new team with
    // Eve in it starts with hers.
    log(&w, &w.pat, w.pat_id, w.week, &[(w.p1, 3, 240)]).await;
    put_member(&w, w.team, w.pat_id).await;
    let night = night_team_with_eve(&w).await;
    assert_sums_hold(&w, "joins").await;

    // Leaving takes a person's history out; a deleted team leaves no sums.
    let (status, _) = w
        .app
        .delete(&w.ada, format!("/teams/{}/members/{}", w.team, w.lee_id))
        .await;
    assert_eq!(status, S::NO_CONTENT);
    assert_sums_hold(&w, "a leave").await;
    let (status, body) = w.app.delete(&w.ada, format!("/teams/{night}")).await;
    assert!(status.is_success(), "{body}");
    assert_sums_hold(&w, "a team's deletion").await;
    assert!(
        sums(&w, KEPT_WEEKS)
            .await
            .iter()
            .all(|s| s.team_id != night),
        "a deleted team keeps no sums"
    );
}

/// The report `name` as JSON under `query`, with `page` of `per_page` rows
/// when given.
async fn report(w: &World, name: &str, query: &str, page: Option<(usize, usize)>) -> Value {
    let paging = page.map_or(String::new(), |(p, n)| format!("&page={p}&per_page={n}"));
    w.app
        .get_json(&w.ada, format!("/reports/{name}?{query}{paging}"))
        .await
        .expect_status(S::OK)
}

/// Every page of `per_page` rows, joined, and the total each page states.
async fn paged(w: &World, name: &str, query: &str, per_page: usize) -> (Vec<Value>, Vec<i64>) {
    let (mut rows, mut totals) = (Vec::new(), Vec::new());
    for page in 1..=20 {
        let body = report(w, name, query, Some((page, per_page))).await;
        totals.push(body["total"].as_i64().unwrap());
        let shown = body["rows"].as_array().unwrap().clone();
        let last = body["page"].as_u64().unwrap() < page as u64 || shown.len() < per_page;
        if body["page"].as_u64().unwrap() == page as u64 {
            rows.extend(shown);
        }
        if last {
            break;
        }
    }
    (rows, totals)
}

#[tokio::test]
async fn the_root_owners_team_reports_from_the_sums_match_the_entries_page_by_page() {
    let w = world().await;
    let root = w.app.root_id().await;
    let start = w.week - Duration::days(30);
    w.app.assign(&w.ada, w.p2, w.lee_id, "member", start).await;
    night_team_with_eve(&w).await;
    // All on the week's Monday, so the month of that Monday holds them all.
    log(
        &w,
        &w.eve,
        w.eve_id,
        w.week,
        &[(w.p1, 0, 90), (w.p2, 0, 30)],
    )
    .await;
    log(&w, &w.lee, w.lee_id, w.week, &[(w.p2, 0, 90)]).await;
    log(&w, &w.pat, w.pat_id, w.week, &[(w.p1, 0, 60)]).await;

    // The month of the world's week, whole: what the sums answer for the
    // root owner. The same with one more day in front (no entry on it) is
    // computed from the entries, as is anything under Acme.
    let first = w.week.with_day(1).unwrap();
    let last = (first + Duration::days(32)).with_day(1).unwrap() - Duration::days(1);
    let month = format!("org_id={root}&from={first}&to={last}");
    let longer = format!("org_id={root}&from={}&to={last}", first - Duration::days(1));
    let under_acme = format!("org_id={}&from={first}&to={last}", w.acme);
    for name in ["team-hours", "team-projects-users"] {
        let whole = report(&w, name, &month, None).await;
        let rows = whole["rows"].as_array().unwrap();
        for other in [&longer, &under_acme] {
            assert_eq!(
                report(&w, name, other, None).await["rows"],
                whole["rows"],
                "{name} {other}"
            );
        }
        for per_page in [1, 2, 3] {
            let (paged, totals) = paged(&w, name, &month, per_page).await;
            assert_eq!(&paged, rows, "{name} by {per_page}");
            assert!(
                totals.iter().all(|t| *t == rows.len() as i64),
                "{name}: {totals:?}"
            );
        }
    }
    // Eve counts in both her teams, Lee once, Pat (in no team) nowhere.
    let hours = report(&w, "team-hours", &month, None).await;
    let as_text: Vec<String> = hours["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r[0].as_str().unwrap(),
                r[1].as_str().unwrap(),
                r[3]
            )
        })
        .collect();
    assert_eq!(as_text, ["Field Eve 2.0", "Field Lee 1.5", "Night Eve 2.0"]);
    let projects = report(&w, "team-projects-users", &month, None).await;
    assert_eq!(projects["rows"].as_array().unwrap().len(), 5, "{projects}");

    // Behind a border: Ada no longer sees Field (East's team) nor East's
    // people's hours, and the sums answer exactly what the entries do.
    w.app
        .grant_role(&w.ada, "Org admin", w.olga_id, w.east)
        .await;
    w.app.make_private(&w.ada, w.east).await;
    let hidden = report(&w, "team-projects-users", &month, None).await;
    assert_eq!(
        hidden["rows"],
        report(&w, "team-projects-users", &longer, None).await["rows"]
    );
    let names: Vec<&str> = hidden["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert!(names.iter().all(|n| *n == "Night"), "{hidden}");
}
