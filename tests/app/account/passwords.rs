//! Passwords: forgetting one answers alike, resets work once and end sessions, changing needs the current one.

use super::*;

#[tokio::test]
async fn forgot_password_answers_the_same_for_every_address() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let root = app.root_id().await;
    let bob = app.create_user("bob@example.com", "Bob", root).await;
    let ivy = invite(&app, &admin, "ivy@example.com", "Ivy").await;
    let mail_before = all_mail(&app).await.len();

    let (_, html) = app.get_page("/sign-in").await;
    assert!(html.contains("href=\"/forgot-password\""));
    let (status, html) = app.get_page("/forgot-password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Forgot your password?"));

    let mut answers = Vec::new();
    for email in ["Bob@Example.com", "nobody@example.com", "ivy@example.com"] {
        let browser = app.new_browser();
        let response = browser
            .submit_form("/forgot-password", &[("email", email)])
            .await;
        let answer = (response.status(), location(&response));
        let (_, page) = browser.get_page(&answer.1).await;
        assert!(
            page.contains("If an account exists for that address, we have sent a link"),
            "{page}"
        );
        answers.push(answer);
    }
    assert_eq!(answers[0], (StatusCode::SEE_OTHER, "/sign-in".to_string()));
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");

    // Mail only for the active account.
    let mail_after = all_mail(&app).await;
    assert_eq!(mail_after.len(), mail_before + 1);
    let reset = &mails_for(&app, bob.id).await[0];
    assert_eq!(reset.subject, "Reset your Canopy password");
    assert!(!reset.body_text.is_empty() && !reset.body_html.is_empty());
    link_path(&app, &reset.body_text, "/reset-password/");
    assert_eq!(
        mails_for(&app, ivy.id).await.len(),
        1,
        "only the invitation"
    );

    let requested = app.audit(account::RESET_REQUESTED).await;
    let outcomes: Vec<String> = requested
        .iter()
        .map(|e| e.after_json.clone().unwrap_or_default())
        .collect();
    assert_eq!(requested.len(), 3);
    assert!(outcomes[0].contains("mailed"));
    assert!(outcomes[1].contains("unknown email"));
    assert!(outcomes[2].contains("account not active"));

    // Malformed input gets a message next to the field, never a 500.
    for bad in ["not an email", "", &"a".repeat(5000)] {
        let response = app.submit_form("/forgot-password", &[("email", bad)]).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"email-error\""));
        assert!(html.contains("aria-invalid=\"true\""));
    }
}

#[tokio::test]
async fn reset_requests_beyond_the_limit_are_dropped_silently() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let root = app.root_id().await;
    let bob = app.create_user("bob@example.com", "Bob", root).await;
    for _ in 0..account::MAX_RESETS_PER_ACCOUNT + 2 {
        let response = app
            .submit_form("/forgot-password", &[("email", "bob@example.com")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/sign-in");
    }
    assert_eq!(
        mails_for(&app, bob.id).await.len() as i64,
        account::MAX_RESETS_PER_ACCOUNT
    );
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let root = app.root_id().await;
    let bob = app.create_user("bob@example.com", "Bob", root).await;
    let laptop = app.new_browser();
    assert_eq!(
        laptop
            .sign_in("bob@example.com", ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(laptop.get("/").await.status(), StatusCode::OK);

    // Two requests: only the newer link works.
    let anyone = app.new_browser();
    for _ in 0..2 {
        anyone
            .submit_form("/forgot-password", &[("email", "bob@example.com")])
            .await;
    }
    let mails = mails_for(&app, bob.id).await;
    let older = link_path(&app, &mails[0].body_text, "/reset-password/");
    let newer = link_path(&app, &mails[1].body_text, "/reset-password/");
    let (status, html) = anyone.get_page(&older).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(
        html.contains("href=\"/forgot-password\""),
        "a way to ask again"
    );
    let (status, html) = anyone.get_page(&newer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Choose a new password"));

    let response = anyone
        .submit_form(
            &newer,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = anyone
        .submit_form(
            &newer,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in");
    let (_, html) = anyone.get_page("/sign-in").await;
    assert!(html.contains("Your password is changed"), "{html}");

    // Old sessions are over; the old password too; the link is used up.
    let response = laptop.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/sign-in"));
    assert_eq!(
        anyone
            .sign_in("bob@example.com", ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anyone
            .sign_in("bob@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.new_browser().get(&newer).await.status(),
        StatusCode::GONE
    );
    // Posting through the used link again changes nothing.
    let replay = [
        ("password", "a third password, never set"),
        ("password_confirm", "a third password, never set"),
    ];
    let response = app.new_browser().submit_form(&newer, &replay).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let changed = app.audit("user.password_changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].via.as_str(), "link");
    assert_eq!(changed[0].target_id, Some(bob.id));

    // An expired reset link is refused.
    anyone
        .submit_form("/forgot-password", &[("email", "bob@example.com")])
        .await;
    let latest = mails_for(&app, bob.id).await;
    let expired = link_path(
        &app,
        &latest[latest.len() - 1].body_text,
        "/reset-password/",
    );
    expire_links(&app, bob.id).await;
    assert_eq!(
        app.new_browser().get(&expired).await.status(),
        StatusCode::GONE
    );
    let response = app.new_browser().submit_form(&expired, &replay).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(app.audit("user.password_changed").await.len(), 1);
    assert_eq!(
        anyone
            .sign_in("bob@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "the password set through the first link still holds"
    );

    // An activation link is no reset link, and the other way round.
    assert_eq!(
        app.new_browser()
            .get(&expired.replace("/reset-password/", "/activate/"))
            .await
            .status(),
        StatusCode::GONE
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_keeps_this_session() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let phone = app.new_browser();
    for device in [&app.browser, &phone] {
        assert_eq!(
            device.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let (status, html) = app.get_page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Change password"));
    assert!(html.contains("action=\"/profile/password\""));

    let response = app
        .submit_form(
            "/profile/password",
            &[
                ("current_password", "not my password"),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"current_password-error\""), "{html}");
    assert!(html.contains("aria-describedby=\"current_password-error\""));
    assert_eq!(app.audit(account::PASSWORD_CHANGE_FAILED).await.len(), 1);

    let response = app
        .submit_form(
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", "typo"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"new_password_confirm-error\"")
    );
    let response = app.submit_form("/profile/password", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A new password under 10 characters is refused next to its field.
    let response = app
        .submit_form(
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "123456789"),
                ("new_password_confirm", "123456789"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"new_password-error\""), "{html}");
    assert!(html.contains("at least 10 characters"), "{html}");
    assert!(app.audit("user.password_changed").await.is_empty());

    let response = app
        .submit_form(
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let (status, html) = app.get_page("/profile").await;
    assert_eq!(status, StatusCode::OK, "this session stays signed in");
    assert!(html.contains("Your password is changed."));
    assert_eq!(phone.get("/").await.status(), StatusCode::SEE_OTHER);
    let changed = app.audit("user.password_changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].via.as_str(), "session");
    let fresh = app.new_browser();
    assert_eq!(
        fresh.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh.sign_in(ADMIN_EMAIL, NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn guessing_the_current_password_is_limited() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for _ in 0..account::MAX_PASSWORD_CHANGE_FAILURES {
        let response = app
            .submit_form(
                "/profile/password",
                &[
                    ("current_password", "a wrong guess"),
                    ("new_password", NEW_PASSWORD),
                    ("new_password_confirm", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = app
        .submit_form(
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(app.audit("user.password_changed").await.is_empty());
}
