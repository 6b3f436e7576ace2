//! Editing an assignment (issue 14): dates, allocation and role, from the
//! project page and `PATCH /api/v1/assignments/{id}`, by one domain rule;
//! back-dating lets earlier days be logged, and no change may leave logged
//! hours outside the period.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::Tree;
use crate::helpers::*;

struct World {
    t: Tree,
    eve: crate::fixture::Person,
    project: i64,
    assignment: i64,
    /// The assignment's version as created.
    version: i64,
    monday: NaiveDate,
}

/// Eve assigned to Apollo (at Acme) from this week's Monday.
async fn world() -> World {
    let t = Tree::new().await;
    let eve = t.person("eve@example.com", t.acme).await;
    let apollo = t.create_project(&t.ada, t.acme, "APOLLO", "Apollo").await;
    let project = apollo["id"].as_i64().unwrap();
    let today = chrono::Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    t.assign(&t.ada, project, eve.id, "member", monday).await;
    let (_, list) = t
        .get_json(&t.ada, format!("/projects/{project}/assignments"))
        .await;
    let assignment = list["items"][0]["id"].as_i64().unwrap();
    let version = list["items"][0]["version"].as_i64().unwrap();
    World {
        t,
        eve,
        project,
        assignment,
        version,
        monday,
    }
}

fn entry(project: i64, day: NaiveDate) -> Value {
    json!({"version": 0, "entries": [{"project_id": project, "date": day.to_string(), "minutes": 120}]})
}

#[tokio::test]
async fn an_assignment_is_edited_on_its_page_and_back_dated_hours_are_taken() {
    let w = world().await;
    let (t, project) = (&w.t, w.project);
    let earlier = w.monday - Duration::days(7);
    // Before: last week's Monday is refused.
    let path = format!("/timesheets/{}/{earlier}", w.eve.id);
    let (status, _) = t
        .put_json(&w.eve.token, &path, entry(project, earlier))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);

    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    let (_, show) = page.get_page(&format!("/projects/{project}")).await;
    let edit = format!("/projects/{project}/assignments/{}/edit", w.assignment);
    assert!(show.contains(&format!("href=\"{edit}\"")), "{show}");
    let (status, form) = page.get_page(&edit).await;
    assert_eq!(status, S::OK);
    assert!(form.contains(&format!("value=\"{}\"", w.monday)), "{form}");
    let response = page
        .submit_form(
            &edit,
            &[
                ("role", "approver"),
                ("hours_per_week", "20"),
                ("start_date", &earlier.to_string()),
                ("end_date", ""),
                ("version", &w.version.to_string()),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        S::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    let (_, list) = t
        .get_json(&t.ada, format!("/projects/{project}/assignments"))
        .await;
    let a = &list["items"][0];
    assert_eq!(a["start_date"], earlier.to_string());
    assert_eq!(a["role"], "approver");
    assert_eq!(a["minutes_per_week"], 1200);
    assert_eq!(a["version"], w.version + 1);
    // Now the earlier Monday takes hours.
    let (status, body) = t
        .put_json(&w.eve.token, &path, entry(project, earlier))
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(t.audit("project.assignment_changed").await.len(), 1);
}

#[tokio::test]
async fn the_api_edits_an_assignment_and_refuses_bad_dates_stale_versions_and_dropping_logged_hours()
 {
    let w = world().await;
    let (t, project, id) = (&w.t, w.project, w.assignment);
    let path = format!("/assignments/{id}");
    // The end before the start.
    let day = |n: i64| (w.monday + Duration::days(n)).to_string();
    let (status, body) = t
        .patch_json(&t.ada, &path, json!({"end_date": day(-1)}))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["end_date"].is_string(), "{body}");
    // A stale version.
    let (status, body) = t
        .patch_json(
            &t.ada,
            &path,
            json!({"minutes_per_week": 600, "version": w.version + 7}),
        )
        .await;
    assert_eq!(status, S::CONFLICT, "{body}");
    // A change.
    let (status, body) = t
        .patch_json(
            &t.ada,
            &path,
            json!({"minutes_per_week": 600, "end_date": day(20), "version": w.version}),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["minutes_per_week"], 600);
    assert_eq!(body["end_date"], day(20));
    let (status, body) = t.patch_json(&t.ada, &path, json!({"end_date": null})).await;
    assert_eq!(status, S::OK, "{body}");
    assert!(body["end_date"].is_null());
    // Hours logged on Monday: the period may not start after it or end before it.
    t.save_week(
        &w.eve.token,
        w.eve.id,
        w.monday,
        json!([{"project_id": project, "date": day(0), "minutes": 60}]),
    )
    .await;
    let (status, body) = t
        .patch_json(&t.ada, &path, json!({"start_date": day(1)}))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["fields"]["start_date"].as_str().unwrap();
    assert!(message.contains(&day(0)), "{message}");
    let (status, body) = t
        .patch_json(
            &t.ada,
            &path,
            json!({"start_date": day(-7), "end_date": day(-1)}),
        )
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["end_date"]
            .as_str()
            .unwrap()
            .contains(&day(0)),
        "{body}"
    );
    // Nothing asked for; an unknown field.
    let (status, _) = t.patch_json(&t.ada, &path, json!({})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    let (status, _) = t.patch_json(&t.ada, &path, json!({"user_id": 3})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    // The page shows the same refusal next to the field.
    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    let response = page
        .submit_form(
            &format!("/projects/{project}/assignments/{id}/edit"),
            &[
                ("role", "member"),
                ("hours_per_week", "10"),
                ("start_date", &day(1)),
                ("end_date", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"start_date-error\"")
    );
}

#[tokio::test]
async fn only_those_who_may_assign_edit_an_assignment() {
    let w = world().await;
    let (t, project, id) = (&w.t, w.project, w.assignment);
    let gina = t.org_admin("gina@example.com", t.globex).await;
    let path = format!("/assignments/{id}");
    let change = json!({"minutes_per_week": 60});
    // Another tenant: as if it did not exist.
    let (status, _) = t.patch_json(&gina.token, &path, change.clone()).await;
    assert_eq!(status, S::NOT_FOUND);
    let (status, _) = t
        .patch_json(&gina.token, "/assignments/999999", change.clone())
        .await;
    assert_eq!(status, S::NOT_FOUND);
    // The assignee sees the project but may not assign.
    let (status, _) = t.patch_json(&w.eve.token, &path, change.clone()).await;
    assert_eq!(status, S::FORBIDDEN);
    let eve = t.signed_in_browser("eve@example.com").await;
    let (status, _) = eve
        .get_page(&format!("/projects/{project}/assignments/{id}/edit"))
        .await;
    assert_eq!(status, S::FORBIDDEN);
    // Another project's path does not reach it.
    let other = t.create_project(&t.ada, t.acme, "ZEUS", "Zeus").await["id"]
        .as_i64()
        .unwrap();
    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    let (status, _) = page
        .get_page(&format!("/projects/{other}/assignments/{id}/edit"))
        .await;
    assert_eq!(status, S::NOT_FOUND);
    let (_, list) = t
        .get_json(&t.ada, format!("/projects/{project}/assignments"))
        .await;
    assert_eq!(list["items"][0]["minutes_per_week"], 2400);
}

#[tokio::test]
async fn the_grid_marks_today_and_carries_its_totals_for_the_script() {
    let w = world().await;
    let today = chrono::Utc::now().date_naive();
    let page = w.t.signed_in_browser("eve@example.com").await;
    let (status, html) = page
        .get_page(&format!("/timesheets/{}/{}?add=APOLLO", w.eve.id, w.monday))
        .await;
    assert_eq!(status, S::OK);
    assert_eq!(html.matches("aria-current=\"date\"").count(), 1, "{html}");
    assert!(
        html.contains(&format!("data-testid=\"day-total-{today}\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("data-testid=\"row-total-{}\"", w.project)),
        "{html}"
    );
    assert!(html.contains("class=\"num today\""), "{html}");
    // Another week marks no day.
    let (_, html) = page
        .get_page(&format!(
            "/timesheets/{}/{}",
            w.eve.id,
            w.monday - Duration::days(7)
        ))
        .await;
    assert!(!html.contains("aria-current=\"date\""));
}
