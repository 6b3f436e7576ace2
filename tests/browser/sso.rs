//! Single sign-on end to end, against a real OpenID provider on localhost:
//! `oidc-provider` from npm (tests/browser/oidc_provider.mjs, installed by
//! `npm ci --prefix tests/browser`), started by the journey on a free port and
//! stopped after it. The admin sets the provider on the root's Single sign-on
//! tab; a new person types their email, is sent to the provider's login form,
//! signs in there and lands in Canopy signed in, created just in time.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;

const CLIENT_ID: &str = "canopy-browser";
const CLIENT_SECRET: &str = "browser-suite-secret";
const DOMAIN: &str = "sso.example";

/// The Node provider; stopped on drop.
struct OidcProvider {
    child: Child,
    issuer: String,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

impl OidcProvider {
    /// Starts the provider for a client whose redirect URI is `callback` and
    /// waits until its discovery document answers.
    async fn start(callback: &str) -> OidcProvider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed: npm ci --prefix tests/browser"
        );
        let port = free_port();
        let child = Command::new("node")
            .arg(dir.join("oidc_provider.mjs"))
            .args([&port.to_string(), callback, CLIENT_ID, CLIENT_SECRET])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the provider");
        let provider = OidcProvider {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
        };
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        for _ in 0..100 {
            if let Ok(r) = reqwest::get(&discovery).await
                && r.status().is_success()
            {
                return provider;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the OpenID provider did not start at {discovery}");
    }
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and Node: cargo test --test browser -- --ignored"]
async fn a_new_person_signs_in_through_the_orgs_openid_provider() {
    let server = Server::start(true).await;
    // The root has proved it holds the domain, as a DNS check records it (the
    // app tests check that part against a DNS responder on localhost).
    let path = server.dir.path().join("canopy.db").display().to_string();
    let db = canopy::db::Db::connect(&path, 1).expect("the server's database");
    db.write(|conn| canopy::domain::org::domains::mark_verified(conn, 1, DOMAIN))
        .await
        .expect("domain verified");
    drop(db);
    let provider = OidcProvider::start(&format!("{}/sign-in/sso/callback", server.base)).await;
    let issuer = provider.issuer.clone();
    run(server, async move |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;

        // The provider, on the org's Single sign-on tab.
        page.goto("/orgs/1/sso").await?;
        page.fill("#sso-issuer", &issuer).await?;
        page.fill("#sso-client-id", CLIENT_ID).await?;
        page.fill("#sso-client-secret", CLIENT_SECRET).await?;
        page.fill("#sso-domains", DOMAIN).await?;
        page.click("#sso-create").await?;
        page.click("form[data-testid=sso-form] button[type=submit]")
            .await?;
        page.wait_for_text("Single sign-on is saved.").await?;
        assert_eq!(
            page.text("[data-testid=sso-secret-state]").await?,
            "A secret is set. It is stored encrypted and never shown."
        );
        sign_out(&page).await?;

        // Kim has no account: the email step sends her to the provider.
        page.goto("/sign-in").await?;
        page.fill("#email", "kim@sso.example").await?;
        page.click("form[action='/sign-in/continue'] button[type=submit]")
            .await?;
        page.wait_for_path("the provider's login", |p| p.starts_with("/interaction/"))
            .await?;
        page.fill("input[name=login]", "kim@sso.example").await?;
        page.fill("input[name=password]", "anything at all").await?;
        page.click("button[type=submit]").await?;
        // The provider asks her to let Canopy see her email and name.
        page.wait_for_text("Authorize").await?;
        page.click("button[type=submit]").await?;

        page.wait_for_path("the dashboard", |p| p == "/").await?;
        page.wait_for_text("Welcome, Kim").await?;
        Ok(())
    })
    .await;
    drop(provider);
}
