//! Accounts by mail: an invitation activates once, a forgotten password is reset
//! by a link that says nothing about who has an account, a password change needs
//! the current one; the development outbox; delivery by SMTP.

use std::time::Duration;

use canopy::db::schema::user_tokens;
use canopy::domain::account;
use canopy::domain::audit::Actor;
use canopy::domain::mail::{self, Queued};
use canopy::domain::user::{self, NewUser, User, UserStatus};
use canopy::domain::validate::Email;
use diesel::prelude::*;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::helpers::*;

mod outbox;
mod passwords;

const NEW_PASSWORD: &str = "a much better password";

/// Invites `email` as `inviter` into the root org, as the users page does.
async fn invite(app: &TestApp, inviter: &User, email: &str, name: &str) -> User {
    let new = NewUser {
        org_id: app.root_id().await,
        email: Email::parse(email).unwrap(),
        display_name: name.into(),
        job_title: String::new(),
        status: UserStatus::Active,
        password_hash: Some("ignored: invitations never carry a password".into()),
    };
    let (actor, base) = (Actor::session(inviter.id, None), app.address.clone());
    app.db
        .write(move |c| account::invite(c, &actor, new, &base))
        .await
        .expect("invited")
}

async fn mails_for(app: &TestApp, user_id: i64) -> Vec<Queued> {
    app.db
        .read(move |c| mail::for_user(c, user_id))
        .await
        .unwrap()
}

async fn all_mail(app: &TestApp) -> Vec<Queued> {
    app.db.read(|c| mail::latest(c, 1000)).await.unwrap()
}

async fn reload(app: &TestApp, id: i64) -> User {
    app.db.read(move |c| user::find(c, id)).await.unwrap()
}

/// The path of the first link to `page` (e.g. `/activate/`) in a mail's text.
fn link_path(app: &TestApp, text: &str, page: &str) -> String {
    let start = format!("{}{page}", app.address);
    let at = text
        .find(&start)
        .unwrap_or_else(|| panic!("no {start} link in {text}"));
    let link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link.strip_prefix(&app.address).unwrap().to_string()
}

/// Moves every link of `user_id` past its expiry.
async fn expire_links(app: &TestApp, user_id: i64) {
    app.db
        .write(move |c| {
            diesel::update(user_tokens::table.filter(user_tokens::user_id.eq(user_id)))
                .set(user_tokens::expires_at.eq(canopy::db::now() - chrono::Duration::minutes(1)))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_invitation_activates_the_account_once() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let eve = invite(&app, &admin, "eve@example.com", "<b>Eve</b>").await;
    assert_eq!(eve.status(), UserStatus::Invited);
    assert!(eve.password_hash.is_none());
    let invited = app.audit("user.invited").await;
    assert_eq!(invited.len(), 1);
    assert_eq!(invited[0].actor_user_id, Some(admin.id));

    // One multipart message, escaped where it is HTML.
    let mails = mails_for(&app, eve.id).await;
    assert_eq!(mails.len(), 1);
    let invitation = &mails[0];
    assert_eq!(invitation.to_address, "eve@example.com");
    assert_eq!(invitation.subject, "You are invited to Canopy");
    assert!(
        invitation.sent_at.is_none(),
        "no SMTP: it stays in the outbox"
    );
    assert!(invitation.body_text.contains("Hello <b>Eve</b>,"));
    assert!(invitation.body_text.contains("Ada Admin has invited you"));
    assert!(invitation.body_html.contains("&#60;b&#62;Eve&#60;/b&#62;"));
    assert!(!invitation.body_html.contains("<b>Eve"));
    let path = link_path(&app, &invitation.body_text, "/activate/");
    assert!(
        invitation
            .body_html
            .contains(&format!("href=\"{}{path}\"", app.address))
    );

    let eve_browser = app.new_browser();
    let (status, html) = eve_browser.get_page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Activate your account"));
    assert!(html.contains("eve@example.com"));

    // A weak password, then two that differ: messages next to the fields.
    let response = eve_browser
        .submit_form(
            &path,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"password-error\""), "{html}");
    assert!(html.contains("aria-describedby=\"password-error\""));
    assert!(html.contains("at least 10 characters"));
    let response = eve_browser
        .submit_form(
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"password_confirm-error\"")
    );
    assert_eq!(reload(&app, eve.id).await.status(), UserStatus::Invited);

    // The right one activates and signs in.
    let response = eve_browser
        .submit_form(
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let (status, html) = eve_browser.get_page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your account is active."), "{html}");
    assert!(html.contains("&#60;b&#62;Eve&#60;/b&#62;"));
    let eve_now = reload(&app, eve.id).await;
    assert_eq!(eve_now.status(), UserStatus::Active);
    assert!(eve_now.last_login_at.is_some());
    let activated = app.audit("user.activated").await;
    assert_eq!(activated.len(), 1);
    assert_eq!(activated[0].via.as_str(), "link");
    assert_eq!(activated[0].actor_user_id, Some(eve.id));

    // The link is used up.
    let other = app.new_browser();
    let (status, html) = other.get_page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link has expired or was already used."));
    let response = other
        .submit_form(
            &path,
            &[
                ("password", "another password!"),
                ("password_confirm", "another password!"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(
        other
            .sign_in("eve@example.com", "another password!")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        other
            .sign_in("eve@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // Links nobody issued are refused the same way.
    for bogus in [
        "/activate/nonsense",
        "/activate/%22%3E%3Cscript%3E",
        &format!("/activate/{}", "x".repeat(500)),
    ] {
        assert_eq!(
            app.new_browser().get(bogus).await.status(),
            StatusCode::GONE,
            "{bogus}"
        );
    }
}

#[tokio::test]
async fn expired_and_replaced_invitations_are_refused() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let finn = invite(&app, &admin, "finn@example.com", "Finn").await;
    let first = link_path(
        &app,
        &mails_for(&app, finn.id).await[0].body_text,
        "/activate/",
    );

    expire_links(&app, finn.id).await;
    let browser = app.new_browser();
    let (status, html) = browser.get_page(&first).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("ask the person who invited you"), "{html}");
    let response = browser
        .submit_form(
            &first,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(reload(&app, finn.id).await.status(), UserStatus::Invited);

    // The admin sends a new invitation from Finn's page; it works, and
    // resending again voids it.
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let finn_page = format!("/users/{}", finn.id);
    let (_, html) = app.get_page(&finn_page).await;
    assert!(html.contains("data-testid=\"resend-invitation\""), "{html}");
    let response = app
        .submit_form(&format!("{finn_page}/resend-invitation"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), finn_page);
    let (actor, base, id) = (Actor::session(admin.id, None), app.address.clone(), finn.id);
    let resend = move |c: &mut canopy::db::Conn| account::resend_invitation(c, &actor, id, &base);
    let second = link_path(
        &app,
        &mails_for(&app, finn.id).await[1].body_text,
        "/activate/",
    );
    assert_eq!(browser.get(&second).await.status(), StatusCode::OK);
    app.db.write(resend.clone()).await.unwrap();
    let third = link_path(
        &app,
        &mails_for(&app, finn.id).await[2].body_text,
        "/activate/",
    );
    assert_eq!(browser.get(&second).await.status(), StatusCode::GONE);
    assert_eq!(browser.get(&third).await.status(), StatusCode::OK);
    assert_eq!(app.audit("user.invitation_resent").await.len(), 2);

    // Once active, there is nothing to resend.
    let response = browser
        .submit_form(
            &third,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let err = app.db.write(resend).await.unwrap_err();
    assert!(matches!(err, canopy::Error::Conflict { .. }), "{err}");
    let (_, html) = app.get_page(&finn_page).await;
    assert!(!html.contains("resend-invitation"), "{html}");
    let response = app
        .submit_form(&format!("{finn_page}/resend-invitation"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(mails_for(&app, finn.id).await.len(), 3, "no fourth mail");
}

/// A minimal SMTP server on a free port: accepts everything and hands each
/// message's DATA to the receiver.
async fn fake_smtp() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 fake ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let _ = tx.send(data.take().unwrap_or_default());
                            let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-fake\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 2.0.0 ok\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, rx)
}

async fn wait_for<T>(mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting");
}

/// Correcting a mistyped address voids the links mailed to it: whoever reads
/// the old inbox cannot open the account. A resend reaches the new address.
#[tokio::test]
async fn a_changed_email_voids_the_links_sent_to_the_old_one() {
    let (app, admin, ada) = spawn_with_owner().await;
    let finn = invite(&app, &admin, "finn@exmaple.com", "Finn").await;
    let old_link = link_path(
        &app,
        &mails_for(&app, finn.id).await[0].body_text,
        "/activate/",
    );
    let (status, body) = app
        .patch_json(
            &ada,
            format!("/users/{}", finn.id),
            serde_json::json!({"email": "finn@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stranger = app.new_browser();
    assert_eq!(stranger.get(&old_link).await.status(), StatusCode::GONE);
    let response = stranger
        .submit_form(
            &old_link,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(reload(&app, finn.id).await.status(), UserStatus::Invited);

    let (actor, base, id) = (Actor::session(admin.id, None), app.address.clone(), finn.id);
    app.db
        .write(move |c| account::resend_invitation(c, &actor, id, &base))
        .await
        .unwrap();
    let mails = mails_for(&app, finn.id).await;
    assert_eq!(mails[1].to_address, "finn@example.com");
    let new_link = link_path(&app, &mails[1].body_text, "/activate/");
    assert_eq!(stranger.get(&new_link).await.status(), StatusCode::OK);
}
