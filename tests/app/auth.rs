//! Setting up, signing in and out.

use reqwest::StatusCode;

use crate::helpers::*;
use canopy::domain::auth::MAX_FAILURES_PER_ADDRESS;

/// Two people submitting the setup link at the same moment: one becomes the
/// Owner, the other is told the link is gone (on PostgreSQL too).
#[tokio::test]
async fn a_setup_link_raced_makes_one_owner() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().expect("a setup link");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let (first, second) = (app.new_browser(), app.new_browser());
    let form = |email: &'static str| {
        [
            ("display_name", "Racer"),
            ("email", email),
            ("password", ADMIN_PASSWORD),
            ("password_confirm", ADMIN_PASSWORD),
        ]
    };
    let (a, b) = (form("one@example.com"), form("two@example.com"));
    let (one, two) = tokio::join!(first.submit_form(&path, &a), second.submit_form(&path, &b));
    let mut statuses = vec![one.status(), two.status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::SEE_OTHER, StatusCode::NOT_FOUND]);
    assert_eq!(app.audit("user.created").await.len(), 1);
    assert_eq!(app.audit("setup.completed").await.len(), 1);
}

#[tokio::test]
async fn setup_link_creates_the_first_owner_once() {
    let app = spawn_app().await;
    let link = app
        .setup_link
        .clone()
        .expect("a fresh install prints a setup link");
    let path = link.strip_prefix(&app.address).unwrap().to_string();

    let (status, html) = app.get_page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Set up Canopy"));

    // Bad input: every field gets its message, nothing is created.
    let response = app
        .submit_form(
            &path,
            &[
                ("display_name", " "),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"display_name-error\""), "{html}");
    assert!(html.contains("Enter an email address"));
    assert!(html.contains("at least 10 characters"));
    assert!(app.audit("user.created").await.is_empty());

    let response = app
        .submit_form(
            &path,
            &[
                ("display_name", "Ada Admin"),
                ("email", "Ada@Example.com"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let (status, html) = app.get_page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Welcome, Ada Admin"));
    assert!(
        html.contains("Owner"),
        "the first admin holds Owner at the root"
    );

    // Single use: the link is gone, for this client and any other.
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    let other = new_client();
    assert_eq!(
        other.get(&link).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit("setup.completed").await.len(), 1);
    let grants = app.audit("grant.created").await;
    assert_eq!(grants.len(), 1);
    assert!(grants[0].after_json.as_deref().unwrap().contains("Owner"));
}

#[tokio::test]
async fn a_wrong_setup_token_is_not_found() {
    let app = spawn_app().await;
    assert!(app.setup_link.is_some());
    assert_eq!(
        app.get("/setup/guess").await.status(),
        StatusCode::NOT_FOUND
    );
    let response = app
        .submit_form(
            "/setup/guess",
            &[
                ("display_name", "Eve"),
                ("email", "eve@example.com"),
                ("password", "0123456789"),
                ("password_confirm", "0123456789"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.audit("user.created").await.is_empty());
}

#[tokio::test]
async fn no_setup_link_once_an_admin_exists() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    // A restart on the same database prints no link.
    let restarted = start(&app.database_url, &[]).await;
    assert!(restarted.setup_link.is_none());
    let path = app
        .setup_link
        .as_ref()
        .unwrap()
        .strip_prefix(&app.address)
        .unwrap()
        .to_string();
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_and_out() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;

    // Anonymous visitors are sent to sign in, and come back afterwards.
    let response = app.get("/profile").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in?next=/profile");

    let token = app.csrf_token().await;
    let response = app
        .post_form(
            "/sign-in",
            &[
                ("email", "ADA@example.com "),
                ("password", ADMIN_PASSWORD),
                ("next", "/profile"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let (status, html) = app.get_page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(ADMIN_EMAIL));

    // The session cookie changed at sign-in (no fixation) and the CSRF token too.
    assert_ne!(app.csrf_token().await, token);

    let signed_in = app.audit("auth.signed_in").await;
    assert_eq!(signed_in.len(), 1);
    assert_eq!(signed_in[0].actor_user_id, Some(admin.id));
    assert_eq!(signed_in[0].ip.as_deref(), Some("127.0.0.1"));

    let response = app.submit_form("/sign-out", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in");
    let (_, html) = app.get_page("/sign-in").await;
    assert!(html.contains("You have signed out."));
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.audit("auth.signed_out").await.len(), 1);
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    // Browsers drop tabs and newlines inside a URL, so `/\t/evil` would land
    // on `//evil`; control characters cannot go into a header at all.
    let hostile = [
        "//evil.example/x",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "https://evil.example",
    ];
    for next in hostile {
        let token = app.csrf_token().await;
        let response = app
            .post_form(
                "/sign-in",
                &[
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/", "{next:?}");
        // Already signed in, the sign-in page sends people on the same way.
        let query = serde_urlencoded::to_string([("next", next)]).unwrap();
        let response = app.get(&format!("/sign-in?{query}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/", "{next:?}");
    }
    // Other control characters are refused outright, like in any text input.
    let response = app.get("/sign-in?next=%2F%01").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A path on this site is kept.
    let response = app.get("/sign-in?next=%2Fprofile%3Ftab%3D1").await;
    assert_eq!(location(&response), "/profile?tab=1");
}

#[tokio::test]
async fn wrong_password_changes_nothing_and_says_so() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    for (email, password) in [
        (ADMIN_EMAIL, "wrong password!"),
        ("nobody@example.com", ADMIN_PASSWORD),
        (ADMIN_EMAIL, ""),
    ] {
        let response = app.sign_in(email, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let html = response.text().await.unwrap();
        // One message for every failure: nothing tells whether the account exists.
        assert!(html.contains("Email or password is incorrect."));
        assert_eq!(
            app.get("/").await.status(),
            StatusCode::SEE_OTHER,
            "still signed out"
        );
    }
    let failed = app.audit("auth.sign_in_failed").await;
    assert_eq!(failed.len(), 3);
    assert_eq!(failed[0].target_id, Some(admin.id));
    assert_eq!(failed[1].target_id, None);
    assert!(app.audit("auth.signed_in").await.is_empty());
    let user = app
        .db
        .read(move |c| canopy::domain::user::find(c, admin.id))
        .await
        .unwrap();
    assert!(user.last_login_at.is_none());
}

#[tokio::test]
async fn sign_in_without_csrf_token_or_from_a_foreign_origin_is_refused() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let token = app.csrf_token().await;

    // No token at all.
    let response = app
        .post_form(
            "/sign-in",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A token that is not this session's.
    let response = app
        .post_form(
            "/sign-in",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The right token, but sent from another site: by its Origin, or with
    // only a foreign Referer.
    for (header, site) in [
        ("Origin", "https://evil.example"),
        ("Referer", "https://evil.example/page"),
    ] {
        let response = app
            .client
            .post(app.url("/sign-in"))
            .header(header, site)
            .form(&[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}");
    }
    // A client without any session cookie cannot post either.
    let stranger = new_client();
    let response = stranger
        .post(app.url("/sign-in"))
        .header("Origin", &app.address)
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        app.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "nobody signed in"
    );
    assert!(app.audit("auth.signed_in").await.is_empty());
    assert!(
        app.audit("auth.sign_in_failed").await.is_empty(),
        "refused before the password was checked"
    );

    // The token from the page does work, via the header htmx uses too.
    let response = app
        .client
        .post(app.url("/sign-in"))
        .header("Origin", &app.address)
        .header("X-CSRF-Token", &token)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_failures_from_one_address_meet_429() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let email = format!("guess{i}@example.com");
        statuses.push(app.sign_in(&email, "password123").await.status());
    }
    let limit = MAX_FAILURES_PER_ADDRESS as usize;
    assert_refused_then_throttled(&statuses, limit);
}
