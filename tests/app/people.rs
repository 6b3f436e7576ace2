//! People and access: users, groups, custom roles, guests, explain and preview.
//! Nobody grants more than they hold or reads another tenant's people, and every
//! loss of access holds at the next request.

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

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

#[tokio::test]
async fn pages_keep_people_inside_their_tenant_and_explain_decisions() {
    let w = tenants().await;
    let sam = w.app.create_user("sam@acme.example", "Sam", w.east).await;
    let gus_browser = w.app.new_browser();
    gus_browser
        .sign_in("gus@globex.example", ADMIN_PASSWORD)
        .await;
    for path in [
        format!("/users/{}", sam.id),
        format!("/users/{}/edit", sam.id),
        format!("/orgs/{}/people", w.acme),
        format!("/orgs/{}/roles", w.acme),
    ] {
        assert_eq!(
            gus_browser.get(&path).await.status(),
            S::NOT_FOUND,
            "{path}"
        );
    }
    let (_, html) = gus_browser.get_page("/users").await;
    assert!(!html.contains("sam@acme.example"));
    let (_, html) = gus_browser.get_page("/directory?q=acme").await;
    assert!(!html.contains("sam@acme.example") && html.contains("Nobody you can see matches."));
    let response = gus_browser
        .submit_form(&format!("/users/{}/deactivate", sam.id), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);

    // Olga sees Sam, deactivates him from his page, and a guest shows on the people tab.
    let olga_browser = w.app.new_browser();
    olga_browser
        .sign_in("olga@acme.example", ADMIN_PASSWORD)
        .await;
    let (_, html) = olga_browser.get_page("/directory?q=sam").await;
    assert!(html.contains("sam@acme.example"));
    assert_eq!(
        olga_browser
            .submit_form(&format!("/users/{}/deactivate", sam.id), &[])
            .await
            .status(),
        S::SEE_OTHER
    );
    let (_, html) = olga_browser.get_page(&format!("/users/{}", sam.id)).await;
    assert!(html.contains(">deactivated<"));
    let viewer = w.role_id_at(&w.ada, w.acme, "Viewer").await;
    let (status, _) = grant(&w.app, &w.ada, json!({"role_id": viewer, "user_id": w.app.create_user("ivy@globex.example", "Ivy", w.globex).await.id, "org_id": w.acme})).await;
    assert_eq!(status, S::CREATED);
    let (_, html) = olga_browser
        .get_page(&format!("/orgs/{}/people", w.acme))
        .await;
    assert!(
        html.contains("Guests from other organizations") && html.contains("Ivy"),
        "{html}"
    );
    // A guest whose grant has run out is a guest no more.
    let jon = w
        .app
        .create_user("jon@globex.example", "Jonah Expired", w.globex)
        .await;
    let (status, _) = grant(
        &w.app,
        &w.ada,
        json!({"role_id": viewer, "user_id": jon.id, "org_id": w.acme}),
    )
    .await;
    assert_eq!(status, S::CREATED);
    w.app
        .db
        .write(move |conn| {
            use canopy::db::schema::grants;
            use diesel::prelude::*;
            let past = canopy::db::now() - chrono::Duration::days(1);
            diesel::update(grants::table.filter(grants::user_id.eq(jon.id)))
                .set(grants::expires_at.eq(Some(past)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, html) = olga_browser
        .get_page(&format!("/orgs/{}/people", w.acme))
        .await;
    assert!(
        html.contains("Ivy") && !html.contains("Jonah Expired"),
        "{html}"
    );

    // Explain: why is Gus denied at East?
    let (status, html) = olga_browser
        .get_page(&format!(
            "/access/explain?email=gus%40globex.example&permission=org.view&org_id={}",
            w.east
        ))
        .await;
    assert_eq!(
        status,
        S::UNPROCESSABLE_ENTITY,
        "Gus is not someone Olga may see"
    );
    assert!(html.contains("id=\"email-error\""));
    let (status, html) = olga_browser
        .get_page(&format!(
            "/access/explain?email=sam%40acme.example&permission=org.view&org_id={}",
            w.east
        ))
        .await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("denied") && html.contains("the user is deactivated"),
        "{html}"
    );
    let (_, html) = olga_browser
        .get_page(&format!(
            "/access/explain?permission=org.edit&org_id={}",
            w.east
        ))
        .await;
    assert!(
        html.contains("allowed") && html.contains("Org admin at Acme and below"),
        "{html}"
    );
}

#[tokio::test]
async fn the_move_preview_names_who_gains_and_who_loses() {
    let w = tenants().await;
    let globex_child = w
        .app
        .create_org(&w.ada, w.globex, "Globex Labs", "GLOBEX-LABS")
        .await;
    let browser = w.app.signed_in_browser(ADMIN_EMAIL).await;
    let (status, html) = browser
        .get_page(&format!(
            "/orgs/{}/move/preview?parent_id={}",
            w.east, w.globex
        ))
        .await;
    assert_eq!(status, S::OK);
    let table = preview_table(&html);
    assert!(
        table.contains("olga@acme.example") && table.contains("gus@globex.example"),
        "{table}"
    );
    let olga_row = table
        .split("olga@acme.example")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(olga_row.contains("org.edit"), "Olga loses: {olga_row}");
    let (status, _) = browser
        .get_page(&format!(
            "/orgs/{}/move/preview?parent_id={globex_child}",
            w.globex
        ))
        .await;
    assert_eq!(status, S::CONFLICT, "no preview of a cycle");
    // Moving Globex under Acme: Gus's grant moves with Globex, Olga gains it all.
    let (status, html) = browser
        .get_page(&format!(
            "/orgs/{}/move/preview?parent_id={}",
            w.globex, w.acme
        ))
        .await;
    assert_eq!(status, S::OK);
    let table = preview_table(&html);
    assert!(
        table.contains("olga@acme.example") && !table.contains("gus@globex.example"),
        "{table}"
    );
}

#[tokio::test]
async fn a_new_user_sees_their_home_at_once() {
    let w = tenants().await;
    // Warm every cache first, so nothing but the creation itself can refresh it.
    assert_eq!(
        w.app.get_json(&w.olga, format!("/orgs/{}", w.east)).await.0,
        S::OK
    );
    let sam = w
        .app
        .post_created(&w.olga, "/users", json!({"org_id": w.east, "email": "sam@acme.example", "display_name": "Sam", "password": "sam's long password"})).await;
    let sam_t = w.app.create_token(sam["id"].as_i64().unwrap(), "").await;
    assert_eq!(
        w.app.get_json(&sam_t, format!("/orgs/{}", w.east)).await.0,
        S::OK
    );
    let (_, why) = w
        .app
        .get_json(
            &sam_t,
            format!("/check?permission=org.edit&org_id={}", w.east),
        )
        .await;
    assert_eq!(
        why["decision"]["kind"], "no_grant",
        "known to the resolver: {why}"
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

#[tokio::test]
async fn the_directory_pages_through_many_matches() {
    let w = tenants().await;
    for i in 0..30 {
        w.app
            .create_user(
                &format!("p{i:02}@acme.example"),
                &format!("Person {i:02}"),
                w.east,
            )
            .await;
    }
    let browser = w.app.signed_in_browser("olga@acme.example").await;
    let (_, first) = browser.get_page("/directory?q=person").await;
    assert!(
        first.contains("(30)") && first.contains("Page 1 of 2"),
        "{first}"
    );
    assert!(first.contains("p00@acme.example") && !first.contains("p29@acme.example"));
    let (_, second) = browser.get_page("/directory?q=person&page=2").await;
    assert!(second.contains("p29@acme.example") && !second.contains("p00@acme.example"));

    // Groups page the same way, and another tenant's never show.
    for (org, name, token) in (0..28)
        .map(|i| (w.acme, format!("Crew {i:02}"), &w.olga))
        .chain([(w.globex, "Crew Globex".to_string(), &w.gus)])
    {
        w.app
            .post_created(token, "/groups", json!({"org_id": org, "name": name}))
            .await;
    }
    let (_, first) = browser.get_page("/directory?q=crew").await;
    assert!(
        first.contains("Groups <small class=\"muted\">(28)</small>"),
        "{first}"
    );
    assert!(
        first.contains("Crew 00") && !first.contains("Crew 27"),
        "{first}"
    );
    let (_, second) = browser.get_page("/directory?q=crew&page=2").await;
    assert!(
        second.contains("Crew 27") && !second.contains("Crew 00"),
        "{second}"
    );
    assert!(!first.contains("Globex") && !second.contains("Globex"));
}

/// The users list pages in SQL; it must agree with the resolver's rule
/// (`Access::sees_user`) for every viewer, across privacy borders, guests and
/// "this org only" grants.
#[tokio::test]
async fn the_paged_user_list_agrees_with_the_resolver() {
    use canopy::authz::{Access, AuthzStore};
    use canopy::domain::user::{self, UserFilter};
    let w = crate::timesheets::world().await;
    let gina = w
        .app
        .create_user("gina@globex.example", "Gina", w.globex)
        .await;
    let viewer = w.app.role_id(&w.ada, "Viewer").await;
    for body in [
        // Gina is a guest in Acme; Pat sees East only, not below or above.
        json!({"role_id": viewer, "user_id": gina.id, "org_id": w.acme}),
        json!({"role_id": viewer, "user_id": w.pat_id, "org_id": w.east, "descendants": false}),
    ] {
        w.app.post_created(&w.ada, "/grants", body).await;
    }
    w.app.add_keeper(w.east).await;
    w.app.make_private(&w.ada, w.east).await;
    let everyone: Vec<i64> = w
        .app
        .db
        .read(|conn| {
            Ok(user::search(conn, &UserFilter::default())?
                .iter()
                .map(|u| u.id)
                .collect())
        })
        .await
        .unwrap();
    let store = std::sync::Arc::new(AuthzStore::new());
    for viewer in everyone {
        let (paged, reference) = w
            .app
            .db
            .read({
                let store = store.clone();
                move |conn| {
                    let access = Access {
                        user_id: viewer,
                        snapshot: store.fresh(conn)?,
                    };
                    let (page, total) =
                        user::visible_page(conn, &access, &UserFilter::default(), 0, 1000)?;
                    assert_eq!(total as usize, page.len());
                    let all = user::search(conn, &UserFilter::default())?;
                    let reference = user::visible(conn, &access, all)?;
                    Ok((
                        page.into_iter().map(|u| u.id).collect::<Vec<_>>(),
                        reference.into_iter().map(|u| u.id).collect::<Vec<_>>(),
                    ))
                }
            })
            .await
            .unwrap();
        assert_eq!(paged, reference, "viewer {viewer}");
    }
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

/// A revoked grant, an expired one and leaving a group close pages at the next
/// request, the same as on the API.
#[tokio::test]
async fn lost_access_closes_pages_at_the_next_request() {
    let t = tenants().await;
    let sam = t.app.create_user("sam@acme.example", "Sam", t.acme).await;
    let browser = t.app.signed_in_browser("sam@acme.example").await;
    let east = format!("/orgs/{}", t.east);
    assert_eq!(browser.get(&east).await.status(), S::NOT_FOUND);
    let viewer = t.role_id_at(&t.olga, t.east, "Viewer").await;

    // A direct grant, then revoked.
    let (_, direct) = grant(
        &t.app,
        &t.olga,
        json!({"role_id": viewer, "user_id": sam.id, "org_id": t.east}),
    )
    .await;
    assert_eq!(browser.get(&east).await.status(), S::OK);
    let (status, _) = t
        .app
        .delete(&t.olga, format!("/grants/{}", direct["id"]))
        .await;
    assert_eq!(status, S::NO_CONTENT);
    assert_eq!(browser.get(&east).await.status(), S::NOT_FOUND);

    // Through a group, until Sam leaves it.
    let (_, group) = t
        .app
        .post_json(
            &t.olga,
            "/groups",
            json!({"org_id": t.acme, "name": "Readers"}),
        )
        .await;
    grant(
        &t.app,
        &t.olga,
        json!({"role_id": viewer, "group_id": group["id"], "org_id": t.east}),
    )
    .await;
    let membership = format!("/groups/{}/members/{}", group["id"], sam.id);
    let (status, body) = t
        .app
        .put_json(&t.olga, &membership, json!({"owner": false}))
        .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(browser.get(&east).await.status(), S::OK);
    t.app.delete(&t.olga, &membership).await;
    assert_eq!(browser.get(&east).await.status(), S::NOT_FOUND);

    // A grant that runs out.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (status, body) = grant(
        &t.app,
        &t.olga,
        json!({"role_id": viewer, "user_id": sam.id, "org_id": t.east, "expires_at": soon}),
    )
    .await;
    assert_eq!(status, S::CREATED, "{body}");
    assert_eq!(browser.get(&east).await.status(), S::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(browser.get(&east).await.status(), S::NOT_FOUND);
}

/// The new-user form suggests the home org whose email domain matches, among
/// the orgs the person may add users to, and never names anyone else's.
#[tokio::test]
async fn the_email_domain_suggests_a_home_org_within_reach() {
    let t = tenants().await;
    for (org, domain) in [(t.east, "east.acme.example"), (t.globex, "globex.example")] {
        let (_, current) = t.app.get_json(&t.ada, format!("/orgs/{org}")).await;
        t.app
            .patch_json(
                &t.ada,
                format!("/orgs/{org}"),
                json!({"email_domains": [domain], "version": current["version"]}),
            )
            .await
            .expect_status(S::OK);
    }
    let olga = t.app.signed_in_browser("olga@acme.example").await;
    let suggestion = |email: &'static str| {
        let olga = &olga;
        async move {
            let (status, html) = olga
                .get_page(&format!("/users/suggest-org?email={email}"))
                .await;
            assert_eq!(status, S::OK, "{html}");
            html
        }
    };
    let html = suggestion("new.hire%40East.Acme.Example").await;
    assert!(html.contains("data-testid=\"org-suggestion\""), "{html}");
    assert!(html.contains("East"), "{html}");
    for email in [
        "pilot%40globex.example",
        "someone%40elsewhere.example",
        "no-at-sign",
    ] {
        let html = suggestion(email).await;
        assert!(!html.contains("org-suggestion"), "{email}: {html}");
        assert!(!html.contains("Globex"), "{email}: {html}");
    }
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
