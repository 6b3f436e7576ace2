//! SCIM tokens: the API (`/orgs/{id}/scim-tokens`, `/scim-tokens/{id}`) and
//! the org's Provisioning tab.

use reqwest::StatusCode;
use serde_json::json;

use super::World;
use crate::helpers::*;

#[tokio::test]
async fn the_token_api_shows_the_secret_once_and_hides_others_tokens() {
    let w = World::new().await;
    let path = format!("/orgs/{}/scim-tokens", w.acme);
    let made = w
        .post_created(&w.olga, &path, json!({"name": "Entra"}))
        .await;
    let mut keys: Vec<&str> = made
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["created_at", "id", "name", "token"]);
    let secret = made["token"].as_str().unwrap();
    assert!(secret.starts_with("cnps_"));
    // Stored as its SHA-256 and a prefix, never as itself.
    let stored: Vec<(String, String)> =
        w.db.read(|conn| {
            use canopy::db::schema::scim_tokens::dsl::*;
            use diesel::prelude::*;
            Ok(scim_tokens.select((token_hash, token_prefix)).load(conn)?)
        })
        .await
        .unwrap();
    let hash = canopy::domain::secrets::token_hash(secret);
    assert!(
        stored
            .iter()
            .any(|(h, p)| *h == hash && secret.starts_with(p.as_str()))
    );
    assert!(
        stored
            .iter()
            .all(|(h, p)| h != secret && p.len() < secret.len())
    );
    let unnamed = w.post_created(&w.olga, &path, json!({})).await;
    assert_eq!(unnamed["name"], json!("SCIM token"));

    let list = w
        .get_json(&w.olga, &path)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(list["total"], json!(3));
    assert!(!list.to_string().contains(secret), "no secret in a list");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none())
    );

    // Gus (Globex) neither sees nor revokes Acme's tokens; someone with
    // user.manage but not group.manage may not make one.
    let id = made["id"].as_i64().unwrap();
    let missing = w.delete(&w.gus, "/scim-tokens/999999").await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    assert_eq!(
        w.delete(&w.gus, format!("/scim-tokens/{id}")).await,
        missing
    );
    assert_eq!(w.get_json(&w.gus, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        w.post_json(&w.gus, &path, json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, uma) = super::people_only(&w).await;
    assert_eq!(
        w.post_json(&uma, &path, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let bad = w
        .post_json(&w.olga, &path, json!({"name": "x".repeat(101)}))
        .await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = w.post_json(&w.olga, &path, json!({"label": "x"})).await;
    assert_eq!(unknown.0, StatusCode::UNPROCESSABLE_ENTITY);

    w.delete(&w.olga, format!("/scim-tokens/{id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    w.delete(&w.olga, format!("/scim-tokens/{id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    let (status, _) = w.get("/Users", secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(w.audit("scim_token.created").await.len(), 4);
    let revoked = w.audit("scim_token.revoked").await;
    assert_eq!((revoked.len(), revoked[0].org_id), (1, Some(w.acme)));
}

#[tokio::test]
async fn an_org_admin_makes_lists_and_revokes_tokens_on_the_provisioning_tab() {
    let w = World::new().await;
    let page = format!("/orgs/{}/provisioning", w.acme);
    let olga = w.signed_in_browser("olga@acme.test").await;
    let (status, html) = olga.get_page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/scim/v2") && html.contains("Provisioning"));
    assert!(!html.contains("data-testid=\"new-scim-token\""));
    let made = olga
        .submit_form(&format!("{page}/tokens"), &[("name", "Okta")])
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let (_, html) = olga.get_page(&page).await;
    assert!(
        html.contains("data-testid=\"new-scim-token\""),
        "the secret, once"
    );
    assert!(html.contains("Okta"));
    let (_, again) = olga.get_page(&page).await;
    assert!(
        !again.contains("data-testid=\"new-scim-token\""),
        "never twice"
    );
    let bad = olga
        .submit_form(&format!("{page}/tokens"), &[("name", &"y".repeat(101))])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Without the form's CSRF token nothing is made.
    let forged = olga
        .post_form(&format!("{page}/tokens"), &[("name", "forged")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let list = w
        .get_json(&w.olga, format!("/orgs/{}/scim-tokens", w.acme))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(list["total"], json!(2), "World's token and Okta");
    let okta = list["items"][0]["id"].as_i64().unwrap();
    // Another org's address does not revoke it.
    let elsewhere = olga
        .submit_form(
            &format!("/orgs/{}/provisioning/tokens/{okta}/revoke", w.east),
            &[],
        )
        .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    let revoke = olga
        .submit_form(&format!("{page}/tokens/{okta}/revoke"), &[])
        .await;
    assert_eq!(revoke.status(), StatusCode::SEE_OTHER);
    let (_, html) = olga.get_page(&page).await;
    assert!(html.contains("revoked"));

    // Gus sees no such tab at Acme; Uma (no group.manage) sees no tab link.
    let gus = w.signed_in_browser("gus@globex.test").await;
    assert_eq!(gus.get_page(&page).await.0, StatusCode::NOT_FOUND);
    super::people_only(&w).await;
    let uma = w.signed_in_browser("uma@acme.test").await;
    let (_, overview) = uma.get_page(&format!("/orgs/{}", w.acme)).await;
    assert!(!overview.contains("/provisioning"));
    assert_eq!(uma.get_page(&page).await.0, StatusCode::FORBIDDEN);
}
