//! The org tree through the API: tenants see exactly their subtree, privacy
//! stops ancestors at the border, and every change holds at the next request.

use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::Tree;
use crate::helpers::*;

mod checks;

#[tokio::test]
async fn an_org_admin_sees_and_manages_exactly_their_subtree() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;

    let list = w.get_json(&olga, "/orgs").await.expect_status(S::OK);
    assert_eq!(
        ids(&list),
        vec![w.acme, w.east, w.boston, w.west],
        "path order, nothing else"
    );
    assert_eq!(list["total"], 4);
    let acme = &list["items"][0];
    assert_eq!(acme["path"], "Acme", "no names from above the grant");
    assert_eq!(acme["parent_id"], Value::Null);
    assert_eq!(list["items"][2]["path"], "Acme / East / Boston");

    for outside in [w.root, w.globex, 999_999] {
        let (status, body) = w.get_json(&olga, &format!("/orgs/{outside}")).await;
        assert_eq!(status, S::NOT_FOUND, "{outside}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
        for sub in ["settings", "access"] {
            w.get_json(&olga, &format!("/orgs/{outside}/{sub}"))
                .await
                .expect_status(S::NOT_FOUND);
        }
        w.patch_json(&olga, &format!("/orgs/{outside}"), json!({"name": "Mine"}))
            .await
            .expect_status(S::NOT_FOUND);
    }
    // Search does not reach outside either.
    let (_, found) = w.get_json(&olga, "/orgs?q=globex").await;
    assert_eq!(found["total"], 0);
    let (_, found) = w.get_json(&olga, "/orgs?q=bos").await;
    assert_eq!(ids(&found), vec![w.boston]);

    // Inside: create, edit.
    let created = w
        .post_created(
            &olga,
            "/orgs",
            json!({"parent_id": w.east, "name": "Albany", "code": "ACME-ALB", "kind": "site"}),
        )
        .await;
    assert_eq!(created["path"], "Acme / East / Albany");
    let edited = w
        .patch_json(
            &olga,
            &format!("/orgs/{}", w.west),
            json!({"description": "Pacific", "tags": ["west", "coast"]}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(edited["tags"], json!(["west", "coast"]));
    // Creating next to her own org means creating under the root: not hers.
    w.post_json(
        &olga,
        "/orgs",
        json!({"parent_id": w.root, "name": "Mine", "code": "MINE"}),
    )
    .await
    .expect_status(S::NOT_FOUND);
    // An Org admin lacks org.move / org.delete; and nobody below the root
    // decides about the org their access hangs on.
    w.delete(&olga, &format!("/orgs/{}", w.acme))
        .await
        .expect_status(S::FORBIDDEN);
    w.post_json(
        &olga,
        &format!("/orgs/{}/move", w.boston),
        json!({"parent_id": w.west}),
    )
    .await
    .expect_status(S::FORBIDDEN);
}

#[tokio::test]
async fn an_owner_below_the_root_reshapes_their_subtree_but_not_their_own_org() {
    let w = Tree::new().await;
    let owen = w
        .member("owen@acme.example", w.acme, "Owner", w.acme)
        .await
        .token;
    let moved = w
        .post_json(
            &owen,
            &format!("/orgs/{}/move", w.boston),
            json!({"parent_id": w.west}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(moved["path"], "Acme / West / Boston");
    let (status, _) = w
        .post_json(
            &owen,
            &format!("/orgs/{}/move", w.acme),
            json!({"parent_id": w.globex}),
        )
        .await;
    assert_eq!(
        status,
        S::FORBIDDEN,
        "the org his access hangs on is decided at its parent"
    );
    w.delete(&owen, &format!("/orgs/{}", w.acme))
        .await
        .expect_status(S::FORBIDDEN);
    let (status, _) = w
        .post_json(
            &owen,
            &format!("/orgs/{}/move", w.west),
            json!({"parent_id": w.globex}),
        )
        .await;
    assert_eq!(status, S::NOT_FOUND, "Globex is not his to know");
}

#[tokio::test]
async fn moves_refuse_cycles_the_root_and_name_clashes() {
    let w = Tree::new().await;
    let t = &w.ada;
    let mv = |id: i64, parent: i64| {
        w.post_json(t, format!("/orgs/{id}/move"), json!({"parent_id": parent}))
    };
    let (status, body) = mv(w.acme, w.acme).await;
    assert_eq!(status, S::CONFLICT, "{body}");
    let (status, body) = mv(w.acme, w.boston).await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert_eq!(body["error"]["reason"], "cycle");
    let (status, _) = mv(w.root, w.globex).await;
    assert_eq!(status, S::FORBIDDEN);
    w.create_org(t, w.globex, "East", "GLOBEX-EAST").await;
    let (status, body) = mv(w.east, w.globex).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["parent_id"].is_string());

    // A move carries the whole subtree and the closure table follows.
    let (status, _) = mv(w.east, w.west).await;
    assert_eq!(status, S::OK);
    let (_, boston) = w.get_json(t, &format!("/orgs/{}", w.boston)).await;
    assert_eq!(boston["path"], "Root / Acme / West / East / Boston");
    assert_eq!(boston["depth"], 4);
    let (east, west) = (w.east, w.west);
    let within =
        w.db.read(move |c| {
            Ok((
                canopy::domain::org::is_within(c, east, west)?,
                canopy::domain::org::is_within(c, 0, west)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(within, (true, false));
    let boston_id = w.boston;
    let ancestors: Vec<(i64, i32)> =
        w.db.read(move |c| {
            use canopy::db::schema::org_closure::dsl::*;
            use diesel::prelude::*;
            Ok(org_closure
                .filter(descendant_id.eq(boston_id))
                .select((ancestor_id, depth))
                .order(depth)
                .load(c)?)
        })
        .await
        .unwrap();
    assert_eq!(
        ancestors,
        vec![
            (w.boston, 0),
            (w.east, 1),
            (w.west, 2),
            (w.acme, 3),
            (w.root, 4)
        ]
    );
}

#[tokio::test]
async fn delete_only_when_empty_and_the_refusal_says_why() {
    let w = Tree::new().await;
    w.create_user("sam@acme.example", "Sam", w.east).await;
    let body = w
        .delete(&w.ada, &format!("/orgs/{}", w.east))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(
        body["error"]["blocking"],
        json!({"children": 1, "users": 1, "projects": 0, "teams": 0, "groups": 0})
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 sub-organization, 1 user")
    );

    w.delete(&w.ada, &format!("/orgs/{}", w.boston))
        .await
        .expect_status(S::NO_CONTENT);
    w.get_json(&w.ada, &format!("/orgs/{}", w.boston))
        .await
        .expect_status(S::NOT_FOUND);
    w.delete(&w.ada, &format!("/orgs/{}", w.root))
        .await
        .expect_status(S::FORBIDDEN);
    assert_eq!(w.audit("org.deleted").await.len(), 1);
}

#[tokio::test]
async fn archived_orgs_are_read_only_down_the_subtree_until_restored() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let (status, body) = w
        .patch_json(
            &w.ada,
            &format!("/orgs/{}", w.east),
            json!({"status": "archived"}),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["status"], "archived");
    // Still visible, no longer changeable, nothing new inside.
    w.get_json(&olga, &format!("/orgs/{}", w.boston))
        .await
        .expect_status(S::OK);
    w.patch_json(
        &olga,
        &format!("/orgs/{}", w.boston),
        json!({"name": "Beantown"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    w.post_json(
        &w.ada,
        "/orgs",
        json!({"parent_id": w.boston, "name": "Cambridge", "code": "CAM"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    let (_, why) = w
        .get_json(
            &olga,
            &format!("/check?permission=org.edit&org_id={}", w.boston),
        )
        .await;
    assert_eq!(why["allowed"], false);
    assert_eq!(
        why["decision"],
        json!({"kind": "org_archived", "org_id": w.east})
    );
    // The root can never be archived.
    w.patch_json(
        &w.ada,
        &format!("/orgs/{}", w.root),
        json!({"status": "archived"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    // Restored, work goes on.
    w.patch_json(
        &w.ada,
        &format!("/orgs/{}", w.east),
        json!({"status": "active"}),
    )
    .await
    .expect_status(S::OK);
    w.patch_json(
        &olga,
        &format!("/orgs/{}", w.boston),
        json!({"name": "Beantown"}),
    )
    .await
    .expect_status(S::OK);
}

#[tokio::test]
async fn privacy_mode_stops_ancestors_at_the_border() {
    let w = Tree::new().await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    w.patch_json(
        &w.ada,
        &format!("/orgs/{}", w.acme),
        json!({"code": "ZX-42"}),
    )
    .await
    .expect_status(S::OK);
    w.make_private(&olga, w.acme).await;

    // The root's owner sees the name and place, nothing more.
    let (status, acme) = w.get_json(&w.ada, &format!("/orgs/{}", w.acme)).await;
    assert_eq!(status, S::OK);
    assert_eq!(acme["name"], "Acme");
    assert_eq!(acme["restricted"], true);
    assert!(acme.get("description").is_none(), "{acme}");
    // The fields every org carries are there, and say nothing.
    for field in [
        "code",
        "kind",
        "status",
        "version",
        "created_at",
        "updated_at",
    ] {
        assert!(
            acme[field].is_null() && acme.get(field).is_some(),
            "{field}: {acme}"
        );
    }
    for path in [
        format!("/orgs/{}", w.east),
        format!("/orgs/{}/settings", w.acme),
        format!("/orgs/{}/access", w.acme),
        format!("/roles?org_id={}", w.acme),
    ] {
        let (status, _) = w.get_json(&w.ada, &path).await;
        assert_eq!(status, S::NOT_FOUND, "{path}");
    }
    let (_, list) = w.get_json(&w.ada, "/orgs").await;
    assert_eq!(ids(&list), vec![w.root, w.acme, w.globex]);
    // Found by its name, never by its code, which is not the landlord's to know.
    let (_, found) = w.get_json(&w.ada, "/orgs?q=acme").await;
    assert_eq!(ids(&found), vec![w.acme]);
    let (_, found) = w.get_json(&w.ada, "/orgs?q=zx-4").await;
    assert!(ids(&found).is_empty(), "{found}");
    let (_, why) = w
        .get_json(
            &w.ada,
            &format!("/check?permission=user.view&org_id={}", w.acme),
        )
        .await;
    assert_eq!(
        why["decision"],
        json!({"kind": "blocked_by_privacy", "org_id": w.acme})
    );
    // Only someone inside can turn it off.
    w.patch_json(
        &w.ada,
        &format!("/orgs/{}", w.acme),
        json!({"privacy_mode": false}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    // The landlord may still move the org (the decision is at the parent).
    let moved = w
        .post_json(
            &w.ada,
            &format!("/orgs/{}/move", w.acme),
            json!({"parent_id": w.globex}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(moved["path"], "Root / Globex / Acme");
    // Inside, all works; turning it off lets the landlord back in at once.
    w.get_json(&olga, &format!("/orgs/{}", w.boston))
        .await
        .expect_status(S::OK);
    w.patch_json(
        &olga,
        &format!("/orgs/{}", w.acme),
        json!({"privacy_mode": false}),
    )
    .await
    .expect_status(S::OK);
    w.get_json(&w.ada, &format!("/orgs/{}", w.boston))
        .await
        .expect_status(S::OK);
}

#[tokio::test]
async fn names_are_validated_and_shown_escaped() {
    let w = Tree::new().await;
    let long = "x".repeat(5000);
    for (name, field_status) in [
        ("", S::UNPROCESSABLE_ENTITY),
        ("   ", S::UNPROCESSABLE_ENTITY),
        (long.as_str(), S::UNPROCESSABLE_ENTITY),
        ("east", S::UNPROCESSABLE_ENTITY),
        (" EAST ", S::UNPROCESSABLE_ENTITY),
        ("<script>alert(1)</script>", S::UNPROCESSABLE_ENTITY),
        ("Tom & <b>Jerry</b>", S::UNPROCESSABLE_ENTITY),
    ] {
        let (status, body) = w
            .post_json(
                &w.ada,
                "/orgs",
                json!({"parent_id": w.acme, "name": name, "code": "NEW-1"}),
            )
            .await;
        assert_eq!(status, field_status, "{name:?}: {body}");
        assert!(body["error"]["fields"]["name"].is_string(), "{body}");
    }
    let (status, body) = w
        .post_json(
            &w.ada,
            "/orgs",
            json!({"parent_id": w.acme, "name": "North", "code": "acme-east"}),
        )
        .await;
    assert_eq!(status, S::CONFLICT, "codes are unique in any case: {body}");
    assert!(body["error"]["fields"]["code"].is_string());
    let body = w
        .post_json(&w.ada, "/orgs", json!({"parent_id": w.acme, "name": "North", "code": "NORTH", "kind": "planet", "website": "ftp://x", "email_domains": "not a domain!"}))
        .await.expect_status(S::UNPROCESSABLE_ENTITY);
    for field in ["kind", "website", "email_domains"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (_, list) = w.get_json(&w.ada, "/orgs").await;
    assert_eq!(list["total"], 6, "nothing was created");
    // Stale versions are refused.
    let (_, east) = w.get_json(&w.ada, &format!("/orgs/{}", w.east)).await;
    let version = east["version"].as_i64().unwrap();
    let patch = |v: i64| {
        w.patch_json(
            &w.ada,
            format!("/orgs/{}", w.east),
            json!({"city": "NYC", "version": v}),
        )
    };
    assert_eq!(patch(version).await.0, S::OK);
    assert_eq!(patch(version).await.0, S::CONFLICT);
}

#[tokio::test]
async fn settings_inherit_down_the_tree_and_revert() {
    let w = Tree::new().await;
    let put = |org: i64, body: Value| w.put_json(&w.ada, format!("/orgs/{org}/settings"), body);
    let get = |org: i64| w.get_json(&w.ada, format!("/orgs/{org}/settings"));

    let (_, boston) = get(w.boston).await;
    assert_eq!(
        boston["week_start"],
        json!({"value": "monday", "inherited_from": null, "source": "default"})
    );
    let (status, _) = put(
        w.acme,
        json!({"week_start": "sunday", "max_minutes_per_day": 600}),
    )
    .await;
    assert_eq!(status, S::OK);
    let (_, boston) = get(w.boston).await;
    assert_eq!(
        boston["week_start"],
        json!({"value": "sunday", "inherited_from": w.acme, "source": "inherited"})
    );
    assert_eq!(boston["max_minutes_per_day"]["value"], 600);
    put(w.east, json!({"week_start": "saturday"})).await;
    let (_, boston) = get(w.boston).await;
    assert_eq!(boston["week_start"]["inherited_from"], w.east);
    let (_, east) = get(w.east).await;
    assert_eq!(east["week_start"]["source"], "this_org");
    // Revert: null.
    put(w.east, json!({"week_start": null})).await;
    let (_, boston) = get(w.boston).await;
    assert_eq!(boston["week_start"]["inherited_from"], w.acme);
    // Bad values: 422 per key, nothing changes.
    let (status, body) = put(w.acme, json!({"week_start": "someday", "max_minutes_per_day": 2000, "approval_mode": "project", "nonsense": 1})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    for key in ["week_start", "max_minutes_per_day", "nonsense"] {
        assert!(body["error"]["fields"][key].is_string(), "{key}: {body}");
    }
    let (_, acme) = get(w.acme).await;
    assert_eq!(acme["week_start"]["value"], "sunday");
    assert_eq!(acme["approval_mode"]["source"], "default");
}

/// An empty org whose admins defined a custom role (and granted it there) is
/// deleted whole: the role and its grants go with it, nothing is left behind.
#[tokio::test]
async fn deleting_an_empty_org_takes_its_custom_roles_along() {
    let w = Tree::new().await;
    let role = w
        .post_created(
            &w.ada,
            "/roles",
            json!({"org_id": w.west, "name": "West reader", "permissions": ["org.view"]}),
        )
        .await;
    let sam = w.create_user("sam@acme.example", "Sam", w.east).await;
    w.post_created(
        &w.ada,
        "/grants",
        json!({"role_id": role["id"], "user_id": sam.id, "org_id": w.west}),
    )
    .await;
    // A lab under West holds the role too, then moves away: West's role is
    // still held elsewhere, so West is not deleted (a clear 409, not a 500).
    let lab = w.create_org(&w.ada, w.west, "West lab", "ACME-WLAB").await;
    let lab_grant = w
        .post_created(
            &w.ada,
            "/grants",
            json!({"role_id": role["id"], "user_id": sam.id, "org_id": lab}),
        )
        .await;
    w.post_json(
        &w.ada,
        &format!("/orgs/{lab}/move"),
        json!({"parent_id": w.east}),
    )
    .await
    .expect_status(S::OK);
    let body = w
        .delete(&w.ada, &format!("/orgs/{}", w.west))
        .await
        .expect_status(S::CONFLICT);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("still held")
    );
    w.delete(&w.ada, &format!("/grants/{}", lab_grant["id"]))
        .await;
    w.delete(&w.ada, &format!("/orgs/{}", w.west))
        .await
        .expect_status(S::NO_CONTENT);
    let (_, roles) = w
        .get_json(&w.ada, &format!("/roles?org_id={}", w.acme))
        .await;
    assert!(
        !roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == role["id"]),
        "{roles}"
    );
    let (_, left) = w
        .get_json(&w.ada, &format!("/grants?user_id={}", sam.id))
        .await;
    assert_eq!(left["total"], 0, "{left}");
    let deleted = w.audit("org.deleted").await;
    assert!(
        deleted[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("West reader")
    );
}
