//! Teams inside their tenant, orgs that hold projects or teams, grants at a project, the project pages.

use super::*;

#[tokio::test]
async fn teams_are_managed_inside_their_tenant() {
    let w = world().await;
    let (app, olga, gus) = (&w.app, w.olga.as_str(), w.gus.as_str());
    let team = app
        .post_created(
            olga,
            "/teams",
            json!({"org_id": w.east, "name": "Rockets", "description": "Build them"}),
        )
        .await;
    assert_eq!(team["version"], 1);
    let id = team["id"].as_i64().unwrap();
    let body = app
        .post_json(olga, "/teams", json!({"org_id": w.east, "name": "ROCKETS"}))
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["name"].is_string());
    app.post_json(olga, "/teams", json!({"org_id": w.globex, "name": "Spies"}))
        .await
        .expect_status(S::NOT_FOUND);

    let body = app
        .put_json(
            olga,
            format!("/teams/{id}/members/{}", w.sam),
            json!({"lead": true}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(body["members"][0]["lead"], true);
    let (status, _) = app
        .put_json(
            olga,
            format!("/teams/{id}/members/{}", w.gina),
            json!({"lead": false}),
        )
        .await;
    assert_eq!(status, S::NOT_FOUND, "Gina is not Olga's to know");

    // Globex sees and touches none of it.
    let (_, list) = app.get_json(gus, "/teams").await;
    assert_eq!(list["total"], 0);
    for (method, path, body) in [
        (Method::GET, format!("/teams/{id}"), None),
        (
            Method::PATCH,
            format!("/teams/{id}"),
            Some(json!({"name": "Ours"})),
        ),
        (Method::DELETE, format!("/teams/{id}"), None),
        (
            Method::PUT,
            format!("/teams/{id}/members/{}", w.gina),
            Some(json!({"lead": true})),
        ),
        (
            Method::DELETE,
            format!("/teams/{id}/members/{}", w.sam),
            None,
        ),
    ] {
        let (status, body) = app.call(method.clone(), &path, gus, body).await;
        assert_eq!(status, S::NOT_FOUND, "{method} {path}: {body}");
    }
    let (_, shown) = app.get_json(olga, format!("/teams/{id}")).await;
    assert_eq!(shown["name"], "Rockets");
    assert_eq!(shown["members"].as_array().unwrap().len(), 1);

    let (_, list) = app.get_json(olga, "/teams").await;
    assert_eq!(ids(&list), vec![id]);
    app.patch_json(
        olga,
        format!("/teams/{id}"),
        json!({"name": "Boosters", "version": 1}),
    )
    .await
    .expect_status(S::OK);
    app.patch_json(
        olga,
        format!("/teams/{id}"),
        json!({"name": "Stale", "version": 1}),
    )
    .await
    .expect_status(S::CONFLICT);
    app.delete(olga, format!("/teams/{id}/members/{}", w.sam))
        .await
        .expect_status(S::NO_CONTENT);
    app.delete(olga, format!("/teams/{id}"))
        .await
        .expect_status(S::NO_CONTENT);
    app.get_json(olga, format!("/teams/{id}"))
        .await
        .expect_status(S::NOT_FOUND);
    for action in [
        "team.created",
        "team.updated",
        "team.member_put",
        "team.member_removed",
        "team.deleted",
    ] {
        assert_eq!(app.audit(action).await.len(), 1, "{action}");
    }
}

#[tokio::test]
async fn an_org_with_projects_or_teams_is_not_deleted() {
    let w = world().await;
    let (app, ada) = (&w.app, w.ada.as_str());
    let p = new_project(&w, ada, w.west, "W-1").await["id"]
        .as_i64()
        .unwrap();
    let team = app
        .post_created(ada, "/teams", json!({"org_id": w.west, "name": "Crew"}))
        .await;
    let body = app
        .delete(ada, format!("/orgs/{}", w.west))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(
        body["error"]["blocking"],
        json!({"children": 0, "users": 0, "projects": 1, "teams": 1, "groups": 0})
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 project, 1 team"),
        "{body}"
    );
    app.delete(ada, format!("/projects/{p}"))
        .await
        .expect_status(S::NO_CONTENT);
    app.delete(ada, format!("/teams/{}", team["id"]))
        .await
        .expect_status(S::NO_CONTENT);
    app.delete(ada, format!("/orgs/{}", w.west))
        .await
        .expect_status(S::NO_CONTENT);
}

#[tokio::test]
async fn a_project_manager_granted_on_one_project_manages_that_project_only() {
    let w = world().await;
    let apollo = new_project(&w, &w.olga, w.east, "APOLLO").await["id"]
        .as_i64()
        .unwrap();
    let gemini = new_project(&w, &w.olga, w.east, "GEMINI").await["id"]
        .as_i64()
        .unwrap();
    let pm = w.role_id(&w.ada, "Project manager").await;
    let body = w
        .post_created(
            &w.olga,
            "/grants",
            json!({"role_id": pm, "user_id": w.sam, "project_id": apollo}),
        )
        .await;
    assert_eq!(body["project_id"], apollo);
    assert_eq!(body["org_id"], Value::Null);
    let sam = w.create_token(w.sam, "").await;

    let (status, _) = w
        .patch_json(
            &sam,
            format!("/projects/{apollo}"),
            json!({"description": "Moon"}),
        )
        .await;
    assert_eq!(status, S::OK, "he manages Apollo");
    let (status, _) = w.get_json(&sam, format!("/projects/{gemini}")).await;
    assert_eq!(status, S::NOT_FOUND, "and knows nothing of Gemini");
    w.patch_json(
        &sam,
        format!("/projects/{gemini}"),
        json!({"description": "Mine"}),
    )
    .await
    .expect_status(S::NOT_FOUND);
    let (_, list) = w.get_json(&sam, "/projects").await;
    assert_eq!(ids(&list), vec![apollo]);
    let (status, _) = w.get_json(&sam, format!("/orgs/{}", w.acme)).await;
    assert_eq!(
        status,
        S::NOT_FOUND,
        "a project grant opens the project, not the orgs above it"
    );
    // Outsiders cannot grant at a project they cannot see.
    w.post_json(
        &w.gus,
        "/grants",
        json!({"role_id": pm, "user_id": w.gina, "project_id": apollo}),
    )
    .await
    .expect_status(S::NOT_FOUND);
}

#[tokio::test]
async fn the_project_pages_filter_page_and_show_activity_to_auditors_only() {
    let w = world().await;
    for i in 0..55 {
        new_project(&w, &w.olga, w.east, &format!("P{i:02}")).await;
    }
    let west = new_project(&w, &w.olga, w.west, "WESTY").await["id"]
        .as_i64()
        .unwrap();
    let olga = w.signed_in_browser("olga@acme.example").await;
    let (_, first) = olga.get_page(&format!("/projects?org_id={}", w.east)).await;
    assert!(
        first.contains("of 55") && first.contains("Page 1 of 2"),
        "{first}"
    );
    assert!(
        !first.contains("WESTY"),
        "the filter keeps to the org's subtree"
    );
    let (_, second) = olga
        .get_page(&format!("/projects?org_id={}&page=2", w.east))
        .await;
    assert!(second.contains("Page 2 of 2"));
    let (_, globex_view) = w.new_browser().get_page("/projects").await;
    assert!(!globex_view.contains("P00"), "signed out: sent to sign in");
    let gus = w.signed_in_browser("gus@globex.example").await;
    let (_, html) = gus.get_page("/projects?q=P0").await;
    assert!(html.contains("No projects you can see."));
    assert_eq!(
        gus.get(&format!("/projects/{west}")).await.status(),
        S::NOT_FOUND
    );

    let (_, html) = olga.get_page(&format!("/projects/{west}")).await;
    assert!(
        html.contains("data-testid=\"activity\"") && html.contains("project.created"),
        "an Org admin reads the trail"
    );
}

/// Grants at a project through its page: made and revoked by the same rule as
/// at an org, with messages next to the fields, and unknown to other tenants.
#[tokio::test]
async fn roles_are_granted_and_revoked_at_a_project_through_its_page() {
    let w = world().await;
    let project = new_project(&w, &w.olga, w.east, "HARBOUR").await;
    let pid = project["id"].as_i64().unwrap();
    let page = format!("/projects/{pid}");
    let olga = w.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page(&page).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("action=\"/projects/{pid}/grants\"")),
        "{html}"
    );
    let (approver, owner) = (
        w.role_id_at(&w.ada, w.east, "Approver").await,
        w.role_id_at(&w.ada, w.east, "Owner").await,
    );
    let form = |email: &str, role: i64, days: &str| {
        vec![
            ("email".to_string(), email.to_string()),
            ("role_id".to_string(), role.to_string()),
            ("expires_in_days".to_string(), days.to_string()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let (olga, path) = (&olga, format!("/projects/{pid}/grants"));
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            olga.submit_form(&path, &fields).await
        }
    };

    // Bad input, each next to its field; nothing is granted.
    for (fields, status, field) in [
        (
            form("not an email", approver, ""),
            S::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            form("sam@acme.example", approver, "0"),
            S::UNPROCESSABLE_ENTITY,
            "expires_in_days",
        ),
        (form("sam@acme.example", owner, ""), S::FORBIDDEN, "role_id"),
    ] {
        let response = post(fields).await;
        assert_eq!(response.status(), status);
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{field}: {html}"
        );
    }
    let (_, none) = w
        .get_json(&w.olga, format!("/grants?project_id={pid}"))
        .await;
    assert_eq!(none["total"], 0, "{none}");
    let before = w.audit("grant.created").await.len();

    let response = post(form("sam@acme.example", approver, "30")).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(w.audit("grant.created").await.len(), before + 1);
    let (_, html) = olga.get_page(&page).await;
    assert!(html.contains("data-testid=\"project-grants\""), "{html}");
    assert!(html.contains("Sam"), "{html}");
    // Who has access also lists what reaches the project from its org and
    // above: Olga's grant at Acme, by name; the root's grants (above her
    // scope) only as a note, never by name.
    let inherited = &html[html.find("data-testid=\"project-inherited\"").expect(&html)..];
    let inherited = &inherited[..inherited.find("</table>").unwrap()];
    assert!(inherited.contains("olga@acme.example"), "{inherited}");
    assert!(inherited.contains("Org admin"), "{inherited}");
    assert!(
        !inherited.contains("Sam"),
        "the project's own grant is listed once"
    );
    assert!(!html.contains("ada@example.com"), "{html}");
    assert!(html.contains("Also inherited from organizations above yours."));
    let ada = w.signed_in_browser(ADMIN_EMAIL).await;
    let (_, ada_view) = ada.get_page(&page).await;
    let ada_inherited = &ada_view[ada_view.find("data-testid=\"project-inherited\"").unwrap()..];
    assert!(ada_inherited.contains("ada@example.com"), "{ada_inherited}");
    // Sam, an approver here who may not read the access at East, sees the
    // project but none of who has access to it.
    let sam = w.signed_in_browser("sam@acme.example").await;
    let (status, sam_view) = sam.get_page(&page).await;
    assert_eq!(status, S::OK);
    assert!(!sam_view.contains("project-inherited") && !sam_view.contains("project-grants"));
    let (_, grants) = w
        .get_json(&w.olga, format!("/grants?project_id={pid}"))
        .await;
    assert_eq!(grants["total"], 1, "{grants}");
    assert_eq!(grants["items"][0]["user_id"], w.sam);
    assert!(grants["items"][0]["expires_at"].is_string());
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();

    // Another tenant's admin neither grants nor revokes here.
    let gus = w.signed_in_browser("gus@globex.example").await;
    assert_eq!(gus.get(&page).await.status(), S::NOT_FOUND);
    let response = gus
        .submit_form(
            &format!("/projects/{pid}/grants"),
            &[
                ("email", "gina@globex.example"),
                ("role_id", &approver.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let response = gus
        .submit_form(&format!("/grants/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);

    // Olga revokes it from the project page; the audit entry names the project.
    let response = olga
        .submit_form(&format!("/grants/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(location(&response), page);
    let (_, grants) = w
        .get_json(&w.olga, format!("/grants?project_id={pid}"))
        .await;
    assert_eq!(grants["total"], 0, "{grants}");
    let revoked = w.audit("grant.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].org_id, Some(w.east));
    let before: Value = serde_json::from_str(revoked[0].before_json.as_deref().unwrap()).unwrap();
    assert_eq!(before["project_id"], pid);
}
