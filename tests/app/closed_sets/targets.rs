//! The last three closed sets (migration 2026-12-10-000100): what an audit
//! entry is about (`audit::Target`), a logo's image type
//! (`logo::ImageType`), a built-in role's key (`authz::BuiltinRole`).

use super::*;

#[tokio::test]
async fn the_database_refuses_a_target_type_image_type_or_role_key_outside_its_set() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let root = app.root_id().await;
    let mut conn = app.db.conn().unwrap();
    let entry = |target: &str| {
        format!(
            "INSERT INTO audit_log (at, via, action, target_type) \
             VALUES ({STAMP}, 'cli', 'user.created', '{target}')"
        )
    };
    let logo = |kind: &str| {
        format!(
            "INSERT INTO org_logos (org_id, content_type, hash, bytes, updated_at) \
             VALUES ({root}, '{kind}', '0123456789abcdef', 'GIF89a', {STAMP})"
        )
    };
    let key = |key: &str| format!("UPDATE roles SET builtin_key = '{key}' WHERE name = 'Viewer'");
    for (sql, constraint) in [
        (entry("person"), "audit_log_target_type_check"),
        (logo("image/svg+xml"), "org_logos_content_type_check"),
        (key("Viewer"), "roles_builtin_key_check"),
    ] {
        let err = conn.batch_execute(&sql).expect_err(&sql);
        assert!(err.to_string().contains(constraint), "{sql}: {err}");
    }
    // The same writes with a value inside the set pass; a custom role has no key.
    for sql in [
        entry("api_token"),
        logo("image/gif"),
        key("viewer"),
        "UPDATE roles SET builtin_key = NULL WHERE name = 'Viewer'".into(),
    ] {
        conn.batch_execute(&sql).expect(&sql);
    }
}

#[tokio::test]
async fn a_stored_target_type_image_type_or_role_key_outside_its_set_is_an_error() {
    use canopy::db::schema::{audit_log, roles};
    use canopy::domain::{audit, role};
    use diesel::prelude::*;

    let (app, _, token) = spawn_with_owner().await;
    let root = app.root_id().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _) = app.get_json(&token, "/audit?target_type=api_token").await;
    assert_eq!(status, StatusCode::OK);
    // Asked for, a target type outside the set is a field message.
    let (status, body) = app.get_json(&token, "/audit?target_type=person").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["target_type"].is_string(), "{body}");
    // A logo served as what it is, then stored as SVG past the check.
    let gif = "GIF89a-logo";
    let mut conn = app.db.conn().unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO org_logos (org_id, content_type, hash, bytes, updated_at) \
         VALUES ({root}, 'image/gif', '0123456789abcdef', '{gif}', {STAMP})"
    ))
    .unwrap();
    drop(conn);
    let logo = format!("/brand/logo/{root}-0123456789abcdef");
    let served = app.get(&logo).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/gif");
    let viewer = app.role_id(&token, "Viewer").await;
    past_checks(
        &app,
        &[
            ("audit_log", "audit_log_target_type_check"),
            ("org_logos", "org_logos_content_type_check"),
            ("roles", "roles_builtin_key_check"),
        ],
        &format!(
            "INSERT INTO audit_log (at, via, action, target_type) \
             VALUES ({STAMP}, 'cli', 'user.created', 'person'); \
             UPDATE org_logos SET content_type = 'image/svg+xml'; \
             UPDATE roles SET builtin_key = 'admin' WHERE id = {viewer}"
        ),
    );

    // Read directly: internal errors, not a default.
    let (entries, found) = app
        .db
        .read(move |c| {
            let entries = audit_log::table
                .select(audit::Entry::as_select())
                .load::<audit::Entry>(c)
                .map_err(canopy::Error::from);
            Ok((entries, role::find(c, viewer)))
        })
        .await
        .unwrap();
    assert!(entries.unwrap_err().is_internal());
    assert!(found.unwrap_err().is_internal());
    let keys = app
        .db
        .read(|c| {
            Ok(roles::table
                .select(roles::builtin_key)
                .load::<Option<String>>(c)?)
        })
        .await
        .unwrap();
    assert!(keys.contains(&Some("admin".into())), "{keys:?}");

    // Read by the API and pages: the server's fault (500); the logo is never
    // served as the SVG it now claims to be.
    let (status, _) = app.get_json(&token, "/audit").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let served = app.get(&logo).await;
    assert_eq!(served.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!served.text().await.unwrap().contains("GIF89a"));
    let (status, _) = app.get_json(&token, format!("/roles?org_id={root}")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// Rows the 2026-12-10-000100 migration must keep, with values it must map:
/// a target type and a role key written oddly, logos whose stored type is
/// not one of the four but whose bytes are (ASCII magic, so one literal
/// serves both backends).
const LEGACY_TARGET_ROWS: &str = "
INSERT INTO orgs (id, parent_id, name, name_key, code, code_key, kind, status, created_at, updated_at)
  VALUES (1, NULL, 'Root', 'root', 'ROOT', 'root', 'region', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00'),
         (2, 1, 'Acme', 'acme', 'ACME', 'acme', 'customer', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO users (id, org_id, email, email_key, display_name, status, created_at, updated_at)
  VALUES (1, 2, 'a@example.com', 'a@example.com', 'A', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
INSERT INTO audit_log (id, at, via, action, target_type, target_id)
  VALUES (1, '2026-01-05 00:00:00', 'cli', 'org.created', ' Org', 1),
         (2, '2026-01-05 00:00:00', 'cli', 'token.created', 'api_token', 7);
INSERT INTO org_logos (org_id, content_type, hash, bytes, updated_at)
  VALUES (1, 'IMAGE/GIF', '0123456789abcdef', 'GIF87a-rest', '2026-01-05 00:00:00'),
         (2, 'application/octet-stream', 'fedcba9876543210', 'RIFF0000WEBPVP8 ', '2026-01-05 00:00:00');
INSERT INTO roles (id, org_id, builtin_key, name, name_key, permissions, created_at, updated_at)
  VALUES (1, NULL, ' Owner', 'Owner', 'owner', 'org.view', '2026-01-05 00:00:00', '2026-01-05 00:00:00'),
         (2, 2, NULL, 'Clerk', 'clerk', 'org.view', '2026-01-05 00:00:00', '2026-01-05 00:00:00');
";

#[tokio::test]
async fn the_target_migration_maps_legacy_values_and_loses_no_row() {
    use canopy::authz::BuiltinRole;
    use canopy::db::schema::{audit_log as a, org_logos as l};
    use canopy::domain::audit::Target;
    use canopy::domain::logo::ImageType;
    use canopy::domain::role;
    use diesel::prelude::*;

    let (url, _store, done) = migrated_around("2026-12-10-000100", LEGACY_TARGET_ROWS).await;
    done.unwrap();
    let db = canopy::db::Db::connect(&url, 1).unwrap();
    let (targets, logos, roles) = db
        .read(|c| {
            Ok((
                a::table
                    .order(a::id)
                    .select((a::target_type, a::target_id))
                    .load::<(Target, Option<i64>)>(c)?,
                l::table
                    .order(l::org_id)
                    .select((l::content_type, l::bytes))
                    .load::<(ImageType, Vec<u8>)>(c)?,
                (role::find(c, 1)?.builtin_key, role::find(c, 2)?.builtin_key),
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        targets,
        vec![(Target::Org, Some(1)), (Target::ApiToken, Some(7))]
    );
    assert_eq!(
        logos,
        vec![
            (ImageType::Gif, b"GIF87a-rest".to_vec()),
            (ImageType::Webp, b"RIFF0000WEBPVP8 ".to_vec())
        ]
    );
    assert_eq!(roles, (Some(BuiltinRole::Owner), None));
    // The rebuilt tables keep their foreign keys, and grants still point
    // into the rebuilt roles: each write below fails for its missing row
    // alone (the same with an existing one passes).
    let mut conn = db.conn().unwrap();
    let writes = |missing: &str| {
        [
            format!(
                "INSERT INTO org_logos (org_id, content_type, hash, bytes, updated_at) \
                 VALUES ({missing}, 'image/gif', 'x', 'GIF89a', {STAMP})"
            ),
            format!(
                "INSERT INTO roles (id, org_id, name, name_key, permissions, created_at, updated_at) \
                 VALUES (3, {missing}, 'Lost', 'lost', 'org.view', {STAMP}, {STAMP})"
            ),
            format!(
                "INSERT INTO grants (role_id, user_id, org_id, created_at) \
                 VALUES ({missing}, 1, 2, {STAMP})"
            ),
        ]
    };
    for sql in writes("999") {
        conn.batch_execute(&sql).expect_err(&sql);
    }
    conn.batch_execute("DELETE FROM org_logos WHERE org_id = 2")
        .unwrap();
    for sql in writes("2") {
        conn.batch_execute(&sql).expect(&sql);
    }
}

#[tokio::test]
async fn the_target_migration_fails_loudly_on_what_it_cannot_know() {
    for rows in [
        "INSERT INTO audit_log (at, via, action, target_type) \
         VALUES ('2026-01-05 00:00:00', 'cli', 'user.created', 'person');",
        "INSERT INTO roles (org_id, builtin_key, name, name_key, permissions, created_at, updated_at) \
         VALUES (NULL, 'admin', 'Admin', 'admin', 'org.view', '2026-01-05 00:00:00', '2026-01-05 00:00:00');",
        "INSERT INTO orgs (id, parent_id, name, name_key, code, code_key, kind, status, created_at, updated_at) \
           VALUES (1, NULL, 'Root', 'root', 'ROOT', 'root', 'region', 'active', '2026-01-05 00:00:00', '2026-01-05 00:00:00'); \
         INSERT INTO org_logos (org_id, content_type, hash, bytes, updated_at) \
           VALUES (1, 'text/plain', '0123456789abcdef', 'hello', '2026-01-05 00:00:00');",
    ] {
        let (_url, _store, done) = migrated_around("2026-12-10-000100", rows).await;
        let err = done.expect_err(rows);
        assert!(err.contains("_check"), "{rows}: {err}");
    }
}
