//! The approvals inbox's filters: the project, team and org are pickers
//! (`domain::pick`) that take a suggestion's value, a code, a path or an id;
//! the week and the order; all kept in the URL and in the shared pager's
//! links; and what another tenant types answers like what does not exist.

use chrono::Duration;
use reqwest::StatusCode as S;

use crate::helpers::ExpectStatus;
use crate::inbox_paging::{SAMS, WESTS, inbox, rows};

#[tokio::test]
async fn each_filter_and_the_order_are_kept_in_the_url() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let count = |html: &str| rows(html).len();
    // Project by code and by number.
    for p in ["p2", &i.w.p2.to_string()] {
        let (status, html) = olga.get_page(&format!("/approvals?project={p}")).await;
        assert_eq!(status, S::OK);
        assert_eq!(count(&html), SAMS, "{p}");
        assert!(
            html.contains("Showing 1\u{2013}30 of 30 matching project Project P2 (P2)"),
            "{html}"
        );
        // The filter rides along in the links that keep it.
        assert!(
            html.contains(&format!("/approvals/approve-all?project={p}")),
            "{html}"
        );
    }
    // The old field names still work.
    let (_, html) = olga
        .get_page(&format!("/approvals?project_id={}", i.w.p2))
        .await;
    assert_eq!(count(&html), SAMS);
    // Team by name: Lee's team holds three West people (team parts) and Eve.
    let (_, html) = olga.get_page("/approvals?team=field").await;
    assert_eq!(count(&html), 3, "{html}");
    let (_, html) = olga
        .get_page(&format!("/approvals?team={}", i.w.team))
        .await;
    assert_eq!(count(&html), 3);
    // Org and below, by code or number.
    let (_, html) = olga.get_page("/approvals?org=acme-west").await;
    assert_eq!(count(&html), WESTS);
    let (_, html) = olga.get_page(&format!("/approvals?org={}", i.w.acme)).await;
    assert!(html.contains("of 70"), "everything under Acme");
    // The week that contains a day (Wednesday of last week).
    let wednesday = i.w.week + Duration::days(2);
    let (_, html) = olga.get_page(&format!("/approvals?week={wednesday}")).await;
    assert_eq!(count(&html), SAMS * 2 / 3 + 4, "{html}");
    // Filters combine.
    let (_, html) = olga
        .get_page(&format!(
            "/approvals?project=P1&org=ACME-EAST&week={}",
            i.w.week
        ))
        .await;
    assert_eq!(count(&html), SAMS / 3);
    // Newest first reverses the order.
    let (_, oldest) = olga.get_page("/approvals?org=acme-west").await;
    let (_, newest) = olga.get_page("/approvals?org=acme-west&sort=newest").await;
    let mut reversed = rows(&oldest);
    reversed.reverse();
    assert_eq!(rows(&newest), reversed);
    assert!(newest.contains("<option value=\"newest\" selected>"));
    // Bad input: 422 with the message next to the field, never a 500.
    for (query, message) in [
        ("week=garbage", "Week must be a date like"),
        ("week=2026-13-45", "Week must be a date like"),
        ("sort=sideways", "Sort by oldest or newest."),
        ("project=NOPE", "No project you may choose here"),
        ("team=nobody", "No team you may choose here"),
        ("org=%3Cscript%3E", "No organization you may choose here"),
        (
            "org=99999999999999999999999",
            "No organization you may choose here",
        ),
    ] {
        let (status, html) = olga.get_page(&format!("/approvals?{query}")).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{query}");
        assert!(html.contains(message), "{query}: {html}");
        assert!(!html.contains("<script>"));
    }
    // The API refuses a bad order and narrows by org.
    i.app()
        .get_json(&i.w.olga, "/approvals?sort=sideways")
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    let (_, body) = i
        .app()
        .get_json(
            &i.w.olga,
            &format!("/approvals?org_id={}&sort=newest", i.west),
        )
        .await;
    assert_eq!(body["total"], WESTS);
}

/// The `value`s of a picker's suggestions (`/pick/…`), in order.
fn option_values(html: &str) -> Vec<String> {
    html.split("value=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).unwrap()[2..].to_string()
}

/// The value the picker field `name` shows on a page.
fn field_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} field: {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_project_team_and_org_filters_are_pickers_that_take_a_suggestion_or_an_id() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/approvals").await;
    assert_eq!(status, S::OK);
    for kind in ["projects", "teams", "orgs"] {
        assert!(
            html.contains(&format!("data-picker=\"{kind}\"")),
            "{kind} is a picker: {html}"
        );
    }
    // What a suggestion puts in the field filters the inbox, as its id does;
    // the field then shows the picker's value, whichever was given.
    for (kind, q, name, id, expected) in [
        ("projects", "p2", "project", i.w.p2, SAMS),
        ("teams", "field", "team", i.w.team, 3),
        ("orgs", "west", "org", i.west, WESTS),
    ] {
        let (status, options) = olga.get_page(&format!("/pick/{kind}?q={q}")).await;
        assert_eq!(status, S::OK);
        let values = option_values(&options);
        assert_eq!(values.len(), 1, "{kind}: {options}");
        let picked = &values[0];
        let (status, by_label) = olga
            .get_page(&format!("/approvals?{name}={}", urlencode(picked)))
            .await;
        assert_eq!(status, S::OK, "{picked}: {by_label}");
        assert_eq!(rows(&by_label).len(), expected, "{picked}");
        assert_eq!(&field_value(&by_label, name), picked);
        let (_, by_id) = olga.get_page(&format!("/approvals?{name}={id}")).await;
        assert_eq!(rows(&by_id), rows(&by_label), "{name}={id}");
        assert_eq!(&field_value(&by_id, name), picked, "{name}={id}");
    }
    // An org by its path, said back by its path.
    let (_, html) = olga.get_page("/approvals?org=Acme%20%2F%20West").await;
    assert_eq!(rows(&html).len(), WESTS);
    assert!(
        html.contains("matching organization Acme / West and below"),
        "{html}"
    );
    // A refused value stays in its field as typed, with the message by it.
    let (status, html) = olga.get_page("/approvals?team=nobody").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    assert_eq!(field_value(&html, "team"), "nobody");
    assert!(html.contains("id=\"f-team-error\""), "{html}");
    // Lee leads Field: his own team's filter works for him.
    let lee = i.browser("lee@acme.example").await;
    let (status, html) = lee.get_page(&format!("/approvals?team={}", i.w.team)).await;
    assert_eq!(status, S::OK, "{html}");
    assert_eq!(rows(&html).len(), 3);
}

#[tokio::test]
async fn the_inbox_pages_with_the_shared_pager_and_keeps_its_filter() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let (_, html) = olga.get_page("/approvals?org=ACME&sort=newest").await;
    assert!(
        html.contains("data-testid=\"pager-next\"") && html.contains("Page 1 of 2"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/approvals?org=ACME&#38;sort=newest&#38;page=2\""),
        "{html}"
    );
    let (_, second) = olga
        .get_page("/approvals?org=ACME&sort=newest&page=2")
        .await;
    let total = SAMS * 2 + WESTS;
    assert!(
        second.contains(&format!("Showing 51\u{2013}{total} of {total}")),
        "{second}"
    );
    assert!(second.contains("data-testid=\"pager-prev\""));
}

#[tokio::test]
async fn another_tenant_sees_nothing_and_learns_nothing_from_the_filters() {
    let i = inbox().await;
    let gus = i.browser("gus@globex.example").await;
    let (status, html) = gus.get_page("/approvals").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"inbox-empty\""));
    // Acme's org, project and team answer exactly like ones that do not exist.
    for (real, fake) in [
        ("org=ACME".to_string(), "org=NOSUCH".to_string()),
        (format!("org={}", i.w.acme), "org=987654".to_string()),
        ("project=P1".to_string(), "project=NOPE".to_string()),
        (format!("project={}", i.w.p1), "project=987654".to_string()),
        ("team=Field".to_string(), "team=nobody".to_string()),
        (format!("team={}", i.w.team), "team=987654".to_string()),
        // What Acme's pickers would suggest, typed by someone of Globex.
        (
            "team=Field%20(ACME-EAST)".to_string(),
            "team=Nobody%20(ACME-EAST)".to_string(),
        ),
        (
            "org=Acme%20%2F%20East".to_string(),
            "org=Acme%20%2F%20Nowhere".to_string(),
        ),
    ] {
        let (s1, a) = gus.get_page(&format!("/approvals?{real}")).await;
        let (s2, b) = gus.get_page(&format!("/approvals?{fake}")).await;
        assert_eq!((s1, s2), (S::UNPROCESSABLE_ENTITY, S::UNPROCESSABLE_ENTITY));
        let strip = |h: &str| h.replace(&real, "").replace(&fake, "");
        let field_error = |h: &str| {
            let at = h.find("class=\"field-error\">").unwrap();
            h[at..at + 80].to_string()
        };
        assert_eq!(field_error(&strip(&a)), field_error(&strip(&b)), "{real}");
    }
    let (_, body) = i
        .app()
        .get_json(&i.w.gus, &format!("/approvals?org_id={}", i.w.acme))
        .await;
    assert_eq!(body["total"], 0);
    let (status, html) = gus.get_page("/approvals/approve-all").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"confirm-none\""));
}
