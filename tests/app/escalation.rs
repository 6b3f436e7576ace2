//! No escalation (SPEC 3), route by route: granting needs `access.manage` and
//! every permission of the role at the scope (through grants that reach below
//! for an "and below" grant), the assignable roles of the org and every org
//! above it, and the same holds for the side doors — adding a member to a group
//! that holds grants, and taking over an account by changing its email.

use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::Tree;
use crate::helpers::ExpectStatus;

async fn grant(w: &Tree, token: &str, body: Value) -> (S, Value) {
    w.post_json(token, "/grants", body).await
}

/// Ada grants `role` to `user_id` at `org_id` (and below unless `only_here`).
async fn give(w: &Tree, role: &str, user_id: i64, org_id: i64, only_here: bool) -> i64 {
    let role_id = w.role_id(&w.ada, role).await;
    let (status, body) = grant(
        w,
        &w.ada,
        json!({"role_id": role_id, "user_id": user_id, "org_id": org_id,
                   "descendants": !only_here}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// A group at `org_id` made by Ada, holding `role` at `at` when given.
async fn group(w: &Tree, name: &str, org_id: i64, role: Option<(&str, i64)>) -> i64 {
    let body = w
        .post_created(&w.ada, "/groups", json!({"org_id": org_id, "name": name}))
        .await;
    let gid = body["id"].as_i64().unwrap();
    if let Some((role, at)) = role {
        let role_id = w.role_id(&w.ada, role).await;
        let (status, body) = grant(
            w,
            &w.ada,
            json!({"role_id": role_id, "group_id": gid, "org_id": at}),
        )
        .await;
        assert_eq!(status, S::CREATED, "{body}");
    }
    gid
}

async fn add_member(w: &Tree, token: &str, gid: i64, user_id: i64) -> (S, Value) {
    w.put_json(token, format!("/groups/{gid}/members/{user_id}"), json!({}))
        .await
}

async fn members(w: &Tree, gid: i64) -> Vec<i64> {
    let (_, body) = w.get_json(&w.ada, format!("/groups/{gid}")).await;
    body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect()
}

async fn put_settings(w: &Tree, token: &str, org: i64, body: Value) -> (S, Value) {
    w.put_json(token, format!("/orgs/{org}/settings"), body)
        .await
}

async fn patch_user(w: &Tree, token: &str, id: i64, body: Value) -> (S, Value) {
    w.patch_json(token, format!("/users/{id}"), body).await
}

fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn joining_a_group_needs_the_right_to_grant_what_the_group_holds() {
    let w = Tree::new().await;
    let (uma_id, uma) = w
        .member("uma@acme.example", w.acme, "User manager", w.acme)
        .await
        .id_and_token();
    let (olga_id, olga) = w
        .org_admin("olga@acme.example", w.acme)
        .await
        .id_and_token();
    let sam_id = w.person("sam@acme.example", w.acme).await.id;
    let admins = group(&w, "Admins", w.acme, Some(("Org admin", w.acme))).await;
    let plain = group(&w, "Plain", w.acme, None).await;
    let owners = group(&w, "Owners", w.acme, Some(("Owner", w.root))).await;

    // Uma manages groups at Acme but holds no access.manage: she cannot put
    // herself, or anyone, into a group holding Org admin.
    for who in [uma_id, sam_id] {
        let (status, body) = add_member(&w, &uma, admins, who).await;
        assert_eq!(status, S::FORBIDDEN, "{body}");
        let m = message(&body);
        assert!(
            m.contains("Org admin") && m.contains("access.manage"),
            "{m}"
        );
    }
    assert!(members(&w, admins).await.is_empty());
    let (status, _) = w.get_json(&uma, format!("/orgs/{}/access", w.acme)).await;
    assert_eq!(status, S::FORBIDDEN, "Uma gained nothing");
    // The page form refuses the same, saying why.
    let uma_page = w.signed_in_browser("uma@acme.example").await;
    let response = uma_page
        .submit_form(
            &format!("/groups/{admins}/members"),
            &[("email", "uma@acme.example")],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Org admin"));
    assert!(members(&w, admins).await.is_empty());

    // A group without grants hands out nothing: Uma may fill it.
    let (status, body) = add_member(&w, &uma, plain, sam_id).await;
    assert_eq!(status, S::OK, "{body}");
    let response = uma_page
        .submit_form(
            &format!("/groups/{plain}/members"),
            &[("email", "uma@acme.example")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);

    // Olga holds Org admin at Acme and below: she may add to Admins, not to a
    // group holding Owner at the root.
    let (status, body) = add_member(&w, &olga, admins, sam_id).await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(members(&w, admins).await, vec![sam_id]);
    let (status, body) = add_member(&w, &olga, owners, olga_id).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Owner"), "{body}");

    // Making a member an owner hands them the power to give out Org admin
    // (owners add members with no grant of their own): Uma may not; Olga,
    // who could grant it, may; taking the flag away again hands out nothing.
    let sam_owner = format!("/groups/{admins}/members/{sam_id}");
    let (status, body) = w.put_json(&uma, &sam_owner, json!({"owner": true})).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Org admin"), "{body}");
    w.put_json(&olga, &sam_owner, json!({"owner": true}))
        .await
        .expect_status(S::OK);
    w.put_json(&uma, &sam_owner, json!({"owner": false}))
        .await
        .expect_status(S::OK);
}

#[tokio::test]
async fn a_this_org_only_admin_cannot_grant_below_their_org() {
    let w = Tree::new().await;
    let (tom_id, tom) = w.person("tom@acme.example", w.acme).await.id_and_token();
    give(&w, "Org admin", tom_id, w.acme, true).await;
    let sam_id = w.person("sam@acme.example", w.acme).await.id;
    let (admin, viewer) = (
        w.role_id(&w.ada, "Org admin").await,
        w.role_id(&w.ada, "Viewer").await,
    );

    // Not even to himself: "and below" would reach East, which he does not rule.
    for (role, user) in [(admin, tom_id), (viewer, sam_id)] {
        let (status, body) = grant(
            &w,
            &tom,
            json!({"role_id": role, "user_id": user, "org_id": w.acme, "descendants": true}),
        )
        .await;
        assert_eq!(status, S::FORBIDDEN, "{body}");
        assert!(message(&body).contains("reach below"), "{body}");
    }
    let (status, _) = w.get_json(&tom, format!("/orgs/{}", w.east)).await;
    assert_eq!(status, S::NOT_FOUND, "East stays out of Tom's reach");
    let (status, body) = grant(
        &w,
        &tom,
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.acme, "descendants": false}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
    let (status, _) = grant(
        &w,
        &tom,
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.east, "descendants": false}),
    )
    .await;
    assert_eq!(status, S::NOT_FOUND);

    // The page form: "and below" refused, "this org only" fine.
    w.person("pam@acme.example", w.acme).await;
    let page = w.signed_in_browser("tom@acme.example").await;
    let viewer_s = viewer.to_string();
    let form = |reach: &'static str| {
        let page = &page;
        let role = viewer_s.clone();
        async move {
            page.submit_form(
                &format!("/orgs/{}/grants", w.acme),
                &[
                    ("email", "pam@acme.example"),
                    ("role_id", &role),
                    ("reach", reach),
                    ("expires_in_days", "5"),
                ],
            )
            .await
        }
    };
    let response = form("below").await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("reach below"));
    assert_eq!(form("here").await.status(), S::SEE_OTHER);

    // Revoking someone else's "and below" grant takes the same as making it.
    let adas_grant = give(&w, "Viewer", sam_id, w.acme, false).await;
    w.delete(&tom, format!("/grants/{adas_grant}"))
        .await
        .expect_status(S::FORBIDDEN);

    // With a grant that reaches below, the same requests pass.
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let (status, body) = grant(
        &w,
        &olga,
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.acme, "descendants": true}),
    )
    .await;
    assert_eq!(status, S::CONFLICT, "Ada's identical grant exists: {body}");
    let (status, body) = grant(
        &w,
        &olga,
        json!({"role_id": admin, "user_id": sam_id, "org_id": w.acme, "descendants": true}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
}

#[tokio::test]
async fn granting_needs_access_manage_and_stays_inside_the_grantors_scope() {
    let w = Tree::new().await;
    let vic = w
        .member("vic@acme.example", w.acme, "Viewer", w.acme)
        .await
        .token;
    let uma = w
        .member("uma@acme.example", w.acme, "User manager", w.acme)
        .await
        .token;
    let sam_id = w.person("sam@acme.example", w.acme).await.id;
    let viewer = w.role_id(&w.ada, "Viewer").await;

    for (name, token) in [("vic", &vic), ("uma", &uma)] {
        let (status, body) = grant(
            &w,
            token,
            json!({"role_id": viewer, "user_id": sam_id, "org_id": w.acme}),
        )
        .await;
        assert_eq!(status, S::FORBIDDEN, "{name}: {body}");
        assert!(message(&body).contains("access.manage"), "{body}");
        let page = w.signed_in_browser(&format!("{name}@acme.example")).await;
        let response = page
            .submit_form(
                &format!("/orgs/{}/grants", w.acme),
                &[
                    ("email", "sam@acme.example"),
                    ("role_id", &viewer.to_string()),
                    ("reach", "below"),
                ],
            )
            .await;
        assert_eq!(response.status(), S::FORBIDDEN, "{name} on the page");
    }
    let grants = w
        .get_json(&w.ada, format!("/grants?user_id={sam_id}"))
        .await
        .expect_status(S::OK);
    assert_eq!(grants["total"], 0, "{grants}");

    // Outside the grantor's scope: an org or a project they cannot see is unknown.
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let project = w
        .post_created(
            &w.ada,
            "/projects",
            json!({"org_id": w.globex, "code": "gx", "name": "Globex X"}),
        )
        .await;
    for body in [
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.globex}),
        json!({"role_id": viewer, "user_id": sam_id, "project_id": project["id"]}),
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.root}),
    ] {
        let (status, answer) = grant(&w, &olga, body.clone()).await;
        assert!(
            status == S::NOT_FOUND || status == S::FORBIDDEN,
            "{body}: {answer}"
        );
        if body["org_id"] != w.root {
            assert_eq!(status, S::NOT_FOUND, "{body}: {answer}");
        }
    }
    // The group page's grant form applies the same rule.
    let gid = group(&w, "Crew", w.acme, None).await;
    let page = w.signed_in_browser("uma@acme.example").await;
    let response = page
        .submit_form(
            &format!("/groups/{gid}/grants"),
            &[
                ("org_id", &w.acme.to_string()),
                ("role_id", &viewer.to_string()),
                ("reach", "below"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("access.manage"));
}

#[tokio::test]
async fn assignable_roles_are_set_from_above_and_only_narrow() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let sam_id = w.person("sam@acme.example", w.east).await.id;
    let (viewer, approver, admin) = (
        w.role_id(&w.ada, "Viewer").await,
        w.role_id(&w.ada, "Approver").await,
        w.role_id(&w.ada, "Org admin").await,
    );

    // East had "all" set here before Acme narrowed: it cannot widen Acme's set.
    assert_eq!(
        put_settings(&w, &w.ada, w.east, json!({"assignable_roles": "all"}))
            .await
            .0,
        S::OK
    );
    // Olga's own org's setting is set from above her: not even a narrowing.
    for value in [json!("all"), json!([viewer]), Value::Null] {
        let (status, body) =
            put_settings(&w, &olga, w.acme, json!({ "assignable_roles": value })).await;
        assert_eq!(status, S::FORBIDDEN, "{value}: {body}");
        assert!(message(&body).contains("parent"), "{body}");
    }
    assert_eq!(
        put_settings(&w, &olga, w.acme, json!({"week_start": "sunday"}))
            .await
            .0,
        S::OK,
        "other settings stay hers"
    );
    let (status, body) =
        put_settings(&w, &w.ada, w.acme, json!({"assignable_roles": [viewer]})).await;
    assert_eq!(status, S::OK, "{body}");
    let (status, _) = put_settings(&w, &olga, w.acme, json!({"assignable_roles": "all"})).await;
    assert_eq!(status, S::FORBIDDEN, "nor undo it afterwards");

    // A grant at the child of the narrowed org is refused outside the set,
    // although East itself says "all".
    let (status, body) = grant(
        &w,
        &olga,
        json!({"role_id": approver, "user_id": sam_id, "org_id": w.east}),
    )
    .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Approver"), "{body}");
    let (status, body) = grant(
        &w,
        &olga,
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.east}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");

    // Olga sets East's (she holds org.settings at Acme, its parent), but only
    // within Acme's set: no widening, by "all" or by a list.
    for value in [json!("all"), json!([viewer, admin])] {
        let (status, body) =
            put_settings(&w, &olga, w.east, json!({ "assignable_roles": value })).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{value}: {body}");
        assert!(body["error"]["fields"]["assignable_roles"].is_string());
    }
    let (status, body) =
        put_settings(&w, &olga, w.east, json!({"assignable_roles": [viewer]})).await;
    assert_eq!(status, S::OK, "{body}");
    let (status, _) = grant(
        &w,
        &olga,
        json!({"role_id": admin, "user_id": sam_id, "org_id": w.east}),
    )
    .await;
    assert_eq!(status, S::FORBIDDEN);

    // The page: the form is not offered at Acme, and posting it is refused.
    let page = w.signed_in_browser("olga@acme.example").await;
    let (_, html) = page.get_page(&format!("/orgs/{}/settings", w.acme)).await;
    assert!(html.contains("Set from the parent organization."));
    let response = page
        .submit_form(
            &format!("/orgs/{}/settings/assignable_roles", w.acme),
            &[("value", "all")],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let response = page
        .submit_form(
            &format!("/orgs/{}/settings/assignable_roles/revert", w.acme),
            &[],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (_, settings) = w
        .get_json(&w.ada, format!("/orgs/{}/settings", w.acme))
        .await;
    assert_eq!(settings["assignable_roles"]["value"], json!([viewer]));
}

#[tokio::test]
async fn changing_an_email_needs_the_right_to_grant_what_the_person_holds() {
    let w = Tree::new().await;
    let uma = w
        .member("uma@acme.example", w.acme, "User manager", w.acme)
        .await
        .token;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    // Rita lives at Acme but holds Owner at the root.
    let rita_id = w
        .member("rita@acme.example", w.acme, "Owner", w.root)
        .await
        .id;
    // Gina holds Org admin at Acme through a group.
    let gina_id = w.person("gina@acme.example", w.acme).await.id;
    let admins = group(&w, "Admins", w.acme, Some(("Org admin", w.acme))).await;
    assert_eq!(add_member(&w, &w.ada, admins, gina_id).await.0, S::OK);
    let sam_id = w.person("sam@acme.example", w.acme).await.id;

    for (token, target, who) in [
        (&uma, rita_id, "Owner"),
        (&olga, rita_id, "Owner"),
        (&uma, gina_id, "Org admin"),
    ] {
        let (status, body) =
            patch_user(&w, token, target, json!({"email": "mine@evil.example"})).await;
        assert_eq!(status, S::FORBIDDEN, "{body}");
        let m = message(&body);
        assert!(m.contains("email") && m.contains(who), "{m}");
    }
    let (_, rita) = w.get_json(&w.ada, format!("/users/{rita_id}")).await;
    assert_eq!(rita["email"], "rita@acme.example");
    // Anything but the email stays theirs to change; so does the email of
    // someone holding no more than they may grant.
    let (status, body) = patch_user(&w, &uma, rita_id, json!({"job_title": "Boss"})).await;
    assert_eq!(status, S::OK, "{body}");
    let (status, body) = patch_user(&w, &uma, sam_id, json!({"email": "sam2@acme.example"})).await;
    assert_eq!(status, S::OK, "{body}");
    let (status, body) =
        patch_user(&w, &olga, gina_id, json!({"email": "gina2@acme.example"})).await;
    assert_eq!(status, S::OK, "Olga may grant Org admin at Acme: {body}");

    // The edit page refuses the same.
    let page = w.signed_in_browser("uma@acme.example").await;
    let response = page
        .submit_form(
            &format!("/users/{rita_id}/edit"),
            &[
                ("display_name", "Rita"),
                ("email", "mine@evil.example"),
                ("job_title", "Boss"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Owner"));
    let (_, rita) = w.get_json(&w.ada, format!("/users/{rita_id}")).await;
    assert_eq!(rita["email"], "rita@acme.example");
    assert!(w.audit("user.email_changed").await.len() == 2);
}

#[tokio::test]
async fn reviving_someone_needs_the_right_to_grant_what_they_hold() {
    let w = Tree::new().await;
    let uma = w
        .member("uma@acme.example", w.acme, "User manager", w.acme)
        .await
        .token;
    // Rita lives at Acme but holds Owner at the root; Sam holds nothing.
    let (rita_id, rita) = w
        .member("rita@acme.example", w.acme, "Owner", w.root)
        .await
        .id_and_token();
    let sam_id = w.person("sam@acme.example", w.acme).await.id;

    // Switching someone off only takes access away: user.manage is enough.
    let (status, body) = patch_user(&w, &uma, rita_id, json!({"status": "deactivated"})).await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(w.get_json(&rita, "/me").await.0, S::UNAUTHORIZED);
    // Switching her back on would hand Uma's choice an Owner: refused, by
    // page and by API.
    let page = w.signed_in_browser("uma@acme.example").await;
    let response = page
        .submit_form(&format!("/users/{rita_id}/reactivate"), &[])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (status, body) = patch_user(&w, &uma, rita_id, json!({"status": "active"})).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Owner"), "{body}");
    assert_eq!(w.get_json(&rita, "/me").await.0, S::UNAUTHORIZED);
    // The Owner may.
    let (status, _) = patch_user(&w, &w.ada, rita_id, json!({"status": "active"})).await;
    assert_eq!(status, S::OK);
    assert_eq!(w.get_json(&rita, "/me").await.0, S::OK);

    // Someone holding nothing Uma cannot grant is hers to switch either way.
    for status_now in ["deactivated", "active"] {
        let (status, body) = patch_user(&w, &uma, sam_id, json!({"status": status_now})).await;
        assert_eq!(status, S::OK, "{body}");
        assert_eq!(body["status"], status_now);
    }
}

#[tokio::test]
async fn a_grant_finds_only_people_the_grantor_may_see() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let gus = w
        .create_user("gus@globex.example", "Gus Globexman", w.globex)
        .await;
    let viewer = w.role_id(&w.ada, "Viewer").await;

    // By id on the API: as unknown as an id nobody has.
    for user_id in [gus.id, 999_999] {
        let (status, body) = grant(
            &w,
            &olga,
            json!({"role_id": viewer, "user_id": user_id, "org_id": w.acme}),
        )
        .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["fields"]["user_id"], "There is no such user.");
    }
    let (_, grants) = w
        .get_json(&w.ada, format!("/grants?user_id={}", gus.id))
        .await;
    assert_eq!(grants["total"], 0);

    // Someone who sees Gus may make him a guest at Acme.
    let (status, body) = grant(
        &w,
        &w.ada,
        json!({"role_id": viewer, "user_id": gus.id, "org_id": w.acme}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
}

#[tokio::test]
async fn custom_roles_are_edited_by_the_grant_rule_and_their_holders_follow() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let uma = w
        .member("uma@acme.example", w.acme, "User manager", w.acme)
        .await
        .token;
    let gus = w.org_admin("gus@globex.example", w.globex).await.token;
    let (sam_id, sam) = w.person("sam@acme.example", w.east).await.id_and_token();

    let role = w
        .post_created(
            &olga,
            "/roles",
            json!({"org_id": w.acme, "name": "Reader", "permissions": ["org.view"]}),
        )
        .await;
    let rid = role["id"].as_i64().unwrap();
    let (status, body) = grant(
        &w,
        &olga,
        json!({"role_id": rid, "user_id": sam_id, "org_id": w.east}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
    let sam_may_view_users = || async {
        let (_, why) = w
            .get_json(
                &sam,
                format!("/check?permission=user.view&org_id={}", w.east),
            )
            .await;
        why["allowed"].as_bool().unwrap()
    };
    assert!(!sam_may_view_users().await);

    let path = format!("/roles/{rid}");
    // Olga may widen it with what she holds; Sam has it at his next request.
    let body = w
        .patch_json(
            &olga,
            &path,
            json!({"permissions": ["org.view", "user.view"]}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(body["permissions"], json!(["org.view", "user.view"]));
    assert!(sam_may_view_users().await);
    // Not with what she lacks; not Uma (no access.manage); not Gus (unknown);
    // not a built-in, not even for the Owner.
    for (token, body, expected) in [
        (
            &olga,
            json!({"permissions": ["org.view", "org.move"]}),
            S::FORBIDDEN,
        ),
        (&uma, json!({"name": "Mine"}), S::FORBIDDEN),
        (&gus, json!({"name": "Mine"}), S::NOT_FOUND),
        (&olga, json!({"permissions": []}), S::UNPROCESSABLE_ENTITY),
    ] {
        let (status, answer) = w.patch_json(token, &path, body).await;
        assert_eq!(status, expected, "{answer}");
    }
    let viewer = w.role_id(&w.ada, "Viewer").await;
    w.patch_json(
        &w.ada,
        format!("/roles/{viewer}"),
        json!({"name": "Looker"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    let (_, roles) = w.get_json(&olga, format!("/roles?org_id={}", w.acme)).await;
    let reader = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rid)
        .unwrap();
    assert_eq!(reader["name"], "Reader");
    assert_eq!(reader["permissions"], json!(["org.view", "user.view"]));
    assert_eq!(w.audit("role.updated").await.len(), 1);

    // By page: the form, a refusal next to the field, a save.
    let page = w.signed_in_browser("olga@acme.example").await;
    let (status, html) = page.get_page(&format!("/roles/{rid}/edit")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("value=\"Reader\""), "{html}");
    let response = page
        .submit_form(&format!("/roles/{rid}/edit"), &[("name", "Reader")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"permissions-error\"")
    );
    let response = page
        .submit_form(
            &format!("/roles/{rid}/edit"),
            &[("name", "Site reader"), ("permission", "org.view")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert!(!sam_may_view_users().await, "narrowed at the next request");
    let gus_page = w.signed_in_browser("gus@globex.example").await;
    assert_eq!(
        gus_page.get(&format!("/roles/{rid}/edit")).await.status(),
        S::NOT_FOUND
    );

    // Deleting it waits until nobody holds it.
    w.delete(&olga, &path).await.expect_status(S::CONFLICT);
    let (_, grants) = w.get_json(&olga, format!("/grants?user_id={sam_id}")).await;
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();
    w.delete(&olga, format!("/grants/{grant_id}")).await;
    w.delete(&olga, &path).await.expect_status(S::NO_CONTENT);
}
