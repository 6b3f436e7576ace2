//! Statuses and kinds are closed sets (`db::text_enum`): the database refuses
//! a value outside them (the CHECK constraints of migrations
//! 2026-12-07-000100, 2026-12-09-000200 and, in `targets`,
//! 2026-12-10-000100), and a stored value outside them that got past anyway
//! (here: with the checks turned off, as in a legacy row or a hand edit) is
//! an error when read, never a default.

use canopy::db::Backend;
use canopy::domain::user;
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::*;

mod targets;

const STAMP: &str = "'2026-01-05 00:00:00'";

/// Runs `sql` past the CHECK constraints named (`(table, constraint)`), as
/// a legacy row or a hand edit would be: SQLite ignores checks meanwhile,
/// PostgreSQL drops them.
fn past_checks(app: &TestApp, checks: &[(&str, &str)], sql: &str) {
    let mut conn = app.db.conn().unwrap();
    conn.batch_execute(&match app.db.backend() {
        Backend::Sqlite => format!(
            "PRAGMA ignore_check_constraints = ON; {sql}; PRAGMA ignore_check_constraints = OFF;"
        ),
        Backend::Postgres => checks
            .iter()
            .map(|(table, check)| format!("ALTER TABLE {table} DROP CONSTRAINT {check}; "))
            .chain([format!("{sql};")])
            .collect(),
    })
    .unwrap();
}

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
    past_checks(&app, &[("users", "users_status_check")], &legacy);

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

/// Runs every migration up to the one named `before`, inserts `rows`, then
/// the rest; the first migration that fails stops it, with its error.
fn migrate_around<C, DB>(
    conn: &mut C,
    source: diesel_migrations::EmbeddedMigrations,
    before: &str,
    rows: &str,
) -> Result<(), String>
where
    DB: diesel::backend::Backend,
    C: diesel_migrations::MigrationHarness<DB> + SimpleConnection,
{
    for m in conn.pending_migrations(source).unwrap() {
        if m.name().to_string().starts_with(before) {
            conn.batch_execute(rows).unwrap();
        }
        conn.run_migration(&*m).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A fresh database migrated around `before` (see `migrate_around`), and its URL.
async fn migrated_around(
    before: &'static str,
    rows: &'static str,
) -> (String, TestDatabase, Result<(), String>) {
    use diesel::Connection;
    tokio::task::spawn_blocking(move || {
        let (url, store) = fresh_database();
        let done = match Backend::from_url(&url) {
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&url).unwrap();
                conn.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
                migrate_around(&mut conn, SQLITE_MIGRATIONS, before, rows)
            }
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                migrate_around(&mut conn, POSTGRES_MIGRATIONS, before, rows)
            }
        };
        (url, store, done)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_check_migration_maps_legacy_values_and_loses_no_row() {
    use canopy::domain::notification::NoticeKind;
    use canopy::domain::org::{self, OrgKind, OrgStatus};
    use canopy::domain::project::{self, ProjectStatus};
    use canopy::domain::timesheet::{self, ApprovalMode, PartStatus, SheetStatus};
    use canopy::domain::user::UserStatus;
    use canopy::domain::{assignment, assignment::ProjectRole};

    let (url, _store, done) = migrated_around("2026-12-07-000100", LEGACY_ROWS).await;
    done.unwrap();
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

/// A draft week of `user` with one history line of `change` (SQL, so a test
/// can write what the app never would).
fn sheet_with_history(user: i64, change: &str) -> String {
    format!(
        "INSERT INTO timesheets (user_id, week_start, status, created_at, updated_at) \
         VALUES ({user}, '2026-01-05', 'draft', {STAMP}, {STAMP}); \
         INSERT INTO timesheet_history (timesheet_id, at, change) \
         SELECT id, {STAMP}, '{change}' FROM timesheets WHERE user_id = {user};"
    )
}

#[tokio::test]
async fn the_database_refuses_a_scope_via_or_history_change_outside_its_set() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let mut conn = app.db.conn().unwrap();
    for (sql, constraint) in [
        (
            format!("INSERT INTO authz_changes (epoch, scope, at) VALUES (99, 'planet', {STAMP})"),
            "authz_changes_scope_check",
        ),
        (
            format!(
                "INSERT INTO audit_log (at, via, action, target_type) \
                 VALUES ({STAMP}, 'web', 'user.created', 'user')"
            ),
            "audit_log_via_check",
        ),
        (
            sheet_with_history(admin.id, "edited"),
            "timesheet_history_change_check",
        ),
    ] {
        let err = conn.batch_execute(&sql).expect_err(&sql);
        assert!(err.to_string().contains(constraint), "{sql}: {err}");
    }
    // The same writes with a value inside the set pass (the week of the
    // refused line stays on SQLite and went with it on PostgreSQL: made again).
    conn.batch_execute(&format!(
        "INSERT INTO authz_changes (epoch, scope, at) VALUES (99, 'tree', {STAMP}); \
         INSERT INTO audit_log (at, via, action, target_type) \
         VALUES ({STAMP}, 'token', 'user.created', 'user');"
    ))
    .unwrap();
    conn.batch_execute(&format!(
        "DELETE FROM timesheets WHERE user_id = {id}; {}",
        sheet_with_history(admin.id, "team part"),
        id = admin.id
    ))
    .unwrap();
}

#[tokio::test]
async fn a_stored_scope_via_or_history_change_outside_its_set_is_an_error() {
    use canopy::authz::epoch;
    use canopy::db::schema::audit_log;
    use canopy::domain::audit;
    use canopy::domain::timesheet;
    use diesel::prelude::*;

    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let id = admin.id;
    let legacy = format!(
        "INSERT INTO audit_log (at, via, action, target_type) \
         VALUES ({STAMP}, 'web', 'user.created', 'user'); {}",
        sheet_with_history(id, "edited")
    );
    let checks = [
        ("audit_log", "audit_log_via_check"),
        ("timesheet_history", "timesheet_history_change_check"),
    ];
    past_checks(&app, &checks, &legacy);

    // Read directly: internal errors, not a default.
    let (entries, week) = app
        .db
        .read(move |c| {
            let entries = audit_log::table
                .select(audit::Entry::as_select())
                .load::<audit::Entry>(c)
                .map_err(canopy::Error::from);
            let owner = user::find(c, id)?;
            let week = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
            Ok((entries, timesheet::load_week(c, &owner, week)))
        })
        .await
        .unwrap();
    assert!(entries.unwrap_err().is_internal());
    assert!(week.unwrap_err().is_internal());

    // Read by pages: the server's fault (500), not a sentence or a line made up.
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let audit = app.get("/audit").await;
    assert_eq!(audit.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let sheet = app.get(&format!("/timesheets/{id}/2026-01-05")).await;
    assert_eq!(sheet.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // An unknown scope in the change log: the resolver's store does not take
    // it for a rebuild, it fails.
    let bad_scope = format!(
        "UPDATE app_state SET authz_epoch = authz_epoch + 1 WHERE id = 1; \
         INSERT INTO authz_changes (epoch, scope, at) \
         SELECT authz_epoch, 'planet', {STAMP} FROM app_state WHERE id = 1"
    );
    let checks = [("authz_changes", "authz_changes_scope_check")];
    past_checks(&app, &checks, &bad_scope);
    let err = app
        .db
        .read(|c| {
            let now = epoch::authz(c)?;
            epoch::changes_since(c, now - 1)
        })
        .await
        .unwrap_err();
    assert!(err.is_internal(), "{err:?}");
}

/// Rows the kind migration must keep, with values it must map (inserted just
/// before it runs): oddly written scopes, vias and changes, and a scope it
/// does not know (read as "rebuild everything" before, `tree` after).
const LEGACY_KIND_ROWS: &str = "
INSERT INTO orgs (id, parent_id, name, name_key, code, code_key, kind, status, created_at, updated_at)
  VALUES (1, NULL, 'Root', 'root', 'ROOT', 'root', 'region', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO users (id, org_id, email, email_key, display_name, status, created_at, updated_at)
  VALUES (1, 1, 'a@example.com', 'a@example.com', 'A', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO timesheets (id, user_id, week_start, status, created_at, updated_at)
  VALUES (1, 1, '2026-01-05', 'draft', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO timesheet_history (id, timesheet_id, actor_id, at, change, old_value, new_value)
  VALUES (1, 1, 1, '2026-01-05 00:00:00', 'Team Part ', 'pending', 'approved'),
         (2, 1, 1, '2026-01-06 00:00:00', 'withdrawn', 'submitted', 'draft');
INSERT INTO authz_changes (id, epoch, scope, user_id, at)
  VALUES (1, 1, ' User', 1, '2026-01-05 00:00:00'),
         (2, 2, 'org', NULL, '2026-01-05 00:00:00');
INSERT INTO audit_log (id, at, actor_user_id, via, action, target_type, target_id)
  VALUES (1, '2026-01-05 00:00:00', 1, 'SESSION', 'user.created', 'user', 1),
         (2, '2026-01-05 00:00:00', NULL, 'cli', 'org.created', 'org', 1);
";

#[tokio::test]
async fn the_kind_migration_maps_legacy_values_and_loses_no_row() {
    use canopy::authz::epoch::Scope;
    use canopy::db::schema::{audit_log as a, authz_changes as z, timesheet_history as h};
    use canopy::domain::audit::Via;
    use canopy::domain::timesheet::HistoryChange;
    use diesel::prelude::*;

    let (url, _store, done) = migrated_around("2026-12-09-000200", LEGACY_KIND_ROWS).await;
    done.unwrap();
    let db = canopy::db::Db::connect(&url, 1).unwrap();
    let (scopes, vias, changes) = db
        .read(|c| {
            Ok((
                z::table
                    .order(z::id)
                    .select((z::epoch, z::scope, z::user_id))
                    .load::<(i64, Scope, Option<i64>)>(c)?,
                a::table
                    .order(a::id)
                    .select((a::id, a::via, a::action))
                    .load::<(i64, Via, String)>(c)?,
                h::table
                    .order(h::id)
                    .select((h::id, h::change, h::new_value))
                    .load::<(i64, HistoryChange, Option<String>)>(c)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        scopes,
        vec![(1, Scope::User, Some(1)), (2, Scope::Tree, None)]
    );
    assert_eq!(
        vias,
        vec![
            (1, Via::Session, "user.created".to_string()),
            (2, Via::Cli, "org.created".to_string())
        ]
    );
    assert_eq!(
        changes,
        vec![
            (1, HistoryChange::TeamPart, Some("approved".to_string())),
            (2, HistoryChange::Withdrawn, Some("draft".to_string()))
        ]
    );
    // The rebuilt history keeps its foreign key to the sheets.
    let mut conn = db.conn().unwrap();
    conn.batch_execute(
        "INSERT INTO timesheet_history (timesheet_id, at, change) \
         VALUES (999, '2026-01-05 00:00:00', 'entry')",
    )
    .expect_err("a history line of a sheet that does not exist");
}

#[tokio::test]
async fn the_kind_migration_fails_loudly_on_a_via_or_change_it_cannot_know() {
    for rows in [
        "INSERT INTO audit_log (at, via, action, target_type) \
         VALUES ('2026-01-05 00:00:00', 'web', 'user.created', 'user');",
        "INSERT INTO orgs (id, parent_id, name, name_key, code, code_key, kind, status, created_at, updated_at) \
           VALUES (1, NULL, 'Root', 'root', 'ROOT', 'root', 'region', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00'); \
         INSERT INTO users (id, org_id, email, email_key, display_name, status, created_at, updated_at) \
           VALUES (1, 1, 'a@example.com', 'a@example.com', 'A', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00'); \
         INSERT INTO timesheets (id, user_id, week_start, status, created_at, updated_at) \
           VALUES (1, 1, '2026-01-05', 'draft', '2026-01-05 00:00:00', '2026-01-05 00:00:00'); \
         INSERT INTO timesheet_history (timesheet_id, at, change) \
           VALUES (1, '2026-01-05 00:00:00', 'edited');",
    ] {
        let (_url, _store, done) = migrated_around("2026-12-09-000200", rows).await;
        let err = done.expect_err(rows);
        assert!(err.contains("_check"), "{rows}: {err}");
    }
}
