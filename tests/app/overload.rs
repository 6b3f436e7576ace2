//! Issue 12, point 3: no 500 under load. When every pooled connection is
//! taken (or SQLite stays locked past its busy timeout) a request waits a
//! bounded time and answers 503 with `Retry-After`: a JSON error under
//! `/api`, the normal error page elsewhere.
//!
//! The test holds the database's write lock from a connection of its own, so
//! that sign-ins (which write) hang on it holding the app's only two pooled
//! connections; then pages and API calls find no connection free.

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

#[tokio::test]
async fn an_exhausted_pool_answers_503_with_retry_after_never_500() {
    let app = spawn_app_with(&[("CANOPY_POOL_SIZE", "2")]).await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "").await;
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/orgs").await.status(), StatusCode::OK);
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
    // Writers that hang on the lock, each holding a pooled connection.
    let writers: Vec<_> = signing_in
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
                .status()
            })
        })
        .collect();

    // Give the writers a moment to take their connections (a retry below
    // covers a slow start: the assertions do not depend on timing).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

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

    // The writers end too: signed in once the lock goes (PostgreSQL), or 503
    // after SQLite's busy timeout or the pool's wait. Never 500.
    tokio::task::spawn_blocking(move || release(blocker))
        .await
        .unwrap();
    for writer in writers {
        let status = writer.await.unwrap();
        assert!(
            status == StatusCode::SEE_OTHER || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
    }
    // And once the load is gone, everything answers again.
    assert_eq!(app.get("/orgs").await.status(), StatusCode::OK);
}
