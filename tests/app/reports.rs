//! Reports through the API and pages: totals equal the entries they come from
//! (computed here independently), across month and quarter boundaries; nothing
//! from outside the viewer's subtree or behind a privacy border; bad filters
//! refused with a clear 4xx.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::timesheets::{World, post, world};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A project at `org` with `user` assigned from 2026-01-01.
pub(crate) async fn project_with(w: &World, org: i64, code: &str, user: i64) -> i64 {
    let p = post(
        &w.app,
        &w.ada,
        "/projects",
        json!({"org_id": org, "code": code, "name": format!("Project {code}"), "budget_minutes": 6000}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    w.app.assign(&w.ada, p, user, "member", "2026-01-01").await;
    p
}

/// Saves `user`'s week with `minutes[i]` on day i of `project`; answers the
/// entries as (date, minutes).
async fn log_week(
    w: &World,
    token: &str,
    user: i64,
    project: i64,
    monday: &str,
    minutes: &[i64],
) -> Vec<(NaiveDate, i64)> {
    let start = date(monday);
    let cells: Vec<(NaiveDate, i64)> = minutes
        .iter()
        .enumerate()
        .filter(|(_, m)| **m > 0)
        .map(|(i, m)| (start + Duration::days(i as i64), *m))
        .collect();
    let entries: Vec<Value> = cells
        .iter()
        .map(|(d, m)| json!({"project_id": project, "date": d.to_string(), "minutes": m}))
        .collect();
    w.app.save_week(token, user, monday, json!(entries)).await;
    cells
}

pub(crate) async fn report(w: &World, token: &str, name: &str, query: &str) -> (S, Value) {
    w.app
        .get_json(token, format!("/reports/{name}?{query}"))
        .await
}

/// Sums the `hours` column of a JSON report by the value of column `by`.
pub(crate) fn hours_by(report: &Value, by: &str) -> BTreeMap<String, f64> {
    let columns: Vec<&str> = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let key = columns.iter().position(|c| *c == by).unwrap();
    let hours = columns.iter().position(|c| *c == "hours").unwrap();
    let mut out = BTreeMap::new();
    for row in report["rows"].as_array().unwrap() {
        *out.entry(row[key].as_str().unwrap().to_string())
            .or_default() += row[hours].as_f64().unwrap();
    }
    out
}

fn round(map: BTreeMap<String, f64>) -> BTreeMap<String, String> {
    map.into_iter()
        .map(|(k, v)| (k, format!("{v:.2}")))
        .collect()
}

#[tokio::test]
async fn report_totals_equal_the_entries_across_month_and_quarter_boundaries() {
    let w = world().await;
    let px = project_with(&w, w.acme, "PX", w.eve_id).await;
    // Weeks that cross March/April (Q1/Q2) and June/July (Q2/Q3), odd minutes.
    let mut logged = log_week(
        &w,
        &w.eve,
        w.eve_id,
        px,
        "2026-03-30",
        &[60, 75, 90, 105, 120, 15, 30],
    )
    .await;
    logged.extend(
        log_week(
            &w,
            &w.eve,
            w.eve_id,
            px,
            "2026-06-29",
            &[480, 465, 0, 450, 15, 0, 45],
        )
        .await,
    );

    // The independent computation: straight from what was sent.
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_quarter: BTreeMap<String, i64> = BTreeMap::new();
    for (d, m) in &logged {
        *by_month
            .entry(format!("{}-{:02}", d.year(), d.month()))
            .or_default() += m;
        *by_quarter
            .entry(format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1))
            .or_default() += m;
    }
    let expect = |m: BTreeMap<String, i64>| -> BTreeMap<String, String> {
        m.into_iter()
            .map(|(k, v)| (k, format!("{:.2}", v as f64 / 60.0)))
            .collect()
    };
    let total: i64 = logged.iter().map(|(_, m)| m).sum();
    let query = format!(
        "org_id={}&from=2026-03-01&to=2026-07-31&user_id={}",
        w.acme, w.eve_id
    );

    let (status, monthly) = report(&w, &w.ada, "monthly-by-project", &query).await;
    assert_eq!(status, S::OK, "{monthly}");
    assert_eq!(round(hours_by(&monthly, "month")), expect(by_month.clone()));
    let (_, quarterly) = report(&w, &w.ada, "quarterly-by-project", &query).await;
    assert_eq!(round(hours_by(&quarterly, "quarter")), expect(by_quarter));
    let (_, entries) = report(&w, &w.ada, "entries", &query).await;
    assert_eq!(entries["rows"].as_array().unwrap().len(), logged.len());
    let (_, rollup) = report(&w, &w.ada, "org-rollup", &query).await;
    assert_eq!(
        round(hours_by(&rollup, "org_code")).get("ACME").cloned(),
        Some(format!("{:.2}", total as f64 / 60.0))
    );
    let (_, project_hours) = report(&w, &w.ada, "project-hours", &query).await;
    assert_eq!(round(hours_by(&project_hours, "month")), expect(by_month));
    assert_eq!(project_hours["rows"][0][5], 100.0, "budget of 6000 minutes");
    let (_, team) = report(
        &w,
        &w.ada,
        "team-hours",
        &format!(
            "org_id={}&from=2026-03-01&to=2026-07-31&team_id={}",
            w.acme, w.team
        ),
    )
    .await;
    let team_total: f64 = hours_by(&team, "team").values().sum();
    assert_eq!(
        format!("{team_total:.2}"),
        format!("{:.2}", total as f64 / 60.0)
    );
    let weeks: Vec<String> = hours_by(&team, "week_start").into_keys().collect();
    assert_eq!(weeks, ["2026-03-30", "2026-06-29"]);
    let (_, overview) = report(&w, &w.ada, "employee-overview", &query).await;
    assert_eq!(overview["rows"].as_array().unwrap().len(), 2, "{overview}");
    assert_eq!(overview["rows"][0][2], "draft");
    // Eve's draft weeks, and every other week she was assigned, are missing.
    let (_, missing) = report(&w, &w.ada, "missing-timesheets", &query).await;
    let missing_weeks: Vec<&str> = missing["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[1] == "Eve")
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert!(
        missing_weeks.contains(&"2026-03-30") && missing_weeks.contains(&"2026-04-06"),
        "{missing_weeks:?}"
    );

    // The CSV has the same columns and the same total.
    let csv = w
        .app
        .api(
            Method::GET,
            &format!("/reports/monthly-by-project?{query}&format=csv"),
            &w.ada,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), S::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("user,month,project_code,project,hours"));
    let csv_total: f64 = lines
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(
        format!("{csv_total:.2}"),
        format!("{:.2}", total as f64 / 60.0)
    );

    // The page shows the same total, and its CSV link works the same.
    let ada = w.app.signed_in_browser(ADMIN_EMAIL).await;
    let (status, html) = ada
        .get_page(&format!("/reports/monthly-by-project?{query}"))
        .await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!(
            "data-testid=\"report-total\">{:.2}",
            total as f64 / 60.0
        )),
        "{html}"
    );
    assert!(html.contains("<svg"));
    let response = ada
        .get(&format!("/reports/monthly-by-project?{query}&format=csv"))
        .await;
    assert_eq!(response.status(), S::OK);
    assert_eq!(response.text().await.unwrap(), text);
}

#[tokio::test]
async fn reports_stay_inside_the_viewers_scope() {
    let w = world().await;
    // Globex work, by Globex's own people.
    let globex = w.globex;
    let gina = w
        .app
        .create_user("gina@globex.example", "Gina", globex)
        .await;
    let g1 = project_with(&w, globex, "G1", gina.id).await;
    let gina_t = w.app.create_token(gina.id, "").await;
    log_week(
        &w,
        &gina_t,
        gina.id,
        g1,
        "2026-03-30",
        &[480, 480, 0, 0, 0, 0, 0],
    )
    .await;
    // Acme work, and East made private with its own project.
    let px = project_with(&w, w.acme, "PX", w.eve_id).await;
    let east = w.east;
    let pe = project_with(&w, east, "PE", w.eve_id).await;
    w.app.add_keeper(east).await;
    w.app.make_private(&w.ada, east).await;
    let entries: Vec<Value> = vec![
        json!({"project_id": px, "date": "2026-03-30", "minutes": 120}),
        json!({"project_id": pe, "date": "2026-03-31", "minutes": 240}),
    ];
    w.app
        .save_week(&w.eve, w.eve_id, "2026-03-30", json!(entries))
        .await;

    let period = "from=2026-03-01&to=2026-04-30";
    let codes = |r: &Value, col: usize| -> Vec<String> {
        let mut v: Vec<String> = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[col].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    // Gus (Globex admin): his own tenant only; Acme is not his to name.
    let (status, gus) = report(&w, &w.gus, "entries", period).await;
    assert_eq!(status, S::OK, "{gus}");
    assert_eq!(codes(&gus, 2), ["G1"]);
    let (status, body) = report(
        &w,
        &w.gus,
        "entries",
        &format!("{period}&org_id={}", w.acme),
    )
    .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["org_id"].is_string());
    // Olga (Acme admin): Acme's projects, not Globex's, not private East's.
    for name in ["entries", "monthly-by-project", "project-hours"] {
        let (_, olga) = report(&w, &w.olga, name, period).await;
        let col = if name == "project-hours" { 0 } else { 2 };
        assert_eq!(codes(&olga, col), ["PX"], "{name}: {olga}");
    }
    let (_, rollup) = report(
        &w,
        &w.olga,
        "org-rollup",
        &format!("{period}&org_id={}", w.acme),
    )
    .await;
    assert_eq!(
        codes(&rollup, 1),
        ["ACME"],
        "East's hours stay behind its border: {rollup}"
    );
    // Eve is at home behind the border: not in Olga's people reports.
    let (_, overview) = report(&w, &w.olga, "employee-overview", period).await;
    assert!(
        overview["rows"].as_array().unwrap().is_empty(),
        "{overview}"
    );
    // The root's owner is stopped at the border too, and sees Globex.
    let (_, ada) = report(&w, &w.ada, "entries", period).await;
    assert_eq!(codes(&ada, 2), ["G1", "PX"]);
    // Pat holds no report.view anywhere.
    let (status, body) = report(&w, &w.pat, "entries", period).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn bad_filters_get_a_clear_4xx() {
    let w = world().await;
    for (query, field) in [
        ("org_id=999999", "org_id"),
        ("org_id=abc", "org_id"),
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("from=2020-01-01&to=2026-01-02", "to"),
        ("from=01.01.2026", "from"),
        ("project_id=999999", "project_id"),
        ("team_id=999999", "team_id"),
        ("user_id=999999", "user_id"),
        ("format=xml", "format"),
    ] {
        let (status, body) = report(&w, &w.olga, "monthly-by-project", query).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{query}: {body}"
        );
    }
    let (status, _) = report(&w, &w.olga, "no-such-report", "").await;
    assert_eq!(status, S::NOT_FOUND);
    // Pages say the same next to the field.
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga
        .get_page("/reports/entries?from=2026-05-01&to=2026-04-01")
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    assert!(html.contains("cannot be before its start"));
    assert_eq!(
        olga.get("/reports/no-such-report").await.status(),
        S::NOT_FOUND
    );
}
