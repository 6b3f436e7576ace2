//! Issue 11, points 7–10: letting the landlord in by exact email, privacy that
//! cannot lock everyone out, privacy that also covers what was told before it,
//! and grants that follow their rule everywhere (no self-grant, forms offering
//! only grantable roles).

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod invitations;

/// The tree with this file's cast. Uma: Org admin at Acme (outside East's
/// border once it is private). Olga: at home in East. Gus: at home in Globex,
/// no grants.
struct World {
    tree: Tree,
    ada_email: &'static str,
    uma_id: i64,
    uma: String,
    olga_id: i64,
    olga: String,
    gus_id: i64,
}

on_the_tree!(World);

async fn world() -> World {
    let tree = Tree::new().await;
    let uma = tree.org_admin("uma@acme.example", tree.acme).await;
    let olga = tree.person("olga@acme.example", tree.east).await;
    World {
        ada_email: ADMIN_EMAIL,
        uma_id: uma.id,
        uma: uma.token,
        olga_id: olga.id,
        olga: olga.token,
        gus_id: tree.person("gus@globex.example", tree.globex).await.id,
        tree,
    }
}

impl World {
    async fn privacy(&self, token: &str, on: bool) -> (S, Value) {
        self.patch_json(
            token,
            format!("/orgs/{}", self.east),
            json!({"privacy_mode": on}),
        )
        .await
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

impl World {
    /// POSTs a JSON body to the API: the status and the raw body text.
    async fn raw(&self, path: &str, token: &str, body: Value) -> (S, String) {
        let response = self
            .api(Method::POST, path, token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn user_id(&self, email: &'static str) -> i64 {
        self.db
            .read(move |conn| canopy::domain::user::find_by_email(conn, email))
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// The subjects of the mail queued for `user_id`.
    async fn mail_to(&self, user_id: i64) -> Vec<String> {
        self.db
            .read(move |conn| canopy::domain::mail::for_user(conn, user_id))
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.subject)
            .collect()
    }

    async fn east_code_for(&self, token: &str) -> Value {
        let (_, east) = self.get_json(token, format!("/orgs/{}", self.east)).await;
        east["code"].clone()
    }

    /// Runs the invitation `id` out of time.
    async fn expire_invitation(&self, id: i64) {
        self.db
            .write(move |conn| {
                use canopy::db::schema::grant_invitations as gi;
                use diesel::prelude::*;
                diesel::update(gi::table.find(id))
                    .set(gi::expires_at.eq(canopy::db::now() - chrono::Duration::days(1)))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
    }
}

/// The id in the first `/invitations/{id}/accept` of a page.
fn invitation_id(html: &str) -> i64 {
    let start = html.find("action=\"/invitations/").expect("an invitation")
        + "action=\"/invitations/".len();
    let rest = &html[start..];
    rest[..rest.find('/').unwrap()].parse().unwrap()
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
    let ada = w.signed_in_browser(ADMIN_EMAIL).await;
    let path = format!("/orgs/{}/privacy", w.east);
    let (status, html) = ada.get_page(&path).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"privacy-refused\""), "{html}");
    assert!(!html.contains("name=\"confirm\""));
    let response = ada
        .submit_form(&path, &[("on", "true"), ("confirm", "yes")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Nobody would keep access")
    );
    let (_, east) = w.get_json(&w.ada, format!("/orgs/{}", w.east)).await;
    assert_eq!(east["privacy_mode"], false);

    // With Olga granted inside: the confirmation names her; one click without
    // confirming changes nothing.
    w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let (status, html) = ada.get_page(&path).await;
    assert_eq!(status, S::OK);
    let keepers = &html[html.find("privacy-keepers").unwrap()..];
    assert!(
        keepers[..keepers.find("</ul>").unwrap()].contains("Olga"),
        "{html}"
    );
    let response = ada.submit_form(&path, &[("on", "true")]).await;
    assert_eq!(response.status(), S::OK);
    let (_, east) = w.get_json(&w.ada, format!("/orgs/{}", w.east)).await;
    assert_eq!(east["privacy_mode"], false, "not without confirmation");
    let response = ada
        .submit_form(&path, &[("on", "true"), ("confirm", "yes")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, east) = w.get_json(&w.olga, format!("/orgs/{}", w.east)).await;
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
    w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let (_, group) = w
        .post_json(&w.ada, "/groups", json!({"org_id": w.east, "name": "Crew"}))
        .await;
    let (status, _) = w
        .put_json(
            &w.ada,
            format!("/groups/{}/members/{}", group["id"], w.uma_id),
            json!({}),
        )
        .await;
    assert!(status.is_success());
    w.patch_json(
        &w.uma,
        format!("/orgs/{}", w.east),
        json!({"name": "East Wing"}),
    )
    .await
    .expect_status(S::OK);
    let notices = |t: String| {
        let w = &w;
        async move { w.get_json(&t, "/notifications").await.1 }
    };
    let before = notices(w.uma.clone()).await;
    // Her own grant at Acme, and the one at East.
    assert_eq!(before["total"], 2, "{before}");
    assert_eq!(before["unread"], 2);
    let uma = w.signed_in_browser("uma@acme.example").await;
    let (_, dash) = uma.get_page("/").await;
    assert!(dash.contains("<code>org.updated</code>"), "{dash}");
    let (_, log) = w.get_json(&w.uma, "/audit?per_page=200").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["org_id"] == w.east)
    );

    // Opening a notice from the list marks it read and goes where it points.
    let items = before["items"].as_array().unwrap().clone();
    let about_east = |n: &&serde_json::Value| n.to_string().contains("Crew");
    let east_notice = items.iter().find(about_east).expect("East's notice")["id"].clone();
    let acme_notice = items
        .iter()
        .find(|n| !about_east(n))
        .expect("Acme's notice")
        .clone();
    let opened = uma
        .get(&format!("/notifications/{}", acme_notice["id"]))
        .await;
    assert_eq!(opened.status(), S::SEE_OTHER);
    assert_eq!(location(&opened), acme_notice["link"].as_str().unwrap());
    assert_eq!(notices(w.uma.clone()).await["unread"], 1, "opened is read");
    // Someone else's notice answers like none.
    let olga_browser = w.signed_in_browser("olga@acme.example").await;
    let missing = olga_browser.get_page("/notifications/987654321").await;
    assert_eq!(missing.0, S::NOT_FOUND);
    let others = olga_browser
        .get_page(&format!("/notifications/{}", acme_notice["id"]))
        .await;
    assert_eq!(others, missing);

    let (status, _) = w.privacy(&w.olga, true).await;
    assert_eq!(status, S::OK);
    // Uma (access stops at the border): the old notice, audit rows and
    // activity about East are gone everywhere, opening it too.
    let hidden = uma.get_page(&format!("/notifications/{east_notice}")).await;
    assert_eq!(hidden, uma.get_page("/notifications/987654321").await);
    assert_eq!(hidden.0, S::NOT_FOUND);
    let after = notices(w.uma.clone()).await;
    assert_eq!(
        (after["total"].clone(), after["unread"].clone()),
        (json!(1), json!(0)),
        "only Acme's is left, read: {after}"
    );
    assert!(!after.to_string().contains("Crew"), "{after}");
    let (_, html) = uma.get_page("/notifications").await;
    assert!(!html.contains("Crew"), "{html}");
    let (_, dash) = uma.get_page("/").await;
    assert!(!dash.contains("<code>org.updated</code>"), "{dash}");
    let (_, log) = w.get_json(&w.uma, "/audit?per_page=200").await;
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
    let (_, log) = w.get_json(&w.olga, "/audit?per_page=200").await;
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
    w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let viewer = w.role_id(&w.ada, "Viewer").await;
    // Directly, on the API and the page.
    let (status, body) = w
        .post_json(
            &w.olga,
            "/grants",
            json!({"role_id": viewer, "user_id": w.olga_id, "org_id": w.east}),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    let olga = w.signed_in_browser("olga@acme.example").await;
    let response = olga
        .submit_form(
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
        .post_json(&w.ada, "/groups", json!({"org_id": w.east, "name": "Crew"}))
        .await;
    let gid = group["id"].as_i64().unwrap();
    let (status, _) = w
        .put_json(
            &w.ada,
            format!("/groups/{gid}/members/{}", w.olga_id),
            json!({}),
        )
        .await;
    assert!(status.is_success());
    w.post_json(
        &w.olga,
        "/grants",
        json!({"role_id": viewer, "group_id": gid, "org_id": w.east}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    // Dropping her own grant stays allowed.
    let own = w.grant_role(&w.ada, "Viewer", w.olga_id, w.east).await;
    w.delete(&w.olga, format!("/grants/{own}"))
        .await
        .expect_status(S::NO_CONTENT);

    // The form lists what she may hand out: no Owner (org.move etc.).
    let (_, html) = olga.get_page(&format!("/orgs/{}/access", w.east)).await;
    let offered = offered_roles(&html);
    assert!(offered.contains(&"Viewer".to_string()) && offered.contains(&"Org admin".to_string()));
    assert!(!offered.contains(&"Owner".to_string()), "{offered:?}");
    // Narrowed from above to Viewer: exactly Viewer, on the org tab and a
    // project's page; submitting another is still refused.
    w.put_json(
        &w.ada,
        format!("/orgs/{}/settings", w.east),
        json!({"assignable_roles": viewer.to_string()}),
    )
    .await
    .expect_status(S::OK);
    let (_, html) = olga.get_page(&format!("/orgs/{}/access", w.east)).await;
    assert_eq!(offered_roles(&html), ["Viewer"]);
    let project = w
        .post_created(
            &w.olga,
            "/projects",
            json!({"org_id": w.east, "code": "HARBOUR", "name": "Harbour"}),
        )
        .await;
    let (_, html) = olga.get_page(&format!("/projects/{}", project["id"])).await;
    assert_eq!(offered_roles(&html), ["Viewer"]);
    let approver = w.role_id(&w.ada, "Approver").await;
    w.post_json(
        &w.olga,
        "/grants",
        json!({"role_id": approver, "user_id": w.uma_id, "org_id": w.east}),
    )
    .await
    .expect_status(S::FORBIDDEN);
}

#[tokio::test]
async fn nobody_joins_a_group_that_holds_grants_and_the_group_form_offers_only_grantable_roles() {
    let w = world().await;
    w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let w = &w;
    let group = |name: &'static str| async move {
        let (_, g) = w
            .post_json(&w.ada, "/groups", json!({"org_id": w.east, "name": name}))
            .await;
        g["id"].as_i64().unwrap()
    };
    let holders = group("Holders").await;
    let empty = group("Empty").await;
    w.post_created(
        &w.ada,
        "/grants",
        json!({"role_id": viewer, "group_id": holders, "org_id": w.east}),
    )
    .await;
    // Olga may not add herself to the group that holds a grant (API, page)...
    let (status, body) = w
        .put_json(
            &w.olga,
            format!("/groups/{holders}/members/{}", w.olga_id),
            json!({}),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(body.to_string().contains("yourself"), "{body}");
    let olga = w.signed_in_browser("olga@acme.example").await;
    let response = olga
        .submit_form(
            &format!("/groups/{holders}/members"),
            &[("email", "olga@acme.example")],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("yourself"));
    // ...but may join one that holds none, and add someone else to it.
    let (status, body) = w
        .put_json(
            &w.olga,
            format!("/groups/{empty}/members/{}", w.olga_id),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, body) = w
        .put_json(
            &w.ada,
            format!("/groups/{holders}/members/{}", w.olga_id),
            json!({}),
        )
        .await;
    assert!(
        status.is_success(),
        "someone else adds her: {status} {body}"
    );

    // The group page's grant form offers only what she may hand out.
    let (_, html) = olga.get_page(&format!("/groups/{empty}")).await;
    let offered = offered_roles(&html);
    assert!(offered.contains(&"Viewer".to_string()), "{offered:?}");
    assert!(!offered.contains(&"Owner".to_string()), "{offered:?}");
    w.put_json(
        &w.ada,
        format!("/orgs/{}/settings", w.east),
        json!({"assignable_roles": viewer.to_string()}),
    )
    .await
    .expect_status(S::OK);
    let (_, html) = olga.get_page(&format!("/groups/{empty}")).await;
    assert_eq!(offered_roles(&html), ["Viewer"]);
}
