//! Single sign-on per org (issue 16, point 2): the provider an org admin sets
//! on the org's Single sign-on tab and at `/api/v1/orgs/{id}/sso` (who may,
//! bad input, the secret never shown), and signing in through it
//! (`flow`: the email step's routing, the provider round trip, refusals).

mod flow;
mod provider;

use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::Tree;
use crate::helpers::*;

/// A valid body for `PUT /orgs/{id}/sso`.
pub fn body(issuer: &str) -> Value {
    json!({
        "issuer_url": issuer,
        "client_id": provider::CLIENT_ID,
        "client_secret": provider::CLIENT_SECRET,
        "allowed_domains": ["acme.example"],
    })
}

#[tokio::test]
async fn an_org_admin_sets_the_provider_and_its_secret_is_never_shown() {
    let t = Tree::new().await;
    let (_, olga) = t
        .org_admin("olga@acme.example", t.acme)
        .await
        .id_and_token();
    let path = format!("/orgs/{}/sso", t.acme);
    // Nothing set yet.
    t.get_json(&olga, &path).await.expect_status(S::NOT_FOUND);

    let set = t
        .put_json(&olga, &path, body("https://login.acme.example/realms/acme"))
        .await
        .expect_status(S::OK);
    assert_eq!(set["client_secret_set"], true);
    assert_eq!(set["allowed_domains"], json!(["acme.example"]));
    assert_eq!(set["password_sign_in"], true);
    assert_eq!(set["on_first_sign_in"], "link");
    assert_eq!(set["version"], 1);
    let (_, read) = t.get_json(&olga, &path).await;
    assert_eq!(read, set);
    assert!(!read.to_string().contains(provider::CLIENT_SECRET));

    // A PUT without a secret keeps it; a stale version is refused.
    let mut change = body("https://login.acme.example/realms/acme");
    change["client_secret"] = Value::Null;
    change["password_sign_in"] = json!(false);
    change["version"] = json!(1);
    let changed = t
        .put_json(&olga, &path, change.clone())
        .await
        .expect_status(S::OK);
    assert_eq!(changed["client_secret_set"], true);
    assert_eq!(changed["password_sign_in"], false);
    assert_eq!(changed["version"], 2);
    t.put_json(&olga, &path, change)
        .await
        .expect_status(S::CONFLICT);

    // The secret is stored sealed, and the audit log keeps none of it.
    let stored: Option<String> =
        t.db.read({
            let acme = t.acme;
            move |conn| {
                Ok(canopy::domain::sso::at(conn, acme)?
                    .unwrap()
                    .client_secret_sealed)
            }
        })
        .await
        .unwrap();
    let stored = stored.unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(provider::CLIENT_SECRET));
    let entries = t.audit("sso.configured").await;
    assert_eq!(entries.len(), 2);
    for e in &entries {
        let text = format!("{:?}", e);
        assert!(!text.contains(provider::CLIENT_SECRET), "{text}");
    }

    t.delete(&olga, &path).await.expect_status(S::NO_CONTENT);
    t.get_json(&olga, &path).await.expect_status(S::NOT_FOUND);
    t.delete(&olga, &path).await.expect_status(S::NOT_FOUND);
    assert_eq!(t.audit("sso.removed").await.len(), 1);
}

#[tokio::test]
async fn another_tenant_finds_nothing_and_a_member_may_not_change_it() {
    let t = Tree::new().await;
    let (_, olga) = t
        .org_admin("olga@acme.example", t.acme)
        .await
        .id_and_token();
    let (_, gina) = t
        .org_admin("gina@globex.example", t.globex)
        .await
        .id_and_token();
    let (_, vera) = t
        .member("vera@acme.example", t.acme, "Viewer", t.acme)
        .await
        .id_and_token();
    let path = format!("/orgs/{}/sso", t.acme);
    t.put_json(&olga, &path, body("https://login.acme.example"))
        .await
        .expect_status(S::OK);

    // Globex's admin: Acme's provider is not there for her, exactly like an
    // org that does not exist.
    let (status, missing) = t.get_json(&gina, "/orgs/999999/sso").await;
    assert_eq!(status, S::NOT_FOUND);
    let (status, hidden) = t.get_json(&gina, &path).await;
    assert_eq!(status, S::NOT_FOUND);
    assert_eq!(hidden, missing);
    t.put_json(&gina, &path, body("https://evil.example"))
        .await
        .expect_status(S::NOT_FOUND);
    t.delete(&gina, &path).await.expect_status(S::NOT_FOUND);

    // A viewer of Acme sees the org but may not see or change its provider.
    t.get_json(&vera, &path).await.expect_status(S::FORBIDDEN);
    t.put_json(&vera, &path, body("https://evil.example"))
        .await
        .expect_status(S::FORBIDDEN);
    t.delete(&vera, &path).await.expect_status(S::FORBIDDEN);

    // Nothing changed, and the pages answer alike.
    let (_, still) = t.get_json(&olga, &path).await;
    assert_eq!(still["issuer_url"], "https://login.acme.example");
    assert_eq!(t.audit("sso.configured").await.len(), 1);
    let gina_page = t.signed_in_browser("gina@globex.example").await;
    let (status, _) = gina_page.get_page(&format!("/orgs/{}/sso", t.acme)).await;
    assert_eq!(status, S::NOT_FOUND);
    let vera_page = t.signed_in_browser("vera@acme.example").await;
    let (status, _) = vera_page.get_page(&format!("/orgs/{}/sso", t.acme)).await;
    assert_eq!(status, S::FORBIDDEN);
    let (_, settings) = vera_page
        .get_page(&format!("/orgs/{}/settings", t.acme))
        .await;
    assert!(
        !settings.contains("Single sign-on"),
        "no tab without org.settings"
    );
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_changes_nothing() {
    let t = Tree::new().await;
    let path = format!("/orgs/{}/sso", t.acme);
    let refused = async |b: Value, field: &str| {
        let (status, answer) = t.put_json(&t.ada, &path, b).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{field}: {answer}"
        );
    };
    let with = |key: &str, value: Value| {
        let mut b = body("https://login.acme.example");
        b[key] = value;
        b
    };
    refused(
        with("issuer_url", json!("http://login.acme.example")),
        "issuer_url",
    )
    .await;
    refused(with("issuer_url", json!("not a url")), "issuer_url").await;
    refused(
        with("issuer_url", json!("ftp://login.acme.example")),
        "issuer_url",
    )
    .await;
    refused(
        with("issuer_url", json!("https://login.acme.example/?a=b")),
        "issuer_url",
    )
    .await;
    refused(with("client_id", json!("  ")), "client_id").await;
    refused(with("allowed_domains", json!([])), "allowed_domains").await;
    refused(
        with("allowed_domains", json!(["not a domain!"])),
        "allowed_domains",
    )
    .await;
    refused(
        with("on_first_sign_in", json!("invent")),
        "on_first_sign_in",
    )
    .await;
    refused(with("default_role_id", json!(999_999)), "default_role_id").await;
    refused(with("surprise", json!(1)), "surprise").await;
    t.get_json(&t.ada, &path).await.expect_status(S::NOT_FOUND);
    assert!(t.audit("sso.configured").await.is_empty());

    // Plain http is fine on this machine (tests, development).
    for issuer in ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"] {
        t.put_json(&t.ada, &path, body(issuer))
            .await
            .expect_status(S::OK);
    }
}

#[tokio::test]
async fn the_tab_sets_the_provider_with_messages_next_to_the_fields() {
    let t = Tree::new().await;
    t.org_admin("olga@acme.example", t.acme).await;
    let olga = t.signed_in_browser("olga@acme.example").await;
    let tab = format!("/orgs/{}/sso", t.acme);
    let (status, html) = olga.get_page(&format!("/orgs/{}/settings", t.acme)).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("href=\"{tab}\"")),
        "the tab is offered"
    );
    let (status, html) = olga.get_page(&tab).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"sso-none\""));
    assert!(
        html.contains("/sign-in/sso/callback"),
        "the redirect URI to register"
    );

    let form = |issuer: &'static str| {
        vec![
            ("issuer_url", issuer),
            ("client_id", "canopy"),
            ("client_secret", "s3cret-value"),
            ("allowed_domains", "acme.example\nacme.test"),
            ("password_sign_in", "true"),
            ("on_first_sign_in", "create"),
            ("default_role_id", ""),
        ]
    };
    let response = olga
        .submit_form(&tab, &form("http://login.acme.example"))
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"issuer_url-error\""), "{html}");
    assert!(html.contains("must use https"));
    assert!(
        !html.contains("s3cret-value"),
        "a typed secret is not echoed"
    );

    let response = olga
        .submit_form(&tab, &form("https://login.acme.example"))
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = olga.get_page(&tab).await;
    assert!(html.contains("A secret is set."));
    assert!(!html.contains("s3cret-value"));
    assert!(html.contains("acme.test"));
    assert!(html.contains("value=\"create\" checked"));

    let response = olga.submit_form(&format!("{tab}/remove"), &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = olga.get_page(&tab).await;
    assert!(html.contains("data-testid=\"sso-none\""));
    assert_eq!(t.audit("sso.removed").await.len(), 1);
}
