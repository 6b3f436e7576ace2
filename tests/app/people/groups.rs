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

/// A group holding Org admin at East, with Owen as its owner: Owen holds no
/// grant of his own (SPEC 2: owners manage members with no further grant).
async fn owned_group(w: &Tenants) -> (i64, crate::fixture::Person) {
    let owen = w.person("owen@acme.example", w.acme).await;
    let gid = w
        .post_created(
            &w.olga,
            "/groups",
            json!({"org_id": w.acme, "name": "Crew"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let admin = w.role_id_at(&w.olga, w.east, "Org admin").await;
    let body = json!({"role_id": admin, "group_id": gid, "org_id": w.east});
    w.post_created(&w.olga, "/grants", body).await;
    let path = format!("/groups/{gid}/members/{}", owen.id);
    w.put_json(&w.olga, path, json!({"owner": true}))
        .await
        .expect_status(S::OK);
    (gid, owen)
}

async fn member_ids(w: &Tenants, token: &str, gid: i64) -> Vec<i64> {
    let (status, body) = w.get_json(token, format!("/groups/{gid}/members")).await;
    assert_eq!(status, S::OK, "{body}");
    let mut ids: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn group_owners_manage_members_with_no_grant_of_their_own() {
    let w = tenants().await;
    let (gid, owen) = owned_group(&w).await;
    let mia = w.person("mia@acme.example", w.east).await;
    let ned = w.person("ned@acme.example", w.acme).await;
    // Owen sees the group and every member, and adds Mia although the group
    // hands out Org admin at East and he holds no access.manage anywhere.
    let (status, body) = w.get_json(&owen.token, format!("/groups/{gid}")).await;
    assert_eq!(status, S::OK, "{body}");
    let east = format!("/orgs/{}", w.east);
    let (status, _) = w.get_json(&ned.token, &east).await;
    assert_eq!(status, S::NOT_FOUND, "Ned is not in the group yet");
    let path = format!("/groups/{gid}/members/{}", mia.id);
    w.put_json(&owen.token, path, json!({}))
        .await
        .expect_status(S::OK);
    let mut expected = vec![owen.id, mia.id];
    expected.sort_unstable();
    assert_eq!(member_ids(&w, &owen.token, gid).await, expected);
    // He makes Ned an owner too, and Ned, also without grants, removes Mia.
    let path = format!("/groups/{gid}/members/{}", ned.id);
    w.put_json(&owen.token, path, json!({"owner": true}))
        .await
        .expect_status(S::OK);
    let path = format!("/groups/{gid}/members/{}", mia.id);
    w.delete(&ned.token, &path)
        .await
        .expect_status(S::NO_CONTENT);
    assert!(!member_ids(&w, &owen.token, gid).await.contains(&mia.id));
    // The group itself is not theirs: no rename, no delete, no grants.
    w.patch_json(
        &owen.token,
        format!("/groups/{gid}"),
        json!({"name": "Owen's"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    w.delete(&owen.token, &format!("/groups/{gid}"))
        .await
        .expect_status(S::FORBIDDEN);
    // Ned, an owner now, holds what the group gives: Org admin at East.
    assert_eq!(w.get_json(&ned.token, &east).await.0, S::OK);
    // Olga put Owen in; Owen put Mia and Ned; Ned took Mia out.
    assert_eq!(w.audit("group.member_put").await.len(), 3);
    assert_eq!(w.audit("group.member_removed").await.len(), 1);
}

#[tokio::test]
async fn an_owner_adds_only_people_the_groups_org_reaches() {
    let w = tenants().await;
    let (gid, owen) = owned_group(&w).await;
    // Gus lives at Globex; Vera behind a private border inside Acme.
    let gus_id = w.person("gustav@globex.example", w.globex).await.id;
    let vault = w.create_org(&w.ada, w.acme, "Vault", "VAULT").await;
    w.add_keeper(vault).await;
    w.make_private(&w.ada, vault).await;
    let vera_id = w.person("vera@acme.example", vault).await.id;
    let missing = w
        .put_json(
            &owen.token,
            format!("/groups/{gid}/members/999999"),
            json!({}),
        )
        .await;
    for id in [gus_id, vera_id] {
        let answer = w
            .put_json(
                &owen.token,
                format!("/groups/{gid}/members/{id}"),
                json!({}),
            )
            .await;
        assert_eq!(answer.0, S::NOT_FOUND, "{}", answer.1);
        assert_eq!(answer.1, missing.1, "answers exactly like no one");
    }
    // The page form says the same of both, next to the field.
    let page = w.signed_in_browser("owen@acme.example").await;
    for email in [
        "gustav@globex.example",
        "vera@acme.example",
        "nobody@acme.example",
    ] {
        let response = page
            .submit_form(&format!("/groups/{gid}/members"), &[("email", email)])
            .await;
        assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY, "{email}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("There is no user with this email you can see."),
            "{email}"
        );
    }
    assert_eq!(member_ids(&w, &w.ada, gid).await, vec![owen.id]);
    // Someone in reach is added from the page, and the group page lists them.
    let response = page
        .submit_form(
            &format!("/groups/{gid}/members"),
            &[("email", "olga@acme.example")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (status, html) = page.get_page(&format!("/groups/{gid}")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("olga@acme.example"), "{html}");
    // His own page links to the group he owns.
    let (_, html) = page.get_page(&format!("/users/{}", owen.id)).await;
    assert!(html.contains(&format!("href=\"/groups/{gid}\"")), "{html}");
}

#[tokio::test]
async fn a_plain_member_or_a_stranger_does_not_reach_the_group() {
    let w = tenants().await;
    let (gid, _owen) = owned_group(&w).await;
    let mia = w.person("mia@acme.example", w.acme).await;
    let sam = w.person("sam@acme.example", w.acme).await;
    let path = format!("/groups/{gid}/members/{}", mia.id);
    w.put_json(&w.olga, path, json!({"owner": false}))
        .await
        .expect_status(S::OK);
    let missing = w.get_json(&mia.token, "/groups/999999").await;
    for token in [&mia.token, &sam.token, &w.gus] {
        let seen = w.get_json(token, format!("/groups/{gid}")).await;
        assert_eq!(seen, missing, "like a group that does not exist");
        let path = format!("/groups/{gid}/members/{}", sam.id);
        let (status, _) = w.put_json(token, path, json!({})).await;
        assert_eq!(status, S::NOT_FOUND);
    }
    // A member's own page names the group without a link to a page they
    // cannot open.
    let page = w.signed_in_browser("mia@acme.example").await;
    let (_, html) = page.get_page(&format!("/users/{}", mia.id)).await;
    assert!(
        html.contains("Crew") && !html.contains(&format!("/groups/{gid}\"")),
        "{html}"
    );
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

    // Making Sam an owner would let him hand out Viewer at Globex: not hers
    // to give. Answers about membership name no one she may not see, and
    // someone she may not see is not hers to remove (as if not a member).
    let sam_path = format!("/groups/{gid}/members/{}", sam.id);
    let (status, body) = t
        .app
        .put_json(&t.olga, &sam_path, json!({"owner": true}))
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    let body = t
        .app
        .put_json(&t.olga, &sam_path, json!({"owner": false}))
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
