//! Grants and the check endpoint: no escalation, revocation at the next request, explanations, filters.

use super::*;

#[tokio::test]
async fn revoking_a_grant_holds_at_the_next_request_on_every_instance() {
    let w = Tree::new().await;
    let (olga_id, olga) = w
        .org_admin("olga@acme.example", w.acme)
        .await
        .id_and_token();
    // A second app instance on the same database, as behind a load balancer.
    let second = start(&w.database_url, &[]).await;
    let other = format!("http://127.0.0.1:{}/api/v1/orgs/{}", second.port, w.east);
    let get_other = || reqwest::Client::new().get(&other).bearer_auth(&olga).send();
    assert_eq!(get_other().await.unwrap().status(), S::OK);

    let (_, grants) = w
        .get_json(&w.ada, &format!("/grants?user_id={olga_id}"))
        .await;
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();
    let (status, _) = w.delete(&w.ada, &format!("/grants/{grant_id}")).await;
    assert_eq!(status, S::NO_CONTENT);

    assert_eq!(get_other().await.unwrap().status(), S::NOT_FOUND);
    w.get_json(&olga, &format!("/orgs/{}", w.east))
        .await
        .expect_status(S::NOT_FOUND);
    // Her home org stays visible to her: home membership needs no grant.
    w.get_json(&olga, &format!("/orgs/{}", w.acme))
        .await
        .expect_status(S::OK);
    assert_eq!(w.audit("grant.revoked").await.len(), 1);
}

#[tokio::test]
async fn grants_cannot_escalate_or_leave_the_grantors_scope() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let sam = w.create_user("sam@acme.example", "Sam", w.east).await;
    let owner = w.role_id(&w.ada, "Owner").await;
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let grant = |role: i64, org: i64| {
        w.post_json(
            &olga,
            "/grants",
            json!({"role_id": role, "user_id": sam.id, "org_id": org}),
        )
    };
    let (status, body) = grant(owner, w.east).await;
    assert_eq!(
        status,
        S::FORBIDDEN,
        "Owner holds org.move, which Olga lacks: {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("org.move")
    );
    let (status, _) = grant(viewer, w.globex).await;
    assert_eq!(status, S::NOT_FOUND);
    let (status, body) = grant(viewer, w.east).await;
    assert_eq!(status, S::CREATED, "{body}");
    let (status, _) = grant(viewer, w.east).await;
    assert_eq!(status, S::CONFLICT, "the same grant twice");
    // Olga may revoke her own grant (drop privileges), and then she is out.
    let (status, _) = w.get_json(&olga, "/grants?user_id=0").await;
    assert_eq!(status, S::NOT_FOUND, "a user that does not exist");
    let (_, me) = w.get_json(&olga, "/me").await;
    let (_, mine) = w
        .get_json(&olga, &format!("/grants?user_id={}", me["id"]))
        .await;
    let own = mine["items"][0]["id"].as_i64().unwrap();
    w.delete(&olga, &format!("/grants/{own}"))
        .await
        .expect_status(S::NO_CONTENT);
    w.get_json(&olga, &format!("/orgs/{}", w.east))
        .await
        .expect_status(S::NOT_FOUND);
}

#[tokio::test]
async fn check_explains_decisions() {
    let w = Tree::new().await;
    let (olga_id, olga) = w
        .org_admin("olga@acme.example", w.acme)
        .await
        .id_and_token();
    let yes = w
        .get_json(
            &olga,
            &format!("/check?permission=org.edit&org_id={}", w.boston),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(yes["allowed"], true);
    assert_eq!(yes["via"][0]["role"], "Org admin");
    assert_eq!(yes["via"][0]["scope"]["org_name"], "Acme");
    assert!(
        yes["reason"]
            .as_str()
            .unwrap()
            .contains("Org admin at Acme and below")
    );
    let (_, no) = w
        .get_json(
            &w.ada,
            &format!(
                "/check?user_id={olga_id}&permission=org.move&org_id={}",
                w.boston
            ),
        )
        .await;
    assert_eq!(no["allowed"], false);
    assert_eq!(no["decision"]["kind"], "no_grant");
    // Olga cannot ask about the root, which she cannot see.
    w.get_json(
        &olga,
        &format!("/check?permission=org.view&org_id={}", w.root),
    )
    .await
    .expect_status(S::NOT_FOUND);
    w.get_json(&olga, "/check?permission=org.fly&org_id=1")
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
}

/// `/check` about a project and about a user; people and orgs the asker may
/// not see answer 404, and names of orgs above them stay out of the answer.
#[tokio::test]
async fn check_answers_for_projects_and_users_within_the_askers_sight() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let gus_id = w
        .member("gus@globex.example", w.globex, "Viewer", w.globex)
        .await
        .id;
    // Pam works in Boston and views everything from the root down.
    let (pam_id, pam) = w
        .member("pam@acme.example", w.boston, "Viewer", w.root)
        .await
        .id_and_token();
    let project = w
        .post_created(
            &w.ada,
            "/projects",
            json!({"org_id": w.boston, "code": "BOS-1", "name": "Harbour"}),
        )
        .await;
    let project_id = project["id"].as_i64().unwrap();
    let approver = w.role_id(&w.ada, "Approver").await;
    let grant = w
        .post_created(
            &w.ada,
            "/grants",
            json!({"role_id": approver, "user_id": pam_id, "project_id": project_id}),
        )
        .await;
    let ask = |token: &str, query: String| {
        let (app, token) = (&w.app, token.to_string());
        async move { app.get_json(&token, &format!("/check?{query}")).await }
    };

    // A project question is decided by the grant at the project.
    let (status, yes) = ask(
        &pam,
        format!("permission=time.approve&project_id={project_id}"),
    )
    .await;
    assert_eq!(status, S::OK, "{yes}");
    assert_eq!(yes["allowed"], true, "{yes}");
    assert_eq!(yes["via"][0]["grant_id"], grant["id"]);
    assert_eq!(yes["via"][0]["scope"]["project_id"], project_id);
    // The same permission at the project's org is not Pam's.
    let (_, no) = ask(&pam, format!("permission=time.approve&org_id={}", w.boston)).await;
    assert_eq!(no["allowed"], false, "{no}");

    // About a user: decided at their home org.
    let (status, about_pam) = ask(
        &olga,
        format!("permission=user.manage&target_user_id={pam_id}"),
    )
    .await;
    assert_eq!(status, S::OK, "{about_pam}");
    assert_eq!(about_pam["allowed"], true);
    assert_eq!(about_pam["via"][0]["scope"]["org_name"], "Acme");

    // Olga sees Pam's access in Boston, but not the root it comes from.
    let (status, pams) = ask(
        &olga,
        format!("user_id={pam_id}&permission=org.view&org_id={}", w.boston),
    )
    .await;
    assert_eq!(status, S::OK, "{pams}");
    assert_eq!(pams["allowed"], true);
    // The grant is there, but where it was made and which it is stay unsaid.
    let scope = &pams["via"][0]["scope"];
    assert!(
        scope["org_id"].is_null() && scope["org_name"].is_null(),
        "{pams}"
    );
    assert!(pams["via"][0]["grant_id"].is_null(), "{pams}");
    assert_eq!(pams["via"][0]["role"], "Viewer");
    let reason = pams["reason"].as_str().unwrap();
    assert!(
        reason.contains("Viewer at an organization above yours"),
        "{reason}"
    );
    let (_, root) = w.get_json(&w.ada, format!("/orgs/{}", w.root)).await;
    let root_name = root["name"].as_str().unwrap();
    assert!(!reason.contains(root_name), "{reason}");

    // Another tenant's user is unknown to Olga however she asks.
    for query in [
        format!("user_id={gus_id}&permission=org.view&org_id={}", w.acme),
        format!("permission=user.view&target_user_id={gus_id}"),
    ] {
        let (status, body) = ask(&olga, query.clone()).await;
        assert_eq!(status, S::NOT_FOUND, "{query}: {body}");
    }
    // A project she cannot see is unknown too (Globex's), and so is one that
    // does not exist.
    let (_, globex_project) = w
        .post_json(
            &w.ada,
            "/projects",
            json!({"org_id": w.globex, "code": "GLX-1", "name": "Rocket"}),
        )
        .await;
    for id in [globex_project["id"].as_i64().unwrap(), 999_999] {
        let (status, _) = ask(&olga, format!("permission=project.view&project_id={id}")).await;
        assert_eq!(status, S::NOT_FOUND);
    }
    // One target, no more and no less.
    for query in [
        "permission=org.view".to_string(),
        format!(
            "permission=org.view&org_id={}&project_id={project_id}",
            w.acme
        ),
    ] {
        let (status, body) = ask(&olga, query).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["org_id"].is_string(), "{body}");
    }
}

/// `GET /grants` filters by project and group as API.md lists them, and a
/// filter naming something the caller may not see answers 404.
#[tokio::test]
async fn grants_filter_by_project_and_group() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let pam_id = w
        .member("pam@acme.example", w.boston, "Viewer", w.boston)
        .await
        .id;
    let (_, project) = w
        .post_json(
            &w.ada,
            "/projects",
            json!({"org_id": w.boston, "code": "BOS-1", "name": "Harbour"}),
        )
        .await;
    let project_id = project["id"].as_i64().unwrap();
    let (_, group) = w
        .post_json(
            &w.ada,
            "/groups",
            json!({"org_id": w.acme, "name": "Auditors"}),
        )
        .await;
    let group_id = group["id"].as_i64().unwrap();
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let mut made = Vec::new();
    for body in [
        json!({"role_id": viewer, "user_id": pam_id, "project_id": project_id}),
        json!({"role_id": viewer, "group_id": group_id, "org_id": w.east}),
    ] {
        let grant = w.post_created(&w.ada, "/grants", body).await;
        made.push(grant["id"].as_i64().unwrap());
    }
    let listed = |query: String| {
        let (app, token) = (&w.app, olga.clone());
        async move {
            let (status, body) = app.get_json(&token, &format!("/grants?{query}")).await;
            assert_eq!(status, S::OK, "{query}: {body}");
            ids(&body)
        }
    };
    assert_eq!(
        listed(format!("project_id={project_id}")).await,
        vec![made[0]]
    );
    assert_eq!(listed(format!("group_id={group_id}")).await, vec![made[1]]);
    assert_eq!(
        listed(format!("user_id={pam_id}&project_id={project_id}")).await,
        vec![made[0]]
    );
    assert!(
        listed(format!("group_id={group_id}&project_id={project_id}"))
            .await
            .is_empty()
    );
    // Globex's project and group are not Olga's to name.
    let (_, globex_group) = w
        .post_json(
            &w.ada,
            "/groups",
            json!({"org_id": w.globex, "name": "Pilots"}),
        )
        .await;
    w.get_json(&olga, &format!("/grants?group_id={}", globex_group["id"]))
        .await
        .expect_status(S::NOT_FOUND);
}
