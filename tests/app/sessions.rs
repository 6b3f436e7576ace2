//! Sessions end when they must: deactivation, password change, "sign out
//! everywhere"; and survive what they should: a restart.

use reqwest::{Method, StatusCode};

use crate::helpers::*;
use canopy::domain::audit::Actor;
use canopy::domain::user::{self, UserStatus};

#[tokio::test]
async fn deactivation_stops_sessions_and_tokens_at_the_next_request() {
    let (app, admin, token) = spawn_with_owner().await;
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
    let response = app.submit_form("/profile/sign-out-everywhere", &[]).await;
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

/// The `canopy_session` cookie a response sets, as `name=value`.
fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("canopy_session="))
        .expect("session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// GET `/` on the app at `port` with exactly this cookie (a copy of it).
async fn with_cookie(port: u16, cookie: &str) -> StatusCode {
    new_client()
        .get(format!("http://127.0.0.1:{port}/"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
}

fn port_of(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

async fn stored_sessions(app: &TestApp) -> i64 {
    app.db
        .read(|conn| {
            use canopy::db::schema::sessions;
            use diesel::prelude::*;
            Ok(sessions::table.count().get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

/// Moves every stored session's times into the past.
async fn age_sessions(app: &TestApp, created: chrono::Duration, seen: chrono::Duration) {
    app.db
        .write(move |conn| {
            use canopy::db::schema::sessions;
            use diesel::prelude::*;
            let now = canopy::db::now();
            diesel::update(sessions::table)
                .set((
                    sessions::created_at.eq(now - created),
                    sessions::last_seen_at.eq(now - seen),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_cookie_copied_before_sign_out_is_refused_on_every_instance() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let response = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let copied = session_cookie(&response);
    let second = start(&app.database_url, &[]).await;
    for port in [port_of(&app), second.port] {
        assert_eq!(with_cookie(port, &copied).await, StatusCode::OK);
    }
    assert_eq!(stored_sessions(&app).await, 1);
    // What a thief would post with: the copy's own CSRF token.
    let html = new_client()
        .get(app.url("/"))
        .header("Cookie", &copied)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&html).expect("a CSRF token");

    let response = app.submit_form("/sign-out", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_sessions(&app).await, 0);
    for port in [port_of(&app), second.port] {
        assert_eq!(with_cookie(port, &copied).await, StatusCode::SEE_OTHER);
    }
    // Nor can the copy act: a POST with it is no session (and no sign-out entry).
    let response = new_client()
        .post(app.url("/profile/sign-out-everywhere"))
        .header("Cookie", &copied)
        .header("Origin", &app.address)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/sign-in"));
    assert!(app.audit("user.sessions_ended").await.is_empty());
    assert_eq!(app.audit("auth.signed_out").await.len(), 1);

    // Signing in again makes a new session; the old copy stays dead.
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        with_cookie(second.port, &copied).await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sign_out_everywhere_reaches_copies_on_other_instances() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let phone = app.new_browser();
    let response = phone.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let copied = session_cookie(&response);
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let second = start(&app.database_url, &[]).await;
    assert_eq!(with_cookie(second.port, &copied).await, StatusCode::OK);
    assert_eq!(stored_sessions(&app).await, 2);
    app.submit_form("/profile/sign-out-everywhere", &[]).await;
    assert_eq!(stored_sessions(&app).await, 0);
    assert_eq!(
        with_cookie(second.port, &copied).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(phone.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_idle_session_ends_and_a_busy_one_is_kept_alive() {
    let app = spawn_app_with(&[("CANOPY_SESSION_IDLE_MINUTES", "30")]).await;
    app.create_default_admin().await;
    let response = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let copied = session_cookie(&response);
    let second = start(&app.database_url, &[("CANOPY_SESSION_IDLE_MINUTES", "30")]).await;

    // Used 29 minutes ago: still live, and this request counts as use.
    age_sessions(
        &app,
        chrono::Duration::minutes(29),
        chrono::Duration::minutes(29),
    )
    .await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let seen = app
        .db
        .read(|conn| {
            use canopy::db::schema::sessions;
            use diesel::prelude::*;
            Ok(sessions::table
                .select(sessions::last_seen_at)
                .first::<chrono::NaiveDateTime>(conn)?)
        })
        .await
        .unwrap();
    assert!(canopy::db::now() - seen < chrono::Duration::minutes(1));

    // Unused for 30 minutes: over, here and on the other instance.
    age_sessions(
        &app,
        chrono::Duration::minutes(40),
        chrono::Duration::minutes(30),
    )
    .await;
    assert_eq!(
        with_cookie(second.port, &copied).await,
        StatusCode::SEE_OTHER
    );
    let response = app.get("/profile").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in?next=/profile");

    // The next sign-in (anyone's) prunes the dead row.
    assert_eq!(stored_sessions(&app).await, 1);
    let other = app.signed_in_browser(ADMIN_EMAIL).await;
    assert_eq!(stored_sessions(&app).await, 1);
    assert_eq!(other.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_busy() {
    let app = spawn_app_with(&[("CANOPY_SESSION_MAX_HOURS", "2")]).await;
    app.create_default_admin().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    age_sessions(
        &app,
        chrono::Duration::minutes(119),
        chrono::Duration::zero(),
    )
    .await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    age_sessions(
        &app,
        chrono::Duration::minutes(120),
        chrono::Duration::zero(),
    )
    .await;
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
    // Signing in again starts a new one.
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_keeps_only_the_session_that_made_it() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let phone = app.new_browser();
    let copied = session_cookie(&phone.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await);
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app
        .submit_form(
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "a brand new password"),
                ("new_password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        with_cookie(port_of(&app), &copied).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(stored_sessions(&app).await, 1);
}

#[tokio::test]
async fn signing_in_again_ends_the_browsers_previous_session() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let response = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let copied = session_cookie(&response);
    let port = port_of(&app);
    assert_eq!(with_cookie(port, &copied).await, StatusCode::OK);
    // The same browser signs in again (a wrong password first changes nothing).
    let response = app.sign_in(ADMIN_EMAIL, "not the password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(with_cookie(port, &copied).await, StatusCode::OK);
    let response = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let renewed = session_cookie(&response);
    assert_ne!(renewed, copied);
    // The copy of the old cookie is refused; the browser's new one works.
    assert_eq!(with_cookie(port, &copied).await, StatusCode::SEE_OTHER);
    assert_eq!(with_cookie(port, &renewed).await, StatusCode::OK);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(stored_sessions(&app).await, 1);
}
