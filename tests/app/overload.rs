//! Issue 12, point 3: no 500 under load. When every pooled connection is
//! taken (or SQLite stays locked past its busy timeout) a request waits a
//! bounded time and answers 503 with `Retry-After`: a JSON error under
//! `/api`, the normal error page elsewhere.
//!
//! The tests hold the database's write lock from a connection of their own, so
//! that sign-ins (which write) hang on it. On PostgreSQL each waiting writer
//! holds one of the app's two pooled connections, so pages and API calls then
//! find none free. On SQLite every write of the process runs on its one
//! writing connection (`db::Db`): the writers queue there and answer 503,
//! while pages and API calls, which only read, go on answering.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use reqwest::{Method, StatusCode, header};

use crate::helpers::*;

/// A connection that holds the lock sign-ins need until it is dropped.
enum Blocker {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

fn block(url: &str) -> Blocker {
    if url.starts_with("postgres") {
        let mut c = diesel::PgConnection::establish(url).unwrap();
        // Sign-in writes its audit entry: that insert waits on this lock.
        // (Plain reads of the table still go through.)
        c.batch_execute("BEGIN; LOCK TABLE audit_log, sessions IN EXCLUSIVE MODE;")
            .unwrap();
        Blocker::Postgres(c)
    } else {
        let mut c = diesel::SqliteConnection::establish(url).unwrap();
        c.batch_execute("BEGIN IMMEDIATE;").unwrap();
        Blocker::Sqlite(c)
    }
}

fn release(blocker: Blocker) {
    match blocker {
        Blocker::Sqlite(mut c) => c.batch_execute("ROLLBACK").unwrap(),
        Blocker::Postgres(mut c) => c.batch_execute("ROLLBACK").unwrap(),
    }
}

fn retry_after(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// An app with a pool of two, its admin signed in on the app's browser and
/// an API token already used once (its first use writes down when).
async fn small_app() -> (TestApp, String) {
    let app = spawn_app_with(&[("CANOPY_POOL_SIZE", "2")]).await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "").await;
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/orgs").await.status(), StatusCode::OK);
    let used = app.api(Method::GET, "/orgs", &token).send().await.unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    (app, token)
}

/// Two sign-ins (writers) started while another connection holds the lock.
async fn writers_on_lock(
    app: &TestApp,
) -> (Blocker, Vec<tokio::task::JoinHandle<reqwest::Response>>) {
    // Browsers ready to sign in (their CSRF tokens read before the lock).
    let mut signing_in = Vec::new();
    for _ in 0..2 {
        let b = app.new_browser();
        let csrf = b.csrf_token().await;
        signing_in.push((b, csrf));
    }
    let url = app.database_url.clone();
    let blocker = tokio::task::spawn_blocking(move || block(&url))
        .await
        .unwrap();
    let writers = signing_in
        .into_iter()
        .map(|(b, csrf)| {
            tokio::spawn(async move {
                b.post_form(
                    "/sign-in",
                    &[
                        ("email", ADMIN_EMAIL),
                        ("password", ADMIN_PASSWORD),
                        ("csrf_token", &csrf),
                    ],
                )
                .await
            })
        })
        .collect();
    // Give the writers a moment to reach the lock (nothing below depends on
    // them having got there first).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    (blocker, writers)
}

#[tokio::test]
async fn on_sqlite_writers_held_up_answer_503_and_readers_go_on() {
    let (app, token) = small_app().await;
    if app.database_url.starts_with("postgres") {
        return; // PostgreSQL: the test below
    }
    let (blocker, writers) = writers_on_lock(&app).await;
    // Reads do not wait for the writers: pages and the API answer at once.
    let (page, api) = tokio::join!(
        app.get("/orgs"),
        app.api(Method::GET, "/orgs", &token).send()
    );
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(api.unwrap().status(), StatusCode::OK);
    // The first writer gives up after SQLite's busy timeout, the one queued
    // behind it after the writer's bounded wait: 503 with Retry-After, the
    // "too busy" page, never 500.
    for writer in writers {
        let response = writer.await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry_after(&response).as_deref(), Some("2"));
        assert!(response.text().await.unwrap().contains("too busy"));
    }
    tokio::task::spawn_blocking(move || release(blocker))
        .await
        .unwrap();
    // Once the lock goes, writes go through again.
    app.signed_in_browser(ADMIN_EMAIL).await;
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_with_retry_after_never_500() {
    let (app, token) = small_app().await;
    if !app.database_url.starts_with("postgres") {
        return; // SQLite's writers never hold a pooled connection: the test above
    }
    // Writers that hang on the lock, each holding a pooled connection.
    let (blocker, writers) = writers_on_lock(&app).await;

    // A page and an API call now find no connection free: after the pool's
    // bounded wait (shorter than SQLite's busy timeout, so the writers still
    // hold theirs) they answer 503.
    let (mut page_503, mut api_503) = (None, None);
    for _ in 0..3 {
        let (page, api) = tokio::join!(
            app.get("/orgs"),
            app.api(Method::GET, "/orgs", &token).send()
        );
        let api = api.unwrap();
        for status in [page.status(), api.status()] {
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
        }
        if page.status() == StatusCode::SERVICE_UNAVAILABLE && page_503.is_none() {
            page_503 = Some((retry_after(&page), page.text().await.unwrap()));
        }
        if api.status() == StatusCode::SERVICE_UNAVAILABLE && api_503.is_none() {
            let after = retry_after(&api);
            api_503 = Some((after, api.json::<serde_json::Value>().await.unwrap()));
        }
        if page_503.is_some() && api_503.is_some() {
            break;
        }
    }
    let (after, html) = page_503.expect("a page answers 503 while the pool is exhausted");
    assert_eq!(after.as_deref(), Some("2"));
    assert!(html.contains("too busy"), "{html}");
    let (after, body) = api_503.expect("the API answers 503 while the pool is exhausted");
    assert_eq!(after.as_deref(), Some("2"));
    assert_eq!(body["error"]["code"], "unavailable", "{body}");

    // The writers end too: signed in once the lock goes, or 503 after the
    // pool's wait. Never 500.
    tokio::task::spawn_blocking(move || release(blocker))
        .await
        .unwrap();
    for writer in writers {
        let status = writer.await.unwrap().status();
        assert!(
            status == StatusCode::SEE_OTHER || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
    }
    // And once the load is gone, everything answers again.
    assert_eq!(app.get("/orgs").await.status(), StatusCode::OK);
}
