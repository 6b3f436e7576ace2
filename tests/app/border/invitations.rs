//! Letting the landlord back in: invitations by exact email, answered alike, re-checked on acceptance.

use super::*;

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
