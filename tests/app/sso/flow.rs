//! Signing in through an org's provider: the email step sends people whose
//! verified domain belongs to an org with single sign-on to its provider and
//! everyone else to the password step; the provider round trip (PKCE, state
//! once, the ID token checked) ends in the same sign-in as a password; a
//! deactivated person, an unknown one in `link` mode and an unverified email
//! are refused; password sign-in can be turned off.

use reqwest::StatusCode as S;
use serde_json::json;

use super::provider::{Provider, query_of};
use crate::fixture::Tree;
use crate::helpers::*;

/// The tree with a provider on localhost set at Acme for `acme.example`,
/// which Acme lists and has verified.
struct World {
    tree: Tree,
    provider: Provider,
}

crate::fixture::on_the_tree!(World);

async fn world(extra: serde_json::Value) -> World {
    let tree = Tree::new().await;
    let provider = Provider::start().await;
    let (_, acme) = tree
        .get_json(&tree.ada, format!("/orgs/{}", tree.acme))
        .await;
    tree.patch_json(
        &tree.ada,
        format!("/orgs/{}", tree.acme),
        json!({"email_domains": ["acme.example"], "version": acme["version"]}),
    )
    .await
    .expect_status(S::OK);
    tree.mark_domain_verified(tree.acme, "acme.example").await;
    let mut body = super::body(&provider.issuer);
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    tree.put_json(&tree.ada, format!("/orgs/{}/sso", tree.acme), body)
        .await
        .expect_status(S::OK);
    World { tree, provider }
}

/// The provider's authorization URL on the page the email step answered.
fn provider_url(html: &str) -> String {
    html.split("data-testid=\"sso-continue\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|u| u.split('"').next().unwrap().replace("&#38;", "&"))
        .expect("a link to the provider")
}

/// The email step as a browser takes it: the answer's status and page.
async fn continue_as(browser: &Browser, email: &str) -> (S, String) {
    let response = browser
        .submit_form(
            "/sign-in/continue",
            &[("email", email), ("next", "/profile")],
        )
        .await;
    (response.status(), response.text().await.unwrap())
}

/// The provider sends the browser back to Canopy's callback.
async fn come_back(browser: &Browser, authorize: &str, code: &str) -> reqwest::Response {
    let q = query_of(authorize);
    let callback = q["redirect_uri"]
        .split_once("/sign-in")
        .map(|(_, p)| format!("/sign-in{p}"))
        .unwrap();
    browser
        .get(&format!(
            "{callback}?code={code}&state={}",
            urlencoding(&q["state"])
        ))
        .await
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

impl World {
    /// The whole round trip of one browser: the email step with `typed`, the
    /// provider approving `subject` with `email` (`verified` or not), and
    /// the answer at Canopy's callback.
    async fn round_trip(
        &self,
        browser: &Browser,
        typed: &str,
        subject: &str,
        email: &str,
        verified: bool,
    ) -> reqwest::Response {
        let (_, html) = continue_as(browser, typed).await;
        let url = provider_url(&html);
        let code = self.provider.approve(&url, subject, email, verified);
        come_back(browser, &url, &code).await
    }
}

#[tokio::test]
async fn the_email_step_sends_sso_domains_to_the_provider_and_others_to_the_password() {
    let w = world(json!({})).await;
    let browser = w.new_browser();
    let (status, html) = browser.get_page("/sign-in").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("action=\"/sign-in/continue\""));
    assert!(!html.contains("id=\"password\""), "the email comes first");

    let (status, html) = continue_as(&browser, "zoe@acme.example").await;
    assert_eq!(status, S::OK);
    let url = provider_url(&html);
    assert!(
        url.starts_with(&format!("{}/auth?", w.provider.issuer)),
        "{url}"
    );
    let q = query_of(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
    assert_eq!(q["login_hint"], "zoe@acme.example");
    assert!(html.contains("http-equiv=\"refresh\""));

    // Another domain, or no org's: the password step, with the email kept.
    for email in [
        "gus@globex.example",
        "someone@elsewhere.example",
        "ZOE@ACME.EXAMPLE.ORG",
    ] {
        let (status, html) = continue_as(&browser, email).await;
        assert_eq!(status, S::OK);
        assert!(html.contains("id=\"password\""), "{email}");
        assert!(html.contains("action=\"/sign-in\""));
    }
    // The discovery document was fetched once and cached.
    let (_, again) = continue_as(&w.new_browser(), "amy@acme.example").await;
    assert_ne!(query_of(&provider_url(&again))["state"], q["state"]);
    assert_eq!(w.provider.discovery_fetches(), 1);
}

#[tokio::test]
async fn a_domain_outside_the_allowed_list_keeps_the_password_step() {
    let w = world(json!({"allowed_domains": ["acme.test"]})).await;
    let (status, html) = continue_as(&w.new_browser(), "zoe@acme.example").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("id=\"password\""));
}

#[tokio::test]
async fn a_known_person_signs_in_through_the_provider_once_per_state() {
    let w = world(json!({})).await;
    let sam = w.person("sam@acme.example", w.east).await;
    let browser = w.new_browser();
    let (_, html) = continue_as(&browser, "sam@acme.example").await;
    let url = provider_url(&html);
    let code = w
        .provider
        .approve(&url, "sub-sam", "sam@acme.example", true);
    let back = come_back(&browser, &url, &code).await;
    assert_eq!(back.status(), S::SEE_OTHER);
    assert_eq!(location(&back), "/profile");
    let (status, profile) = browser.get_page("/profile").await;
    assert_eq!(status, S::OK);
    assert!(profile.contains("sam@acme.example"));
    let signed = w.audit("sso.signed_in").await;
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].target_id, Some(sam.id));
    // The sign-in itself is recorded as every other one is.
    let recorded = w.audit("auth.signed_in").await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].target_id, Some(sam.id));

    // The same answer again (a replayed state) is refused.
    let code = w
        .provider
        .approve(&url, "sub-sam", "sam@acme.example", true);
    let replay = come_back(&browser, &url, &code).await;
    assert_eq!(replay.status(), S::BAD_REQUEST);
    assert!(replay.text().await.unwrap().contains("not valid any more"));

    // Later the link (issuer, subject) finds him, whatever email comes.
    let other = w.new_browser();
    let back = w
        .round_trip(
            &other,
            "sam@acme.example",
            "sub-sam",
            "samuel@acme.example",
            true,
        )
        .await;
    assert_eq!(back.status(), S::SEE_OTHER);
    assert_eq!(w.audit("sso.signed_in").await[1].target_id, Some(sam.id));
}

#[tokio::test]
async fn a_state_sent_to_another_browser_is_refused() {
    let w = world(json!({})).await;
    w.person("sam@acme.example", w.east).await;
    let (_, html) = continue_as(&w.new_browser(), "sam@acme.example").await;
    let url = provider_url(&html);
    let code = w
        .provider
        .approve(&url, "sub-sam", "sam@acme.example", true);
    let attacker = w.new_browser();
    let response = come_back(&attacker, &url, &code).await;
    assert_eq!(response.status(), S::BAD_REQUEST);
    assert!(w.audit("sso.signed_in").await.is_empty());
    let (_, page) = attacker.get_page("/profile").await;
    assert!(!page.contains("sam@acme.example"));
}

#[tokio::test]
async fn a_deactivated_person_cannot_sign_in_through_the_provider() {
    let w = world(json!({})).await;
    let sam = w.person("sam@acme.example", w.east).await;
    w.patch_json(
        &w.ada,
        format!("/users/{}", sam.id),
        json!({"status": "deactivated"}),
    )
    .await
    .expect_status(S::OK);
    let browser = w.new_browser();
    let response = w
        .round_trip(
            &browser,
            "sam@acme.example",
            "sub-sam",
            "sam@acme.example",
            true,
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("deactivated"));
    let refused = w.audit("sso.refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].target_id, Some(sam.id));
    assert!(w.audit("sso.signed_in").await.is_empty());
    assert!(w.audit("auth.signed_in").await.is_empty());
}

#[tokio::test]
async fn link_mode_refuses_unknown_people_and_unverified_emails() {
    let w = world(json!({})).await;
    let browser = w.new_browser();
    let response = w
        .round_trip(
            &browser,
            "new@acme.example",
            "sub-new",
            "new@acme.example",
            true,
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("no Canopy account"));

    // Someone the provider has not verified the email of, even a known one.
    w.person("sam@acme.example", w.east).await;
    let back = w
        .round_trip(
            &browser,
            "sam@acme.example",
            "sub-x",
            "sam@acme.example",
            false,
        )
        .await;
    assert_eq!(back.status(), S::FORBIDDEN);
    // An email of another tenant's domain, asserted by Acme's provider.
    w.person("gus@globex.example", w.globex).await;
    let back = w
        .round_trip(
            &browser,
            "sam@acme.example",
            "sub-y",
            "gus@globex.example",
            true,
        )
        .await;
    assert_eq!(back.status(), S::FORBIDDEN);
    assert_eq!(w.audit("sso.refused").await.len(), 3);
    assert!(w.audit("sso.signed_in").await.is_empty());
}

#[tokio::test]
async fn create_mode_makes_the_person_in_the_org_with_the_default_role() {
    let w = world(json!({})).await;
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let mut body = super::body(&w.provider.issuer);
    body["on_first_sign_in"] = json!("create");
    body["default_role_id"] = json!(viewer);
    w.put_json(&w.ada, format!("/orgs/{}/sso", w.acme), body)
        .await
        .expect_status(S::OK);
    let browser = w.new_browser();
    let back = w
        .round_trip(
            &browser,
            "nina@acme.example",
            "sub-nina",
            "nina@acme.example",
            true,
        )
        .await;
    assert_eq!(back.status(), S::SEE_OTHER);
    let nina =
        w.db.read(|conn| canopy::domain::user::find_by_email(conn, "nina@acme.example"))
            .await
            .unwrap()
            .expect("created");
    assert_eq!(nina.org_id, w.acme);
    assert!(nina.is_active() && nina.password_hash.is_none());
    let created = w.audit("user.created").await;
    assert!(created.iter().any(|e| e.target_id == Some(nina.id)));
    let grants = w.audit("grant.created").await;
    assert!(grants.iter().any(|g| {
        g.after_json
            .as_deref()
            .unwrap_or("")
            .contains(&format!("\"role_id\":{viewer}"))
    }));
    // She has no password: the password form cannot sign her in.
    let other = w.new_browser();
    assert_eq!(
        other.sign_in("nina@acme.example", "").await.status(),
        S::UNAUTHORIZED
    );
}

#[tokio::test]
async fn password_sign_in_is_refused_where_the_provider_turns_it_off() {
    let w = world(json!({"password_sign_in": false})).await;
    w.person("sam@acme.example", w.boston).await;
    w.person("gus@globex.example", w.globex).await;
    let browser = w.new_browser();
    let response = browser.sign_in("sam@acme.example", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("password sign-in is turned off"), "{html}");
    let (_, page) = browser.get_page("/profile").await;
    assert!(!page.contains("sam@acme.example"));
    // A wrong password still says only that it is wrong.
    let response = browser.sign_in("sam@acme.example", "not it").await;
    assert_eq!(response.status(), S::UNAUTHORIZED);
    // Outside the provider's subtree nothing changes.
    assert_eq!(
        w.new_browser()
            .sign_in("gus@globex.example", ADMIN_PASSWORD)
            .await
            .status(),
        S::SEE_OTHER
    );
}

#[tokio::test]
async fn an_answer_naming_another_issuer_is_refused() {
    let w = world(json!({})).await;
    w.person("sam@acme.example", w.east).await;
    let browser = w.new_browser();
    let (_, html) = continue_as(&browser, "sam@acme.example").await;
    let url = provider_url(&html);
    let code = w
        .provider
        .approve(&url, "sub-sam", "sam@acme.example", true);
    let state = urlencoding(&query_of(&url)["state"]);
    let response = browser
        .get(&format!(
            "/sign-in/sso/callback?code={code}&state={state}&iss=https%3A%2F%2Fevil.example"
        ))
        .await;
    assert_eq!(response.status(), S::BAD_GATEWAY);
    assert!(w.audit("sso.signed_in").await.is_empty());
    assert_eq!(w.audit("sso.refused").await.len(), 1);
}
