//! Issue 11, point 2: every query parameter that takes an id answers an id
//! the viewer may not see exactly as an id that names nothing (same status,
//! same body), so no filter counts another tenant's users, orgs, projects,
//! teams or groups. Olga (Acme's admin) asks about Globex's things.

use canopy::domain::report::REPORTS;
use reqwest::StatusCode as S;
use serde_json::json;

use crate::helpers::*;
use crate::timesheets::{World, post, world};

/// An id that names nothing.
const MISSING: i64 = 9_999_999;

/// Globex's things, hidden from Olga: (param, id) per kind.
struct Hidden {
    org: i64,
    project: i64,
    team: i64,
    user: i64,
    group: i64,
}

async fn hidden(w: &World) -> Hidden {
    let id = |v: serde_json::Value| v["id"].as_i64().unwrap();
    let project = id(post(
        &w.app,
        &w.ada,
        "/projects",
        json!({"org_id": w.globex, "code": "G1", "name": "Globex work"}),
    )
    .await);
    let team = id(post(
        &w.app,
        &w.ada,
        "/teams",
        json!({"org_id": w.globex, "name": "Globex team"}),
    )
    .await);
    let group = id(post(
        &w.app,
        &w.ada,
        "/groups",
        json!({"org_id": w.globex, "name": "Globex group"}),
    )
    .await);
    let user = w
        .app
        .create_user("gia@globex.example", "Gia", w.globex)
        .await
        .id;
    Hidden {
        org: w.globex,
        project,
        team,
        user,
        group,
    }
}

/// The page with the asked id replaced, so two answers can be compared.
fn normalized(body: &str, param: &str, id: i64) -> String {
    let mut out = body.replace(&format!("{param}={id}"), &format!("{param}=ID"));
    // The typed value echoed in the filter's own input.
    let name = format!("name=\"{param}\"");
    let mut from = 0;
    while let Some(at) = out[from..].find(&name).map(|i| i + from) {
        let end = out[at..].find('>').map_or(out.len(), |i| i + at);
        let tag = out[at..end].replace(&format!("value=\"{id}\""), "value=\"ID\"");
        out.replace_range(at..end, &tag);
        from = at + name.len();
    }
    out
}

/// `path` holds `{id}`; the API answer for the hidden and the missing id.
async fn api_pair(w: &World, path: &str, hidden: i64) -> [(S, String); 2] {
    let mut out = Vec::new();
    for id in [hidden, MISSING] {
        let response = w
            .app
            .api(
                reqwest::Method::GET,
                &path.replace("{id}", &id.to_string()),
                &w.olga,
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        let param = path
            .split(&['?', '&'])
            .find(|p| p.ends_with("={id}"))
            .unwrap_or("");
        let param = param.trim_end_matches("={id}");
        out.push((
            status,
            normalized(&response.text().await.unwrap(), param, id),
        ));
    }
    [out[0].clone(), out[1].clone()]
}

async fn page_pair(b: &Browser, path: &str, hidden: i64) -> [(S, String); 2] {
    let mut out = Vec::new();
    for id in [hidden, MISSING] {
        let (status, body) = b.get_page(&path.replace("{id}", &id.to_string())).await;
        let param = path
            .split(&['?', '&'])
            .find(|p| p.ends_with("={id}"))
            .unwrap_or("");
        let param = param.trim_end_matches("={id}");
        out.push((status, normalized(&body, param, id)));
    }
    [out[0].clone(), out[1].clone()]
}

fn same(what: &str, [hidden, missing]: [(S, String); 2]) {
    assert!(
        hidden.0.is_client_error() || hidden.0 == S::OK,
        "{what}: {} {}",
        hidden.0,
        hidden.1
    );
    assert_eq!(hidden.0, missing.0, "{what}: status differs");
    if hidden.1 != missing.1 {
        let at = hidden
            .1
            .bytes()
            .zip(missing.1.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let around = |s: &str| s[at.saturating_sub(200)..(at + 200).min(s.len())].to_string();
        panic!(
            "{what}: body differs\n hidden: {}\nmissing: {}",
            around(&hidden.1),
            around(&missing.1)
        );
    }
}

#[tokio::test]
async fn report_filters_answer_hidden_ids_like_missing_ones_in_json_csv_and_pages() {
    let w = world().await;
    let h = hidden(&w).await;
    let browser = w.app.signed_in_browser("olga@acme.example").await;
    for (name, _) in REPORTS {
        for (param, id) in [
            ("org_id", h.org),
            ("project_id", h.project),
            ("team_id", h.team),
            ("user_id", h.user),
        ] {
            let scoped = if param == "org_id" {
                String::new()
            } else {
                format!("org_id={}&", w.acme)
            };
            let base =
                format!("/reports/{name}?{scoped}from=2026-01-01&to=2026-12-31&{param}={{id}}");
            let json = api_pair(&w, &base, id).await;
            // The old code answered a foreign user 200 with no rows and a
            // missing one 422: a way to count the installation's users.
            assert_eq!(
                json[0].0,
                S::UNPROCESSABLE_ENTITY,
                "{name} {param}: {}",
                json[0].1
            );
            same(&format!("API JSON {name} {param}"), json);
            same(
                &format!("API CSV {name} {param}"),
                api_pair(&w, &format!("{base}&format=csv"), id).await,
            );
            same(
                &format!("page {name} {param}"),
                page_pair(&browser, &base, id).await,
            );
            same(
                &format!("page CSV {name} {param}"),
                page_pair(&browser, &format!("{base}&format=csv"), id).await,
            );
        }
    }
}

#[tokio::test]
async fn every_other_id_parameter_answers_hidden_ids_like_missing_ones() {
    let w = world().await;
    let h = hidden(&w).await;
    let browser = w.app.signed_in_browser("olga@acme.example").await;
    let acme = w.acme;
    let api: Vec<(String, i64)> = vec![
        ("/grants?org_id={id}".into(), h.org),
        ("/grants?project_id={id}".into(), h.project),
        ("/grants?user_id={id}".into(), h.user),
        ("/grants?group_id={id}".into(), h.group),
        ("/check?permission=org.view&org_id={id}".into(), h.org),
        (
            "/check?permission=org.view&project_id={id}".into(),
            h.project,
        ),
        (
            "/check?permission=org.view&target_user_id={id}".into(),
            h.user,
        ),
        (
            format!("/check?permission=org.view&org_id={acme}&user_id={{id}}"),
            h.user,
        ),
        ("/approvals?project_id={id}".into(), h.project),
        ("/approvals?team_id={id}".into(), h.team),
        ("/approvals?org_id={id}".into(), h.org),
        ("/audit?org_id={id}".into(), h.org),
        ("/audit?actor_id={id}".into(), h.user),
        ("/audit?target_id={id}".into(), h.user),
        ("/users?org_id={id}".into(), h.org),
        ("/projects?org_id={id}".into(), h.org),
        ("/teams?org_id={id}".into(), h.org),
        ("/groups?org_id={id}".into(), h.org),
        ("/roles?org_id={id}".into(), h.org),
    ];
    for (path, id) in &api {
        same(&format!("API {path}"), api_pair(&w, path, *id).await);
    }
    let pages: Vec<(String, i64)> = vec![
        (
            format!("/access/explain?permission=org.view&org_id={acme}&user_id={{id}}"),
            h.user,
        ),
        (
            "/access/explain?permission=org.view&org_id={id}".into(),
            h.org,
        ),
        ("/approvals?project={id}".into(), h.project),
        ("/approvals?team={id}".into(), h.team),
        ("/approvals?org={id}".into(), h.org),
        ("/approvals/approve-all?project={id}".into(), h.project),
        ("/audit?org_id={id}".into(), h.org),
        ("/audit?actor_id={id}".into(), h.user),
        ("/projects?org_id={id}".into(), h.org),
        ("/teams?org_id={id}".into(), h.org),
    ];
    for (path, id) in &pages {
        same(
            &format!("page {path}"),
            page_pair(&browser, path, *id).await,
        );
    }
    // Explain about a user one may not see is refused like a missing one,
    // not quietly answered about the asker.
    let (status, body) = browser
        .get_page(&format!(
            "/access/explain?permission=org.view&org_id={acme}&user_id={}",
            h.user
        ))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("There is no user with this email you can see."));
}

/// The answers for `path` (an id in the path, as `{id}`) with the hidden and
/// the missing id, compared as they come: the id is in no body.
async fn path_pair(w: &World, b: &Browser, api: bool, path: &str, hidden: i64) -> [(S, String); 2] {
    let mut out = Vec::new();
    for id in [hidden, MISSING] {
        let at = path.replace("{id}", &id.to_string());
        out.push(if api {
            let response = w
                .app
                .api(reqwest::Method::GET, &at, &w.olga)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        } else {
            b.get_page(&at).await
        });
    }
    [out[0].clone(), out[1].clone()]
}

/// The lists paged in SQL last round (members, assignments, grants,
/// invitations, the Access tab with its search and pages): another tenant's
/// group, team, project or org answers exactly like an id that names nothing,
/// whatever the search and page, on the API and the pages.
#[tokio::test]
async fn the_paged_lists_answer_hidden_ids_like_missing_ones() {
    let w = world().await;
    let h = hidden(&w).await;
    let browser = w.app.signed_in_browser("olga@acme.example").await;
    let in_path: Vec<(bool, &str, i64)> = vec![
        (true, "/groups/{id}/members", h.group),
        (true, "/groups/{id}/members?q=a&page=2", h.group),
        (true, "/teams/{id}/members", h.team),
        (true, "/teams/{id}/members?q=a&page=2", h.team),
        (true, "/projects/{id}/assignments", h.project),
        (true, "/projects/{id}/assignments?q=a&page=2", h.project),
        (true, "/orgs/{id}/access", h.org),
        (true, "/orgs/{id}/access?q=a&page=2", h.org),
        (false, "/groups/{id}?q=a&page=2", h.group),
        (false, "/teams/{id}?q=a&page=2", h.team),
        (false, "/projects/{id}?q=a&page=2", h.project),
        (false, "/orgs/{id}/access", h.org),
        (false, "/orgs/{id}/access?q=a&page=2&inv_page=2", h.org),
    ];
    for (api, path, id) in in_path {
        let what = format!("{} {path}", if api { "API" } else { "page" });
        let pair = path_pair(&w, &browser, api, path, id).await;
        assert_eq!(pair[0].0, S::NOT_FOUND, "{what}");
        same(&what, pair);
    }
    let in_query: Vec<(String, i64)> = vec![
        ("/grants?org_id={id}&page=2".into(), h.org),
        ("/grants?group_id={id}&per_page=5".into(), h.group),
        ("/grants/invitations?org_id={id}".into(), h.org),
        ("/grants/invitations?org_id={id}&page=2".into(), h.org),
    ];
    for (path, id) in &in_query {
        same(&format!("API {path}"), api_pair(&w, path, *id).await);
    }
}
