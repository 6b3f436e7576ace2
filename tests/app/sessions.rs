//! Sessions end when they must: deactivation, password change, "sign out
//! everywhere"; and survive what they should: a restart.

use reqwest::{Method, StatusCode};

use crate::helpers::*;
use canopy::domain::audit::Actor;
use canopy::domain::user::{self, UserStatus};

#[tokio::test]
async fn deactivation_stops_sessions_and_tokens_at_the_next_request() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "").await;
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let me = app.api(Method::GET, "/me", &token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let id = admin.id;
    app.db
        .write(move |c| user::set_status(c, &Actor::cli(), id, UserStatus::Deactivated))
        .await
        .unwrap();

    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/sign-in"));
    let me = app.api(Method::GET, "/me", &token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    // And they cannot sign in again.
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.audit("user.deactivated").await.len(), 1);

    // Reactivated, the token works again; the old session cookie does not.
    app.db
        .write(move |c| user::set_status(c, &Actor::cli(), id, UserStatus::Active))
        .await
        .unwrap();
    let me = app.api(Method::GET, "/me", &token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_password_change_ends_every_session() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let laptop: &Browser = &app;
    let phone = app.new_browser();
    for device in [laptop, &phone] {
        assert_eq!(
            device.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(device.get("/").await.status(), StatusCode::OK);
    }
    let hash = canopy::domain::password::hash("a brand new password", 4).unwrap();
    let id = admin.id;
    app.db
        .write(move |c| user::set_password_hash(c, &Actor::cli(), id, &hash))
        .await
        .unwrap();
    for device in [laptop, &phone] {
        assert_eq!(device.get("/").await.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, "a brand new password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_other_sessions_too() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let other = app.new_browser();
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        other.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let response = app
        .post_form_with_csrf("/profile/sign-out-everywhere", &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(other.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.audit("user.sessions_ended").await.len(), 1);
}

#[tokio::test]
async fn a_restart_keeps_people_signed_in() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // A second instance on the same database (a restart, or another node behind a
    // load balancer) reads the same stored session key.
    let second = start(&app.database_url, &[]).await;
    let cookie_jar_client = &app.client;
    let response = cookie_jar_client
        .get(format!("http://127.0.0.1:{}/", second.port))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Welcome, Ada Admin")
    );
}

#[tokio::test]
async fn a_tampered_cookie_is_no_session() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let response = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("canopy_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http in tests");
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("canopy_session=");
    let mut tampered = value.to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/"))
        .header("Cookie", format!("canopy_session={tampered}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = spawn_app_with(&[("CANOPY_PUBLIC_URL", "https://canopy.example.com")]).await;
    let response = app.get("/sign-in").await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

/// Instances starting at the same moment on a fresh PostgreSQL database (as a
/// deploy of several does) all start: one migrates and makes the root, the
/// others wait for it, then find it done. SQLite serves one instance; there a
/// second one started beside it (or the CLI) finds the file in use and waits.
#[tokio::test]
async fn instances_starting_together_on_a_fresh_database_all_start() {
    let (url, _store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    let (a, b, c) = if url.starts_with("postgres") {
        tokio::join!(start(&url, &[]), start(&url, &[]), start(&url, &[]))
    } else {
        let a = start(&url, &[]).await;
        let (b, c) = tokio::join!(start(&url, &[]), start(&url, &[]));
        (a, b, c)
    };
    for app in [&a, &b, &c] {
        let health = reqwest::get(format!("http://127.0.0.1:{}/healthz", app.port))
            .await
            .unwrap();
        assert_eq!(health.status(), reqwest::StatusCode::OK);
    }
    let db = canopy::db::Db::connect(&url, 2).unwrap();
    let roots = db
        .read_sync(|conn| {
            use canopy::db::schema::orgs;
            use diesel::prelude::*;
            Ok(orgs::table
                .filter(orgs::parent_id.is_null())
                .count()
                .get_result::<i64>(conn)?)
        })
        .unwrap();
    assert_eq!(roots, 1);
}
