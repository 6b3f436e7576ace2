//! The missing-timesheets report from its kept list answers exactly what
//! working it out afresh answers: after the list is built, and after each
//! kind of write that changes someone's missing weeks, both before the
//! schedule has recomputed the people it marked and after.

use chrono::Duration;
use diesel::prelude::*;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use canopy::db::schema::{job_leases, missing_dirty_orgs, missing_dirty_users, missing_weeks};
use canopy::domain::report::missing;

use crate::helpers::*;
use crate::timesheets::{World, world};

/// Every row of the report for `token` over the world's last five weeks.
async fn rows(w: &World, token: &str, org: i64) -> Vec<Value> {
    let query = format!(
        "org_id={org}&from={}&to={}&per_page=200",
        w.week - Duration::days(35),
        w.week + Duration::days(6)
    );
    let body = w
        .app
        .get_json(token, format!("/reports/missing-timesheets?{query}"))
        .await
        .expect_status(S::OK);
    assert!(body["total"].as_u64().unwrap() < 200, "one page: {body}");
    body["rows"].as_array().unwrap().clone()
}

/// The report as the list answers it, then as it is worked out afresh with
/// the list switched off: the same rows, for the owner and for an org admin.
async fn same_as_afresh(w: &World, step: &str) {
    let root = w.app.root_id().await;
    let kept = (rows(w, &w.ada, root).await, rows(w, &w.olga, w.acme).await);
    let through = set_kept_through(w, None).await;
    let afresh = (rows(w, &w.ada, root).await, rows(w, &w.olga, w.acme).await);
    set_kept_through(w, through).await;
    assert!(!afresh.0.is_empty(), "{step}: someone is missing a week");
    assert_eq!(kept, afresh, "{step}");
}

async fn set_kept_through(w: &World, day: Option<chrono::NaiveDate>) -> Option<chrono::NaiveDate> {
    w.app
        .db
        .write(move |c| {
            let before: Option<chrono::NaiveDate> = job_leases::table
                .find("missing")
                .select(job_leases::done_for)
                .first(c)?;
            diesel::update(job_leases::table.find("missing"))
                .set(job_leases::done_for.eq(day))
                .execute(c)?;
            Ok(before)
        })
        .await
        .unwrap()
}

/// What the schedule does at a tick: the list brought up to today and the
/// marked people recomputed. Answers how many rows the list holds.
async fn keep_up(w: &World) -> i64 {
    let db = w.app.db.clone();
    let today = canopy::db::now().date();
    tokio::task::spawn_blocking(move || missing::keep_up(&db, today))
        .await
        .unwrap()
        .unwrap();
    w.app
        .db
        .read(|c| {
            let marks: i64 = missing_dirty_users::table.count().get_result(c)?;
            let org_marks: i64 = missing_dirty_orgs::table.count().get_result(c)?;
            assert_eq!((marks, org_marks), (0, 0), "every mark recomputed");
            Ok(missing_weeks::table.count().get_result(c)?)
        })
        .await
        .unwrap()
}

async fn sheet(w: &World, token: &str, user: i64, week: chrono::NaiveDate, submit: bool) {
    let path = format!("/timesheets/{user}/{week}");
    let (_, current) = w.app.get_json(token, &path).await;
    let version = current["version"].as_i64().unwrap_or(0);
    let entries = json!([{"project_id": w.p1, "date": week.to_string(), "minutes": 60}]);
    let body = w
        .app
        .put_json(
            token,
            &path,
            json!({"version": version, "entries": entries}),
        )
        .await
        .expect_status(S::OK);
    if submit {
        w.act(token, body["id"].as_i64().unwrap(), "submit", json!({}))
            .await;
    }
}

#[tokio::test]
async fn the_kept_list_answers_like_working_it_out_afresh_after_every_kind_of_change() {
    let w = world().await;
    // Eve submits the week before last and leaves last week a draft; Pat
    // submits last week; the other weeks since their assignments began are
    // missing for both.
    sheet(&w, &w.eve, w.eve_id, w.week - Duration::days(7), true).await;
    sheet(&w, &w.eve, w.eve_id, w.week, false).await;
    sheet(&w, &w.pat, w.pat_id, w.week, true).await;
    // Built from nothing (every person marked until now).
    same_as_afresh(&w, "everyone marked").await;
    assert!(keep_up(&w).await > 0, "the list holds rows");
    same_as_afresh(&w, "built").await;

    // A sheet submitted, then one sent back.
    sheet(&w, &w.eve, w.eve_id, w.week - Duration::days(14), true).await;
    same_as_afresh(&w, "submitted, marked").await;
    keep_up(&w).await;
    same_as_afresh(&w, "submitted, recomputed").await;

    // Lee, on no project so far, is assigned from three weeks back; then
    // the assignment is changed to start last week.
    let from = (w.week - Duration::days(20)).to_string();
    let assigned = w
        .app
        .put_json(
            &w.ada,
            format!("/projects/{}/assignments/{}", w.p2, w.lee_id),
            json!({"role": "member", "minutes_per_week": 600, "start_date": from}),
        )
        .await
        .expect_status(S::CREATED);
    same_as_afresh(&w, "assigned, marked").await;
    keep_up(&w).await;
    same_as_afresh(&w, "assigned, recomputed").await;
    let lee_weeks = |rows: &[Value]| rows.iter().filter(|r| r[1] == "Lee").count();
    let root = w.app.root_id().await;
    assert_eq!(
        lee_weeks(&rows(&w, &w.ada, root).await),
        4,
        "from a Tuesday: four weeks"
    );
    w.app
        .patch_json(
            &w.ada,
            format!("/assignments/{}", assigned["id"]),
            json!({"start_date": w.week.to_string()}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(lee_weeks(&rows(&w, &w.ada, root).await), 1);
    same_as_afresh(&w, "assignment moved, marked").await;
    keep_up(&w).await;
    same_as_afresh(&w, "assignment moved, recomputed").await;

    // Acme's weeks start on Wednesdays from now on (an org mark).
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{}/settings", w.acme),
            json!({"week_start": "wednesday"}),
        )
        .await
        .expect_status(S::OK);
    same_as_afresh(&w, "week start, marked").await;
    keep_up(&w).await;
    same_as_afresh(&w, "week start, recomputed").await;

    // Pat moves to Globex (Monday weeks again, outside Olga's scope).
    w.app
        .patch_json(
            &w.ada,
            format!("/users/{}", w.pat_id),
            json!({"org_id": w.globex}),
        )
        .await
        .expect_status(S::OK);
    same_as_afresh(&w, "moved home, marked").await;
    keep_up(&w).await;
    same_as_afresh(&w, "moved home, recomputed").await;
    let olga_rows = rows(&w, &w.olga, w.acme).await;
    assert!(olga_rows.iter().all(|r| r[1] != "Pat"), "{olga_rows:?}");
}
