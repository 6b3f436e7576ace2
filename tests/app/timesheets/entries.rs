//! Bad entries change nothing, one of two approvals wins, notifications and reminders reach the right people.

use super::*;

#[tokio::test]
async fn bad_entries_are_refused_and_change_nothing() {
    let w = world().await;
    let before = w.fill().await;
    let v = before["version"].as_i64().unwrap();
    let cell = |project: i64, day: String, minutes: i64| json!({"project_id": project, "date": day, "minutes": minutes});
    let other_project = {
        let p = post(
            &w.app,
            &w.ada,
            "/projects",
            json!({"org_id": w.acme, "code": "P3", "name": "Unassigned"}),
        )
        .await;
        p["id"].as_i64().unwrap()
    };
    let cases = [
        // 25 hours in one cell, and 25 hours over two cells of a day.
        (json!([cell(w.p1, w.day(0), 1500)]), "entries[0].minutes"),
        (
            json!([cell(w.p1, w.day(0), 900), cell(w.p2, w.day(0), 600)]),
            &*format!("day.{}", w.day(0)),
        ),
        (json!([cell(w.p1, w.day(7), 60)]), "entries[0].date"),
        (json!([cell(w.p1, w.day(-1), 60)]), "entries[0].date"),
        (
            json!([cell(w.p1, "23.11.2026".into(), 60)]),
            "entries[0].date",
        ),
        (
            json!([cell(other_project, w.day(0), 60)]),
            "entries[0].project_id",
        ),
        (
            json!([cell(999_999, w.day(0), 60)]),
            "entries[0].project_id",
        ),
        (json!([cell(w.p1, w.day(0), -60)]), "entries[0].minutes"),
        (json!([cell(w.p1, w.day(0), 50)]), "entries[0].minutes"),
        (
            json!([cell(w.p1, w.day(0), 60), cell(w.p1, w.day(0), 120)]),
            "entries[1].project_id",
        ),
    ];
    for (entries, field) in cases {
        let (status, body) = w.put_sheet(&w.eve, v, entries.clone()).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{entries}: {body}");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{entries}: expected a message for {field}: {body}"
        );
    }
    // The maximum per day is a setting.
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{}/settings", w.acme),
            json!({"max_minutes_per_day": 600}),
        )
        .await
        .expect_status(S::OK);
    let (status, body) = w
        .put_sheet(&w.eve, v, json!([cell(w.p1, w.day(2), 660)]))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    // So is a locked period.
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{}/settings", w.acme),
            json!({"lock_before": w.day(3)}),
        )
        .await
        .expect_status(S::OK);
    let (status, body) = w
        .put_sheet(&w.eve, v, json!([cell(w.p1, w.day(2), 60)]))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    // Stale versions, wrong weeks, and other people's weeks.
    assert_eq!(w.put_sheet(&w.eve, v - 1, json!([])).await.0, S::CONFLICT);
    assert_eq!(w.put_sheet(&w.eve, v + 5, json!([])).await.0, S::CONFLICT);
    let tuesday = format!("/timesheets/{}/{}", w.eve_id, w.day(1));
    let (status, body) = w.app.get_json(&w.eve, &tuesday).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["week_start"].is_string());
    assert_eq!(
        w.app
            .get_json(&w.eve, format!("/timesheets/{}/not-a-date", w.eve_id))
            .await
            .0,
        S::UNPROCESSABLE_ENTITY
    );
    // Gus may not even learn Eve's week start.
    assert_eq!(w.app.get_json(&w.gus, &tuesday).await.0, S::NOT_FOUND);
    assert_eq!(
        w.put_sheet(&w.gus, v, json!([cell(w.p1, w.day(4), 60)]))
            .await
            .0,
        S::NOT_FOUND
    );
    assert_eq!(
        w.put_sheet(&w.pat, v, json!([cell(w.p1, w.day(4), 60)]))
            .await
            .0,
        S::FORBIDDEN
    );
    // Malformed bodies are 400, never a 500.
    let raw = w
        .app
        .api(
            Method::POST,
            &format!("/timesheets/{}/approve", before["id"]),
            &w.olga,
        )
        .header("content-type", "application/json")
        .body("{\"project_id\": \"x\"")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), S::BAD_REQUEST);

    // Nothing of it changed the week.
    let (_, after) = w.get_sheet(&w.eve).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["entries"], before["entries"]);
    assert_eq!(w.app.audit("timesheet.saved").await.len(), 1);
}

#[tokio::test]
async fn two_concurrent_approvals_leave_exactly_one_decision() {
    let w = world().await;
    let (status, body) = w
        .put_sheet(
            &w.eve,
            0,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60}]),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (_, submitted) = w.act(&w.eve, id, "submit", json!({})).await;
    let version = submitted["version"].as_i64().unwrap();
    let decide = json!({"version": version});
    let (a, b) = tokio::join!(
        w.act(&w.pat, id, "approve", decide.clone()),
        w.act(&w.olga, id, "approve", decide.clone()),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [S::OK, S::CONFLICT], "{} / {}", a.1, b.1);
    assert_eq!(w.app.audit("timesheet.approved").await.len(), 1);
    let (_, after) = w.get_sheet(&w.eve).await;
    assert_eq!(after["status"], "approved");
    let deciders: Vec<&Value> = after["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["decided_by"])
        .collect();
    assert_eq!(deciders.len(), 1);
    assert!(deciders[0] == &json!(w.pat_id) || deciders[0] == &json!(w.olga_id));
    assert_eq!(count(&w.kinds(&w.eve).await, "sheet_approved"), 1);
}

#[tokio::test]
async fn notifications_tell_people_what_concerns_them_and_are_read_by_them_only() {
    let w = world().await;
    // Being put on a project and a team told Eve; so does a grant and its loss.
    let kinds = w.kinds(&w.eve).await;
    assert_eq!(count(&kinds, "added_to_project"), 2);
    assert_eq!(count(&kinds, "added_to_team"), 1);
    let role = w.app.role_id(&w.ada, "Viewer").await;
    let grant = post(
        &w.app,
        &w.olga,
        "/grants",
        json!({"role_id": role, "user_id": w.eve_id, "org_id": w.acme}),
    )
    .await;
    assert_eq!(
        w.app
            .delete(&w.olga, format!("/grants/{}", grant["id"]))
            .await
            .0,
        S::NO_CONTENT
    );
    let group = post(
        &w.app,
        &w.olga,
        "/groups",
        json!({"org_id": w.acme, "name": "Night shift"}),
    )
    .await;
    let (status, _) = w
        .app
        .put_json(
            &w.olga,
            format!("/groups/{}/members/{}", group["id"], w.eve_id),
            json!({"owner": false}),
        )
        .await;
    assert!(status.is_success());
    let kinds = w.kinds(&w.eve).await;
    for kind in ["grant_received", "grant_lost", "added_to_group"] {
        assert_eq!(count(&kinds, kind), 1, "{kind} in {kinds:?}");
    }
    // Nobody else was told about Eve's work: Gus heard only of his own grant.
    assert_eq!(w.kinds(&w.gus).await, ["grant_received"]);

    // Reading: one, then all; other people's ids are ignored.
    let (_, list) = w.app.get_json(&w.eve, "/notifications").await;
    let unread = list["unread"].as_i64().unwrap();
    assert_eq!(unread, list["total"].as_i64().unwrap());
    let first = list["items"][0]["id"].as_i64().unwrap();
    let out = w
        .app
        .post_json(&w.gus, "/notifications/read", json!({"ids": [first]}))
        .await
        .expect_status(S::OK);
    assert_eq!(out["marked_read"], 0);
    let (_, out) = w
        .app
        .post_json(&w.eve, "/notifications/read", json!({"ids": [first]}))
        .await;
    assert_eq!(out["marked_read"], 1);
    assert_eq!(out["unread"], unread - 1);
    let (_, only_unread) = w.app.get_json(&w.eve, "/notifications?unread=true").await;
    assert_eq!(only_unread["total"], unread - 1);
    let (_, out) = w.app.post_empty(&w.eve, "/notifications/read").await;
    assert_eq!(out["unread"], 0);
    assert_eq!(
        w.app
            .get_json(&w.eve, "/notifications?unread=maybe")
            .await
            .0,
        S::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn reminders_go_once_to_people_missing_last_week() {
    let w = world().await;
    // Pat submitted last week; Eve left hers a draft; Lee works on no project.
    let (status, body) = w
        .app
        .put_json(&w.pat, format!("/timesheets/{}/{}", w.pat_id, w.week), json!({"version": 0, "entries": [{"project_id": w.p1, "date": w.day(0), "minutes": 60}]}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    w.act(&w.pat, body["id"].as_i64().unwrap(), "submit", json!({}))
        .await;
    w.put_sheet(&w.eve, 0, json!([])).await;
    let url = w.app.database_url.clone();
    let on = |days: i64| {
        let (url, today) = (url.clone(), (w.week + Duration::days(days)).to_string());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_canopy"))
                .args(["remind", "--today", &today])
                .env("CANOPY_DATABASE_URL", &url)
                .env("RUST_LOG", "warn")
                .output()
                .expect("canopy runs")
        }
    };
    // Tuesday is nobody's reminder day (Monday is the default).
    let tuesday = tokio::task::spawn_blocking(on(8)).await.unwrap();
    assert!(
        String::from_utf8_lossy(&tuesday.stdout).contains("0 reminder(s) sent"),
        "{}",
        String::from_utf8_lossy(&tuesday.stderr)
    );
    assert_eq!(count(&w.kinds(&w.eve).await, "timesheet_reminder"), 0);
    let run = on(7);
    let first = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("1 reminder(s) sent"));
    assert_eq!(count(&w.kinds(&w.eve).await, "timesheet_reminder"), 1);
    assert_eq!(count(&w.kinds(&w.pat).await, "timesheet_reminder"), 0);
    assert_eq!(count(&w.kinds(&w.lee).await, "timesheet_reminder"), 0);
    // A second run tells nobody twice.
    let second = tokio::task::spawn_blocking(run).await.unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 reminder(s) sent"));
    assert_eq!(count(&w.kinds(&w.eve).await, "timesheet_reminder"), 1);
    let reminder = w
        .notifications(&w.eve)
        .await
        .into_iter()
        .find(|n| n["kind"] == "timesheet_reminder")
        .unwrap();
    assert_eq!(
        reminder["link"],
        format!("/timesheets/{}/{}", w.eve_id, w.week)
    );
}
