//! Team reports, all teams at once: a person in two teams counts in each, a
//! lead's own hours count like a member's, and a team behind a privacy border
//! the viewer cannot cross is not a row while its members' hours on open
//! projects still count in the teams the viewer sees.

use std::collections::BTreeMap;

use chrono::Duration;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::ExpectStatus;
use crate::timesheets::{World, post, world};

/// Saves `user`'s week (the world's last week) with `minutes` on its Monday
/// and Tuesday of `project`.
async fn log(w: &World, token: &str, user: i64, project: i64, minutes: i64) {
    let monday = w.week;
    let entries: Vec<Value> = [0, 1]
        .iter()
        .map(|d| {
            json!({"project_id": project, "date": (monday + Duration::days(*d)).to_string(), "minutes": minutes})
        })
        .collect();
    w.app.save_week(token, user, monday, json!(entries)).await;
}

/// Minutes by (team, user) of a team report.
async fn by_team_user(w: &World, token: &str, name: &str) -> BTreeMap<(String, String), i64> {
    let query = format!(
        "org_id={}&from={}&to={}",
        w.acme,
        w.week,
        w.week + Duration::days(6)
    );
    let body = w
        .app
        .get_json(token, format!("/reports/{name}?{query}"))
        .await
        .expect_status(S::OK);
    let columns: Vec<&str> = body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let at = |n: &str| columns.iter().position(|c| *c == n).unwrap();
    let mut out = BTreeMap::new();
    for row in body["rows"].as_array().unwrap() {
        let key = (
            row[at("team")].as_str().unwrap().to_string(),
            row[at("user")].as_str().unwrap().to_string(),
        );
        *out.entry(key).or_default() += (row[at("hours")].as_f64().unwrap() * 60.0).round() as i64;
    }
    out
}

fn expect(rows: &[(&str, &str, i64)]) -> BTreeMap<(String, String), i64> {
    rows.iter()
        .map(|(t, u, m)| ((t.to_string(), u.to_string()), *m))
        .collect()
}

#[tokio::test]
async fn team_reports_count_a_person_in_each_team_and_leads_and_hide_private_teams() {
    let w = world().await;
    // A second team at Acme: Eve is in both, Pat leads it.
    let night = post(
        &w.app,
        &w.ada,
        "/teams",
        json!({"org_id": w.acme, "name": "Night"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    for (user, lead) in [(w.eve_id, false), (w.pat_id, true)] {
        let (status, body) = w
            .app
            .put_json(
                &w.ada,
                format!("/teams/{night}/members/{user}"),
                json!({"lead": lead}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    // Lee (Field's lead) works on P2 too.
    let start = w.week - Duration::days(30);
    w.app.assign(&w.ada, w.p2, w.lee_id, "member", start).await;
    log(&w, &w.eve, w.eve_id, w.p1, 90).await;
    log(&w, &w.lee, w.lee_id, w.p2, 45).await;

    let everyone = expect(&[
        ("Field", "Eve", 180),
        ("Field", "Lee", 90),
        ("Night", "Eve", 180),
    ]);
    for name in ["team-hours", "team-projects-users"] {
        assert_eq!(by_team_user(&w, &w.ada, name).await, everyone, "{name}");
        assert_eq!(by_team_user(&w, &w.olga, name).await, everyone, "{name}");
    }

    // East (Field's home) goes private with Olga inside: Ada no longer sees
    // Field, so Lee (in no other team) has no row; Eve's hours on Acme's
    // project still count in Night. Olga, inside, sees what she saw.
    w.app
        .grant_role(&w.ada, "Org admin", w.olga_id, w.east)
        .await;
    w.app.make_private(&w.ada, w.east).await;
    let outside = expect(&[("Night", "Eve", 180)]);
    for name in ["team-hours", "team-projects-users"] {
        assert_eq!(by_team_user(&w, &w.ada, name).await, outside, "{name}");
        assert_eq!(by_team_user(&w, &w.olga, name).await, everyone, "{name}");
    }
}
