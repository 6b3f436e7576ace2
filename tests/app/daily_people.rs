//! Fewer clicks for people (issue 14): a new user with a first role in one
//! form, and a role granted from a person's page; both obey the grant rule as
//! a grant made on an org's Access tab, and a refused role creates nobody.

use reqwest::StatusCode as S;

use crate::fixture::Tree;
use crate::helpers::*;

/// The users the API finds for `email` (as Ada).
async fn users_named(t: &Tree, email: &str) -> usize {
    let (_, list) = t.get_json(&t.ada, format!("/users?q={email}")).await;
    list["items"].as_array().map_or(0, Vec::len)
}

/// The roles (by name) of the grants `user_id` holds, as Ada sees them.
async fn grant_roles(t: &Tree, user_id: i64) -> Vec<(String, i64)> {
    let (_, list) = t
        .get_json(&t.ada, format!("/grants?user_id={user_id}"))
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["role_id"].to_string(),
                g["org_id"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_new_user_gets_a_first_role_in_the_same_form() {
    let t = Tree::new().await;
    t.org_admin("olga@example.com", t.acme).await;
    let olga = t.signed_in_browser("olga@example.com").await;
    let (status, html) = olga.get_page("/users/new").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("id=\"first_role\""), "{html}");
    assert!(html.contains("id=\"role_org\""), "{html}");
    let viewer = t.role_id(&t.ada, "Viewer").await;
    let response = olga
        .submit_form(
            "/users/new",
            &[
                ("email", "nina@example.com"),
                ("display_name", "Nina New"),
                ("org_id", "ACME-EAST"),
                ("first_role", &viewer.to_string()),
                ("role_org", ""),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        S::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    let user = location(&response)
        .trim_start_matches("/users/")
        .parse::<i64>()
        .unwrap();
    // Left empty, the role's org is the new home.
    assert_eq!(
        grant_roles(&t, user).await,
        vec![(viewer.to_string(), t.east)]
    );
    let (_, page) = olga.get_page(&format!("/users/{user}")).await;
    assert!(page.contains("Viewer at"), "{page}");
}

#[tokio::test]
async fn a_first_role_the_creator_may_not_grant_is_refused_and_creates_nobody() {
    let t = Tree::new().await;
    t.org_admin("olga@example.com", t.acme).await;
    t.member("uma@example.com", t.acme, "User manager", t.acme)
        .await;
    let owner = t.role_id(&t.ada, "Owner").await;
    let viewer = t.role_id(&t.ada, "Viewer").await;
    let olga = t.signed_in_browser("olga@example.com").await;
    let uma = t.signed_in_browser("uma@example.com").await;
    let cases = [
        // More than Olga holds: escalation.
        (&olga, owner, "ACME", "first_role"),
        // Another tenant's org: not one she may choose.
        (&olga, viewer, "GLOBEX", "role_org"),
        // A user manager creates people but grants nothing.
        (&uma, viewer, "ACME", "role_org"),
    ];
    for (who, role, at, field) in cases {
        let response = who
            .submit_form(
                "/users/new",
                &[
                    ("email", "nobody@example.com"),
                    ("display_name", "No Body"),
                    ("org_id", "ACME"),
                    ("password", "a long enough password"),
                    ("first_role", &role.to_string()),
                    ("role_org", at),
                ],
            )
            .await;
        assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY, "{at}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{field}: {html}"
        );
        assert_eq!(users_named(&t, "nobody@example.com").await, 0, "{at}");
    }
    assert!(
        t.audit("user.created")
            .await
            .iter()
            .all(|e| !format!("{e:?}").contains("nobody@"))
    );
}

#[tokio::test]
async fn a_role_is_granted_from_a_persons_page() {
    let t = Tree::new().await;
    t.org_admin("olga@example.com", t.acme).await;
    let eve = t.person("eve@example.com", t.east).await;
    let olga = t.signed_in_browser("olga@example.com").await;
    let (status, html) = olga.get_page(&format!("/users/{}", eve.id)).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("action=\"/users/{}/grants\"", eve.id)),
        "{html}"
    );
    // The org picker starts at the person's home.
    assert!(
        html.contains("id=\"grant_org\" name=\"grant_org\" value=\"ACME-EAST\""),
        "{html}"
    );
    let auditor = t.role_id(&t.ada, "Auditor").await;
    let response = olga
        .submit_form(
            &format!("/users/{}/grants", eve.id),
            &[
                ("role_id", &auditor.to_string()),
                ("grant_org", "ACME-EAST"),
                ("reach", "below"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        S::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    let (_, html) = olga.get_page(&format!("/users/{}", eve.id)).await;
    assert!(html.contains("The role Auditor is granted."), "{html}");
    assert!(html.contains("Auditor at <a href"), "{html}");
    assert_eq!(
        grant_roles(&t, eve.id).await,
        vec![(auditor.to_string(), t.east)]
    );
}

#[tokio::test]
async fn granting_from_a_persons_page_obeys_the_grant_rule() {
    let t = Tree::new().await;
    t.org_admin("olga@example.com", t.acme).await;
    t.org_admin("gina@example.com", t.globex).await;
    let eve = t.person("eve@example.com", t.east).await;
    let owner = t.role_id(&t.ada, "Owner").await;
    let viewer = t.role_id(&t.ada, "Viewer").await;
    let path = format!("/users/{}/grants", eve.id);
    let olga = t.signed_in_browser("olga@example.com").await;
    // More than she holds.
    let response = olga
        .submit_form(
            &path,
            &[("role_id", &owner.to_string()), ("grant_org", "ACME")],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"role_id-error\"")
    );
    // Somewhere she does not manage.
    let response = olga
        .submit_form(
            &path,
            &[("role_id", &viewer.to_string()), ("grant_org", "GLOBEX")],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"grant_org-error\"")
    );
    // Another tenant's admin finds nobody there.
    let gina = t.signed_in_browser("gina@example.com").await;
    let response = gina
        .submit_form(
            &path,
            &[("role_id", &viewer.to_string()), ("grant_org", "GLOBEX")],
        )
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    assert!(grant_roles(&t, eve.id).await.is_empty());
}
