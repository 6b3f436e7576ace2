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
        (
            format!(
                "INSERT INTO notifications (user_id, kind, title, created_at) \
                 VALUES ({}, 'gossip', 'Psst', {STAMP})",
                admin.id
            ),
            "notifications_kind_check",
        ),
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
    let page = app.get(&format!("/users/{id}")).await;
    assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!page.text().await.unwrap().contains("Mo Member"));
}

/// Rows the CHECK migration must keep, with values it must map (inserted
/// just before it runs): unknown or oddly written kinds and statuses.
const LEGACY_ROWS: &str = "
INSERT INTO orgs (id, parent_id, name, name_key, code, code_key, kind, status, created_at, updated_at)
  VALUES (1, NULL, 'Root', 'root', 'ROOT', 'root', ' Region', 'ARCHIVED', '2026-01-05 00:00:00', '2026-01-05 00:00:00'),
         (2, 1, 'Odd', 'odd', 'ODD', 'odd', 'planet', 'paused', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO users (id, org_id, email, email_key, display_name, status, created_at, updated_at)
  VALUES (1, 2, 'a@example.com', 'a@example.com', 'A', 'on_leave', '2026-01-05 00:00:00', '2026-01-05 00:00:00'),
         (2, 2, 'b@example.com', 'b@example.com', 'B', 'Active ', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO projects (id, org_id, tenant_id, code, code_key, name, status, created_at, updated_at)
  VALUES (1, 2, 2, 'P', 'p', 'P', 'paused', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO project_assignments (id, project_id, user_id, role, minutes_per_week, start_date, created_at, updated_at)
  VALUES (1, 1, 1, 'lead', 60, '2026-01-05', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO timesheets (id, user_id, week_start, status, approval_mode, submitted_at, created_at, updated_at)
  VALUES (1, 1, '2026-01-05', 'odd', 'weekly', '2026-01-09 00:00:00', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO approval_parts (id, timesheet_id, project_id, user_id, week_start, status, minutes)
  VALUES (1, 1, 1, 1, '2026-01-05', 'meh', 30);
INSERT INTO time_entries (id, timesheet_id, user_id, project_id, entry_date, minutes, note)
  VALUES (1, 1, 1, 1, '2026-01-05', 30, 'kept');
INSERT INTO notifications (id, user_id, kind, title, created_at)
  VALUES (1, 1, ' Grant_Lost', 'Gone', '2026-01-05 00:00:00');
";

const SQLITE_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/postgres");

/// Runs every migration up to the CHECK migration, inserts `LEGACY_ROWS`,
/// then the rest.
fn migrate_around_checks<C, DB>(conn: &mut C, source: diesel_migrations::EmbeddedMigrations)
where
    DB: diesel::backend::Backend,
    C: diesel_migrations::MigrationHarness<DB> + SimpleConnection,
{
    for m in conn.pending_migrations(source).unwrap() {
        if m.name().to_string().starts_with("2026-12-07-000100") {
            conn.batch_execute(LEGACY_ROWS).unwrap();
        }
        conn.run_migration(&*m).unwrap();
    }
}

#[tokio::test]
async fn the_check_migration_maps_legacy_values_and_loses_no_row() {
    use canopy::domain::notification::NoticeKind;
    use canopy::domain::org::{self, OrgKind, OrgStatus};
    use canopy::domain::project::{self, ProjectStatus};
    use canopy::domain::timesheet::{self, ApprovalMode, PartStatus, SheetStatus};
    use canopy::domain::user::UserStatus;
    use canopy::domain::{assignment, assignment::ProjectRole};
    use diesel::Connection;

    let (url, _store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    match Backend::from_url(&url) {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&url).unwrap();
            conn.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
            migrate_around_checks(&mut conn, SQLITE_MIGRATIONS);
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            migrate_around_checks(&mut conn, POSTGRES_MIGRATIONS);
        }
    }
    let db = canopy::db::Db::connect(&url, 1).unwrap();
    let read = db
        .read(|c| {
            Ok((
                (org::find(c, 1)?, org::find(c, 2)?),
                (user::find(c, 1)?, user::find(c, 2)?),
                project::find(c, 1)?,
                assignment::find(c, 1)?,
                timesheet::find(c, 1)?,
                timesheet::parts_of(c, 1)?,
            ))
        })
        .await
        .unwrap();
    let ((root, odd), (a, b), p, role, sheet, parts) = read;
    assert_eq!(
        (root.kind, root.status),
        (OrgKind::Region, OrgStatus::Archived)
    );
    assert_eq!((odd.kind, odd.status), (OrgKind::Other, OrgStatus::Active));
    assert_eq!(
        (a.status, b.status),
        (UserStatus::Deactivated, UserStatus::Active)
    );
    assert_eq!(p.status, ProjectStatus::Archived);
    assert_eq!(role.role, ProjectRole::Member);
    assert_eq!(sheet.status, SheetStatus::Draft);
    assert_eq!(sheet.approval_mode, Some(ApprovalMode::Project));
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].status, PartStatus::Cancelled);
    assert_eq!(parts[0].minutes, 30);

    // The rebuilt tables keep their foreign keys, and the time entry its
    // month total: the triggers on time_entries were left alone and still
    // follow a change.
    let mut conn = db.conn().unwrap();
    conn.batch_execute(
        "INSERT INTO users (id, org_id, email, email_key, display_name, created_at, updated_at) \
         VALUES (3, 999, 'c@example.com', 'c@example.com', 'C', '2026-01-05 00:00:00', '2026-01-05 00:00:00')",
    )
    .expect_err("a user in an org that does not exist");
    conn.batch_execute("UPDATE time_entries SET minutes = 45 WHERE id = 1")
        .unwrap();
    drop(conn);
    let (totals, kinds) = db
        .read(|c| {
            use canopy::db::schema::{entry_month_totals as t, notifications as n};
            use diesel::prelude::*;
            let totals = t::table
                .select((t::minutes, t::entries))
                .load::<(i64, i64)>(c)?;
            Ok((totals, n::table.select(n::kind).load::<NoticeKind>(c)?))
        })
        .await
        .unwrap();
    assert_eq!(totals, vec![(45, 1)]);
    assert_eq!(kinds, vec![NoticeKind::GrantLost]);
}
