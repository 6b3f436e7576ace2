//! Paging with totals: report tables a page at a time with the whole
//! report's total, CSV downloads with every row (well past the old cap of
//! 1,000), the API's report paging, and the paged lists (teams, groups,
//! projects, people, audit): page 2 exists and differs, the total is right,
//! filters stay in the links, a wrong tenant never sees foreign rows on any
//! page, and bad page numbers are clamped, never a 500.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::Tree;
use crate::helpers::*;
use crate::timesheets::{World, post, world};

const PROJECTS: usize = 10;
const WEEKS: i64 = 15;
/// One entry per project and day of every week: 1,050 rows in `entries`.
const ENTRIES: usize = PROJECTS * 7 * WEEKS as usize;
const PERIOD: &str = "from=2026-01-01&to=2026-06-30";

/// Eve logs an hour a day on each of ten Acme projects for fifteen weeks.
async fn many_entries(w: &World) {
    let mut projects = Vec::new();
    for i in 0..PROJECTS {
        let p = post(
            &w.app,
            &w.ada,
            "/projects",
            json!({"org_id": w.acme, "code": format!("PG{i:02}"), "name": format!("Paged {i:02}")}),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        w.app
            .assign(&w.ada, p, w.eve_id, "member", "2026-01-01")
            .await;
        projects.push(p);
    }
    let first = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    for week in 0..WEEKS {
        let monday = first + Duration::weeks(week);
        let entries: Vec<Value> = projects
            .iter()
            .flat_map(|p| {
                (0..7).map(move |d| {
                    json!({"project_id": p, "date": (monday + Duration::days(d)).to_string(), "minutes": 60})
                })
            })
            .collect();
        w.app
            .save_week(&w.eve, w.eve_id, monday, json!(entries))
            .await;
    }
}

#[tokio::test]
async fn report_tables_page_with_totals_and_csv_streams_every_row() {
    let w = world().await;
    many_entries(&w).await;

    // The API keeps its contract: without paging, every row.
    let all = w
        .app
        .get_json(&w.olga, format!("/reports/entries?{PERIOD}"))
        .await
        .expect_status(S::OK);
    assert_eq!(all["rows"].as_array().unwrap().len(), ENTRIES);
    assert_eq!(all["columns"][0], "date");
    // With paging: one page, the total, and page 2 differs from page 1.
    let page = async |n: &str| {
        let path = format!("/reports/entries?{PERIOD}&page={n}&per_page=100");
        w.app.get_json(&w.olga, path).await.expect_status(S::OK)
    };
    let (one, two) = (page("1").await, page("2").await);
    assert_eq!(one["total"], ENTRIES);
    assert_eq!(two["page"], 2);
    assert_eq!(two["rows"].as_array().unwrap().len(), 100);
    assert_ne!(one["rows"], two["rows"]);
    assert_eq!(
        two["rows"][0], all["rows"][100],
        "pages follow the report's order"
    );
    // Past the end: the last page; garbage: a 422 on the field.
    let last = page("999").await;
    assert_eq!(last["page"], 11);
    assert_eq!(last["rows"].as_array().unwrap().len(), 50);
    let (status, body) = w.app.get_json(&w.olga, "/reports/entries?page=abc").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["page"].is_string(), "{body}");

    // CSV: every row past 1,000, the header once.
    let csv = w
        .app
        .api(
            Method::GET,
            &format!("/reports/entries?{PERIOD}&format=csv"),
            &w.olga,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), S::OK);
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ENTRIES + 1);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("date,user,")).count(),
        1
    );

    // The page: 50 rows, "showing 51–100 of 1,050", filters kept in the links.
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page(&format!("/reports/entries?{PERIOD}")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("Showing 1–50 of 1,050"), "{html}");
    assert_eq!(html.matches("<tr><td>2026-").count(), 50);
    assert!(
        html.contains("from=2026-01-01&#38;to=2026-06-30&#38;page=2"),
        "the next link keeps the filters: {html}"
    );
    assert!(
        html.contains("data-testid=\"report-total\">1050.00"),
        "{html}"
    );
    let (_, second) = olga
        .get_page(&format!("/reports/entries?{PERIOD}&page=2"))
        .await;
    assert!(second.contains("Showing 51–100 of 1,050"), "{second}");
    for bad in ["0", "-1", "abc", "99999999999999999999"] {
        let (status, html) = olga
            .get_page(&format!("/reports/entries?{PERIOD}&page={bad}"))
            .await;
        assert_eq!(status, S::OK, "page={bad}");
        assert!(html.contains("of 1,050"), "page={bad}");
    }
    let (_, past) = olga
        .get_page(&format!("/reports/entries?{PERIOD}&page=500"))
        .await;
    assert!(past.contains("Showing 1,001–1,050 of 1,050"), "{past}");
    // The page's download is the API's, whole.
    let response = olga
        .get(&format!("/reports/entries?{PERIOD}&format=csv"))
        .await;
    assert_eq!(response.status(), S::OK);
    assert_eq!(response.text().await.unwrap(), text);

    // Grouped reports page too; their total is the whole report's.
    let (_, monthly) = olga
        .get_page(&format!("/reports/monthly-by-project?{PERIOD}"))
        .await;
    assert!(
        monthly.contains("of 40"),
        "10 projects × 4 months: {monthly}"
    );
    assert!(monthly.contains("data-testid=\"report-total\">1050.00"));

    // The period is always shown: empty fields are filled with the default.
    let (_, default) = olga.get_page("/reports/entries").await;
    let today = chrono::Utc::now().date_naive();
    let month_start = today.with_day(1).unwrap();
    assert!(
        default.contains(&format!(
            "name=\"from\" type=\"date\" value=\"{month_start}\""
        )),
        "{default}"
    );
    assert!(default.contains("data-testid=\"report-period\">Period: "));

    // Another tenant sees none of it, on any page, in any format.
    let gus = w
        .app
        .get_json(&w.gus, format!("/reports/entries?{PERIOD}"))
        .await
        .expect_status(S::OK);
    assert!(gus["rows"].as_array().unwrap().is_empty(), "{gus}");
    let gus = w
        .app
        .get_json(
            &w.gus,
            format!("/reports/entries?{PERIOD}&page=2&per_page=10"),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(gus["total"], 0);
    w.app
        .get_json(
            &w.gus,
            format!("/reports/entries?{PERIOD}&org_id={}&format=csv", w.acme),
        )
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
}

/// `n` teams (or groups) named `{prefix} 00`… at `org`.
async fn many(w: &World, token: &str, kind: &str, org: i64, prefix: &str, n: usize) {
    for i in 0..n {
        post(
            &w.app,
            token,
            &format!("/{kind}"),
            json!({"org_id": org, "name": format!("{prefix} {i:02}")}),
        )
        .await;
    }
}

#[tokio::test]
async fn team_and_group_lists_page_in_sql_and_keep_to_the_tenant() {
    let w = world().await;
    for kind in ["teams", "groups"] {
        many(&w, &w.ada, kind, w.acme, "Acme unit", 55).await;
        many(&w, &w.ada, kind, w.globex, "Globex unit", 3).await;
    }
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    for kind in ["teams", "groups"] {
        let (status, first) = olga.get_page(&format!("/{kind}?q=unit")).await;
        assert_eq!(status, S::OK);
        assert!(first.contains("Showing 1–50 of 55"), "{kind}: {first}");
        assert!(first.contains("Acme unit 00") && !first.contains("Acme unit 50"));
        assert!(
            first.contains(&format!("/{kind}?q=unit&#38;page=2")),
            "{kind}: the filter stays in the link"
        );
        assert!(!first.contains("Globex unit"), "{kind}: {first}");
        let (_, second) = olga.get_page(&format!("/{kind}?q=unit&page=2")).await;
        assert!(second.contains("Showing 51–55 of 55"), "{kind}: {second}");
        assert!(second.contains("Acme unit 54") && !second.contains("Acme unit 00"));
        assert!(!second.contains("Globex unit"));
        for bad in ["0", "-3", "x", "100000000000"] {
            let (status, html) = olga.get_page(&format!("/{kind}?q=unit&page={bad}")).await;
            assert_eq!(status, S::OK, "{kind} page={bad}");
            assert!(html.contains("of 55"), "{kind} page={bad}");
        }
        // Globex's admin: three of theirs, none of Acme's, on any page.
        for page in ["1", "2", "9"] {
            let (status, html) = gus.get_page(&format!("/{kind}?page={page}")).await;
            assert_eq!(status, S::OK);
            assert!(html.contains("of 3"), "{kind}: {html}");
            assert!(!html.contains("Acme unit"), "{kind} page {page}");
        }
    }
    // Teams narrow to an org's subtree, and the link keeps it.
    many(&w, &w.ada, "teams", w.east, "East crew", 52).await;
    let (_, east) = olga.get_page(&format!("/teams?org_id={}", w.east)).await;
    assert!(
        east.contains("of 53"),
        "52 and the world's own team: {east}"
    );
    assert!(
        east.contains(&format!("org_id={}&#38;page=2", w.east)),
        "{east}"
    );
    let (status, _) = gus.get_page(&format!("/teams?org_id={}", w.east)).await;
    assert_eq!(status, S::NOT_FOUND);
}

#[tokio::test]
async fn the_people_and_audit_lists_use_the_one_pager() {
    let w = world().await;
    for i in 0..52 {
        w.app
            .create_user(
                &format!("p{i:02}@acme.example"),
                &format!("Person {i:02}"),
                w.acme,
            )
            .await;
    }
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, first) = olga.get_page("/users?q=person").await;
    assert_eq!(status, S::OK);
    assert!(first.contains("Showing 1–50 of 52"), "{first}");
    assert!(first.contains("/users?q=person&#38;page=2"));
    let (_, last) = olga.get_page("/users?q=person&page=77").await;
    assert!(last.contains("Showing 51–52 of 52"), "{last}");
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    for page in ["1", "2"] {
        let (_, html) = gus.get_page(&format!("/users?q=person&page={page}")).await;
        assert!(!html.contains("Person 0"), "{html}");
    }
    let (status, audit) = olga.get_page("/audit?action=user.").await;
    assert_eq!(status, S::OK);
    assert!(audit.contains("data-testid=\"pager-summary\""), "{audit}");
    assert!(audit.contains("Showing 1–50 of"), "{audit}");
    assert!(audit.contains("action=user.&#38;page=2"), "{audit}");
}

/// The projects page and `GET /api/v1/projects` list through one domain
/// function (`project::visible_page`): an org admin of Acme sees Acme's
/// projects on both, a page at a time with the same total, and Globex's on
/// neither.
#[tokio::test]
async fn the_projects_page_and_the_api_list_the_same_projects() {
    use canopy::authz::BuiltinRole;
    use canopy::domain::audit::Actor;
    use canopy::domain::grant;
    let tree = Tree::new().await;
    let (app, owner_token) = (&tree.app, &tree.ada);
    let (acme, globex) = (tree.acme, tree.globex);
    for (org, code) in [
        (acme, "ACM-1"),
        (acme, "ACM-2"),
        (acme, "ACM-3"),
        (globex, "GLX-1"),
    ] {
        app.post_created(
            owner_token,
            "/projects",
            json!({"org_id": org, "code": code, "name": format!("Project {code}")}),
        )
        .await;
    }
    let admin = app
        .create_user("acme.admin@example.com", "Acme Admin", acme)
        .await;
    let id = admin.id;
    app.db
        .write(move |conn| {
            grant::grant_builtin_at_org(
                conn,
                &Actor::cli(),
                canopy::ids::UserId(id),
                BuiltinRole::OrgAdmin,
                canopy::ids::OrgId(acme),
            )
        })
        .await
        .expect("granted");
    let token = app.create_token(admin.id, "").await;

    let mut from_api = Vec::new();
    for page in 1..=2 {
        let body = app
            .get_json(&token, format!("/projects?per_page=2&page={page}"))
            .await
            .expect_status(S::OK);
        assert_eq!(body["total"], json!(3), "{body}");
        for item in body["items"].as_array().unwrap() {
            from_api.push(item["code"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(from_api, ["ACM-1", "ACM-2", "ACM-3"]);

    app.sign_in("acme.admin@example.com", ADMIN_PASSWORD).await;
    let (status, html) = app.get_page("/projects").await;
    assert_eq!(status, S::OK);
    for code in &from_api {
        assert!(html.contains(code.as_str()), "{code} on the page");
    }
    assert!(!html.contains("GLX-1"), "Globex's project stays hidden");
    assert!(html.contains("of 3"), "the page counts the same total");
}
