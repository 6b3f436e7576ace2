//! No escalation (SPEC 3), route by route: granting needs `access.manage` and
//! every permission of the role at the scope (through grants that reach below
//! for an "and below" grant), the assignable roles of the org and every org
//! above it, and the same holds for the side doors — adding a member to a group
//! that holds grants, and taking over an account by changing its email.

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::*;

/// Root ─┬─ Acme ── East
///       └─ Globex
struct World {
    app: TestApp,
    ada: String,
    root: i64,
    acme: i64,
    east: i64,
    globex: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let ada = app.create_token(admin.id, "").await;
    let root = app.root_id().await;
    let mut ids = Vec::new();
    for (parent, name, code) in [
        (root, "Acme", "ACME"),
        (0, "East", "ACME-EAST"),
        (root, "Globex", "GLOBEX"),
    ] {
        let parent = if parent == 0 { ids[0] } else { parent };
        let (status, body) = app
            .call(
                Method::POST,
                "/orgs",
                &ada,
                Some(json!({"parent_id": parent, "name": name, "code": code})),
            )
            .await;
        assert_eq!(status, S::CREATED, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    World {
        app,
        ada,
        root,
        acme: ids[0],
        east: ids[1],
        globex: ids[2],
    }
}

impl World {
    async fn role(&self, name: &str) -> i64 {
        self.app.role_id(&self.ada, name).await
    }

    /// A user at home in `home` with an API token (and the shared test password).
    async fn person(&self, email: &str, home: i64) -> (i64, String) {
        let u = self.app.create_user(email, email, home).await;
        (u.id, self.app.create_token(u.id, "").await)
    }

    async fn grant(&self, token: &str, body: Value) -> (S, Value) {
        self.app
            .call(Method::POST, "/grants", token, Some(body))
            .await
    }

    /// Ada grants `role` to `user_id` at `org_id` (and below unless `only_here`).
    async fn give(&self, role: &str, user_id: i64, org_id: i64, only_here: bool) -> i64 {
        let role_id = self.role(role).await;
        let (status, body) = self
            .grant(
                &self.ada,
                json!({"role_id": role_id, "user_id": user_id, "org_id": org_id,
                       "descendants": !only_here}),
            )
            .await;
        assert_eq!(status, S::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// A group at `org_id` made by Ada, holding `role` at `at` when given.
    async fn group(&self, name: &str, org_id: i64, role: Option<(&str, i64)>) -> i64 {
        let (status, body) = self
            .app
            .call(
                Method::POST,
                "/groups",
                &self.ada,
                Some(json!({"org_id": org_id, "name": name})),
            )
            .await;
        assert_eq!(status, S::CREATED, "{body}");
        let gid = body["id"].as_i64().unwrap();
        if let Some((role, at)) = role {
            let role_id = self.role(role).await;
            let (status, body) = self
                .grant(
                    &self.ada,
                    json!({"role_id": role_id, "group_id": gid, "org_id": at}),
                )
                .await;
            assert_eq!(status, S::CREATED, "{body}");
        }
        gid
    }

    async fn add_member(&self, token: &str, gid: i64, user_id: i64) -> (S, Value) {
        self.app
            .call(
                Method::PUT,
                format!("/groups/{gid}/members/{user_id}"),
                token,
                Some(json!({})),
            )
            .await
    }

    async fn members(&self, gid: i64) -> Vec<i64> {
        let (_, body) = self
            .app
            .call(Method::GET, format!("/groups/{gid}"), &self.ada, None)
            .await;
        body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["user_id"].as_i64().unwrap())
            .collect()
    }

    async fn put_settings(&self, token: &str, org: i64, body: Value) -> (S, Value) {
        self.app
            .call(
                Method::PUT,
                format!("/orgs/{org}/settings"),
                token,
                Some(body),
            )
            .await
    }

    async fn patch_user(&self, token: &str, id: i64, body: Value) -> (S, Value) {
        self.app
            .call(Method::PATCH, format!("/users/{id}"), token, Some(body))
            .await
    }

    /// A signed-in browser for a user made by `person`.
    async fn browser(&self, email: &str) -> Browser {
        let b = self.app.new_browser();
        assert_eq!(
            b.sign_in(email, ADMIN_PASSWORD).await.status(),
            S::SEE_OTHER
        );
        b
    }
}

fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn joining_a_group_needs_the_right_to_grant_what_the_group_holds() {
    let w = world().await;
    let (uma_id, uma) = w.person("uma@acme.example", w.acme).await;
    w.give("User manager", uma_id, w.acme, false).await;
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    let (sam_id, _) = w.person("sam@acme.example", w.acme).await;
    let admins = w.group("Admins", w.acme, Some(("Org admin", w.acme))).await;
    let plain = w.group("Plain", w.acme, None).await;
    let owners = w.group("Owners", w.acme, Some(("Owner", w.root))).await;

    // Uma manages groups at Acme but holds no access.manage: she cannot put
    // herself, or anyone, into a group holding Org admin.
    for who in [uma_id, sam_id] {
        let (status, body) = w.add_member(&uma, admins, who).await;
        assert_eq!(status, S::FORBIDDEN, "{body}");
        let m = message(&body);
        assert!(
            m.contains("Org admin") && m.contains("access.manage"),
            "{m}"
        );
    }
    assert!(w.members(admins).await.is_empty());
    let (status, _) = w
        .app
        .call(Method::GET, format!("/orgs/{}/access", w.acme), &uma, None)
        .await;
    assert_eq!(status, S::FORBIDDEN, "Uma gained nothing");
    // The page form refuses the same, saying why.
    let uma_page = w.browser("uma@acme.example").await;
    let response = uma_page
        .post_form_with_csrf(
            &format!("/groups/{admins}/members"),
            &[("email", "uma@acme.example")],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Org admin"));
    assert!(w.members(admins).await.is_empty());

    // A group without grants hands out nothing: Uma may fill it.
    let (status, body) = w.add_member(&uma, plain, sam_id).await;
    assert_eq!(status, S::OK, "{body}");
    let response = uma_page
        .post_form_with_csrf(
            &format!("/groups/{plain}/members"),
            &[("email", "uma@acme.example")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);

    // Olga holds Org admin at Acme and below: she may add to Admins, not to a
    // group holding Owner at the root.
    let (status, body) = w.add_member(&olga, admins, sam_id).await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(w.members(admins).await, vec![sam_id]);
    let (status, body) = w.add_member(&olga, owners, olga_id).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Owner"), "{body}");

    // Changing an existing member's owner flag hands out nothing new.
    let (status, body) = w
        .app
        .call(
            Method::PUT,
            format!("/groups/{admins}/members/{sam_id}"),
            &uma,
            Some(json!({"owner": true})),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
}

#[tokio::test]
async fn a_this_org_only_admin_cannot_grant_below_their_org() {
    let w = world().await;
    let (tom_id, tom) = w.person("tom@acme.example", w.acme).await;
    w.give("Org admin", tom_id, w.acme, true).await;
    let (sam_id, _) = w.person("sam@acme.example", w.acme).await;
    let (admin, viewer) = (w.role("Org admin").await, w.role("Viewer").await);

    // Not even to himself: "and below" would reach East, which he does not rule.
    for (role, user) in [(admin, tom_id), (viewer, sam_id)] {
        let (status, body) = w
            .grant(
                &tom,
                json!({"role_id": role, "user_id": user, "org_id": w.acme, "descendants": true}),
            )
            .await;
        assert_eq!(status, S::FORBIDDEN, "{body}");
        assert!(message(&body).contains("reach below"), "{body}");
    }
    let (status, _) = w
        .app
        .call(Method::GET, format!("/orgs/{}", w.east), &tom, None)
        .await;
    assert_eq!(status, S::NOT_FOUND, "East stays out of Tom's reach");
    let (status, body) = w
        .grant(
            &tom,
            json!({"role_id": viewer, "user_id": sam_id, "org_id": w.acme, "descendants": false}),
        )
        .await;
    assert_eq!(status, S::CREATED, "{body}");
    let (status, _) = w
        .grant(
            &tom,
            json!({"role_id": viewer, "user_id": sam_id, "org_id": w.east, "descendants": false}),
        )
        .await;
    assert_eq!(status, S::NOT_FOUND);

    // The page form: "and below" refused, "this org only" fine.
    w.person("pam@acme.example", w.acme).await;
    let page = w.browser("tom@acme.example").await;
    let viewer_s = viewer.to_string();
    let form = |reach: &'static str| {
        let page = &page;
        let role = viewer_s.clone();
        async move {
            page.post_form_with_csrf(
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
    let adas_grant = w.give("Viewer", sam_id, w.acme, false).await;
    let (status, _) = w
        .app
        .call(Method::DELETE, format!("/grants/{adas_grant}"), &tom, None)
        .await;
    assert_eq!(status, S::FORBIDDEN);

    // With a grant that reaches below, the same requests pass.
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    let (status, body) = w
        .grant(
            &olga,
            json!({"role_id": viewer, "user_id": sam_id, "org_id": w.acme, "descendants": true}),
        )
        .await;
    assert_eq!(status, S::CONFLICT, "Ada's identical grant exists: {body}");
    let (status, body) = w
        .grant(
            &olga,
            json!({"role_id": admin, "user_id": sam_id, "org_id": w.acme, "descendants": true}),
        )
        .await;
    assert_eq!(status, S::CREATED, "{body}");
}

#[tokio::test]
async fn granting_needs_access_manage_and_stays_inside_the_grantors_scope() {
    let w = world().await;
    let (vic_id, vic) = w.person("vic@acme.example", w.acme).await;
    w.give("Viewer", vic_id, w.acme, false).await;
    let (uma_id, uma) = w.person("uma@acme.example", w.acme).await;
    w.give("User manager", uma_id, w.acme, false).await;
    let (sam_id, _) = w.person("sam@acme.example", w.acme).await;
    let viewer = w.role("Viewer").await;

    for (name, token) in [("vic", &vic), ("uma", &uma)] {
        let (status, body) = w
            .grant(
                token,
                json!({"role_id": viewer, "user_id": sam_id, "org_id": w.acme}),
            )
            .await;
        assert_eq!(status, S::FORBIDDEN, "{name}: {body}");
        assert!(message(&body).contains("access.manage"), "{body}");
        let page = w.browser(&format!("{name}@acme.example")).await;
        let response = page
            .post_form_with_csrf(
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
    let (status, grants) = w
        .app
        .call(
            Method::GET,
            format!("/grants?user_id={sam_id}"),
            &w.ada,
            None,
        )
        .await;
    assert_eq!(status, S::OK);
    assert_eq!(grants["total"], 0, "{grants}");

    // Outside the grantor's scope: an org or a project they cannot see is unknown.
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    let (status, project) = w
        .app
        .call(
            Method::POST,
            "/projects",
            &w.ada,
            Some(json!({"org_id": w.globex, "code": "gx", "name": "Globex X"})),
        )
        .await;
    assert_eq!(status, S::CREATED, "{project}");
    for body in [
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.globex}),
        json!({"role_id": viewer, "user_id": sam_id, "project_id": project["id"]}),
        json!({"role_id": viewer, "user_id": sam_id, "org_id": w.root}),
    ] {
        let (status, answer) = w.grant(&olga, body.clone()).await;
        assert!(
            status == S::NOT_FOUND || status == S::FORBIDDEN,
            "{body}: {answer}"
        );
        if body["org_id"] != w.root {
            assert_eq!(status, S::NOT_FOUND, "{body}: {answer}");
        }
    }
    // The group page's grant form applies the same rule.
    let gid = w.group("Crew", w.acme, None).await;
    let page = w.browser("uma@acme.example").await;
    let response = page
        .post_form_with_csrf(
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
    let w = world().await;
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    let (sam_id, _) = w.person("sam@acme.example", w.east).await;
    let (viewer, approver, admin) = (
        w.role("Viewer").await,
        w.role("Approver").await,
        w.role("Org admin").await,
    );

    // East had "all" set here before Acme narrowed: it cannot widen Acme's set.
    assert_eq!(
        w.put_settings(&w.ada, w.east, json!({"assignable_roles": "all"}))
            .await
            .0,
        S::OK
    );
    // Olga's own org's setting is set from above her: not even a narrowing.
    for value in [json!("all"), json!([viewer]), Value::Null] {
        let (status, body) = w
            .put_settings(&olga, w.acme, json!({ "assignable_roles": value }))
            .await;
        assert_eq!(status, S::FORBIDDEN, "{value}: {body}");
        assert!(message(&body).contains("parent"), "{body}");
    }
    assert_eq!(
        w.put_settings(&olga, w.acme, json!({"week_start": "sunday"}))
            .await
            .0,
        S::OK,
        "other settings stay hers"
    );
    let (status, body) = w
        .put_settings(&w.ada, w.acme, json!({"assignable_roles": [viewer]}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    let (status, _) = w
        .put_settings(&olga, w.acme, json!({"assignable_roles": "all"}))
        .await;
    assert_eq!(status, S::FORBIDDEN, "nor undo it afterwards");

    // A grant at the child of the narrowed org is refused outside the set,
    // although East itself says "all".
    let (status, body) = w
        .grant(
            &olga,
            json!({"role_id": approver, "user_id": sam_id, "org_id": w.east}),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Approver"), "{body}");
    let (status, body) = w
        .grant(
            &olga,
            json!({"role_id": viewer, "user_id": sam_id, "org_id": w.east}),
        )
        .await;
    assert_eq!(status, S::CREATED, "{body}");

    // Olga sets East's (she holds org.settings at Acme, its parent), but only
    // within Acme's set: no widening, by "all" or by a list.
    for value in [json!("all"), json!([viewer, admin])] {
        let (status, body) = w
            .put_settings(&olga, w.east, json!({ "assignable_roles": value }))
            .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{value}: {body}");
        assert!(body["error"]["fields"]["assignable_roles"].is_string());
    }
    let (status, body) = w
        .put_settings(&olga, w.east, json!({"assignable_roles": [viewer]}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    let (status, _) = w
        .grant(
            &olga,
            json!({"role_id": admin, "user_id": sam_id, "org_id": w.east}),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN);

    // The page: the form is not offered at Acme, and posting it is refused.
    let page = w.browser("olga@acme.example").await;
    let (_, html) = page.get_text(&format!("/orgs/{}/settings", w.acme)).await;
    assert!(html.contains("Set from the parent organization."));
    let response = page
        .post_form_with_csrf(
            &format!("/orgs/{}/settings/assignable_roles", w.acme),
            &[("value", "all")],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let response = page
        .post_form_with_csrf(
            &format!("/orgs/{}/settings/assignable_roles/revert", w.acme),
            &[],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (_, settings) = w
        .app
        .call(
            Method::GET,
            format!("/orgs/{}/settings", w.acme),
            &w.ada,
            None,
        )
        .await;
    assert_eq!(settings["assignable_roles"]["value"], json!([viewer]));
}

#[tokio::test]
async fn changing_an_email_needs_the_right_to_grant_what_the_person_holds() {
    let w = world().await;
    let (uma_id, uma) = w.person("uma@acme.example", w.acme).await;
    w.give("User manager", uma_id, w.acme, false).await;
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    // Rita lives at Acme but holds Owner at the root.
    let (rita_id, _) = w.person("rita@acme.example", w.acme).await;
    w.give("Owner", rita_id, w.root, false).await;
    // Gina holds Org admin at Acme through a group.
    let (gina_id, _) = w.person("gina@acme.example", w.acme).await;
    let admins = w.group("Admins", w.acme, Some(("Org admin", w.acme))).await;
    assert_eq!(w.add_member(&w.ada, admins, gina_id).await.0, S::OK);
    let (sam_id, _) = w.person("sam@acme.example", w.acme).await;

    for (token, target, who) in [
        (&uma, rita_id, "Owner"),
        (&olga, rita_id, "Owner"),
        (&uma, gina_id, "Org admin"),
    ] {
        let (status, body) = w
            .patch_user(token, target, json!({"email": "mine@evil.example"}))
            .await;
        assert_eq!(status, S::FORBIDDEN, "{body}");
        let m = message(&body);
        assert!(m.contains("email") && m.contains(who), "{m}");
    }
    let (_, rita) = w
        .app
        .call(Method::GET, format!("/users/{rita_id}"), &w.ada, None)
        .await;
    assert_eq!(rita["email"], "rita@acme.example");
    // Anything but the email stays theirs to change; so does the email of
    // someone holding no more than they may grant.
    let (status, body) = w
        .patch_user(&uma, rita_id, json!({"job_title": "Boss"}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    let (status, body) = w
        .patch_user(&uma, sam_id, json!({"email": "sam2@acme.example"}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    let (status, body) = w
        .patch_user(&olga, gina_id, json!({"email": "gina2@acme.example"}))
        .await;
    assert_eq!(status, S::OK, "Olga may grant Org admin at Acme: {body}");

    // The edit page refuses the same.
    let page = w.browser("uma@acme.example").await;
    let response = page
        .post_form_with_csrf(
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
    let (_, rita) = w
        .app
        .call(Method::GET, format!("/users/{rita_id}"), &w.ada, None)
        .await;
    assert_eq!(rita["email"], "rita@acme.example");
    assert!(w.app.audit("user.email_changed").await.len() == 2);
}

#[tokio::test]
async fn reviving_someone_needs_the_right_to_grant_what_they_hold() {
    let w = world().await;
    let (uma_id, uma) = w.person("uma@acme.example", w.acme).await;
    w.give("User manager", uma_id, w.acme, false).await;
    // Rita lives at Acme but holds Owner at the root; Sam holds nothing.
    let (rita_id, rita) = w.person("rita@acme.example", w.acme).await;
    w.give("Owner", rita_id, w.root, false).await;
    let (sam_id, _) = w.person("sam@acme.example", w.acme).await;

    // Switching someone off only takes access away: user.manage is enough.
    let (status, body) = w
        .patch_user(&uma, rita_id, json!({"status": "deactivated"}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(
        w.app.call(Method::GET, "/me", &rita, None).await.0,
        S::UNAUTHORIZED
    );
    // Switching her back on would hand Uma's choice an Owner: refused, by
    // page and by API.
    let page = w.browser("uma@acme.example").await;
    let response = page
        .post_form_with_csrf(&format!("/users/{rita_id}/reactivate"), &[])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (status, body) = w
        .patch_user(&uma, rita_id, json!({"status": "active"}))
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(message(&body).contains("Owner"), "{body}");
    assert_eq!(
        w.app.call(Method::GET, "/me", &rita, None).await.0,
        S::UNAUTHORIZED
    );
    // The Owner may.
    let (status, _) = w
        .patch_user(&w.ada, rita_id, json!({"status": "active"}))
        .await;
    assert_eq!(status, S::OK);
    assert_eq!(w.app.call(Method::GET, "/me", &rita, None).await.0, S::OK);

    // Someone holding nothing Uma cannot grant is hers to switch either way.
    for status_now in ["deactivated", "active"] {
        let (status, body) = w
            .patch_user(&uma, sam_id, json!({"status": status_now}))
            .await;
        assert_eq!(status, S::OK, "{body}");
        assert_eq!(body["status"], status_now);
    }
}

#[tokio::test]
async fn a_grant_finds_only_people_the_grantor_may_see() {
    let w = world().await;
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    let gus = w
        .app
        .create_user("gus@globex.example", "Gus Globexman", w.globex)
        .await;
    let viewer = w.role("Viewer").await;

    // By id on the API: as unknown as an id nobody has.
    for user_id in [gus.id, 999_999] {
        let (status, body) = w
            .grant(
                &olga,
                json!({"role_id": viewer, "user_id": user_id, "org_id": w.acme}),
            )
            .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["fields"]["user_id"], "There is no such user.");
    }
    let (_, grants) = w
        .app
        .call(
            Method::GET,
            format!("/grants?user_id={}", gus.id),
            &w.ada,
            None,
        )
        .await;
    assert_eq!(grants["total"], 0);

    // Someone who sees Gus may make him a guest at Acme.
    let (status, body) = w
        .grant(
            &w.ada,
            json!({"role_id": viewer, "user_id": gus.id, "org_id": w.acme}),
        )
        .await;
    assert_eq!(status, S::CREATED, "{body}");
}

#[tokio::test]
async fn custom_roles_are_edited_by_the_grant_rule_and_their_holders_follow() {
    let w = world().await;
    let (olga_id, olga) = w.person("olga@acme.example", w.acme).await;
    w.give("Org admin", olga_id, w.acme, false).await;
    let (uma_id, uma) = w.person("uma@acme.example", w.acme).await;
    w.give("User manager", uma_id, w.acme, false).await;
    let (gus_id, gus) = w.person("gus@globex.example", w.globex).await;
    w.give("Org admin", gus_id, w.globex, false).await;
    let (sam_id, sam) = w.person("sam@acme.example", w.east).await;

    let (status, role) = w
        .app
        .call(
            Method::POST,
            "/roles",
            &olga,
            Some(json!({"org_id": w.acme, "name": "Reader", "permissions": ["org.view"]})),
        )
        .await;
    assert_eq!(status, S::CREATED, "{role}");
    let rid = role["id"].as_i64().unwrap();
    let (status, body) = w
        .grant(
            &olga,
            json!({"role_id": rid, "user_id": sam_id, "org_id": w.east}),
        )
        .await;
    assert_eq!(status, S::CREATED, "{body}");
    let sam_may_view_users = || async {
        let (_, why) = w
            .app
            .call(
                Method::GET,
                format!("/check?permission=user.view&org_id={}", w.east),
                &sam,
                None,
            )
            .await;
        why["allowed"].as_bool().unwrap()
    };
    assert!(!sam_may_view_users().await);

    let path = format!("/roles/{rid}");
    // Olga may widen it with what she holds; Sam has it at his next request.
    let (status, body) = w
        .app
        .call(
            Method::PATCH,
            &path,
            &olga,
            Some(json!({"permissions": ["org.view", "user.view"]})),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
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
        let (status, answer) = w.app.call(Method::PATCH, &path, token, Some(body)).await;
        assert_eq!(status, expected, "{answer}");
    }
    let viewer = w.role("Viewer").await;
    let (status, _) = w
        .app
        .call(
            Method::PATCH,
            format!("/roles/{viewer}"),
            &w.ada,
            Some(json!({"name": "Looker"})),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN);
    let (_, roles) = w
        .app
        .call(
            Method::GET,
            format!("/roles?org_id={}", w.acme),
            &olga,
            None,
        )
        .await;
    let reader = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rid)
        .unwrap();
    assert_eq!(reader["name"], "Reader");
    assert_eq!(reader["permissions"], json!(["org.view", "user.view"]));
    assert_eq!(w.app.audit("role.updated").await.len(), 1);

    // By page: the form, a refusal next to the field, a save.
    let page = w.browser("olga@acme.example").await;
    let (status, html) = page.get_text(&format!("/roles/{rid}/edit")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("value=\"Reader\""), "{html}");
    let response = page
        .post_form_with_csrf(&format!("/roles/{rid}/edit"), &[("name", "Reader")])
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
        .post_form_with_csrf(
            &format!("/roles/{rid}/edit"),
            &[("name", "Site reader"), ("permission", "org.view")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert!(!sam_may_view_users().await, "narrowed at the next request");
    let gus_page = w.browser("gus@globex.example").await;
    assert_eq!(
        gus_page.get(&format!("/roles/{rid}/edit")).await.status(),
        S::NOT_FOUND
    );

    // Deleting it waits until nobody holds it.
    let (status, _) = w.app.call(Method::DELETE, &path, &olga, None).await;
    assert_eq!(status, S::CONFLICT);
    let (_, grants) = w
        .app
        .call(
            Method::GET,
            format!("/grants?user_id={sam_id}"),
            &olga,
            None,
        )
        .await;
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();
    w.app
        .call(Method::DELETE, format!("/grants/{grant_id}"), &olga, None)
        .await;
    let (status, _) = w.app.call(Method::DELETE, &path, &olga, None).await;
    assert_eq!(status, S::NO_CONTENT);
}
