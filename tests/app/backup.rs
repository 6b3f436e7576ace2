//! `canopy backup`, `restore` and `copy` (issue 15, points 3 and 4): a
//! backup taken under write load restores into a fresh database with the same
//! rows; a database with data, a damaged dump and a dump from the future are
//! refused; a copy moves an installation SQLite → PostgreSQL → SQLite keeping
//! ids, the audit log and (on PostgreSQL) sequences that hand out new ids.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use canopy::db::Db;
use canopy::db::transfer::{self, Sum};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

fn canopy(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canopy"))
        .args(args)
        .env("CANOPY_DATABASE_URL", database_url)
        .env("CANOPY_BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .output()
        .expect("canopy runs")
}

async fn run(database_url: &str, args: &[&str]) -> Output {
    let (url, args): (String, Vec<String>) = (
        database_url.into(),
        args.iter().map(|a| a.to_string()).collect(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        canopy(&url, &args)
    })
    .await
    .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn succeeded(out: &Output) -> String {
    assert!(out.status.success(), "{}{}", stdout(out), stderr(out));
    stdout(out)
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or_default()
}

async fn sums(url: &str) -> Vec<(String, Sum)> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let db = Db::connect_waiting(&url, 2, canopy::db::COMMAND_POOL_WAIT).unwrap();
        transfer::sums(&db).unwrap()
    })
    .await
    .unwrap()
}

fn rows_of(sums: &[(String, Sum)], table: &str) -> u64 {
    sums.iter().find(|(t, _)| t == table).unwrap().1.rows
}

/// Each table's count and checksum as the dump records them.
fn recorded(dump: &Path) -> Vec<(String, Sum)> {
    std::fs::read_to_string(dump)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let name = v.get("end")?.as_str()?.to_string();
            let rows = v["rows"].as_u64()?;
            let checksum = Sum::parse_hex(v["checksum"].as_str()?)?;
            Some((name, Sum { rows, checksum }))
        })
        .collect()
}

/// The demo's small set, a logo (binary, with a NUL and high bytes) and the
/// owner's token: every kind of column holds something.
async fn filled() -> (TestApp, String) {
    let (app, _ada, token) = spawn_with_owner().await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use canopy::domain::demo;
        let hash = canopy::domain::password::hash(demo::PASSWORD, 4).unwrap();
        demo::generate(
            &db,
            demo::Size::Small,
            &hash,
            canopy::db::now().date(),
            &|_| {},
        )
        .unwrap();
        db.write_sync(|conn| {
            use canopy::db::schema::{org_logos, orgs};
            use diesel::prelude::*;
            let root: i64 = orgs::table
                .filter(orgs::parent_id.is_null())
                .select(orgs::id)
                .first(conn)?;
            diesel::insert_into(org_logos::table)
                .values((
                    org_logos::org_id.eq(root),
                    org_logos::content_type.eq("image/png"),
                    org_logos::hash.eq("abc"),
                    org_logos::bytes.eq(vec![0u8, 1, 0x89, 0xff, 0x50]),
                    org_logos::updated_at.eq(canopy::db::now()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
    })
    .await
    .unwrap();
    (app, token)
}

#[tokio::test]
async fn a_backup_under_write_load_restores_into_a_fresh_database_with_the_same_rows() {
    let (app, token) = filled().await;
    let root = app.root_id().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("canopy.dump");

    // Orgs created through HTTP, one after another, all through the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, made) = (stop.clone(), made.clone());
        let (client, url) = (new_client(), app.url("/api/v1/orgs"));
        let token = token.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let n = made.load(Ordering::SeqCst);
                let body = json!({"parent_id": root, "name": format!("Load {n}"), "code": format!("LOAD-{n}")});
                let answer = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                assert_eq!(answer.unwrap().status(), StatusCode::CREATED);
                made.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while made.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = made.load(Ordering::SeqCst);
    let out = run(
        &app.database_url,
        &["backup", "--to", file.to_str().unwrap()],
    )
    .await;
    let after = made.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let text = succeeded(&out);
    assert!(last_line(&text).starts_with("Backed up "), "{text}");
    assert!(text.contains("orgs ") && text.contains(" ok"), "{text}");
    assert!(after > before, "orgs were created while the backup ran");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the dump is its owner's alone");
    }
    assert!(!dir.path().join("canopy.dump.partial").exists());

    // Into a new database: the same counts and checksums the dump records.
    let (fresh, _store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    let out = run(&fresh, &["restore", "--from", file.to_str().unwrap()]).await;
    let text = succeeded(&out);
    assert!(last_line(&text).starts_with("Restored "), "{text}");
    let dumped = recorded(&file);
    let restored = sums(&fresh).await;
    assert_eq!(restored, dumped);
    assert!(rows_of(&restored, "time_entries") > 0 && rows_of(&restored, "audit_log") > 0);
    // One moment: every org the snapshot holds has its own closure row.
    let closure_self: i64 = {
        let url = fresh.clone();
        tokio::task::spawn_blocking(move || {
            let db = Db::connect(&url, 1).unwrap();
            db.read_sync(|conn| {
                transfer::catalog::count_sql(
                    conn,
                    "SELECT COUNT(*) AS n FROM org_closure WHERE depth = 0",
                )
            })
            .unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(closure_self as u64, rows_of(&restored, "orgs"));

    // The restored installation answers as the original did.
    let copy = start(&fresh, &[]).await;
    let copy_browser = Browser {
        address: format!("http://127.0.0.1:{}", copy.port),
        client: new_client(),
    };
    for path in ["/api/v1/me".to_string(), format!("/api/v1/orgs/{root}")] {
        let ask = |b: &Browser| b.client.get(b.url(&path)).bearer_auth(&token).send();
        let (a, b) = (
            ask(&app.browser).await.unwrap(),
            ask(&copy_browser).await.unwrap(),
        );
        assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
        let (a, b): (serde_json::Value, serde_json::Value) =
            (a.json().await.unwrap(), b.json().await.unwrap());
        if path.ends_with("/me") {
            assert_eq!(a, b);
        } else {
            assert_eq!(
                (&a["name"], &a["code"], &a["id"]),
                (&b["name"], &b["code"], &b["id"])
            );
        }
    }
}

#[tokio::test]
async fn restore_into_a_database_with_data_is_refused_and_changes_nothing() {
    let (app, _token) = filled().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.dump");
    succeeded(
        &run(
            &app.database_url,
            &["backup", "--to", file.to_str().unwrap()],
        )
        .await,
    );
    let before = sums(&app.database_url).await;

    let out = run(
        &app.database_url,
        &["restore", "--from", file.to_str().unwrap()],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds data"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("orgs: "), "{}", stderr(&out));
    assert_eq!(sums(&app.database_url).await, before);

    // Nor is a database of an older schema with data migrated before the refusal.
    let (old, _old_store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    let older = |url: String| async move {
        tokio::task::spawn_blocking(move || {
            let db = Db::connect_waiting(&url, 3, canopy::db::COMMAND_POOL_WAIT).unwrap();
            db.migrate_up_to("20261209000100").unwrap();
            db.write_sync(|conn| canopy::domain::org::ensure_root(conn, "Old Root"))
                .unwrap();
            db.read_sync(transfer::catalog::schema_version).unwrap()
        })
        .await
        .unwrap()
    };
    let version = older(old.clone()).await;
    let out = run(&old, &["restore", "--from", file.to_str().unwrap()]).await;
    assert!(stderr(&out).contains("orgs: 1"), "{}", stderr(&out));
    let url = old.clone();
    let after = tokio::task::spawn_blocking(move || {
        let db = Db::connect(&url, 1).unwrap();
        db.read_sync(transfer::catalog::schema_version).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(after, version, "left at its own schema");

    // A second backup to the same name is refused: backups are never overwritten.
    let out = run(
        &app.database_url,
        &["backup", "--to", file.to_str().unwrap()],
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_damaged_truncated_or_future_dump_is_refused_and_the_database_stays_empty() {
    let (app, _ada, _token) = spawn_with_owner().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("good.dump");
    succeeded(
        &run(
            &app.database_url,
            &["backup", "--to", file.to_str().unwrap()],
        )
        .await,
    );
    let good = std::fs::read_to_string(&file).unwrap();
    let variant = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cut = good.len() * 2 / 3;
    let truncated = variant("truncated.dump", good[..cut].to_string());
    let whole_lines: String = good
        .lines()
        .take(good.lines().count() - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    let no_end = variant("no-end.dump", whole_lines);
    let changed = variant(
        "changed.dump",
        good.replacen(ADMIN_EMAIL, "eve@example.com", 1),
    );
    let future_format = variant(
        "future.dump",
        good.replacen("\"version\":1", "\"version\":99", 1),
    );
    let future_schema = {
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        header["schema"] = json!("99991231000000");
        lines[0] = header.to_string();
        variant("schema.dump", lines.join("\n") + "\n")
    };
    let not_a_dump = variant("notes.txt", "hello\n".into());

    let (fresh, _store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    for (path, says) in [
        (&truncated, "truncated"),
        (&no_end, "truncated"),
        (&changed, "damaged"),
        (&future_format, "format version 99"),
        (&future_schema, "newer than this Canopy knows"),
        (&not_a_dump, "not a Canopy dump"),
    ] {
        let out = run(&fresh, &["restore", "--from", path.to_str().unwrap()]).await;
        assert!(!out.status.success(), "{}", path.display());
        assert!(
            stderr(&out).contains(says),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
    }
    // Nothing of them was kept: the good dump still restores.
    let out = run(&fresh, &["restore", "--from", file.to_str().unwrap()]).await;
    succeeded(&out);
    assert_eq!(sums(&fresh).await, recorded(&file));
}

/// A PostgreSQL database of the test's own, dropped after it (PostgreSQL is
/// at hand even when the suite runs on SQLite).
fn scratch_postgres() -> (String, TestDatabase) {
    let admin_url = std::env::var("CANOPY_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!(
        "canopy_test_{}",
        canopy::domain::secrets::random_token(16).to_lowercase()
    );
    let mut conn = diesel::PgConnection::establish(&admin_url)
        .unwrap_or_else(|e| panic!("the copy test needs PostgreSQL at {admin_url}: {e}"));
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap()
        .to_string();
    (
        format!("{base}/{name}"),
        TestDatabase::Postgres { admin_url, name },
    )
}

/// A new org's id through the API of an app started on `url`.
async fn new_org_id(url: &str, token: &str, parent: i64) -> i64 {
    let app = start(url, &[]).await;
    let client = new_client();
    let answer = client
        .post(format!("http://127.0.0.1:{}/api/v1/orgs", app.port))
        .bearer_auth(token)
        .json(&json!({"parent_id": parent, "name": "After the move", "code": "AFTER-MOVE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    answer.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn copy_moves_an_installation_to_postgres_and_back_keeping_ids() {
    let (app, token) = filled().await;
    let root = app.root_id().await;
    let source = sums(&app.database_url).await;
    let max_org: i64 = app
        .db
        .read(|conn| transfer::catalog::count_sql(conn, "SELECT MAX(id) AS n FROM orgs"))
        .await
        .unwrap();

    let (pg, _pg_store) = tokio::task::spawn_blocking(scratch_postgres).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("moved.db").to_string_lossy().into_owned();

    let out = run(&app.database_url, &["copy", "--to", &pg]).await;
    let text = succeeded(&out);
    assert!(last_line(&text).starts_with("Copied "), "{text}");
    assert!(last_line(&text).contains("to PostgreSQL"), "{text}");
    assert!(
        text.contains("audit_log") && text.contains("org_logos"),
        "{text}"
    );
    let out = run(&pg, &["copy", "--to", &sqlite]).await;
    let text = succeeded(&out);
    assert!(
        last_line(&text).contains("from PostgreSQL to SQLite"),
        "{text}"
    );

    assert_eq!(sums(&pg).await, source);
    assert_eq!(sums(&sqlite).await, source);

    // Copying again into the filled target is refused.
    let out = run(&app.database_url, &["copy", "--to", &pg]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds data"),
        "{}",
        stderr(&out)
    );

    // The same ids, and new rows get new ones on both backends.
    for url in [&pg, &sqlite] {
        let id = new_org_id(url, &token, root).await;
        assert_eq!(id, max_org + 1, "{url}");
    }

    // An id PostgreSQL handed out and whose row is gone (the audit log still
    // names it) is never handed out again after a copy.
    let gone = max_org + 1;
    let mut conn = diesel::PgConnection::establish(&pg).unwrap();
    conn.batch_execute(&format!(
        "DELETE FROM org_closure WHERE descendant_id = {gone}; DELETE FROM orgs WHERE id = {gone}"
    ))
    .unwrap();
    drop(conn);
    let (pg2, _pg2_store) = tokio::task::spawn_blocking(scratch_postgres).await.unwrap();
    succeeded(&run(&pg, &["copy", "--to", &pg2]).await);
    assert_eq!(sums(&pg2).await, sums(&pg).await);
    assert_eq!(new_org_id(&pg2, &token, root).await, gone + 1);
}

#[tokio::test]
async fn a_dump_from_an_older_schema_restores_and_is_migrated_up() {
    // The job leases' migration; a later one (missing weeks) seeds a third lease.
    const OLDER: &str = "20261209000100";
    let (old, _old_store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    let url = old.clone();
    tokio::task::spawn_blocking(move || {
        let db = Db::connect_waiting(&url, 3, canopy::db::COMMAND_POOL_WAIT).unwrap();
        db.migrate_up_to(OLDER).unwrap();
        db.write_sync(|conn| canopy::domain::org::ensure_root(conn, "Old Root"))
            .unwrap();
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.dump");
    succeeded(&run(&old, &["backup", "--to", file.to_str().unwrap()]).await);
    let header = std::fs::read_to_string(&file).unwrap();
    assert!(header.lines().next().unwrap().contains(OLDER));

    let (fresh, _store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    succeeded(&run(&fresh, &["restore", "--from", file.to_str().unwrap()]).await);
    let url = fresh.clone();
    let (schema, latest, root, leases) = tokio::task::spawn_blocking(move || {
        let db = Db::connect_waiting(&url, 2, canopy::db::COMMAND_POOL_WAIT).unwrap();
        db.read_sync(|conn| {
            Ok((
                transfer::catalog::schema_version(conn)?.unwrap(),
                db.latest_schema()?,
                canopy::domain::org::find_root(conn)?.unwrap().name,
                transfer::catalog::count(conn, "job_leases")?,
            ))
        })
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(schema, latest, "the restored database is migrated up");
    assert_eq!(root, "Old Root");
    assert_eq!(leases, 3);
}
