//! Guessing passwords is slowed down per (account, address) and per address,
//! never locked: the right password from an address that has not been failing
//! always gets through, and every failure is still in the audit log.
//! Addresses are simulated behind a trusted proxy with `X-Forwarded-For`.

use reqwest::{Response, StatusCode};

use crate::helpers::*;
use canopy::domain::auth::{
    MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, MAX_FAILURES_PER_ADDRESS,
};

async fn behind_proxy() -> TestApp {
    let app = spawn_app_with(&[("CANOPY_TRUST_PROXY", "true")]).await;
    app.create_default_admin().await;
    app
}

/// A sign-in from `ip` (as our proxy reports it), in `browser`'s session.
async fn sign_in_from(browser: &Browser, ip: &str, email: &str, password: &str) -> Response {
    let token = browser.csrf_token().await;
    browser
        .client
        .post(browser.url("/sign-in"))
        .header("Origin", &browser.address)
        .header("X-Forwarded-For", ip)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap()
}

/// A sign-in from `ip` with a CSRF token fetched before.
async fn post_sign_in(browser: &Browser, token: &str, ip: &str, password: &str) -> StatusCode {
    browser
        .client
        .post(browser.url("/sign-in"))
        .header("Origin", &browser.address)
        .header("X-Forwarded-For", ip)
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", password),
            ("csrf_token", token),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

async fn failure_rows(app: &TestApp) -> i64 {
    app.db
        .read(|conn| {
            use canopy::db::schema::sign_in_failures;
            use diesel::prelude::*;
            Ok(sign_in_failures::table.count().get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

/// The `Retry-After` of a 429, in seconds.
fn retry_after(response: &Response) -> i64 {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    response
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Moves every counted failure (all made within the last few seconds) to
/// `seconds` ago.
async fn age_failures(app: &TestApp, seconds: i64) {
    app.db
        .write(move |conn| {
            use canopy::db::schema::sign_in_failures::dsl::*;
            use diesel::prelude::*;
            diesel::update(sign_in_failures)
                .set(at.eq(canopy::db::now() - chrono::Duration::seconds(seconds)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_passwords_from_elsewhere_never_keep_the_owner_out() {
    let app = behind_proxy().await;
    let attacker = app.new_browser();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let response = sign_in_from(&attacker, "203.0.113.9", ADMIN_EMAIL, "guess guess").await;
        statuses.push(response.status());
    }
    let free = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS as usize;
    assert!(
        statuses[..free]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[free..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The failing address is slowed down even with the right password...
    let response = sign_in_from(&attacker, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let wait = retry_after(&response);
    assert!((1..=30).contains(&wait), "{wait}");
    let html = response.text().await.unwrap();
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    assert_eq!(attacker.get("/").await.status(), StatusCode::SEE_OTHER);

    // ...but the Owner, from her own address, signs in at once.
    let owner = app.new_browser();
    let response = sign_in_from(&owner, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/").await.status(), StatusCode::OK);

    // Every wrong password is audited with its address; a hold only once.
    let failed = app.audit("auth.sign_in_failed").await;
    assert_eq!(failed.len(), free);
    assert!(
        failed
            .iter()
            .all(|e| e.ip.as_deref() == Some("203.0.113.9"))
    );
    let held = app.audit("auth.sign_in_throttled").await;
    assert_eq!(held.len(), 1);
    assert!(held.iter().all(|e| e.ip.as_deref() == Some("203.0.113.9")));
    assert_eq!(app.audit("auth.signed_in").await.len(), 1);
}

#[tokio::test]
async fn an_account_under_attack_from_many_addresses_still_lets_its_owner_in() {
    let app = behind_proxy().await;
    let attacker = app.new_browser();
    let per_address = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS;
    // Enough addresses, each within its allowance, to put the account under attack.
    let addresses = (MAX_FAILURES_PER_ACCOUNT + per_address - 1) / per_address;
    for a in 0..addresses {
        for _ in 0..per_address {
            let ip = format!("203.0.113.{a}");
            let response = sign_in_from(&attacker, &ip, ADMIN_EMAIL, "guess guess").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
    }
    // A new attacking address: its first failure passes, its second is slowed,
    // because the account is under attack.
    let ip = "192.0.2.77";
    for _ in 0..2 {
        let response = sign_in_from(&attacker, ip, ADMIN_EMAIL, "guess guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = sign_in_from(&attacker, ip, ADMIN_EMAIL, "guess guess").await;
    assert!(retry_after(&response) > 0);

    // The Owner mistypes once from her address, then gets in.
    let owner = app.new_browser();
    let response = sign_in_from(&owner, "198.51.100.20", ADMIN_EMAIL, "correct horse").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = sign_in_from(&owner, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/").await.status(), StatusCode::OK);
    let failed = app.audit("auth.sign_in_failed").await;
    assert_eq!(failed.len() as i64, addresses * per_address + 3);
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_slowed_for_all_of_them() {
    let app = behind_proxy().await;
    let guesser = app.new_browser();
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let email = format!("guess{i}@example.com");
        let response = sign_in_from(&guesser, "203.0.113.50", &email, "password123").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{i}");
    }
    // Any account, known or not, right password or not: slow down.
    for (email, password) in [
        ("someone.new@example.com", "password123"),
        (ADMIN_EMAIL, ADMIN_PASSWORD),
    ] {
        let response = sign_in_from(&guesser, "203.0.113.50", email, password).await;
        assert!(retry_after(&response) > 0, "{email}");
    }
    // Another address is not held back.
    let owner = app.new_browser();
    let response = sign_in_from(&owner, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.audit("auth.sign_in_failed").await.len() as i64,
        MAX_FAILURES_PER_ADDRESS
    );
    // One hold of one address: one entry, whatever the accounts tried.
    assert_eq!(app.audit("auth.sign_in_throttled").await.len(), 1);
}

#[tokio::test]
async fn unknown_and_known_accounts_are_slowed_alike() {
    let app = behind_proxy().await;
    let guesser = app.new_browser();
    for email in [ADMIN_EMAIL, "nobody@example.com"] {
        let mut statuses = Vec::new();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS + 1 {
            let response = sign_in_from(&guesser, "203.0.113.60", email, "password123").await;
            statuses.push(response.status());
        }
        let (last, first) = statuses.split_last().unwrap();
        assert!(
            first.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
            "{email}: {statuses:?}"
        );
        assert_eq!(*last, StatusCode::TOO_MANY_REQUESTS, "{email}");
    }
}

#[tokio::test]
async fn the_wait_grows_with_each_failure_and_then_ends() {
    let app = behind_proxy().await;
    let me = app.new_browser();
    let ip = "203.0.113.70";
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        sign_in_from(&me, ip, ADMIN_EMAIL, "nope nope nope").await;
    }
    let first_wait = retry_after(&sign_in_from(&me, ip, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    // Once the wait has passed, one more try is allowed: a slowdown, not a lock.
    age_failures(&app, first_wait + 1).await;
    let response = sign_in_from(&me, ip, ADMIN_EMAIL, "still wrong").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let second_wait = retry_after(&sign_in_from(&me, ip, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    assert!(second_wait > first_wait, "{first_wait} then {second_wait}");
    age_failures(&app, second_wait + 1).await;
    let response = sign_in_from(&me, ip, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(me.get("/").await.status(), StatusCode::OK);
    // Knowing the password clears this address's failures on the account.
    let left = app
        .db
        .read(|conn| {
            use canopy::db::schema::sign_in_failures;
            use diesel::prelude::*;
            Ok(sign_in_failures::table.count().get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn failures_age_out_of_the_window() {
    let app = behind_proxy().await;
    let me = app.new_browser();
    for i in 0..MAX_FAILURES_PER_ADDRESS + MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let email = if i % 2 == 0 {
            ADMIN_EMAIL.to_string()
        } else {
            format!("x{i}@example.com")
        };
        sign_in_from(&me, "203.0.113.80", &email, "nope nope nope").await;
    }
    let response = sign_in_from(&me, "203.0.113.80", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    age_failures(&app, 16 * 60).await;
    let response = sign_in_from(&me, "203.0.113.80", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn guesses_sent_all_at_once_get_no_more_checks_than_one_by_one() {
    let app = behind_proxy().await;
    let attacker = app.new_browser();
    let token = attacker.csrf_token().await;
    let guesses = (0..30).map(|i| {
        let (attacker, token) = (&attacker, &token);
        async move { post_sign_in(attacker, token, "203.0.113.90", &format!("guess {i}")).await }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let free = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS as usize;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let held = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, held), (free, 30 - free), "{statuses:?}");
    assert_eq!(app.audit("auth.sign_in_failed").await.len(), free);
    assert_eq!(failure_rows(&app).await, free as i64);
    // The right password sent beside a wrong one, each from a fresh address:
    // the right one's provisional failure is taken back, the wrong one's stays.
    let owner = app.new_browser();
    let owner_token = owner.csrf_token().await;
    let (right, wrong) = tokio::join!(
        post_sign_in(&owner, &owner_token, "198.51.100.21", ADMIN_PASSWORD),
        post_sign_in(&attacker, &token, "198.51.100.22", "nope nope"),
    );
    assert_eq!(right, StatusCode::SEE_OTHER);
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(failure_rows(&app).await, free as i64 + 1);
}

#[tokio::test]
async fn a_held_address_is_audited_once_per_hold() {
    let app = behind_proxy().await;
    let me = app.new_browser();
    let token = me.csrf_token().await;
    let ip = "203.0.113.95";
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        assert_eq!(
            post_sign_in(&me, &token, ip, "nope").await,
            StatusCode::UNAUTHORIZED
        );
    }
    for _ in 0..10 {
        let status = post_sign_in(&me, &token, ip, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(app.audit("auth.sign_in_throttled").await.len(), 1);
    // The wait passes, one more failure starts a new hold: one more entry.
    age_failures(&app, 31).await;
    assert_eq!(
        post_sign_in(&me, &token, ip, "nope").await,
        StatusCode::UNAUTHORIZED
    );
    for _ in 0..10 {
        let status = post_sign_in(&me, &token, ip, "nope").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let held = app.audit("auth.sign_in_throttled").await;
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|e| e.ip.as_deref() == Some(ip)));
    assert_eq!(
        app.audit("auth.sign_in_failed").await.len() as i64,
        MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS + 1
    );
}

#[tokio::test]
async fn an_ipv6_host_cannot_rotate_through_its_64_for_fresh_allowances() {
    let app = behind_proxy().await;
    let me = app.new_browser();
    let token = me.csrf_token().await;
    for i in 1..=MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let ip = format!("2001:db8:1:2::{i:x}");
        assert_eq!(
            post_sign_in(&me, &token, &ip, "nope").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Another address of the same /64 is held back, even with the password...
    for ip in ["2001:db8:1:2:ffff::99", "2001:db8:1:2::1"] {
        let status = post_sign_in(&me, &token, ip, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{ip}");
    }
    // ...and the held-back attempts of the /64 are audited once.
    assert_eq!(app.audit("auth.sign_in_throttled").await.len(), 1);
    // The neighbouring /64 is someone else.
    let status = post_sign_in(&me, &token, "2001:db8:1:3::1", "nope").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The audit log keeps each full address.
    let failed = app.audit("auth.sign_in_failed").await;
    assert!(
        failed
            .iter()
            .any(|e| e.ip.as_deref() == Some("2001:db8:1:2::5"))
    );
}
