//! Hostile and broken input gets a 4xx, never a 500; every answer carries the
//! security headers.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

mod bodies;

const TEN_MB: usize = 10 * 1024 * 1024;

#[tokio::test]
async fn absurd_paths_are_not_found() {
    let (app, _, token) = spawn_with_owner().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let long = format!("/{}", "x".repeat(8000));
    for path in [
        "/nope",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/vendor/",
        "/profile/tokens/99999999999999999999999/revoke",
        "/%ff%fe%00",
        "/setup/",
        long.as_str(),
    ] {
        let status = app.get(path).await.status();
        assert!(
            status == StatusCode::NOT_FOUND
                || status == StatusCode::METHOD_NOT_ALLOWED
                || status == StatusCode::URI_TOO_LONG,
            "{path}: {status}"
        );
    }
    for path in [
        "/api/v1/nope",
        "/api/v1/me/..%2f..%2fetc%2fpasswd",
        "/api/v1/orgs/99999999999999999999999",
        "/api/v1/%00",
    ] {
        let response = app
            .api(Method::GET, path.trim_start_matches("/api/v1"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    // Revoking a token id that does not fit, or is someone else's: 404, not 500.
    let response = app
        .submit_form("/profile/tokens/99999999999999999999999/revoke", &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.submit_form("/profile/tokens/424242/revoke", &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn someone_elses_token_cannot_be_revoked() {
    let app = spawn_app().await;
    let ada = app.create_default_admin().await;
    let bob = app
        .create_admin("bob@example.com", "Bob", "bob's long password")
        .await;
    let bobs = app.create_token(bob.id, "").await;
    let bob_token_id: i64 = app
        .db
        .read(|conn| {
            use canopy::db::schema::api_tokens::dsl::*;
            use diesel::prelude::*;
            Ok(api_tokens.select(id).first(conn)?)
        })
        .await
        .unwrap();
    let _ = ada;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app
        .submit_form(&format!("/profile/tokens/{bob_token_id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get_json(&bobs, "/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn every_answer_carries_security_headers() {
    let (app, _, token) = spawn_with_owner().await;
    let forbidden = app.post_form("/sign-in", &[("email", "x")]).await;
    let responses = vec![
        app.get("/sign-in").await,
        app.get("/nope").await,
        app.get("/static/app.css").await,
        app.get("/").await,
        forbidden,
        app.api(Method::GET, "/me", &token).send().await.unwrap(),
        app.api(Method::GET, "/me", "bad").send().await.unwrap(),
    ];
    for response in responses {
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
            "{}",
            response.url()
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
    }
}

#[tokio::test]
async fn pages_have_no_inline_script() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/sign-in", "/", "/profile", "/nope"] {
        let (_, html) = app.get_page(path).await;
        for chunk in html.split("<script").skip(1) {
            let tag = chunk.split('>').next().unwrap();
            assert!(
                tag.contains("src=\"/static/"),
                "inline script on {path}: {tag}"
            );
        }
        assert!(!html.contains("style=\""), "inline style on {path}");
    }
}

#[tokio::test]
async fn static_assets_are_served_with_types() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/static/vendor/htmx.min.js", "text/javascript"),
        ("/static/vendor/pico.min.css", "text/css"),
        ("/static/app.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type)
        );
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
    }
}

/// When the server itself fails (here: a table gone from under it), pages
/// answer the generic 500 page and the API the generic `internal` error;
/// neither shows the cause.
#[tokio::test]
async fn a_server_fault_shows_nothing_of_its_cause() {
    use diesel::RunQueryDsl;
    let (app, _, token) = spawn_with_owner().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.db
        .write(|conn| {
            diesel::sql_query("DROP TABLE notifications").execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    let (status, html) = app.get_page("/notifications").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{html}");
    assert!(html.contains("Something went wrong"), "{html}");
    for cause in ["no such table", "does not exist", "relation \""] {
        assert!(!html.contains(cause), "the page shows {cause:?}: {html}");
    }

    let response = app
        .api(Method::GET, "/notifications", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal", "{body}");
    let text = body.to_string();
    for cause in ["no such table", "does not exist", "relation"] {
        assert!(!text.contains(cause), "the API shows {cause:?}: {text}");
    }
}

/// Behind a trusted proxy the client is the right-most `X-Forwarded-For`
/// entry (the one the proxy appended); a client cannot pick its own address
/// with what it writes left of it or in `Forwarded`, so the per-address
/// sign-in limit holds.
#[tokio::test]
async fn a_client_cannot_choose_its_address_behind_the_proxy() {
    use canopy::domain::auth::MAX_FAILURES_PER_ADDRESS;
    let app = spawn_app_with(&[("CANOPY_TRUST_PROXY", "true")]).await;
    app.create_default_admin().await;
    let token = app.csrf_token().await;
    let mut statuses = Vec::new();
    for i in 0..MAX_FAILURES_PER_ADDRESS + 5 {
        let email = format!("guess{i}@example.com");
        let response = app
            .client
            .post(app.url("/sign-in"))
            .header("Origin", &app.address)
            .header("X-Forwarded-For", format!("10.9.{i}.1, 198.51.100.7"))
            .header("Forwarded", format!("for=10.8.{i}.1"))
            .form(&[
                ("email", email.as_str()),
                ("password", "password123"),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    let limit = MAX_FAILURES_PER_ADDRESS as usize;
    assert_refused_then_throttled(&statuses, limit);
    let failed = app.audit("auth.sign_in_failed").await;
    assert_eq!(failed.len(), limit);
    assert!(
        failed
            .iter()
            .all(|e| e.ip.as_deref() == Some("198.51.100.7")),
        "{:?}",
        failed.iter().map(|e| e.ip.clone()).collect::<Vec<_>>()
    );
}
