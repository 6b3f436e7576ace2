//! Statuses and kinds are closed sets (`db::text_enum`): the database refuses
//! a value outside them (the CHECK constraints of migration
//! 2026-12-07-000100), and a stored value outside them that got past anyway
//! (here: with the checks turned off, as in a legacy row or a hand edit) is
//! an error when read, never a default.

use canopy::db::Backend;
use canopy::domain::user;
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::*;

const STAMP: &str = "'2026-01-05 00:00:00'";

#[tokio::test]
async fn the_database_refuses_a_status_or_kind_outside_its_set() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let root = app.root_id().await;
    let mut conn = app.db.conn().unwrap();
    let sheet = |status: &str| {
        format!(
            "INSERT INTO timesheets (user_id, week_start, status, created_at, updated_at) \
             VALUES ({}, '2026-01-05', '{status}', {STAMP}, {STAMP})",
            admin.id
        )
    };
    for (sql, constraint) in [
        (
            format!("UPDATE users SET status = 'zombie' WHERE id = {}", admin.id),
            "users_status_check",
        ),
        (
            format!("UPDATE orgs SET kind = 'planet' WHERE id = {root}"),
            "orgs_kind_check",
        ),
        (
            format!("UPDATE orgs SET status = 'Archived' WHERE id = {root}"),
            "orgs_status_check",
        ),
        (sheet("lost"), "timesheets_status_check"),
    ] {
        let err = conn.batch_execute(&sql).expect_err(&sql);
        assert!(err.to_string().contains(constraint), "{sql}: {err}");
    }
    // The same writes with a value inside the set pass.
    conn.batch_execute(&format!(
        "UPDATE users SET status = 'active' WHERE id = {}",
        admin.id
    ))
    .unwrap();
    conn.batch_execute(&sheet("draft")).unwrap();
    conn.batch_execute(&format!(
        "UPDATE timesheets SET approval_mode = 'weekly' WHERE user_id = {}",
        admin.id
    ))
    .expect_err("an approval mode outside the set");
}

#[tokio::test]
async fn a_stored_status_outside_its_set_is_an_error_not_a_default() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let root = app.root_id().await;
    let member = app.create_user("mo@example.com", "Mo Member", root).await;
    let id = member.id;
    let legacy = format!("UPDATE users SET status = 'on_leave' WHERE id = {id}");
    let mut conn = app.db.conn().unwrap();
    conn.batch_execute(&match app.db.backend() {
        Backend::Sqlite => format!(
            "PRAGMA ignore_check_constraints = ON; {legacy}; PRAGMA ignore_check_constraints = OFF;"
        ),
        Backend::Postgres => {
            format!("ALTER TABLE users DROP CONSTRAINT users_status_check; {legacy};")
        }
    })
    .unwrap();
    drop(conn);

    // Read directly: an internal error, not `deactivated` or any other value.
    let err = app.db.read(move |c| user::find(c, id)).await.unwrap_err();
    assert!(err.is_internal(), "{err:?}");

    // Read by a page: the server's fault (500), not a person shown with a
    // made-up status.
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = app.get_text(&format!("/users/{id}")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!html.contains("Mo Member"));
}
