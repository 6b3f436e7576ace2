//! People and access: users, groups, custom roles, guests, explain and preview.
//! Nobody grants more than they hold or reads another tenant's people, and every
//! loss of access holds at the next request.

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod groups;
mod pages;

/// The tree with its two tenants' admins: Olga (Acme) and Gus (Globex).
struct Tenants {
    tree: Tree,
    olga: String,
    olga_id: i64,
    gus: String,
}

on_the_tree!(Tenants);

async fn create_user(app: &TestApp, t: &str, body: Value) -> (S, Value) {
    app.post_json(t, "/users", body).await
}

async fn grant(app: &TestApp, t: &str, body: Value) -> (S, Value) {
    app.post_json(t, "/grants", body).await
}

/// The part of a move preview page after its table's start.
fn preview_table(html: &str) -> &str {
    html.split("data-testid=\"preview\"")
        .nth(1)
        .expect("a preview table")
}

async fn tenants() -> Tenants {
    let tree = Tree::new().await;
    let olga = tree.org_admin("olga@acme.example", tree.acme).await;
    let gus = tree.org_admin("gus@globex.example", tree.globex).await;
    Tenants {
        olga: olga.token,
        olga_id: olga.id,
        gus: gus.token,
        tree,
    }
}

#[tokio::test]
async fn users_are_created_validated_and_kept_inside_their_tenant() {
    let w = tenants().await;
    let olga = w.olga.as_str();
    let (status, sam) = create_user(&w.app, olga, json!({"org_id": w.east, "email": "sam@acme.example", "display_name": "Sam", "password": "sam's long password"})).await;
    assert_eq!(status, S::CREATED, "{sam}");
    assert_eq!(sam["status"], "active");
    let sam_id = sam["id"].as_i64().unwrap();

    for (body, field, expected) in [
        (
            json!({"org_id": w.east, "email": "not-an-email", "display_name": "X"}),
            "email",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "email": "x@acme.example", "display_name": "X", "password": "short"}),
            "password",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "email": "SAM@Acme.Example", "display_name": "Sam 2", "password": "0123456789ab"}),
            "email",
            S::CONFLICT,
        ),
        (
            json!({"org_id": w.east, "email": "y@acme.example", "display_name": "  "}),
            "display_name",
            S::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (status, body) = create_user(&w.app, olga, body).await;
        assert_eq!(status, expected, "{body}");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    // Into someone else's tenant: as if it did not exist.
    let (status, _) = create_user(&w.app, olga, json!({"org_id": w.globex, "email": "z@x.example", "display_name": "Z", "password": "0123456789ab"})).await;
    assert_eq!(status, S::NOT_FOUND);

    // Lists and reads stay inside the tenant.
    let (_, list) = w.app.get_json(&w.gus, "/users").await;
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["gus@globex.example"]);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"job_title": "Spy"}))),
    ] {
        w.app
            .call(method, format!("/users/{sam_id}"), &w.gus, body)
            .await
            .expect_status(S::NOT_FOUND);
    }
    let (_, list) = w.app.get_json(&w.olga, "/users?q=sam").await;
    assert_eq!(list["total"], 1);

    // Moving a user needs user.manage at both ends.
    w.app
        .patch_json(
            &w.olga,
            format!("/users/{sam_id}"),
            json!({"org_id": w.globex}),
        )
        .await
        .expect_status(S::NOT_FOUND);
    let moved = w
        .app
        .patch_json(
            &w.olga,
            format!("/users/{sam_id}"),
            json!({"org_id": w.acme}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(moved["org_id"], w.acme);

    // Deactivation stops the user's token at the next request; reactivation restores it.
    let sam_token = w.app.create_token(sam_id, "").await;
    assert_eq!(w.app.get_json(&sam_token, "/me").await.0, S::OK);
    w.app
        .patch_json(
            &w.olga,
            format!("/users/{sam_id}"),
            json!({"status": "deactivated"}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(w.app.get_json(&sam_token, "/me").await.0, S::UNAUTHORIZED);
    let (status, _) = w
        .app
        .patch_json(
            &w.olga,
            format!("/users/{}", w.olga_id),
            json!({"status": "deactivated"}),
        )
        .await;
    assert_eq!(
        status,
        S::UNPROCESSABLE_ENTITY,
        "nobody deactivates themselves"
    );
}

#[tokio::test]
async fn an_invited_user_has_no_password_and_a_mail_in_the_outbox() {
    let w = tenants().await;
    let (status, eve) = w
        .app
        .post_json(
            &w.olga,
            "/users",
            json!({"org_id": w.east, "email": "eve@acme.example", "display_name": "Eve"}),
        )
        .await;
    assert_eq!(status, S::CREATED, "{eve}");
    assert_eq!(eve["status"], "invited");
    let to: Vec<String> = w
        .app
        .db
        .read(|conn| {
            use canopy::db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            Ok(mail_outbox.select(to_address).load(conn)?)
        })
        .await
        .unwrap();
    // One message for Eve, her invitation (the others tell admins of their grants).
    assert_eq!(to.iter().filter(|t| *t == "eve@acme.example").count(), 1);
}

#[tokio::test]
async fn an_expiring_grant_stops_by_itself() {
    let w = tenants().await;
    let sam = w.app.create_user("sam@acme.example", "Sam", w.acme).await;
    let sam_t = w.app.create_token(sam.id, "").await;
    let viewer = w.role_id_at(&w.olga, w.east, "Viewer").await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (status, body) = grant(
        &w.app,
        &w.olga,
        json!({"role_id": viewer, "user_id": sam.id, "org_id": w.east, "expires_at": soon}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
    let east = format!("/orgs/{}", w.east);
    assert_eq!(w.app.get_json(&sam_t, &east).await.0, S::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(w.app.get_json(&sam_t, &east).await.0, S::NOT_FOUND);
    let (_, why) = w
        .app
        .get_json(
            &sam_t,
            format!("/check?permission=org.view&org_id={}", w.acme),
        )
        .await;
    assert_eq!(why["decision"]["kind"], "home_membership");
    let (_, why) = w
        .app
        .get_json(
            &w.olga,
            format!(
                "/check?user_id={}&permission=org.view&org_id={}",
                sam.id, w.east
            ),
        )
        .await;
    assert_eq!(why["decision"]["kind"], "grant_expired", "{why}");
    let (status, _) = grant(&w.app, &w.olga, json!({"role_id": viewer, "user_id": sam.id, "org_id": w.east, "expires_at": "2001-01-01T00:00:00Z"})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "an expiry in the past");
}

#[tokio::test]
async fn custom_roles_are_bounded_by_what_their_author_holds() {
    let w = tenants().await;
    let body = w
        .app
        .post_created(&w.olga, "/roles", json!({"org_id": w.acme, "name": "Site lead", "permissions": ["org.view", "user.view", "user.manage"]})).await;
    let site_lead = body["id"].as_i64().unwrap();
    // Refused: a permission Olga lacks, one that does not exist, another
    // tenant's org.
    for (org, name, permission, expected) in [
        (w.acme, "Mover", "org.move", S::FORBIDDEN),
        (w.acme, "Odd", "org.fly", S::UNPROCESSABLE_ENTITY),
        (w.globex, "Theirs", "org.view", S::NOT_FOUND),
    ] {
        let body = json!({"org_id": org, "name": name, "permissions": [permission]});
        let (status, answer) = w.post_json(&w.olga, "/roles", body).await;
        assert_eq!(status, expected, "{name}: {answer}");
    }
    // Usable below where it was defined, unknown elsewhere.
    let (_, east_roles) = w
        .app
        .get_json(&w.olga, format!("/roles?org_id={}", w.east))
        .await;
    assert!(
        east_roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == site_lead)
    );
    let (_, globex_roles) = w
        .app
        .get_json(&w.gus, format!("/roles?org_id={}", w.globex))
        .await;
    assert!(
        !globex_roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == site_lead)
    );
    let (status, _) = grant(
        &w.app,
        &w.gus,
        json!({"role_id": site_lead, "user_id": 1, "org_id": w.globex}),
    )
    .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "not a role at Globex");

    // The assignable-roles setting narrows what Acme's admins hand out; it is
    // set from above Acme (Olga, whom it restricts, may not set it).
    let viewer = w.role_id_at(&w.ada, w.acme, "Viewer").await;
    w.app
        .put_json(
            &w.olga,
            format!("/orgs/{}/settings", w.acme),
            json!({"assignable_roles": [viewer]}),
        )
        .await
        .expect_status(S::FORBIDDEN);
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{}/settings", w.acme),
            json!({"assignable_roles": [viewer]}),
        )
        .await
        .expect_status(S::OK);
    let sam = w.app.create_user("sam@acme.example", "Sam", w.acme).await;
    let (status, _) = grant(
        &w.app,
        &w.olga,
        json!({"role_id": site_lead, "user_id": sam.id, "org_id": w.acme}),
    )
    .await;
    assert_eq!(status, S::FORBIDDEN);
    let (status, _) = grant(
        &w.app,
        &w.olga,
        json!({"role_id": viewer, "user_id": sam.id, "org_id": w.acme}),
    )
    .await;
    assert_eq!(status, S::CREATED);
}

/// An archived org takes no one in: neither an invitation nor a user with a
/// password, and nothing is written or mailed.
#[tokio::test]
async fn an_archived_org_takes_no_new_people() {
    let t = tenants().await;
    let (_, east) = t.app.get_json(&t.ada, format!("/orgs/{}", t.east)).await;
    t.app
        .patch_json(
            &t.ada,
            format!("/orgs/{}", t.east),
            json!({"status": "archived", "version": east["version"]}),
        )
        .await
        .expect_status(S::OK);
    let users_before = t.app.audit("user.created").await.len();
    for body in [
        json!({"org_id": t.east, "email": "ivy@acme.example", "display_name": "Ivy"}),
        json!({"org_id": t.east, "email": "ivy@acme.example", "display_name": "Ivy",
               "password": "a long enough password"}),
    ] {
        let (status, answer) = create_user(&t.app, &t.ada, body).await;
        // The resolver refuses every change inside an archived org, and says so.
        assert_eq!(status, S::FORBIDDEN, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("archived"),
            "{answer}"
        );
    }
    assert_eq!(t.app.audit("user.created").await.len(), users_before);
    assert!(t.app.audit("user.invited").await.is_empty());
    let (_, found) = t.app.get_json(&t.ada, "/users?q=ivy@acme.example").await;
    assert_eq!(found["total"], 0, "{found}");
}

/// Another tenant's grants, roles and groups answer 404 to an org admin, by
/// API and by page, as if they did not exist; built-in roles cannot be deleted.
#[tokio::test]
async fn another_tenants_grants_roles_and_groups_are_unknown() {
    let t = tenants().await;
    let group = t
        .app
        .post_created(
            &t.olga,
            "/groups",
            json!({"org_id": t.acme, "name": "Auditors"}),
        )
        .await;
    let custom = t
        .app
        .post_created(
            &t.olga,
            "/roles",
            json!({"org_id": t.acme, "name": "Reader", "permissions": ["org.view"]}),
        )
        .await;
    let (_, olgas) = t
        .app
        .get_json(&t.ada, format!("/grants?user_id={}", t.olga_id))
        .await;
    let olgas_grant = olgas["items"][0]["id"].as_i64().unwrap();

    for (method, path, body) in [
        (Method::GET, format!("/grants?org_id={}", t.acme), None),
        (Method::GET, format!("/grants?user_id={}", t.olga_id), None),
        (Method::DELETE, format!("/grants/{olgas_grant}"), None),
        (Method::GET, format!("/roles?org_id={}", t.acme), None),
        (
            Method::POST,
            "/roles".to_string(),
            Some(json!({"org_id": t.acme, "name": "Spy", "permissions": ["org.view"]})),
        ),
        (Method::GET, format!("/groups/{}", group["id"]), None),
        (
            Method::PUT,
            format!("/groups/{}/members/{}", group["id"], t.olga_id),
            Some(json!({"owner": false})),
        ),
    ] {
        let (status, answer) = t.app.call(method.clone(), &path, &t.gus, body).await;
        assert_eq!(status, S::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, still) = t
        .app
        .get_json(&t.ada, format!("/grants?user_id={}", t.olga_id))
        .await;
    assert_eq!(still["total"], olgas["total"], "nothing was revoked");

    // The same by page, in Gus's browser.
    let gus = t.app.signed_in_browser("gus@globex.example").await;
    for path in [
        format!("/groups/{}", group["id"]),
        format!("/orgs/{}/access", t.acme),
        format!("/orgs/{}/people", t.acme),
    ] {
        assert_eq!(gus.get(&path).await.status(), S::NOT_FOUND, "{path}");
    }
    let response = gus
        .submit_form(&format!("/roles/{}/delete", custom["id"]), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let (_, roles) = t
        .app
        .get_json(&t.olga, format!("/roles?org_id={}", t.acme))
        .await;
    assert!(
        roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == custom["id"]),
        "the custom role is still there"
    );

    // Not even the Owner deletes a built-in role.
    let ada = t.app.signed_in_browser(ADMIN_EMAIL).await;
    let viewer = t.role_id_at(&t.ada, t.acme, "Viewer").await;
    let response = ada
        .submit_form(&format!("/roles/{viewer}/delete"), &[])
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(t.role_id_at(&t.ada, t.acme, "Viewer").await, viewer);
}

/// Moving someone's home needs `user.manage` where they are now, not only
/// where they go.
#[tokio::test]
async fn moving_a_home_needs_user_manage_at_the_origin_too() {
    let t = tenants().await;
    let sam = t.app.create_user("sam@acme.example", "Sam", t.acme).await;
    let uma = t.app.create_user("uma@acme.example", "Uma", t.east).await;
    let (viewer, manager) = (
        t.role_id_at(&t.ada, t.acme, "Viewer").await,
        t.role_id_at(&t.ada, t.acme, "User manager").await,
    );
    for body in [
        json!({"role_id": viewer, "user_id": uma.id, "org_id": t.acme}),
        json!({"role_id": manager, "user_id": uma.id, "org_id": t.east}),
    ] {
        let (status, answer) = grant(&t.app, &t.ada, body).await;
        assert_eq!(status, S::CREATED, "{answer}");
    }
    let uma_t = t.app.create_token(uma.id, "").await;
    let (status, body) = t
        .app
        .patch_json(
            &uma_t,
            format!("/users/{}", sam.id),
            json!({"org_id": t.east}),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    let (_, still) = t.app.get_json(&t.ada, format!("/users/{}", sam.id)).await;
    assert_eq!(still["org_id"], t.acme);
    // By page too.
    let browser = t.app.signed_in_browser("uma@acme.example").await;
    let response = browser
        .submit_form(
            &format!("/users/{}/move", sam.id),
            &[("org_id", &t.east.to_string())],
        )
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    let (_, still) = t.app.get_json(&t.ada, format!("/users/{}", sam.id)).await;
    assert_eq!(still["org_id"], t.acme);
}
