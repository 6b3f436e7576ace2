//! Groups: grants through a group, owners, leaving, and what a group page shows.

use super::*;

#[tokio::test]
async fn a_group_grant_reaches_members_until_they_leave() {
    let w = tenants().await;
    let sam = w.app.create_user("sam@acme.example", "Sam", w.acme).await;
    let sam_t = w.app.create_token(sam.id, "").await;
    let group = w
        .app
        .post_created(
            &w.olga,
            "/groups",
            json!({"org_id": w.acme, "name": "Auditors"}),
        )
        .await;
    let gid = group["id"].as_i64().unwrap();
    let viewer = w.role_id_at(&w.olga, w.east, "Viewer").await;
    let (status, body) = grant(
        &w.app,
        &w.olga,
        json!({"role_id": viewer, "group_id": gid, "org_id": w.east}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");

    let east = format!("/orgs/{}", w.east);
    assert_eq!(w.app.get_json(&sam_t, &east).await.0, S::NOT_FOUND);
    w.app
        .put_json(
            &w.olga,
            format!("/groups/{gid}/members/{}", sam.id),
            json!({"owner": false}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(
        w.app.get_json(&sam_t, &east).await.0,
        S::OK,
        "the group's grant reaches Sam"
    );
    let (_, why) = w
        .app
        .get_json(
            &sam_t,
            format!("/check?permission=user.view&org_id={}", w.east),
        )
        .await;
    assert_eq!(why["via"][0]["group"], gid);
    let (_, access) = w
        .app
        .get_json(&w.olga, format!("/orgs/{}/access", w.east))
        .await;
    assert!(
        access["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["principal"]["type"] == "group"),
        "{access}"
    );

    w.app
        .delete(&w.olga, format!("/groups/{gid}/members/{}", sam.id))
        .await
        .expect_status(S::NO_CONTENT);
    assert_eq!(
        w.app.get_json(&sam_t, &east).await.0,
        S::NOT_FOUND,
        "gone at the next request"
    );

    // Other tenants cannot see or touch the group.
    for (method, path, body) in [
        (Method::GET, format!("/groups/{gid}"), None),
        (
            Method::PATCH,
            format!("/groups/{gid}"),
            Some(json!({"name": "Mine"})),
        ),
        (
            Method::PUT,
            format!("/groups/{gid}/members/{}", sam.id),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/groups/{gid}"), None),
    ] {
        let (status, _) = w.app.call(method.clone(), &path, &w.gus, body).await;
        assert_eq!(status, S::NOT_FOUND, "{method} {path}");
    }
    let (_, list) = w.app.get_json(&w.gus, "/groups").await;
    assert_eq!(list["total"], 0);
    let (status, _) = grant(
        &w.app,
        &w.gus,
        json!({"role_id": viewer, "group_id": gid, "org_id": w.globex}),
    )
    .await;
    assert_eq!(
        status,
        S::UNPROCESSABLE_ENTITY,
        "a group one cannot see is no group"
    );
}

#[tokio::test]
async fn group_owners_manage_members_and_nothing_else() {
    let w = tenants().await;
    let owner = w
        .app
        .create_user("owner@acme.example", "Owen", w.acme)
        .await;
    let member = w.app.create_user("m@acme.example", "Mia", w.acme).await;
    let (_, group) = w
        .app
        .post_json(
            &w.olga,
            "/groups",
            json!({"org_id": w.acme, "name": "Crew"}),
        )
        .await;
    let gid = group["id"].as_i64().unwrap();
    w.app
        .put_json(
            &w.olga,
            format!("/groups/{gid}/members/{}", owner.id),
            json!({"owner": true}),
        )
        .await;
    // Owen holds no grant: he cannot see the group's org, but his ownership lets
    // him add members he can see (only himself here) — and not rename the group.
    let owen = w.app.create_token(owner.id, "").await;
    let (status, _) = w
        .app
        .put_json(
            &owen,
            format!("/groups/{gid}/members/{}", member.id),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        S::NOT_FOUND,
        "without group.view he cannot reach the group at all"
    );
    let viewer = w.role_id_at(&w.olga, w.acme, "Viewer").await;
    grant(
        &w.app,
        &w.olga,
        json!({"role_id": viewer, "user_id": owner.id, "org_id": w.acme}),
    )
    .await;
    w.app
        .put_json(
            &owen,
            format!("/groups/{gid}/members/{}", member.id),
            json!({}),
        )
        .await
        .expect_status(S::OK);
    w.app
        .patch_json(&owen, format!("/groups/{gid}"), json!({"name": "Owen's"}))
        .await
        .expect_status(S::FORBIDDEN);
}

#[tokio::test]
async fn leaving_a_group_closes_its_pages_at_the_next_request() {
    let w = tenants().await;
    let sam = w.app.create_user("sam@acme.example", "Sam", w.acme).await;
    let (_, group) = w
        .app
        .post_json(
            &w.olga,
            "/groups",
            json!({"org_id": w.acme, "name": "Admins"}),
        )
        .await;
    let gid = group["id"].as_i64().unwrap();
    let admin = w.role_id_at(&w.olga, w.east, "Org admin").await;
    grant(
        &w.app,
        &w.olga,
        json!({"role_id": admin, "group_id": gid, "org_id": w.east}),
    )
    .await;
    w.app
        .put_json(
            &w.olga,
            format!("/groups/{gid}/members/{}", sam.id),
            json!({}),
        )
        .await;

    let browser = w.app.signed_in_browser("sam@acme.example").await;
    let edit = format!("/orgs/{}/edit", w.east);
    assert_eq!(browser.get(&edit).await.status(), S::OK);
    // Olga removes him through her pages.
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let response = olga
        .submit_form(&format!("/groups/{gid}/members/{}/remove", sam.id), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(
        browser.get(&edit).await.status(),
        S::NOT_FOUND,
        "his page closes at once"
    );
    assert_eq!(
        browser.get(&format!("/orgs/{}", w.acme)).await.status(),
        S::OK,
        "home stays"
    );
}

/// A group belongs to its org for good: a PATCH naming another org is refused
/// (not silently half-applied) and changes nothing.
#[tokio::test]
async fn a_group_patch_with_an_org_is_refused_whole() {
    let t = tenants().await;
    let (_, group) = t
        .app
        .post_json(
            &t.olga,
            "/groups",
            json!({"org_id": t.acme, "name": "Crew"}),
        )
        .await;
    let path = format!("/groups/{}", group["id"]);
    let (status, body) = t
        .app
        .patch_json(
            &t.olga,
            &path,
            json!({"name": "Moved crew", "org_id": t.east}),
        )
        .await;
    assert!(status.is_client_error(), "{status}: {body}");
    // The field is named, with what the body may hold instead.
    let message = body["error"]["fields"]["org_id"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("Unknown field."), "{body}");
    assert!(message.contains("`name`"), "{body}");
    let (_, after) = t.app.get_json(&t.olga, &path).await;
    assert_eq!(after["name"], "Crew");
    assert_eq!(after["org_id"], t.acme);
}

/// A group shows its viewer only the members and grants they may know of:
/// another tenant's member or a grant at another tenant's org is counted,
/// never named.
#[tokio::test]
async fn a_group_shows_only_the_members_and_grants_its_viewer_may_know() {
    let t = tenants().await;
    let (_, group) = t
        .app
        .post_json(
            &t.olga,
            "/groups",
            json!({"org_id": t.acme, "name": "Crew"}),
        )
        .await;
    let gid = group["id"].as_i64().unwrap();
    let sam = t
        .app
        .create_user("sam@acme.example", "Sam Acmeson", t.acme)
        .await;
    let gina = t
        .app
        .create_user("gina@globex.example", "Gina Globexia", t.globex)
        .await;
    for user in [sam.id, gina.id] {
        let (status, body) = t
            .app
            .put_json(
                &t.ada,
                format!("/groups/{gid}/members/{user}"),
                json!({"owner": false}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    let viewer = t.role_id_at(&t.ada, t.acme, "Viewer").await;
    for org in [t.acme, t.globex] {
        let (status, body) = grant(
            &t.app,
            &t.ada,
            json!({"role_id": viewer, "group_id": gid, "org_id": org}),
        )
        .await;
        assert_eq!(status, S::CREATED, "{body}");
    }

    let (_, api) = t.app.get_json(&t.olga, format!("/groups/{gid}")).await;
    let members: Vec<i64> = api["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(members, vec![sam.id], "{api}");

    let olga = t.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page(&format!("/groups/{gid}")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("Sam Acmeson"), "{html}");
    for secret in ["Gina Globexia", "gina@globex.example", "Globex"] {
        assert!(!html.contains(secret), "{secret}: {html}");
    }
    assert!(html.contains("data-testid=\"hidden-members\""), "{html}");
    assert!(html.contains("data-testid=\"hidden-grants\""), "{html}");

    // Ada sees everyone and every grant.
    let (_, api) = t.app.get_json(&t.ada, format!("/groups/{gid}")).await;
    assert_eq!(api["members"].as_array().unwrap().len(), 2);

    // Answers about membership name no one she may not see, and someone she
    // may not see is not hers to remove (as if not a member).
    let body = t
        .app
        .put_json(
            &t.olga,
            format!("/groups/{gid}/members/{}", sam.id),
            json!({"owner": true}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(body["members"].as_array().unwrap().len(), 1, "{body}");
    assert!(!body.to_string().contains("gina"), "{body}");
    t.app
        .delete(&t.olga, format!("/groups/{gid}/members/{}", gina.id))
        .await
        .expect_status(S::NOT_FOUND);

    // The grant at Globex is not Olga's to revoke, so the group is not hers
    // to dissolve, by API or page.
    let (status, body) = t.app.delete(&t.olga, format!("/groups/{gid}")).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    let response = olga
        .submit_form(&format!("/groups/{gid}/delete"), &[])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (_, grants) = t
        .app
        .get_json(&t.ada, format!("/grants?group_id={gid}"))
        .await;
    assert_eq!(grants["total"], 2, "nothing was revoked: {grants}");
    t.app
        .delete(&t.ada, format!("/groups/{gid}"))
        .await
        .expect_status(S::NO_CONTENT);
}
