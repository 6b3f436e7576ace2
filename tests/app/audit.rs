//! The audit log through the API and its page: an auditor reads the entries of
//! their subtree only (no other tenant, nothing behind a privacy border),
//! filters work, bad filters are 4xx, and no route changes or deletes an entry.

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::timesheets::world;

fn orgs_of(list: &Value) -> Vec<Option<i64>> {
    let mut v: Vec<Option<i64>> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["org_id"].as_i64())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[tokio::test]
async fn auditors_read_their_subtree_only() {
    let w = world().await;
    // Some work in East (Eve's week) and in Globex.
    w.put_sheet(
        &w.eve,
        0,
        json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60}]),
    )
    .await;
    w.app
        .post_created(
            &w.gus,
            "/groups",
            json!({"org_id": w.globex, "name": "Globex crew"}),
        )
        .await;

    let olga = w
        .app
        .get_json(&w.olga, "/audit?per_page=200")
        .await
        .expect_status(S::OK);
    assert_eq!(
        orgs_of(&olga),
        [Some(w.acme), Some(w.east), Some(w.west), Some(w.boston)],
        "Acme's subtree only"
    );
    let (_, gus) = w.app.get_json(&w.gus, "/audit?per_page=200").await;
    assert_eq!(orgs_of(&gus), [Some(w.globex)]);
    let (_, ada) = w.app.get_json(&w.ada, "/audit?per_page=200").await;
    assert!(orgs_of(&ada).contains(&Some(w.globex)) && orgs_of(&ada).contains(&Some(w.acme)));

    // Filters: an action prefix, an actor, a target.
    let (_, saved) = w.app.get_json(&w.olga, "/audit?action=timesheet.").await;
    let actions: Vec<&str> = saved["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["timesheet.saved"]);
    assert_eq!(saved["items"][0]["after"]["user_id"], w.eve_id);
    let (_, by_eve) = w
        .app
        .get_json(&w.olga, format!("/audit?actor_id={}", w.eve_id))
        .await;
    assert!(
        by_eve["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == w.eve_id)
    );
    assert_eq!(by_eve["total"], 1);

    // Behind a privacy border East's entries leave Olga's log.
    w.app.add_keeper(w.east).await;
    w.app.make_private(&w.ada, w.east).await;
    let (_, olga) = w.app.get_json(&w.olga, "/audit?per_page=200").await;
    assert!(
        !orgs_of(&olga).contains(&Some(w.east)),
        "{:?}",
        orgs_of(&olga)
    );

    // Bad filters, and people who may read no log.
    for (query, field) in [
        ("org_id=999999", "org_id"),
        (&*format!("org_id={}", w.globex), "org_id"),
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("from=yesterday", "from"),
        ("actor_id=x", "actor_id"),
        ("per_page=500", "per_page"),
    ] {
        let (status, body) = w.app.get_json(&w.olga, format!("/audit?{query}")).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{query}: {body}"
        );
    }
    assert_eq!(w.app.get_json(&w.pat, "/audit").await.0, S::FORBIDDEN);

    // Append-only: nothing changes or deletes an entry.
    let id = olga["items"][0]["id"].as_i64().unwrap();
    for method in [Method::DELETE, Method::PATCH, Method::PUT, Method::POST] {
        let (status, _) = w
            .app
            .call(
                method.clone(),
                format!("/audit/{id}"),
                &w.ada,
                Some(json!({})),
            )
            .await;
        assert!(
            status == S::NOT_FOUND || status == S::METHOD_NOT_ALLOWED,
            "{method}: {status}"
        );
    }
    let (_, again) = w.app.get_json(&w.ada, "/audit?per_page=200").await;
    assert!(
        again["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == id)
    );
}

#[tokio::test]
async fn the_audit_page_filters_and_shows_what_changed() {
    let w = world().await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/audit?action=project.").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("project.created") && html.contains("Project P1"),
        "{html}"
    );
    assert!(!html.contains("Globex"), "nothing of another tenant");
    // Each entry names the org it is filed under, linked to it.
    let orgs: Vec<&str> = html
        .split("data-testid=\"audit-org\">")
        .skip(1)
        .map(|cell| &cell[..cell.find("</td>").unwrap()])
        .collect();
    assert!(!orgs.is_empty(), "{html}");
    assert!(
        orgs.iter()
            .all(|cell| cell.contains(&format!("href=\"/orgs/{}\"", w.acme))
                || cell.contains(&format!("href=\"/orgs/{}\"", w.east))),
        "{orgs:?}"
    );
    let (status, html) = olga.get_page("/audit?from=2026-05-01&to=2026-04-01").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    assert!(html.contains("cannot be before its start"));
    let pat = w.app.signed_in_browser("pat@acme.example").await;
    assert_eq!(pat.get("/audit").await.status(), S::FORBIDDEN);
}

/// The navigation offers the audit log only to people who may read some of
/// it: a link that answers 403 is a dead end.
#[tokio::test]
async fn the_navigation_offers_the_audit_log_only_to_who_may_read_it() {
    let w = world().await;
    let nav_links_audit = |html: &str| {
        let nav = &html[html.find("aria-label=\"Main\"").unwrap()..];
        nav[..nav.find("</nav>").unwrap()].contains("href=\"/audit\"")
    };
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/orgs").await;
    assert_eq!(status, S::OK);
    assert!(
        nav_links_audit(&html),
        "an org admin reads her tenant's log"
    );
    let pat = w.app.signed_in_browser("pat@acme.example").await;
    let (status, html) = pat.get_page("/orgs").await;
    assert_eq!(status, S::OK);
    assert!(!nav_links_audit(&html), "no audit.view anywhere: no link");
    assert!(
        html.contains("href=\"/timesheets\""),
        "the rest of the navigation stays"
    );
}

#[tokio::test]
async fn the_audit_actor_is_a_person_picker_that_still_takes_an_id() {
    let w = world().await;
    w.put_sheet(
        &w.eve,
        0,
        json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60}]),
    )
    .await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/audit").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("name=\"actor_id\"") && html.contains("data-picker=\"users\""),
        "{html}"
    );
    assert!(!html.contains("Actor (user id)"));
    // Suggestions by name; the value (the email) filters, as the id of an
    // old link does, and the field shows the email either way.
    let (_, options) = olga.get_page("/pick/users?q=eve").await;
    assert!(options.contains("value=\"eve@acme.example\""), "{options}");
    let eve_rows = |html: &str| html.matches("<tr data-action=").count();
    let mut seen = Vec::new();
    for actor in [
        "eve%40acme.example".to_string(),
        "EVE%40acme.example".to_string(),
        w.eve_id.to_string(),
    ] {
        let (status, html) = olga.get_page(&format!("/audit?actor_id={actor}")).await;
        assert_eq!(status, S::OK, "{actor}: {html}");
        assert!(
            html.contains("name=\"actor_id\" value=\"eve@acme.example\""),
            "{actor}: {html}"
        );
        assert!(
            html.contains("data-action=\"timesheet.saved\""),
            "{actor}: {html}"
        );
        assert!(
            !html.contains("data-action=\"project.created\""),
            "only Eve's entries: {actor}"
        );
        seen.push(eve_rows(&html));
    }
    assert!(
        seen[0] > 0 && seen.iter().all(|n| *n == seen[0]),
        "{seen:?}"
    );
    // With the action filter too.
    let (_, html) = olga
        .get_page("/audit?actor_id=eve%40acme.example&action=project.")
        .await;
    assert!(html.contains("data-testid=\"audit-empty\""), "{html}");
    // Someone of another tenant answers like no one.
    let mut messages = Vec::new();
    for who in ["gus%40globex.example", "nobody%40acme.example"] {
        let (status, html) = olga.get_page(&format!("/audit?actor_id={who}")).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{who}");
        let at = html
            .find("id=\"actor_id-error\"")
            .expect("message by the field");
        messages.push(html[at..at + html[at..].find("</small>").unwrap()].to_string());
    }
    assert!(messages[0].contains("There is no user with this email"));
    assert_eq!(messages[0], messages[1]);
    // The API's `actor_id` stays a number.
    w.app
        .get_json(&w.olga, "/audit?actor_id=eve%40acme.example")
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
}
