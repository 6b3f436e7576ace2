//! The root owner's reports read in proportion to the page (issue 12): the
//! entries report walks its days (people in name order, a day at a time)
//! once a period holds enough rows, the org roll-up reads whole months from
//! the monthly totals, the team reports sum per person and day before the
//! names, and missing timesheets answer at once when no week can be late.
//! Each is checked against what the rows themselves say: pages in any size
//! add up to the unpaged report in the same order, the totals are the raw
//! entries', and an org gone private is gone from every page.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::ADMIN_EMAIL;
use crate::reports::report;
use crate::timesheets::{World, post, world};

/// Acme projects, then East ones.
const ACME_PROJECTS: usize = 8;
const EAST_PROJECTS: usize = 2;
const WEEKS: i64 = 8;
/// Three people, every project, every day: 1,680 entries (1,344 on Acme's
/// projects), over the 1,000 from which the entries report walks its days.
const PEOPLE: usize = 3;
const ALL: usize = PEOPLE * (ACME_PROJECTS + EAST_PROJECTS) * 7 * WEEKS as usize;
const OPEN: usize = PEOPLE * ACME_PROJECTS * 7 * WEEKS as usize;
const FIRST: &str = "2026-01-05";
const PERIOD: &str = "from=2026-01-01&to=2026-03-31";

struct Logged {
    /// Code of each project by id.
    codes: BTreeMap<i64, String>,
    /// Every entry: date, person, project code, minutes.
    entries: Vec<(NaiveDate, String, String, i64)>,
}

/// Eve, Pat and Lee (all at East) log on every project each day for eight
/// weeks, with minutes that differ by person, project and day.
async fn logged(w: &World) -> Logged {
    let mut codes = BTreeMap::new();
    let mut projects = Vec::new();
    for i in 0..ACME_PROJECTS + EAST_PROJECTS {
        let (org, code) = if i < ACME_PROJECTS {
            (w.acme, format!("SA{i:02}"))
        } else {
            (w.east, format!("SE{i:02}"))
        };
        let p = post(
            &w.app,
            &w.ada,
            "/projects",
            json!({"org_id": org, "code": code, "name": format!("Scale {code}")}),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        for user in [w.eve_id, w.pat_id, w.lee_id] {
            w.app.assign(&w.ada, p, user, "member", "2026-01-01").await;
        }
        codes.insert(p, code);
        projects.push(p);
    }
    let first = NaiveDate::parse_from_str(FIRST, "%Y-%m-%d").unwrap();
    let mut entries = Vec::new();
    let people = [
        (w.eve_id, w.eve.clone(), "Eve", 1),
        (w.pat_id, w.pat.clone(), "Pat", 2),
        (w.lee_id, w.lee.clone(), "Lee", 3),
    ];
    for (user, token, name, k) in &people {
        for week in 0..WEEKS {
            let monday = first + Duration::weeks(week);
            let mut cells = Vec::new();
            for (j, p) in projects.iter().enumerate() {
                for d in 0..7 {
                    let day = monday + Duration::days(d);
                    let minutes = 15 * (1 + (k + j as i64 + d + week) % 8);
                    cells.push(
                        json!({"project_id": p, "date": day.to_string(), "minutes": minutes}),
                    );
                    entries.push((day, name.to_string(), codes[p].clone(), minutes));
                }
            }
            w.app.save_week(token, *user, monday, json!(cells)).await;
        }
    }
    assert_eq!(entries.len(), ALL);
    Logged { codes, entries }
}

/// East goes private with Olga inside it: Ada, the root's owner, no longer
/// sees East's projects.
async fn east_private(w: &World) {
    w.app
        .grant_role(&w.ada, "Org admin", w.olga_id, w.east)
        .await;
    w.app.make_private(&w.ada, w.east).await;
}

/// The unpaged rows, and every page of `per_page` joined; checks each page's
/// total on the way.
async fn whole_and_paged(
    w: &World,
    token: &str,
    name: &str,
    query: &str,
    per_page: usize,
) -> (Vec<Value>, Vec<Value>) {
    let (status, all) = report(w, token, name, query).await;
    assert_eq!(status, S::OK, "{all}");
    let all = all["rows"].as_array().unwrap().clone();
    let mut paged = Vec::new();
    let pages = all.len().div_ceil(per_page).max(1);
    for n in 1..=pages {
        let (status, body) = report(
            w,
            token,
            name,
            &format!("{query}&page={n}&per_page={per_page}"),
        )
        .await;
        assert_eq!(status, S::OK, "{body}");
        assert_eq!(body["total"], all.len(), "{name} page {n}: the total");
        assert_eq!(body["page"], n);
        paged.extend(body["rows"].as_array().unwrap().iter().cloned());
    }
    (all, paged)
}

/// The entries report's rows as (date, person, code, minutes).
fn as_entries(rows: &[Value]) -> Vec<(String, String, String, i64)> {
    rows.iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
                r[2].as_str().unwrap().to_string(),
                (r[4].as_f64().unwrap() * 60.0).round() as i64,
            )
        })
        .collect()
}

/// What the entries report must answer: the entries on `visible` projects,
/// by day, person's name and project code.
fn expected(l: &Logged, visible: impl Fn(&str) -> bool) -> Vec<(String, String, String, i64)> {
    let mut rows: Vec<_> = l
        .entries
        .iter()
        .filter(|e| visible(&e.2))
        .map(|(d, u, c, m)| (d.to_string(), u.clone(), c.clone(), *m))
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn the_entries_report_walks_its_days_in_order_with_totals_and_hides_private_orgs() {
    let w = world().await;
    let l = logged(&w).await;
    assert_eq!(l.codes.len(), ACME_PROJECTS + EAST_PROJECTS);
    let query = format!("org_id={}&{PERIOD}", w.acme);

    // Pages of 37 (crossing days and people) add up to the unpaged report,
    // which is every entry, in order.
    let (all, paged) = whole_and_paged(&w, &w.ada, "entries", &query, 37).await;
    assert_eq!(all.len(), ALL);
    assert_eq!(paged, all, "pages follow the report's order");
    assert_eq!(as_entries(&all), expected(&l, |_| true));
    // A page deep inside a day, and the last page, alone.
    let (status, body) = report(
        &w,
        &w.ada,
        "entries",
        &format!("{query}&page=7&per_page=50"),
    )
    .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["rows"].as_array().unwrap()[..], all[300..350]);
    let (status, body) = report(
        &w,
        &w.ada,
        "entries",
        &format!("{query}&page=999&per_page=50"),
    )
    .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["page"], ALL.div_ceil(50));
    assert_eq!(body["rows"].as_array().unwrap()[..], all[ALL / 50 * 50..]);
    // The page (HTML) shows the whole report's hours.
    let total: i64 = l.entries.iter().map(|e| e.3).sum();
    let ada = w.app.signed_in_browser(ADMIN_EMAIL).await;
    let (status, html) = ada.get_page(&format!("/reports/entries?{query}")).await;
    assert_eq!(status, S::OK);
    let shown = format!("data-testid=\"report-total\">{:.2}<", total as f64 / 60.0);
    assert!(html.contains(&shown), "total {shown} on the page");
    assert!(html.contains("all 1,680 rows"), "the row count on the page");

    // East goes private: Ada's pages lose East's projects, every page.
    east_private(&w).await;
    let (all, paged) = whole_and_paged(&w, &w.ada, "entries", &query, 50).await;
    assert_eq!(all.len(), OPEN);
    assert_eq!(paged, all);
    assert_eq!(as_entries(&all), expected(&l, |c| c.starts_with("SA")));
    // Olga, inside, still sees everything, paged the same way.
    let (all, paged) = whole_and_paged(&w, &w.olga, "entries", &query, 64).await;
    assert_eq!(all.len(), ALL);
    assert_eq!(paged, all);
    // Another tenant's admin cannot ask for Acme at all.
    let (status, _) = report(&w, &w.gus, "entries", &query).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
}

/// Sums minutes of `rows` by the text of column `key` (hours in column `hours`).
fn minutes_by(rows: &[Value], key: usize, hours: usize) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r[key].as_str().unwrap().to_string()).or_default() +=
            (r[hours].as_f64().unwrap() * 60.0).round() as i64;
    }
    out
}

#[tokio::test]
async fn roll_up_team_and_missing_reports_page_with_raw_totals_and_hide_private_orgs() {
    let w = world().await;
    let l = logged(&w).await;
    // Whole January and February from the monthly totals, and the first
    // days of March from the entries.
    let query = format!("org_id={}&from=2026-01-01&to=2026-03-01", w.acme);
    let last = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let in_period = |d: &NaiveDate| *d <= last;
    let sum = |east: bool| -> i64 {
        l.entries
            .iter()
            .filter(|e| in_period(&e.0) && e.2.starts_with("SE") == east)
            .map(|e| e.3)
            .sum()
    };
    let (status, body) = report(&w, &w.ada, "org-rollup", &query).await;
    assert_eq!(status, S::OK, "{body}");
    let rows = body["rows"].as_array().unwrap();
    let by_org = minutes_by(rows, 0, 2);
    assert_eq!(
        by_org,
        BTreeMap::from([
            ("Acme (itself)".to_string(), sum(false)),
            ("East".to_string(), sum(true))
        ])
    );
    let (all, paged) = whole_and_paged(&w, &w.ada, "org-rollup", &query, 1).await;
    assert_eq!(paged, all);

    // Team hours: Eve is in Field (Lee leads it); every minute of hers, by week.
    let eve_total: i64 = l
        .entries
        .iter()
        .filter(|e| in_period(&e.0) && e.1 == "Eve")
        .map(|e| e.3)
        .sum();
    let lee_total: i64 = l
        .entries
        .iter()
        .filter(|e| in_period(&e.0) && e.1 == "Lee")
        .map(|e| e.3)
        .sum();
    let (all, paged) = whole_and_paged(&w, &w.ada, "team-hours", &query, 3).await;
    assert_eq!(paged, all);
    let by_user = minutes_by(&all, 1, 3);
    assert_eq!(by_user.get("Eve"), Some(&eve_total));
    assert_eq!(by_user.get("Lee"), Some(&lee_total));
    let (all, paged) = whole_and_paged(&w, &w.ada, "team-projects-users", &query, 4).await;
    assert_eq!(paged, all);
    assert_eq!(minutes_by(&all, 3, 4).get("Eve"), Some(&eve_total));
    // Filtered to one person, the same sums.
    let (status, body) = report(
        &w,
        &w.ada,
        "team-hours",
        &format!("{query}&user_id={}", w.eve_id),
    )
    .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(
        minutes_by(body["rows"].as_array().unwrap(), 1, 3),
        BTreeMap::from([("Eve".to_string(), eve_total)])
    );

    // East goes private: no East row in Ada's roll-up; Field (at East) is
    // not Ada's to see, so her team reports have no row of it.
    east_private(&w).await;
    let (status, body) = report(&w, &w.ada, "org-rollup", &query).await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(
        minutes_by(body["rows"].as_array().unwrap(), 0, 2),
        BTreeMap::from([("Acme (itself)".to_string(), sum(false))])
    );
    for name in ["team-hours", "team-projects-users"] {
        let (all, paged) = whole_and_paged(&w, &w.ada, name, &query, 2).await;
        assert_eq!(paged, all);
        assert!(all.is_empty(), "{name}: {all:?}");
    }
    let (status, body) = report(&w, &w.olga, "org-rollup", &query).await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(minutes_by(body["rows"].as_array().unwrap(), 0, 2), by_org);

    // Missing timesheets: a period whose weeks are not over yet has none,
    // a past one lists the weeks nobody submitted (every week here is a
    // draft), paged with its total.
    let today = w.week + Duration::days(7);
    let (status, body) = report(
        &w,
        &w.olga,
        "missing-timesheets",
        &format!(
            "org_id={}&from={today}&to={}",
            w.acme,
            today + Duration::days(60)
        ),
    )
    .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 0);
    let (all, paged) = whole_and_paged(
        &w,
        &w.olga,
        "missing-timesheets",
        &format!("org_id={}&{PERIOD}", w.acme),
        5,
    )
    .await;
    assert_eq!(paged, all);
    assert!(all.len() >= PEOPLE * WEEKS as usize, "{}", all.len());
    let (all, _) = whole_and_paged(
        &w,
        &w.ada,
        "missing-timesheets",
        &format!("org_id={}&{PERIOD}", w.acme),
        5,
    )
    .await;
    assert!(
        all.iter().all(|r| r[3].as_str() != Some("East")),
        "East's people are not Ada's to list: {all:?}"
    );
}

/// Project hours as (code, person, month, minutes, the project's minutes).
fn as_project_hours(rows: &[Value]) -> Vec<(String, String, String, i64, i64)> {
    let minutes = |v: &Value| (v.as_f64().unwrap() * 60.0).round() as i64;
    rows.iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[2].as_str().unwrap().to_string(),
                r[3].as_str().unwrap().to_string(),
                minutes(&r[4]),
                minutes(&r[6]),
            )
        })
        .collect()
}

/// What project hours must answer for the days up to `last`: the entries of
/// `visible` projects summed by project, person and month, in that order,
/// each row with its project's sum.
fn expected_project_hours(
    l: &Logged,
    last: NaiveDate,
    visible: impl Fn(&str) -> bool,
) -> Vec<(String, String, String, i64, i64)> {
    let mut groups: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut projects: BTreeMap<String, i64> = BTreeMap::new();
    for (day, person, code, minutes) in &l.entries {
        if *day <= last && visible(code) {
            let month = day.format("%Y-%m").to_string();
            *groups
                .entry((code.clone(), person.clone(), month))
                .or_default() += minutes;
            *projects.entry(code.clone()).or_default() += minutes;
        }
    }
    groups
        .into_iter()
        .map(|((code, person, month), m)| {
            let project = projects[&code];
            (code, person, month, m, project)
        })
        .collect()
}

#[tokio::test]
async fn project_hours_walk_the_projects_in_code_order_with_raw_sums_and_hide_private_orgs() {
    let w = world().await;
    let l = logged(&w).await;
    let february = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let march_first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    // Whole months read the monthly totals project by project; a period
    // that ends inside a month adds up the entries of its last days.
    for (query, last) in [
        (
            format!("org_id={}&from=2026-01-01&to=2026-02-28", w.acme),
            february,
        ),
        (
            format!("org_id={}&from=2026-01-01&to=2026-03-01", w.acme),
            march_first,
        ),
    ] {
        let (all, paged) = whole_and_paged(&w, &w.ada, "project-hours", &query, 7).await;
        assert_eq!(paged, all, "{query}");
        assert_eq!(
            as_project_hours(&all),
            expected_project_hours(&l, last, |_| true),
            "{query}"
        );
        // The download carries the same rows in the same order.
        let csv = w
            .app
            .api(
                Method::GET,
                &format!("/reports/project-hours?{query}&format=csv"),
                &w.ada,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), S::OK);
        let csv = csv.text().await.unwrap();
        let lines: Vec<(&str, &str)> = csv
            .lines()
            .skip(1)
            .map(|l| {
                let mut fields = l.split(',');
                (fields.next().unwrap(), fields.nth(1).unwrap())
            })
            .collect();
        let shown: Vec<(&str, &str)> = all
            .iter()
            .map(|r| (r[0].as_str().unwrap(), r[2].as_str().unwrap()))
            .collect();
        assert_eq!(lines, shown, "{query}: code and person of each row");
    }

    // East goes private: its projects leave Ada's report, pages and sums.
    east_private(&w).await;
    let query = format!("org_id={}&from=2026-01-01&to=2026-02-28", w.acme);
    let (all, paged) = whole_and_paged(&w, &w.ada, "project-hours", &query, 7).await;
    assert_eq!(paged, all);
    assert_eq!(
        as_project_hours(&all),
        expected_project_hours(&l, february, |code| !code.starts_with("SE"))
    );
}
