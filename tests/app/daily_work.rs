//! Daily work with fewer clicks (issue 14): a new assignment starts with this
//! week, so the days of it already worked can be logged.

use chrono::{Datelike, Duration};
use reqwest::StatusCode as S;
use serde_json::json;

use crate::fixture::Tree;
use crate::helpers::*;

#[tokio::test]
async fn an_assignment_starts_with_this_week_and_its_first_day_can_be_logged() {
    let t = Tree::new().await;
    let eve = t.person("eve@example.com", t.acme).await;
    let apollo = t.create_project(&t.ada, t.acme, "APOLLO", "Apollo").await;
    let project = apollo["id"].as_i64().unwrap();
    let today = chrono::Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));

    // The assign form offers the week's first day (Monday by default).
    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    let (status, html) = page.get_page(&format!("/projects/{project}")).await;
    assert_eq!(status, S::OK);
    let offered =
        format!("id=\"assign-start\" name=\"start_date\" type=\"date\" value=\"{monday}\"");
    assert!(html.contains(&offered), "{html}");

    // Taking it, Monday's hours are accepted; a day before it is not.
    let response = page
        .submit_form(
            &format!("/projects/{project}/assignments"),
            &[
                ("email", "eve@example.com"),
                ("role", "member"),
                ("hours_per_week", "40"),
                ("start_date", &monday.to_string()),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        S::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    let week = |day: chrono::NaiveDate| json!({"version": 0, "entries": [{"project_id": project, "date": day.to_string(), "minutes": 60}]});
    let (status, sheet) = t
        .put_json(
            &eve.token,
            format!("/timesheets/{}/{monday}", eve.id),
            week(monday),
        )
        .await;
    assert_eq!(status, S::OK, "{sheet}");
    let before = monday - Duration::days(7);
    let (status, refused) = t
        .put_json(
            &eve.token,
            format!("/timesheets/{}/{before}", eve.id),
            week(before),
        )
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{refused}");
}
