//! The timesheet pages: the grid saves as a plain form and with htmx, keeps what
//! was typed when it refuses it, shows the newer data on a stale save; the
//! approvals inbox, the bell and the notifications page; and what projects,
//! teams and "My projects" show of the hours.

use chrono::{Datelike, Duration};
use reqwest::StatusCode as S;
use serde_json::json;

use crate::helpers::*;
use crate::timesheets::{World, world};

fn grid_path(w: &World) -> String {
    format!("/timesheets/{}/{}", w.eve_id, w.week)
}

/// The form fields of a grid with one row and hours in some cells.
fn grid_form(
    w: &World,
    version: i64,
    action: &str,
    cells: &[(i64, usize, &str)],
) -> Vec<(String, String)> {
    let mut rows: Vec<i64> = cells.iter().map(|c| c.0).collect();
    rows.dedup();
    let mut fields: Vec<(String, String)> = vec![
        ("version".into(), version.to_string()),
        ("action".into(), action.into()),
    ];
    for r in rows {
        fields.push(("row".into(), r.to_string()));
    }
    for (project, day, hours) in cells {
        fields.push((
            format!("h-{project}-{}", w.day(*day as i64)),
            hours.to_string(),
        ));
    }
    fields
}

async fn post_grid(b: &Browser, path: &str, fields: Vec<(String, String)>) -> reqwest::Response {
    let token = b.csrf_token().await;
    let mut all = fields;
    all.push(("csrf_token".into(), token));
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form(path, &pairs).await
}

async fn stored_version(w: &World) -> i64 {
    let (_, sheet) = w.app.get_json(&w.eve, grid_path(w)).await;
    sheet["version"].as_i64().unwrap()
}

#[tokio::test]
async fn the_grid_saves_keeps_typed_values_on_errors_and_explains_stale_saves() {
    let w = world().await;
    let eve = w.app.signed_in_browser("eve@acme.example").await;
    // "This week" goes to the current week's grid.
    let response = eve.get("/timesheets/this-week").await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("/timesheets/{}/", w.eve_id)));
    // An empty week offers rows to add; ?add= shows one (storing nothing).
    let (status, html) = eve.get_page(&grid_path(&w)).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("Copy last week"));
    let (_, html) = eve
        .get_page(&format!("{}?add={}", grid_path(&w), w.p1))
        .await;
    assert!(html.contains(&format!("name=\"h-{}-{}\"", w.p1, w.day(0))));
    assert_eq!(stored_version(&w).await, 0);

    // A plain form save: hours as decimals or h:mm.
    let response = post_grid(
        &eve,
        &grid_path(&w),
        grid_form(&w, 0, "save", &[(w.p1, 0, "8"), (w.p1, 1, "4:30")]),
    )
    .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = eve.get_page(&grid_path(&w)).await;
    assert!(html.contains("Saved."));
    assert!(html.contains("value=\"4.5\""));
    assert!(html.contains("12.50"), "week total shown");
    assert_eq!(stored_version(&w).await, 1);

    // Bad input: the page says what is wrong next to the cell and keeps what
    // was typed; nothing is stored.
    for (typed, message) in [
        ("abc", "Enter hours like 7.5"),
        ("25", "24 hours"),
        ("0.1", "quarter hours"),
    ] {
        let response = post_grid(
            &eve,
            &grid_path(&w),
            grid_form(&w, 1, "save", &[(w.p1, 0, "8"), (w.p1, 2, typed)]),
        )
        .await;
        assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY, "{typed}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{typed}: {message}");
        assert!(html.contains(&format!("value=\"{typed}\"")), "{typed} kept");
        assert!(html.contains("Nothing was saved"));
    }
    assert_eq!(stored_version(&w).await, 1);

    // A stale save: 409, the newer data, and what was typed listed.
    let response = post_grid(
        &eve,
        &grid_path(&w),
        grid_form(&w, 0, "save", &[(w.p1, 3, "6")]),
    )
    .await;
    assert_eq!(response.status(), S::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("changed since you loaded it"));
    assert!(html.contains("value=\"4.5\""), "the newer data is shown");
    assert!(
        html.contains(&format!("{}: 6 h", w.day(3))),
        "the typed cell is listed"
    );
    assert_eq!(stored_version(&w).await, 1);

    // With htmx the answer is the page to swap in, not a redirect.
    let token = eve.csrf_token().await;
    let mut fields = grid_form(&w, 1, "save", &[(w.p1, 0, "7.75")]);
    fields.push(("csrf_token".into(), token));
    let response = eve
        .client
        .post(eve.url(&grid_path(&w)))
        .header("Origin", &eve.address)
        .header("HX-Request", "true")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), S::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"sheet\"") && html.contains("Saved."));
    assert_eq!(stored_version(&w).await, 2);

    // Outsiders get 404 on the page and on its actions.
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    assert_eq!(gus.get(&grid_path(&w)).await.status(), S::NOT_FOUND);
    let response = post_grid(
        &gus,
        &grid_path(&w),
        grid_form(&w, 2, "save", &[(w.p1, 4, "1")]),
    )
    .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    assert_eq!(stored_version(&w).await, 2);
}

#[tokio::test]
async fn submit_reject_fix_and_approve_through_the_pages() {
    let w = world().await;
    let eve = w.app.signed_in_browser("eve@acme.example").await;
    let pat = w.app.signed_in_browser("pat@acme.example").await;
    let response = post_grid(
        &eve,
        &grid_path(&w),
        grid_form(&w, 0, "submit", &[(w.p1, 0, "8")]),
    )
    .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, sheet) = w.app.get_json(&w.eve, grid_path(&w)).await;
    assert_eq!(sheet["status"], "submitted");
    let id = sheet["id"].as_i64().unwrap();

    // Pat's navigation counts it; his inbox lists it.
    let (_, html) = pat.get_page("/").await;
    assert!(html.contains("data-testid=\"approvals-count\""));
    assert!(html.contains("data-testid=\"unread-count\""));
    let (_, inbox) = pat.get_page("/approvals").await;
    assert!(inbox.contains("Eve") && inbox.contains("Project P1"));
    // Rejecting without a reason is refused next to the field.
    let response = pat
        .submit_form(&format!("/timesheets/{id}/reject"), &[("reason", " ")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Give a reason"));
    let response = pat
        .submit_form(
            &format!("/timesheets/{id}/reject"),
            &[("reason", "Monday was a holiday"), ("back", "/approvals")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/approvals");

    // Eve reads why, fixes and resubmits.
    let (_, html) = eve.get_page(&grid_path(&w)).await;
    assert!(html.contains("Rejected: Monday was a holiday"));
    let (_, notes) = eve.get_page("/notifications").await;
    assert!(notes.contains("was rejected"));
    let v = stored_version(&w).await;
    let response = post_grid(
        &eve,
        &grid_path(&w),
        grid_form(&w, v, "submit", &[(w.p1, 1, "8")]),
    )
    .await;
    assert_eq!(response.status(), S::SEE_OTHER);

    // Pat approves from the inbox in bulk; the sheet is locked.
    let token = pat.csrf_token().await;
    let item = format!("{id}:{}", w.p1);
    let response = pat
        .post_form(
            "/approvals/approve",
            &[("item", item.as_str()), ("csrf_token", token.as_str())],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = eve.get_page(&grid_path(&w)).await;
    assert!(html.contains("approved and locked"));
    assert!(!html.contains("name=\"h-"), "no inputs on a locked week");
    let v = stored_version(&w).await;
    let response = post_grid(
        &eve,
        &grid_path(&w),
        grid_form(&w, v, "save", &[(w.p1, 2, "1")]),
    )
    .await;
    assert_eq!(response.status(), S::CONFLICT);

    // Gus may neither see nor decide.
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    let response = gus
        .submit_form(&format!("/timesheets/{id}/approve"), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);

    // Notifications: mark one, then all, read.
    let (_, before) = w.app.get_json(&w.eve, "/notifications?unread=true").await;
    let first = before["items"][0]["id"].as_i64().unwrap().to_string();
    let response = eve
        .submit_form("/notifications/read", &[("id", first.as_str())])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, after) = w.app.get_json(&w.eve, "/notifications?unread=true").await;
    assert_eq!(
        after["total"].as_i64().unwrap(),
        before["total"].as_i64().unwrap() - 1
    );
    eve.submit_form("/notifications/read", &[]).await;
    let (_, html) = eve.get_page("/").await;
    assert!(!html.contains("data-testid=\"unread-count\""));
}

#[tokio::test]
async fn projects_teams_and_my_projects_show_the_hours() {
    let w = world().await;
    let this_monday = {
        let today = chrono::Utc::now().date_naive();
        today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
    };
    // Last week on P1 (8 h), this week on P1 (2 h).
    let (status, body) = w
        .put_sheet(
            &w.eve,
            0,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 480}]),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    w.app
        .save_week(
            &w.eve,
            w.eve_id,
            this_monday,
            json!([{"project_id": w.p1, "date": this_monday.to_string(), "minutes": 120}]),
        )
        .await;

    let eve = w.app.signed_in_browser("eve@acme.example").await;
    let (_, mine) = eve.get_page("/my/projects").await;
    assert!(
        mine.contains(&format!("data-testid=\"week-hours-{}\">2.00 h", w.p1)),
        "{mine}"
    );
    // Copy last week's rows brings P1 into an empty next week.
    let next = this_monday + Duration::days(7);
    let (_, html) = eve
        .get_page(&format!("/timesheets/{}/{next}?copy=1", w.eve_id))
        .await;
    assert!(
        html.contains(&format!("name=\"h-{}-{next}\"", w.p1)),
        "{html}"
    );

    // The project shows 10 h logged to those who see time there (Olga), not
    // to an assignee without it (Eve).
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (_, project) = olga.get_page(&format!("/projects/{}", w.p1)).await;
    assert!(
        project.contains("data-testid=\"logged\">10.00 h"),
        "{project}"
    );
    let (_, project) = eve.get_page(&format!("/projects/{}", w.p1)).await;
    assert!(!project.contains("data-testid=\"logged\""));

    // The team page shows Eve's week state to Olga (time.view over her).
    let (_, team) = olga.get_page(&format!("/teams/{}", w.team)).await;
    assert!(
        team.contains(&format!("data-testid=\"week-state-{}\">draft", w.eve_id)),
        "{team}"
    );
}

#[tokio::test]
async fn the_reminder_button_reaches_only_the_admins_people() {
    let w = world().await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (_, inbox) = olga.get_page("/approvals").await;
    assert!(inbox.contains("data-testid=\"remind\""));
    let response = olga.submit_form("/approvals/remind", &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    // Eve and Pat worked on projects last week and submitted nothing.
    assert_eq!(
        w.kinds(&w.eve)
            .await
            .iter()
            .filter(|k| *k == "timesheet_reminder")
            .count(),
        1
    );
    // Pat without time.manage has no button, and the route does not exist for him.
    let pat = w.app.signed_in_browser("pat@acme.example").await;
    let (_, inbox) = pat.get_page("/approvals").await;
    assert!(!inbox.contains("data-testid=\"remind\""));
    assert_eq!(
        pat.submit_form("/approvals/remind", &[]).await.status(),
        S::NOT_FOUND
    );
}

#[tokio::test]
async fn dashboards_show_each_person_their_part_and_nothing_more() {
    let w = world().await;
    // Eve submits last week; Pat rejects it; Globex has a user of its own.
    let (_, sheet) = w
        .put_sheet(
            &w.eve,
            0,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 480}]),
        )
        .await;
    let id = sheet["id"].as_i64().unwrap();
    w.act(&w.eve, id, "submit", json!({})).await;
    let pat = w.app.signed_in_browser("pat@acme.example").await;
    let (_, html) = pat.get_page("/").await;
    assert!(
        html.contains("data-testid=\"my-pending\"") && html.contains("Eve, week of"),
        "{html}"
    );
    assert!(
        !html.contains("data-testid=\"admin-view\""),
        "Pat runs no org"
    );
    w.act(
        &w.pat,
        id,
        "reject",
        json!({"reason": "Split Monday over both projects"}),
    )
    .await;

    let eve = w.app.signed_in_browser("eve@acme.example").await;
    let (_, html) = eve.get_page("/").await;
    assert!(
        html.contains("data-testid=\"my-rejected\"") && html.contains("Split Monday"),
        "{html}"
    );
    assert!(html.contains("Project P1"));

    // Olga runs Acme: its numbers and changes, nothing of Globex; once East is
    // private, not East's people either.
    w.app
        .create_user("gina@globex.example", "Gina", w.globex)
        .await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (_, html) = olga.get_page("/").await;
    assert!(html.contains("Acme at a glance"), "{html}");
    assert!(
        html.contains("data-testid=\"admin-users\">4<"),
        "Olga, Eve, Pat, Lee: {html}"
    );
    assert!(html.contains("data-testid=\"admin-audit\""));
    assert!(!html.contains("Globex") && !html.contains("gina"));
    w.app.add_keeper(w.east).await;
    w.app.make_private(&w.ada, w.east).await;
    let (_, html) = olga.get_page("/").await;
    assert!(
        html.contains("data-testid=\"admin-users\">1<"),
        "only Olga at home in Acme itself: {html}"
    );
}
