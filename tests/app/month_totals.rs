//! The monthly totals (`entry_month_totals`, kept by triggers) follow every
//! write to the entries: saves, edits, removed cells, a cell moved to another
//! project, a rejected and re-saved week, a project moved to another org. The
//! reports and roll-ups that read them answer what the raw entries add up to,
//! for whole and partial months, on both backends. The copy of a sheet's
//! submission time on its approval parts follows the sheet.

use std::collections::BTreeMap;

use canopy::db::schema::{approval_parts, entry_month_totals, time_entries, timesheets};
use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::ExpectStatus;
use crate::reports::{hours_by, project_with, report};
use crate::timesheets::{World, world};

/// Saves `user`'s week at `monday` as exactly `cells` (project, day offset,
/// minutes); answers the week.
async fn save_week(w: &World, token: &str, monday: NaiveDate, cells: &[(i64, i64, i64)]) -> Value {
    let (_, current) = w
        .app
        .get_json(token, format!("/timesheets/{}/{monday}", w.eve_id))
        .await;
    let version = current["version"].as_i64().unwrap_or(0);
    let entries: Vec<Value> = cells
        .iter()
        .map(|(p, d, m)| {
            json!({"project_id": p, "date": (monday + Duration::days(*d)).to_string(), "minutes": m})
        })
        .collect();
    let (status, body) = w
        .app
        .put_json(
            token,
            format!("/timesheets/{}/{monday}", w.eve_id),
            json!({"version": version, "entries": entries}),
        )
        .await;
    assert_eq!(status, S::OK, "{monday}: {body}");
    body
}

/// Every entry as (project, date, minutes), read straight from the table.
async fn raw_entries(w: &World) -> Vec<(i64, NaiveDate, i64)> {
    w.app
        .db
        .read(|c| {
            Ok(time_entries::table
                .select((
                    time_entries::project_id,
                    time_entries::entry_date,
                    time_entries::minutes,
                ))
                .load::<(i64, NaiveDate, i32)>(c)?)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|(p, d, m)| (p, d, i64::from(m)))
        .collect()
}

/// The totals table must equal the entries grouped by month, project, person.
async fn assert_totals_match(w: &World) {
    let db = &w.app.db;
    let (entries, totals) = db
        .read(|c| {
            let entries = time_entries::table
                .select((
                    time_entries::project_id,
                    time_entries::user_id,
                    time_entries::entry_date,
                    time_entries::minutes,
                ))
                .load::<(i64, i64, NaiveDate, i32)>(c)?;
            let totals = entry_month_totals::table
                .select((
                    entry_month_totals::month,
                    entry_month_totals::project_id,
                    entry_month_totals::user_id,
                    entry_month_totals::minutes,
                    entry_month_totals::entries,
                ))
                .load::<(NaiveDate, i64, i64, i64, i64)>(c)?;
            Ok((entries, totals))
        })
        .await
        .unwrap();
    let mut expect: BTreeMap<(NaiveDate, i64, i64), (i64, i64)> = BTreeMap::new();
    for (p, u, d, m) in entries {
        let sum = expect.entry((d.with_day(1).unwrap(), p, u)).or_default();
        sum.0 += i64::from(m);
        sum.1 += 1;
    }
    let got: BTreeMap<(NaiveDate, i64, i64), (i64, i64)> = totals
        .into_iter()
        .map(|(month, p, u, m, n)| ((month, p, u), (m, n)))
        .collect();
    assert_eq!(got, expect);
}

/// Every part carries its sheet's submission time (the inbox's order).
async fn assert_parts_follow_sheets(w: &World) {
    let pairs = w
        .app
        .db
        .read(|c| {
            Ok(approval_parts::table
                .inner_join(timesheets::table)
                .select((approval_parts::submitted_at, timesheets::submitted_at))
                .load::<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)>(c)?)
        })
        .await
        .unwrap();
    assert!(!pairs.is_empty());
    for (part, sheet) in pairs {
        assert!(part.is_some());
        assert_eq!(part, sheet);
    }
}

fn hours(minutes: i64) -> String {
    format!("{:.2}", minutes as f64 / 60.0)
}

/// The by-period and by-project reports, the entries report's row count (the
/// page's "all N rows") and its chart agree with the raw entries for `from..=to`.
async fn assert_reports_match(w: &World, codes: &BTreeMap<i64, &str>, from: &str, to: &str) {
    let (from_d, to_d) = (
        NaiveDate::parse_from_str(from, "%F").unwrap(),
        NaiveDate::parse_from_str(to, "%F").unwrap(),
    );
    let inside: Vec<(i64, NaiveDate, i64)> = raw_entries(w)
        .await
        .into_iter()
        .filter(|(_, d, _)| *d >= from_d && *d <= to_d)
        .collect();
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_quarter: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_project: BTreeMap<String, i64> = BTreeMap::new();
    for (p, d, m) in &inside {
        *by_month
            .entry(format!("{}-{:02}", d.year(), d.month()))
            .or_default() += m;
        *by_quarter
            .entry(format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1))
            .or_default() += m;
        *by_project.entry(codes[p].to_string()).or_default() += m;
    }
    let rounded = |m: BTreeMap<String, i64>| -> BTreeMap<String, String> {
        m.into_iter().map(|(k, v)| (k, hours(v))).collect()
    };
    let got = |r: &Value, by: &str| -> BTreeMap<String, String> {
        hours_by(r, by)
            .into_iter()
            .map(|(k, v)| (k, format!("{v:.2}")))
            .collect()
    };
    let query = format!("org_id={}&from={from}&to={to}", w.acme);
    let (status, monthly) = report(w, &w.ada, "monthly-by-project", &query).await;
    assert_eq!(status, S::OK, "{monthly}");
    assert_eq!(
        got(&monthly, "month"),
        rounded(by_month.clone()),
        "{from}..{to}"
    );
    let (_, quarterly) = report(w, &w.ada, "quarterly-by-project", &query).await;
    assert_eq!(
        got(&quarterly, "quarter"),
        rounded(by_quarter),
        "{from}..{to}"
    );
    let (_, project_hours) = report(w, &w.ada, "project-hours", &query).await;
    assert_eq!(
        got(&project_hours, "month"),
        rounded(by_month),
        "{from}..{to}"
    );
    assert_eq!(
        got(&project_hours, "project_code"),
        rounded(by_project.clone()),
        "{from}..{to}"
    );
    let (_, entries) = report(w, &w.ada, "entries", &query).await;
    assert_eq!(entries["rows"].as_array().unwrap().len(), inside.len());

    // The page: the row count and the chart's total come from the totals.
    let ada = w.app.new_browser();
    ada.sign_in(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let (status, html) = ada.get_page(&format!("/reports/entries?{query}")).await;
    assert_eq!(status, S::OK);
    if inside.is_empty() {
        assert!(html.contains("report-empty"), "{from}..{to}");
    } else {
        assert!(
            html.contains(&format!("(all {} rows)", inside.len())),
            "{from}..{to}: {html}"
        );
        let total: i64 = inside.iter().map(|(_, _, m)| m).sum();
        assert!(
            html.contains(&format!("data-testid=\"report-total\">{}", hours(total))),
            "{from}..{to}: {html}"
        );
    }
}

/// The org page's "Hours this month" against the raw entries of the month so
/// far on the projects of `projects`.
async fn assert_rollup_matches(w: &World, org: i64, projects: &[i64]) {
    let today = canopy::db::now().date();
    let month_start = today.with_day(1).unwrap();
    let expect: i64 = raw_entries(w)
        .await
        .into_iter()
        .filter(|(p, d, _)| projects.contains(p) && *d >= month_start && *d <= today)
        .map(|(_, _, m)| m)
        .sum();
    let ada = w.app.new_browser();
    ada.sign_in(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let (status, html) = ada.get_page(&format!("/orgs/{org}")).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("data-testid=\"rollup-hours\">{}", hours(expect))),
        "org {org}: expected {}",
        hours(expect)
    );
}

#[tokio::test]
async fn monthly_totals_follow_every_write_and_reports_agree_with_the_entries() {
    let w = world().await;
    let px = project_with(&w, w.acme, "PX", w.eve_id).await;
    let py = project_with(&w, w.acme, "PY", w.eve_id).await;
    let codes = BTreeMap::from([(px, "PX"), (py, "PY"), (w.p1, "P1"), (w.p2, "P2")]);
    let march_30 = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
    let april_27 = NaiveDate::from_ymd_opt(2026, 4, 27).unwrap();

    // Weeks across March/April and April/May, two projects.
    save_week(
        &w,
        &w.eve,
        march_30,
        &[
            (px, 0, 60),
            (px, 1, 75),
            (py, 1, 30),
            (px, 2, 90),
            (py, 6, 45),
        ],
    )
    .await;
    save_week(
        &w,
        &w.eve,
        april_27,
        &[(px, 3, 480), (py, 4, 465), (py, 5, 15)],
    )
    .await;
    assert_totals_match(&w).await;

    // Edit: new minutes, a removed cell, a cell moved from PX to PY.
    let sheet = save_week(
        &w,
        &w.eve,
        march_30,
        &[(px, 0, 120), (py, 1, 30), (py, 2, 90), (py, 6, 45)],
    )
    .await;
    assert_totals_match(&w).await;

    // Submitted, rejected, then edited again: the totals follow the entries.
    let id = sheet["id"].as_i64().unwrap();
    let (status, body) = w.act(&w.eve, id, "submit", json!({})).await;
    assert_eq!(status, S::OK, "{body}");
    let (status, body) = w
        .act(&w.ada, id, "reject", json!({"reason": "Tuesday is wrong"}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    save_week(&w, &w.eve, march_30, &[(px, 0, 120), (py, 2, 90)]).await;
    assert_totals_match(&w).await;
    let (status, body) = w.act(&w.eve, id, "submit", json!({})).await;
    assert_eq!(status, S::OK, "{body}");
    assert_parts_follow_sheets(&w).await;

    // This week and last, every day (some after today, some maybe in the
    // month before): the roll-up counts the month so far only.
    let this_week = w.week + Duration::days(7);
    let days: Vec<(i64, i64, i64)> = (0..7).map(|d| (px, d, 15 * (d + 1))).collect();
    save_week(&w, &w.eve, w.week, &days).await;
    save_week(&w, &w.eve, this_week, &days).await;
    assert_totals_match(&w).await;

    for (from, to) in [
        ("2026-03-01", "2026-05-31"),
        ("2026-03-15", "2026-05-02"),
        ("2026-03-31", "2026-04-01"),
        ("2026-04-01", "2026-04-30"),
        ("2026-04-02", "2026-04-29"),
        ("2026-06-01", "2026-06-30"),
    ] {
        assert_reports_match(&w, &codes, from, to).await;
    }
    let month = canopy::db::now().date().with_day(1).unwrap();
    let month_end = (month + Duration::days(32)).with_day(1).unwrap() - Duration::days(1);
    assert_reports_match(&w, &codes, &month.to_string(), &month_end.to_string()).await;
    assert_rollup_matches(&w, w.acme, &[px, py]).await;

    // PY moves under East: East's roll-up gains it, Acme's keeps it.
    save_week(
        &w,
        &w.eve,
        this_week,
        &[(py, 0, 45), (py, 6, 75), (px, 1, 15)],
    )
    .await;
    w.app
        .patch_json(&w.ada, format!("/projects/{py}"), json!({"org_id": w.east}))
        .await
        .expect_status(S::OK);
    assert_totals_match(&w).await;
    assert_rollup_matches(&w, w.east, &[py]).await;
    assert_rollup_matches(&w, w.acme, &[px, py]).await;
    assert_reports_match(&w, &codes, "2026-03-01", "2026-05-31").await;

    // Everything removed: no row is left behind.
    let (status, body) = w.act(&w.eve, id, "withdraw", json!({})).await;
    assert_eq!(status, S::OK, "{body}");
    for monday in [march_30, april_27, w.week, this_week] {
        save_week(&w, &w.eve, monday, &[]).await;
    }
    assert_totals_match(&w).await;
    assert_reports_match(&w, &codes, "2026-03-01", "2026-05-31").await;
}
