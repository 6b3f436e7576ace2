//! Issue 12: the navigation's numbers are kept between requests
//! (`domain::nav_counts`), yet every change shows at the very next page:
//! a submission, a decision, a notification read, an assignment ended.

use reqwest::StatusCode as S;
use serde_json::json;

use crate::helpers::*;
use crate::timesheets::world;

/// The approvals badge's number, or 0 when there is none.
async fn approvals(b: &Browser) -> usize {
    let (status, html) = b.get_page("/orgs").await;
    assert_eq!(status, S::OK);
    badge(&html, "approvals-count")
}

async fn unread(b: &Browser) -> usize {
    let (_, html) = b.get_page("/orgs").await;
    badge(&html, "unread-count")
}

fn badge(html: &str, id: &str) -> usize {
    let marker = format!("data-testid=\"{id}\"");
    let Some(at) = html.find(&marker) else {
        return 0;
    };
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    rest[start..end].trim().parse().unwrap()
}

#[tokio::test]
async fn navigation_counts_follow_every_change_at_the_next_page() {
    let w = world().await;
    let pat = w.app.signed_in_browser("pat@acme.example").await;
    let eve = w.app.signed_in_browser("eve@acme.example").await;
    // Seen (and kept) before anything waits.
    assert_eq!(approvals(&pat).await, 0);
    assert_eq!(approvals(&pat).await, 0);
    let pat_unread = unread(&pat).await;

    let (status, sheet) = w
        .put_sheet(
            &w.eve,
            0,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 480}]),
        )
        .await;
    assert_eq!(status, S::OK, "{sheet}");
    let id = sheet["id"].as_i64().unwrap();
    let (status, body) = w.act(&w.eve, id, "submit", json!({})).await;
    assert_eq!(status, S::OK, "{body}");
    // Pat approves P1 by assignment: the part waits for him, and he is told.
    assert_eq!(approvals(&pat).await, 1);
    assert_eq!(unread(&pat).await, pat_unread + 1);

    // Reading the notification clears the bell at the next page.
    pat.submit_form("/notifications/read", &[]).await;
    assert_eq!(unread(&pat).await, 0);
    assert_eq!(approvals(&pat).await, 1);

    // Pat's assignment turned from approver to member takes the part out of
    // his count (no grant, no authz change: only the assignment moved).
    let start = (w.week - chrono::Duration::days(30)).to_string();
    let (status, body) = w
        .app
        .put_json(
            &w.ada,
            format!("/projects/{}/assignments/{}", w.p1, w.pat_id),
            json!({"role": "member", "minutes_per_week": 2400, "start_date": start}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(approvals(&pat).await, 0);

    // Eve's bell: a rejection by Olga shows at once.
    let eve_unread = unread(&eve).await;
    let (status, body) = w
        .act(
            &w.olga,
            id,
            "reject",
            json!({"reason": "wrong day", "project_id": w.p1}),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(unread(&eve).await, eve_unread + 1);
}
