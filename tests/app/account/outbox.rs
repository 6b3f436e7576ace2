//! The outbox while SMTP is off, and delivery through a real SMTP peer.

use super::*;

#[tokio::test]
async fn the_outbox_is_for_root_user_managers_while_smtp_is_off() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let root = app.root_id().await;
    app.create_user("bob@example.com", "Bob", root).await;
    let eve = invite(&app, &admin, "eve@example.com", "<b>Eve</b>").await;
    let id = mails_for(&app, eve.id).await[0].id;

    assert_eq!(
        location(&app.new_browser().get("/admin/outbox").await),
        "/sign-in?next=/admin/outbox"
    );
    let bob = app.signed_in_browser("bob@example.com").await;
    assert_eq!(
        bob.get("/admin/outbox").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get(&format!("/admin/outbox/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = app.get_page("/admin/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("eve@example.com"));
    assert!(html.contains(&format!("href=\"/admin/outbox/{id}\"")));
    assert!(html.contains("You are invited to Canopy"));
    assert!(html.contains("not sent"));

    let (status, html) = app.get_page(&format!("/admin/outbox/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<b>Eve"),
        "nothing from the mail is markup here"
    );
    assert!(html.contains("Hello &#60;b&#62;Eve&#60;/b&#62;,"));
    // The page says a link was sent, never the link itself (only the
    // recipient may use it); the link in the mail still works.
    assert!(html.contains("data-testid=\"link-sent\""));
    let path = link_path(
        &app,
        &mails_for(&app, eve.id).await[0].body_text,
        "/activate/",
    );
    assert!(
        !html.contains(&path),
        "the activation secret is on the page"
    );
    assert!(!html.contains(&format!("<a href=\"{}/activate/", app.address)));
    assert_eq!(app.new_browser().get(&path).await.status(), StatusCode::OK);

    for missing in [
        "/admin/outbox/999999",
        "/admin/outbox/abc",
        "/admin/outbox/-1",
    ] {
        assert_eq!(
            app.get(missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn the_outbox_page_does_not_exist_when_smtp_is_configured() {
    let (port, _rx) = fake_smtp().await;
    let app = spawn_app_with(&[("CANOPY_SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    app.create_default_admin().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        app.get("/admin/outbox").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn with_smtp_the_outbox_is_delivered_as_multipart() {
    let (port, mut rx) = fake_smtp().await;
    let app = spawn_app_with(&[
        ("CANOPY_SMTP_URL", &format!("smtp://127.0.0.1:{port}")),
        ("CANOPY_MAIL_FROM", "Acme Portal <portal@acme.example>"),
    ])
    .await;
    let admin = app.create_default_admin().await;
    let eve = invite(&app, &admin, "eve@example.com", "<b>Eve</b>").await;

    let raw = tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("delivered within seconds")
        .unwrap();
    assert!(
        raw.contains("From: \"Acme Portal\" <portal@acme.example>"),
        "{raw}"
    );
    assert!(raw.contains("To: eve@example.com"));
    assert!(raw.contains("Subject: You are invited to Canopy"));
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/plain"));
    assert!(raw.contains("text/html"));
    assert!(raw.contains("Message-ID: <canopy."));

    let sent = wait_for(async || {
        let mails = mails_for(&app, eve.id).await;
        mails[0].sent_at.is_some().then(|| mails[0].clone())
    })
    .await;
    assert_eq!(sent.attempts, 1);
    assert!(sent.last_error.is_none());
}

#[tokio::test]
async fn a_failed_delivery_keeps_the_message_and_the_error() {
    // A port with nobody listening.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = spawn_app_with(&[("CANOPY_SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let admin = app.create_default_admin().await;
    let eve = invite(&app, &admin, "eve@example.com", "Eve").await;
    let failed = wait_for(async || {
        let mails = mails_for(&app, eve.id).await;
        mails[0].last_error.is_some().then(|| mails[0].clone())
    })
    .await;
    assert_eq!(failed.attempts, 1);
    assert!(failed.sent_at.is_none());
    // The next attempt waits (a minute, then longer): no retry storm.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mails_for(&app, eve.id).await[0].attempts, 1);
}
