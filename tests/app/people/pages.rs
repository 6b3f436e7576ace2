//! The people pages: tenants kept apart, the move preview, the directory and the paged list, access lost at the next request.

use super::*;

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
        // Only a verified domain suggests a home org.
        t.app.mark_domain_verified(org, domain).await;
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
