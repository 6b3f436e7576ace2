//! Signing in and out, the first admin's set-up link, API tokens.

use fantoccini::Locator;

use crate::support::*;

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn sign_in_see_the_dashboard_and_sign_out() {
    run(Server::start(true).await, async |page| {
        page.enter_credentials(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.wait_for_path("/", |p| p == "/").await?;
        page.wait_for_text(&format!("Welcome, {ADMIN_NAME}"))
            .await?;
        assert_eq!(page.text("[data-testid=home-org]").await?, "Root");

        page.click("details.user-menu summary").await?;
        page.click("[data-testid=sign-out]").await?;
        page.wait_for_path("/sign-in", |p| p == "/sign-in").await?;
        page.wait_for_text("You have signed out.").await?;

        page.goto("/").await?;
        page.wait_for_path("a redirect to /sign-in", |p| p.starts_with("/sign-in"))
            .await?;
        assert!(
            page.exists("form[action='/sign-in/continue'] #email")
                .await?,
            "no sign-in form after sign-out"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn failing_sign_in_shows_the_error_and_keeps_the_email() {
    run(Server::start(true).await, async |page| {
        page.enter_credentials(ADMIN_EMAIL, "not the password")
            .await?;
        assert_eq!(
            page.text("[data-testid=sign-in-error]").await?,
            "Email or password is incorrect."
        );
        assert_eq!(page.path().await?, "/sign-in");
        let email = page.find("#email").await?.prop("value").await?;
        assert_eq!(email.as_deref(), Some(ADMIN_EMAIL));
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn setup_link_creates_the_first_admin_once() {
    let mut server = Server::start(false).await;
    let link = server.setup_link().await;
    assert!(
        link.starts_with(&format!("{}/setup/", server.base)),
        "unexpected setup link {link:?}"
    );
    run(server, async |page| {
        let name = "Grace Hopper";
        let fill_form = async |password: &str| -> TestResult {
            page.fill("#display_name", name).await?;
            page.fill("#email", "grace@example.com").await?;
            page.fill("#password", password).await?;
            page.fill("#password_confirm", password).await?;
            page.click("form[action^='/setup/'] button[type=submit]")
                .await
        };

        page.goto(&link).await?;
        fill_form("short").await?;
        let message = page.text("#password-error").await?;
        assert!(
            message.contains("at least 10 characters"),
            "password message was {message:?}"
        );
        let described_by = page
            .find("#password")
            .await?
            .attr("aria-describedby")
            .await?;
        assert_eq!(described_by.as_deref(), Some("password-error"));

        fill_form("a long enough password").await?;
        page.wait_for_path("/", |p| p == "/").await?;
        page.wait_for_text(&format!("Welcome, {name}")).await?;

        page.goto(&link).await?;
        page.wait_for_text("Not found").await?;
        assert!(
            !page.exists("#display_name").await?,
            "setup form still shown"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn api_token_from_the_profile_page() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/profile").await?;
        page.fill("#token-name", "browser test").await?;
        page.click("form[action='/profile/tokens'] button[type=submit]")
            .await?;
        let secret = page
            .find("[data-testid=new-token]")
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        assert!(!secret.is_empty(), "the new token has no value");

        let http = reqwest::Client::new();
        let me = format!("{}/api/v1/me", page.base);
        let answer = http.get(&me).bearer_auth(&secret).send().await?;
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
        let body: serde_json::Value = answer.json().await?;
        assert_eq!(body["email"], ADMIN_EMAIL);

        page.goto("/profile").await?;
        page.wait_for_text("browser test").await?;
        assert!(
            !page.exists("[data-testid=new-token]").await?,
            "the secret is shown again after a reload"
        );
        assert!(
            !page.client.source().await?.contains(&secret),
            "the secret is still in the page"
        );

        let revoke = page
            .client
            .find(Locator::XPath(
                "//tr[td[1][normalize-space()='browser test']]//button[normalize-space()='Revoke']",
            ))
            .await?;
        revoke.click().await?;
        page.wait_for_text("is revoked.").await?;
        let answer = http.get(&me).bearer_auth(&secret).send().await?;
        assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);
        Ok(())
    })
    .await;
}
