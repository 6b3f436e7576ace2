//! Issue 11, points 7–10: letting the landlord in by exact email, privacy that
//! cannot lock everyone out, privacy that also covers what was told before it,
//! and grants that follow their rule everywhere (no self-grant, forms offering
//! only grantable roles).

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

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
async fn an_admin_inside_a_private_org_invites_by_exact_email_and_nothing_is_granted_until_accepted()
 {
    let w = world().await;
    w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let (status, body) = w.privacy(&w.olga, true).await;
    assert_eq!(status, S::OK, "{body}");
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let ada_id = w.user_id(ADMIN_EMAIL).await;
    // Ada (root Owner) now sees East's name only; Olga cannot see Ada.
    assert!(w.east_code_for(&w.ada).await.is_null());
    let body = w
        .get_json(&w.olga, "/users?q=ada")
        .await
        .expect_status(S::OK);
    assert!(
        !body.to_string().contains(w.ada_email),
        "nothing from outside is listed: {body}"
    );
    let (_, before) = w
        .get_json(&w.olga, format!("/grants?org_id={}", w.east))
        .await;
    let created_before = w.audit("grant.created").await.len();

    // By exact email: Ada's, an address nobody has, and Ada's again answer
    // byte for byte alike.
    let mut answers = Vec::new();
    for email in [w.ada_email, "nobody@nowhere.example", w.ada_email] {
        answers.push(
            w.raw(
                "/grants",
                &w.olga,
                json!({"role_id": viewer, "user_email": email, "org_id": w.east}),
            )
            .await,
        );
    }
    assert_eq!(answers[0].0, S::ACCEPTED, "{}", answers[0].1);
    assert_eq!(
        answers[0], answers[1],
        "an unknown email answers like a known one"
    );
    assert_eq!(answers[0], answers[2], "a repeat answers like the first");
    assert!(answers[0].1.contains("invitation"), "{}", answers[0].1);

    // Nothing is granted: Ada is still outside, no grant was made, and the
    // audit names no one.
    assert!(w.east_code_for(&w.ada).await.is_null());
    let (_, after) = w
        .get_json(&w.olga, format!("/grants?org_id={}", w.east))
        .await;
    assert_eq!(before["total"], after["total"], "{after}");
    assert_eq!(w.audit("grant.created").await.len(), created_before);
    let invited = w.audit("grant.invited").await;
    assert_eq!(invited.len(), 3);
    for e in &invited {
        let after = e.after_json.clone().unwrap_or_default();
        assert!(!after.contains("user_id"), "no user in the audit: {after}");
        assert!(!after.contains(&format!(":{ada_id},")), "{after}");
    }
    // Ada's account is told by mail (twice: the repeat renews and tells again).
    let subjects = w.mail_to(ada_id).await;
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.as_str() == "You are invited to a role in Canopy")
            .count(),
        2,
        "{subjects:?}"
    );

    // Olga lists the pending invitations by the typed email; Uma (outside the
    // border) cannot, nor can she withdraw them.
    let path = format!("/grants/invitations?org_id={}", w.east);
    let list = w.get_json(&w.olga, &path).await.expect_status(S::OK);
    assert_eq!(list["total"], 2, "the repeat renewed the first: {list}");
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&ADMIN_EMAIL) && emails.contains(&"nobody@nowhere.example"));
    w.get_json(&w.uma, &path).await.expect_status(S::NOT_FOUND);
    w.get_json(&w.olga, "/grants/invitations?org_id=999999")
        .await
        .expect_status(S::NOT_FOUND);
    w.get_json(&w.olga, "/grants/invitations")
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);

    // Ada sees her invitation; nobody else can accept or decline it.
    let mine = w
        .get_json(&w.ada, "/invitations")
        .await
        .expect_status(S::OK);
    assert_eq!(mine["total"], 1, "{mine}");
    let id = mine["items"][0]["id"].as_i64().unwrap();
    let nobodys = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "nobody@nowhere.example")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    for (token, which) in [
        (&w.uma, id),
        (&w.olga, id),
        (&w.ada, nobodys),
        (&w.ada, 999_999),
    ] {
        for verb in ["accept", "decline"] {
            let (status, _) = w
                .post_empty(token, format!("/invitations/{which}/{verb}"))
                .await;
            assert_eq!(status, S::NOT_FOUND, "{verb} {which}");
        }
    }
    w.delete(&w.uma, format!("/grants/invitations/{id}"))
        .await
        .expect_status(S::NOT_FOUND);

    // Ada accepts: the grant is made now, by Olga, and audited as usual.
    let grant = w
        .post_empty(&w.ada, format!("/invitations/{id}/accept"))
        .await
        .expect_status(S::CREATED);
    assert_eq!(grant["user_id"], ada_id);
    assert_eq!(grant["granted_by"], w.olga_id);
    assert_eq!(w.east_code_for(&w.ada).await, "ACME-EAST");
    assert_eq!(w.audit("grant.created").await.len(), created_before + 1);
    let (status, _) = w
        .post_empty(&w.ada, format!("/invitations/{id}/accept"))
        .await;
    assert_eq!(status, S::NOT_FOUND, "accepted once");

    // Olga withdraws the other one; then it is gone.
    w.delete(&w.olga, format!("/grants/invitations/{nobodys}"))
        .await
        .expect_status(S::NO_CONTENT);
    w.delete(&w.olga, format!("/grants/invitations/{nobodys}"))
        .await
        .expect_status(S::NOT_FOUND);
    let (_, list) = w.get_json(&w.olga, &path).await;
    assert_eq!(list["total"], 0, "{list}");

    // An invitation run out cannot be accepted.
    let (status, _) = w
        .raw(
            "/grants",
            &w.olga,
            json!({"role_id": viewer, "user_email": "gus@globex.example", "org_id": w.east,
                   "descendants": false}),
        )
        .await;
    assert_eq!(status, S::ACCEPTED);
    let gus = w.create_token(w.gus_id, "").await;
    let (_, mine) = w.get_json(&gus, "/invitations").await;
    let late = mine["items"][0]["id"].as_i64().unwrap();
    w.expire_invitation(late).await;
    w.post_empty(&gus, format!("/invitations/{late}/accept"))
        .await
        .expect_status(S::NOT_FOUND);
    let (_, mine) = w.get_json(&gus, "/invitations").await;
    assert_eq!(mine["total"], 0, "{mine}");

    // Outside the border the email path is closed: Uma answers 404 like an
    // org that does not exist.
    for org in [w.east, 999_999] {
        w.post_json(
            &w.uma,
            "/grants",
            json!({"role_id": viewer, "user_email": "x@y.example", "org_id": org}),
        )
        .await
        .expect_status(S::NOT_FOUND);
    }
    // Bad input stays bad input; oneself by email is refused.
    let body = w
        .post_json(
            &w.olga,
            "/grants",
            json!({"role_id": viewer, "user_email": "not-an-email", "org_id": w.east}),
        )
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["user_email"].is_string());
    w.post_json(
        &w.olga,
        "/grants",
        json!({"role_id": viewer, "user_email": "olga@acme.example", "org_id": w.east}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    assert_eq!(
        w.audit("grant.invited").await.len(),
        4,
        "refusals invite no one"
    );
    let _ = (w.acme, w.globex);
}

#[tokio::test]
async fn the_invitation_pages_answer_alike_and_only_the_invitee_accepts_or_declines() {
    let w = world().await;
    w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let (status, body) = w.privacy(&w.olga, true).await;
    assert_eq!(status, S::OK, "{body}");
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let olga = w.signed_in_browser("olga@acme.example").await;
    // Gus (unseen) and nobody read the same redirect and flash.
    let mut seen = Vec::new();
    for email in ["gus@globex.example", "nobody2@nowhere.example"] {
        let response = olga
            .submit_form(
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
        let (_, html) = olga.get_page(&to).await;
        seen.push((to, flash(&html)));
    }
    assert_eq!(seen[0], seen[1]);
    // Gus holds nothing yet: he is not on the access tab, nor visible to Olga;
    // the tab lists both invitations by email.
    let (_, html) = olga.get_page(&format!("/orgs/{}/access", w.east)).await;
    assert_eq!(
        html.matches("data-testid=\"pending-invitation\"").count(),
        2
    );
    assert!(
        !html.contains(">Gus<") && !html.contains("Gus<br>"),
        "not granted yet"
    );
    w.get_json(&w.olga, format!("/grants?user_id={}", w.gus_id))
        .await
        .expect_status(S::NOT_FOUND);

    // Gus sees it; Uma cannot accept it (404), Gus can.
    let gus = w.signed_in_browser("gus@globex.example").await;
    let (status, html) = gus.get_page("/invitations").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("Viewer at East"), "{html}");
    let id = invitation_id(&html);
    let uma = w.signed_in_browser("uma@acme.example").await;
    let (_, mine) = uma.get_page("/invitations").await;
    assert!(mine.contains("data-testid=\"no-invitations\""));
    for verb in ["accept", "decline"] {
        let response = uma
            .submit_form(&format!("/invitations/{id}/{verb}"), &[])
            .await;
        assert_eq!(response.status(), S::NOT_FOUND, "{verb}");
    }
    let response = gus
        .submit_form(&format!("/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = gus.get_page(&location(&response)).await;
    assert!(flash(&html).contains("accepted"), "{html}");
    let (status, grants) = w
        .get_json(&w.olga, format!("/grants?user_id={}", w.gus_id))
        .await;
    assert_eq!(status, S::OK);
    assert_eq!(grants["total"], 1, "{grants}");

    // Ada, unseen too, declines hers: gone, and not acceptable afterwards.
    let response = olga
        .submit_form(
            &format!("/orgs/{}/grants", w.east),
            &[
                ("email", ADMIN_EMAIL),
                ("role_id", &viewer.to_string()),
                ("reach", "here"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let ada = w.signed_in_browser(ADMIN_EMAIL).await;
    let (_, html) = ada.get_page("/invitations").await;
    let second = invitation_id(&html);
    let response = ada
        .submit_form(&format!("/invitations/{second}/decline"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let response = ada
        .submit_form(&format!("/invitations/{second}/accept"), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let (_, html) = ada.get_page("/invitations").await;
    assert!(html.contains("data-testid=\"no-invitations\""));
    assert!(
        w.east_code_for(&w.ada).await.is_null(),
        "declined: still outside"
    );

    // Olga withdraws the one to nobody from the tab; Uma cannot.
    let (_, html) = olga.get_page(&format!("/orgs/{}/access", w.east)).await;
    let start = html.find("/grant-invitations/").unwrap() + "/grant-invitations/".len();
    let pending: i64 = html[start..start + html[start..].find('/').unwrap()]
        .parse()
        .unwrap();
    let response = uma
        .submit_form(&format!("/grant-invitations/{pending}/revoke"), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let response = olga
        .submit_form(&format!("/grant-invitations/{pending}/revoke"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = olga.get_page(&format!("/orgs/{}/access", w.east)).await;
    assert!(!html.contains("data-testid=\"pending-invitation\""));

    // Gus, now a Viewer inside without access.manage, cannot invite.
    let gus_token = w.create_token(w.gus_id, "").await;
    w.post_json(
        &gus_token,
        "/grants",
        json!({"role_id": viewer, "user_email": "x@y.example", "org_id": w.east}),
    )
    .await
    .expect_status(S::FORBIDDEN);
}

#[tokio::test]
async fn accepting_rechecks_that_the_inviter_may_still_grant() {
    let w = world().await;
    let olga_grant = w.grant_role(&w.ada, "Org admin", w.olga_id, w.east).await;
    let viewer = w.role_id(&w.ada, "Viewer").await;
    // Olga invites Gus (whom she cannot see: he is in Globex).
    let (status, _) = w
        .raw(
            "/grants",
            &w.olga,
            json!({"role_id": viewer, "user_email": "gus@globex.example", "org_id": w.east}),
        )
        .await;
    assert_eq!(status, S::ACCEPTED);
    // Then Olga loses access.manage there.
    w.delete(&w.ada, format!("/grants/{olga_grant}"))
        .await
        .expect_status(S::NO_CONTENT);
    let gus = w.create_token(w.gus_id, "").await;
    let (_, mine) = w.get_json(&gus, "/invitations").await;
    let id = mine["items"][0]["id"].as_i64().unwrap();
    w.post_empty(&gus, format!("/invitations/{id}/accept"))
        .await
        .expect_status(S::FORBIDDEN);
    let (_, grants) = w
        .get_json(&w.ada, format!("/grants?user_id={}", w.gus_id))
        .await;
    assert_eq!(grants["total"], 0, "{grants}");
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
