//! Issue 11, points 7–10: letting the landlord in by exact email, privacy that
//! cannot lock everyone out, privacy that also covers what was told before it,
//! and grants that follow their rule everywhere (no self-grant, forms offering
//! only grantable roles).

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::*;

/// Root ─┬─ Acme ── East
///       └─ Globex
/// Ada: root Owner. Uma: Org admin at Acme (outside East's border once it is
/// private). Olga: at home in East. Gus: at home in Globex, no grants.
struct World {
    app: TestApp,
    ada: String,
    ada_email: &'static str,
    acme: i64,
    east: i64,
    globex: i64,
    uma_id: i64,
    uma: String,
    olga_id: i64,
    olga: String,
    gus_id: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let ada = app.create_token(admin.id, "").await;
    let root = app.root_id().await;
    let acme = app.create_org(&ada, root, "Acme", "ACME").await;
    let east = app.create_org(&ada, acme, "East", "ACME-EAST").await;
    let globex = app.create_org(&ada, root, "Globex", "GLOBEX").await;
    let uma = app.create_user("uma@acme.example", "Uma", acme).await;
    let olga = app.create_user("olga@acme.example", "Olga", east).await;
    let gus = app.create_user("gus@globex.example", "Gus", globex).await;
    let w = World {
        uma: app.create_token(uma.id, "").await,
        olga: app.create_token(olga.id, "").await,
        app,
        ada,
        ada_email: ADMIN_EMAIL,
        acme,
        east,
        globex,
        uma_id: uma.id,
        olga_id: olga.id,
        gus_id: gus.id,
    };
    w.give("Org admin", w.uma_id, w.acme).await;
    w
}

impl World {
    async fn role(&self, name: &str) -> i64 {
        self.app.role_id(&self.ada, name).await
    }

    async fn call(
        &self,
        m: Method,
        path: impl Into<String>,
        t: &str,
        b: Option<Value>,
    ) -> (S, Value) {
        self.app.call(m, path, t, b).await
    }

    /// Ada grants `role` to `user_id` at `org_id` and below.
    async fn give(&self, role: &str, user_id: i64, org_id: i64) -> i64 {
        let role_id = self.role(role).await;
        let (status, body) = self
            .call(
                Method::POST,
                "/grants",
                &self.ada,
                Some(json!({"role_id": role_id, "user_id": user_id, "org_id": org_id})),
            )
            .await;
        assert_eq!(status, S::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn privacy(&self, token: &str, on: bool) -> (S, Value) {
        self.call(
            Method::PATCH,
            format!("/orgs/{}", self.east),
            token,
            Some(json!({"privacy_mode": on})),
        )
        .await
    }

    async fn browser(&self, email: &str) -> Browser {
        let b = self.app.new_browser();
        assert_eq!(
            b.sign_in(email, ADMIN_PASSWORD).await.status(),
            S::SEE_OTHER
        );
        b
    }
}

/// The text of the flash a page shows.
fn flash(html: &str) -> String {
    let start = html.find("class=\"flash flash-").expect("a flash");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</div>").unwrap();
    rest[open..close].to_string()
}

/// The role names offered by the grant form's select.
fn offered_roles(html: &str) -> Vec<String> {
    let start = html.find("id=\"grant-role\"").expect("a grant form");
    let end = start + html[start..].find("</select>").unwrap();
    html[start..end]
        .split("<option value=\"")
        .skip(2)
        .map(|o| {
            let o = &o[o.find('>').unwrap() + 1..];
            o[..o.find("</option>").unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn an_admin_inside_a_private_org_lets_the_landlord_in_by_exact_email() {
    let w = world().await;
    w.give("Org admin", w.olga_id, w.east).await;
    let (status, body) = w.privacy(&w.olga, true).await;
    assert_eq!(status, S::OK, "{body}");
    let viewer = w.role("Viewer").await;
    // Ada (root Owner) now sees East's name only; Olga cannot see Ada.
    let (_, east) = w
        .call(Method::GET, format!("/orgs/{}", w.east), &w.ada, None)
        .await;
    assert!(east["code"].is_null(), "name and place only: {east}");
    let (status, body) = w.call(Method::GET, "/users?q=ada", &w.olga, None).await;
    assert_eq!(status, S::OK);
    assert!(
        !body.to_string().contains(w.ada_email),
        "nothing from outside is listed: {body}"
    );

    // By exact email: Ada's and an address nobody has answer alike.
    let mut answers = Vec::new();
    for email in [w.ada_email, "nobody@nowhere.example"] {
        let (status, body) = w
            .call(
                Method::POST,
                "/grants",
                &w.olga,
                Some(json!({"role_id": viewer, "user_email": email, "org_id": w.east})),
            )
            .await;
        assert_eq!(status, S::ACCEPTED, "{body}");
        answers.push(body);
    }
    assert_eq!(
        answers[0], answers[1],
        "an unknown email answers like a known one"
    );
    // The landlord is in.
    let (_, east) = w
        .call(Method::GET, format!("/orgs/{}", w.east), &w.ada, None)
        .await;
    assert_eq!(east["code"], "ACME-EAST", "{east}");
    assert_eq!(w.app.audit("grant.by_email").await.len(), 2);

    // The page: Gus (unseen) and nobody read the same flash and redirect.
    let olga = w.browser("olga@acme.example").await;
    let mut seen = Vec::new();
    for email in ["gus@globex.example", "nobody2@nowhere.example"] {
        let response = olga
            .post_form_with_csrf(
                &format!("/orgs/{}/grants", w.east),
                &[
                    ("email", email),
                    ("role_id", &viewer.to_string()),
                    ("reach", "below"),
                ],
            )
            .await;
        assert_eq!(response.status(), S::SEE_OTHER);
        let to = location(&response);
        let (_, html) = olga.get_text(&to).await;
        seen.push((to, flash(&html)));
    }
    assert_eq!(seen[0], seen[1]);
    let (_, gus_grants) = w
        .call(
            Method::GET,
            format!("/grants?user_id={}", w.gus_id),
            &w.olga,
            None,
        )
        .await;
    assert_eq!(gus_grants["total"], 1, "{gus_grants}");

    // Outside the border the email path is closed: Uma (Org admin above)
    // answers 404 like an org that does not exist; Gus, now a Viewer inside
    // without access.manage, 403.
    let gus = w.app.create_token(w.gus_id, "").await;
    for (token, org, expected) in [
        (&w.uma, w.east, S::NOT_FOUND),
        (&w.uma, 999_999, S::NOT_FOUND),
        (&gus, w.east, S::FORBIDDEN),
    ] {
        let (status, body) = w
            .call(
                Method::POST,
                "/grants",
                token,
                Some(json!({"role_id": viewer, "user_email": "x@y.example", "org_id": org})),
            )
            .await;
        assert_eq!(status, expected, "{body}");
    }
    assert_eq!(
        w.app.audit("grant.by_email").await.len(),
        4,
        "refusals grant nothing"
    );
    // Bad input stays bad input; oneself by email is refused.
    let (status, body) = w
        .call(
            Method::POST,
            "/grants",
            &w.olga,
            Some(json!({"role_id": viewer, "user_email": "not-an-email", "org_id": w.east})),
        )
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["user_email"].is_string());
    let (status, _) = w
        .call(
            Method::POST,
            "/grants",
            &w.olga,
            Some(json!({"role_id": viewer, "user_email": "olga@acme.example", "org_id": w.east})),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN);
    let _ = (w.acme, w.globex);
}

#[tokio::test]
async fn privacy_on_is_refused_without_a_keeper_inside_and_confirmed_with_one() {
    let w = world().await;
    // Only grants above reach East (Ada's, Uma's): refused, page and API.
    let (status, body) = w.privacy(&w.ada, true).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    let reason = body["error"]["fields"]["privacy_mode"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("Nobody would keep access"), "{reason}");
    let ada = w.browser(ADMIN_EMAIL).await;
    let path = format!("/orgs/{}/privacy", w.east);
    let (status, html) = ada.get_text(&path).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"privacy-refused\""), "{html}");
    assert!(!html.contains("name=\"confirm\""));
    let response = ada
        .post_form_with_csrf(&path, &[("on", "true"), ("confirm", "yes")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Nobody would keep access")
    );
    let (_, east) = w
        .call(Method::GET, format!("/orgs/{}", w.east), &w.ada, None)
        .await;
    assert_eq!(east["privacy_mode"], false);

    // With Olga granted inside: the confirmation names her; one click without
    // confirming changes nothing.
    w.give("Org admin", w.olga_id, w.east).await;
    let (status, html) = ada.get_text(&path).await;
    assert_eq!(status, S::OK);
    let keepers = &html[html.find("privacy-keepers").unwrap()..];
    assert!(
        keepers[..keepers.find("</ul>").unwrap()].contains("Olga"),
        "{html}"
    );
    let response = ada.post_form_with_csrf(&path, &[("on", "true")]).await;
    assert_eq!(response.status(), S::OK);
    let (_, east) = w
        .call(Method::GET, format!("/orgs/{}", w.east), &w.ada, None)
        .await;
    assert_eq!(east["privacy_mode"], false, "not without confirmation");
    let response = ada
        .post_form_with_csrf(&path, &[("on", "true"), ("confirm", "yes")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, east) = w
        .call(Method::GET, format!("/orgs/{}", w.east), &w.olga, None)
        .await;
    assert_eq!(east["privacy_mode"], true);
    // Olga, inside, can turn it off again.
    let (status, _) = w.privacy(&w.olga, false).await;
    assert_eq!(status, S::OK);
}

#[tokio::test]
async fn what_was_told_before_privacy_leaves_those_outside_and_stays_inside() {
    let w = world().await;
    // Before privacy: Uma (whose access comes from Acme) is added to a group
    // at East and renames East; Olga is told of her grant there.
    w.give("Org admin", w.olga_id, w.east).await;
    let (_, group) = w
        .call(
            Method::POST,
            "/groups",
            &w.ada,
            Some(json!({"org_id": w.east, "name": "Crew"})),
        )
        .await;
    let (status, _) = w
        .call(
            Method::PUT,
            format!("/groups/{}/members/{}", group["id"], w.uma_id),
            &w.ada,
            Some(json!({})),
        )
        .await;
    assert!(status.is_success());
    let (status, body) = w
        .call(
            Method::PATCH,
            format!("/orgs/{}", w.east),
            &w.uma,
            Some(json!({"name": "East Wing"})),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    let notices = |t: String| {
        let w = &w;
        async move { w.call(Method::GET, "/notifications", &t, None).await.1 }
    };
    let before = notices(w.uma.clone()).await;
    // Her own grant at Acme, and the one at East.
    assert_eq!(before["total"], 2, "{before}");
    assert_eq!(before["unread"], 2);
    let uma = w.browser("uma@acme.example").await;
    let (_, dash) = uma.get_text("/").await;
    assert!(dash.contains("<code>org.updated</code>"), "{dash}");
    let (_, log) = w
        .call(Method::GET, "/audit?per_page=200", &w.uma, None)
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["org_id"] == w.east)
    );

    let (status, _) = w.privacy(&w.olga, true).await;
    assert_eq!(status, S::OK);
    // Uma (access stops at the border): the old notice, audit rows and
    // activity about East are gone everywhere.
    let after = notices(w.uma.clone()).await;
    assert_eq!(
        (after["total"].clone(), after["unread"].clone()),
        (json!(1), json!(1)),
        "only Acme's is left: {after}"
    );
    assert!(!after.to_string().contains("Crew"), "{after}");
    let (_, html) = uma.get_text("/notifications").await;
    assert!(!html.contains("Crew"), "{html}");
    let (_, dash) = uma.get_text("/").await;
    assert!(!dash.contains("<code>org.updated</code>"), "{dash}");
    let (_, log) = w
        .call(Method::GET, "/audit?per_page=200", &w.uma, None)
        .await;
    assert!(
        !log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["org_id"] == w.east),
        "{log}"
    );
    // Olga (inside) still reads hers, and East's log.
    let olga = notices(w.olga.clone()).await;
    assert_eq!(olga["total"], 1, "{olga}");
    let (_, log) = w
        .call(Method::GET, "/audit?per_page=200", &w.olga, None)
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["org_id"] == w.east)
    );
    // Privacy off: Uma reads it again (filtered at read time, nothing lost).
    let (status, _) = w.privacy(&w.olga, false).await;
    assert_eq!(status, S::OK);
    assert_eq!(notices(w.uma.clone()).await["total"], 2);
}

#[tokio::test]
async fn nobody_grants_themselves_and_forms_offer_only_grantable_roles() {
    let w = world().await;
    w.give("Org admin", w.olga_id, w.east).await;
    let viewer = w.role("Viewer").await;
    // Directly, on the API and the page.
    let (status, body) = w
        .call(
            Method::POST,
            "/grants",
            &w.olga,
            Some(json!({"role_id": viewer, "user_id": w.olga_id, "org_id": w.east})),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    let olga = w.browser("olga@acme.example").await;
    let response = olga
        .post_form_with_csrf(
            &format!("/orgs/{}/grants", w.east),
            &[
                ("email", "olga@acme.example"),
                ("role_id", &viewer.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("yourself"));
    // Through a group she belongs to.
    let (_, group) = w
        .call(
            Method::POST,
            "/groups",
            &w.ada,
            Some(json!({"org_id": w.east, "name": "Crew"})),
        )
        .await;
    let gid = group["id"].as_i64().unwrap();
    let (status, _) = w
        .call(
            Method::PUT,
            format!("/groups/{gid}/members/{}", w.olga_id),
            &w.ada,
            Some(json!({})),
        )
        .await;
    assert!(status.is_success());
    let (status, body) = w
        .call(
            Method::POST,
            "/grants",
            &w.olga,
            Some(json!({"role_id": viewer, "group_id": gid, "org_id": w.east})),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    // Dropping her own grant stays allowed.
    let own = w.give("Viewer", w.olga_id, w.east).await;
    let (status, _) = w
        .call(Method::DELETE, format!("/grants/{own}"), &w.olga, None)
        .await;
    assert_eq!(status, S::NO_CONTENT);

    // The form lists what she may hand out: no Owner (org.move etc.).
    let (_, html) = olga.get_text(&format!("/orgs/{}/access", w.east)).await;
    let offered = offered_roles(&html);
    assert!(offered.contains(&"Viewer".to_string()) && offered.contains(&"Org admin".to_string()));
    assert!(!offered.contains(&"Owner".to_string()), "{offered:?}");
    // Narrowed from above to Viewer: exactly Viewer, on the org tab and a
    // project's page; submitting another is still refused.
    let (status, body) = w
        .call(
            Method::PUT,
            format!("/orgs/{}/settings", w.east),
            &w.ada,
            Some(json!({"assignable_roles": viewer.to_string()})),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    let (_, html) = olga.get_text(&format!("/orgs/{}/access", w.east)).await;
    assert_eq!(offered_roles(&html), ["Viewer"]);
    let (status, project) = w
        .call(
            Method::POST,
            "/projects",
            &w.olga,
            Some(json!({"org_id": w.east, "code": "HARBOUR", "name": "Harbour"})),
        )
        .await;
    assert_eq!(status, S::CREATED, "{project}");
    let (_, html) = olga.get_text(&format!("/projects/{}", project["id"])).await;
    assert_eq!(offered_roles(&html), ["Viewer"]);
    let approver = w.role("Approver").await;
    let (status, _) = w
        .call(
            Method::POST,
            "/grants",
            &w.olga,
            Some(json!({"role_id": approver, "user_id": w.uma_id, "org_id": w.east})),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN);
}
