//! The development outbox keeps the privacy border and never shows a link that
//! works once: mail is listed only to those who manage its recipient, and
//! setup, activation and reset links are cut out of every page.

use canopy::domain::mail::{self, Queued};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn mails_for(app: &TestApp, user_id: i64) -> Vec<Queued> {
    app.db
        .read(move |c| mail::for_user(c, user_id))
        .await
        .unwrap()
}

/// Every `/activate/`, `/reset-password/` or `/setup/` link in `html` that
/// still carries a secret (letters or digits after the path).
fn secrets_in(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for path in ["/activate/", "/reset-password/", "/setup/"] {
        for (at, _) in html.match_indices(path) {
            let secret: String = html[at + path.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if !secret.is_empty() {
                found.push(format!("{path}{secret}"));
            }
        }
    }
    found
}

/// Asks for a password reset for `email`, as anyone may, from a fresh browser.
async fn forgot(app: &TestApp, email: &str) {
    let response = app
        .new_browser()
        .submit_form("/forgot-password", &[("email", email)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_root_owner_cannot_read_mail_to_people_behind_a_private_org() {
    let (app, _, token) = spawn_with_owner().await;
    let root = app.root_id().await;
    let vault = app.create_org(&token, root, "Vault", "VAULT").await;
    let vic = app.create_user("vic@example.com", "Vic", vault).await;
    let bob = app.create_user("bob@example.com", "Bob", root).await;
    app.add_keeper(vault).await;
    app.make_private(&token, vault).await;
    forgot(&app, "vic@example.com").await;
    forgot(&app, "bob@example.com").await;
    let vic_mail = mails_for(&app, vic.id).await[0].id;
    let bob_mail = mails_for(&app, bob.id).await[0].id;

    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = app.get_page("/admin/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("bob@example.com"), "{html}");
    assert!(!html.contains("vic@example.com"), "mail behind the border");
    assert!(!html.contains(&format!("/admin/outbox/{vic_mail}\"")));

    // Mail behind the border answers exactly like mail that does not exist.
    let hidden = app.get_page(&format!("/admin/outbox/{vic_mail}")).await;
    let missing = app.get_page("/admin/outbox/999999").await;
    assert_eq!(hidden.0, StatusCode::NOT_FOUND);
    assert_eq!(hidden, missing);
    assert!(!hidden.1.contains("vic@example.com"));

    let (status, html) = app.get_page(&format!("/admin/outbox/{bob_mail}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Reset your Canopy password"));
}

#[tokio::test]
async fn a_reset_link_cannot_be_read_from_the_outbox_to_take_over_an_account() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let root = app.root_id().await;
    let bob = app.create_user("bob@example.com", "Bob", root).await;

    // The attack: ask for Bob's reset, then read the link from the outbox.
    forgot(&app, "bob@example.com").await;
    let mail = mails_for(&app, bob.id).await.remove(0);
    let secret = secrets_in(&mail.body_text);
    assert_eq!(secret.len(), 1, "the mail itself carries the link");

    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, list) = app.get_page("/admin/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("single-use link sent"), "{list}");
    let (status, page) = app.get_page(&format!("/admin/outbox/{}", mail.id)).await;
    assert_eq!(status, StatusCode::OK);
    for html in [&list, &page] {
        assert_eq!(secrets_in(html), Vec::<String>::new(), "{html}");
        assert!(!html.contains(&secret[0]));
    }
    assert!(page.contains("data-testid=\"link-sent\""));
    assert!(page.contains("A single-use link was sent to bob@example.com at"));
    // Both parts are shown cut, and nothing cut is a link.
    assert!(page.contains("/reset-password/…"), "{page}");
    assert!(!page.contains("<a href=\"http"), "{page}");

    // What the page shows does not reset anything; Bob keeps his password.
    let (status, _) = app.new_browser().get_page("/reset-password/…").await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        app.new_browser()
            .sign_in("bob@example.com", ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.audit("user.password_changed").await.is_empty());
}

#[tokio::test]
async fn someone_who_manages_users_below_the_root_has_no_outbox() {
    let (app, _, token) = spawn_with_owner().await;
    let root = app.root_id().await;
    let acme = app.create_org(&token, root, "Acme", "ACME").await;
    let carl = app.create_user("carl@example.com", "Carl", acme).await;
    let admin = app.role_id(&token, "Org admin").await;
    let (status, body) = app
        .post_json(
            &token,
            "/grants",
            json!({"role_id": admin, "user_id": carl.id, "org_id": acme, "descendants": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    forgot(&app, "carl@example.com").await;
    let id = mails_for(&app, carl.id).await[0].id;
    let carl_browser = app.new_browser();
    carl_browser
        .sign_in("carl@example.com", ADMIN_PASSWORD)
        .await;
    for path in ["/admin/outbox".to_string(), format!("/admin/outbox/{id}")] {
        assert_eq!(
            carl_browser.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
