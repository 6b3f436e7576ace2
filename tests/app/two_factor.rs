//! Two-factor sign-in (issue 16, point 1): enrolling from the profile with a
//! real TOTP code, the code step of signing in (good once, throttled, recovery
//! codes single-use), an org requiring it down its subtree that no child can
//! weaken, and an admin's reset, told by mail.

use canopy::domain::mail;
use reqwest::StatusCode as S;
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::fixture::Tree;
use crate::helpers::*;

/// The person's authenticator app, from the key the setup page shows.
struct App(TOTP);

impl App {
    fn from_page(html: &str) -> App {
        let key = html
            .split("data-testid=\"secret\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("the key on the page");
        let seed = Secret::Encoded(key.to_string()).to_bytes().unwrap();
        App(TOTP::new(Algorithm::SHA1, 6, 1, 30, seed, None, "x".into()).unwrap())
    }

    fn code_at(&self, offset_steps: i64) -> String {
        let now = chrono::Utc::now().timestamp() + offset_steps * 30;
        self.0.generate(u64::try_from(now).unwrap())
    }
}

/// The recovery codes a page shows once.
fn recovery_codes(html: &str) -> Vec<String> {
    let part = html
        .split("data-testid=\"recovery-codes\"")
        .nth(1)
        .expect("recovery codes on the page");
    part.split("<code>")
        .skip(1)
        .take(10)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect()
}

/// Sam at home in East enrolls from his profile; his app and recovery codes.
async fn enrolled_sam(t: &Tree) -> (App, Vec<String>, i64) {
    let sam = t.person("sam@acme.example", t.east).await;
    let page = t.signed_in_browser("sam@acme.example").await;
    let (status, html) = page.get_page("/profile/two-factor").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("<svg"),
        "the QR code is drawn on the server: {html}"
    );
    let app = App::from_page(&html);
    // A reload shows the same key: nothing is on until a code confirms it.
    let (_, again) = page.get_page("/profile/two-factor").await;
    assert_eq!(App::from_page(&again).code_at(0), app.code_at(0));
    let wrong = page
        .submit_form("/profile/two-factor/confirm", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );
    let done = page
        .submit_form("/profile/two-factor/confirm", &[("code", &app.code_at(0))])
        .await;
    assert_eq!(done.status(), S::SEE_OTHER);
    let (_, html) = page.get_page("/profile/two-factor").await;
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10);
    let (_, later) = page.get_page("/profile/two-factor").await;
    assert!(!later.contains(&codes[0]), "recovery codes are shown once");
    assert!(later.contains("10 recovery codes left"), "{later}");
    assert_eq!(t.audit("two_factor.enrolled").await.len(), 1);
    (app, codes, sam.id)
}

/// Password first; the answer sends to the code step.
async fn password_step(t: &Tree) -> Browser {
    let browser = t.new_browser();
    let response = browser.sign_in("sam@acme.example", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert!(
        location(&response).starts_with("/sign-in/code"),
        "{}",
        location(&response)
    );
    browser
}

async fn send_code(browser: &Browser, code: &str) -> reqwest::Response {
    browser
        .submit_form("/sign-in/code", &[("code", code), ("next", "/profile")])
        .await
}

#[tokio::test]
async fn signing_in_asks_for_a_code_that_is_good_once() {
    let t = Tree::new().await;
    let (app, _, _) = enrolled_sam(&t).await;
    let browser = password_step(&t).await;
    // The password alone signed nobody in.
    assert_eq!(browser.get("/profile").await.status(), S::SEE_OTHER);
    let wrong = send_code(&browser, "123456").await;
    assert_eq!(wrong.status(), S::UNAUTHORIZED);
    // The next step's code: the one enrolling took is spent.
    let code = app.code_at(1);
    let right = send_code(&browser, &code).await;
    assert_eq!(right.status(), S::SEE_OTHER);
    assert_eq!(location(&right), "/profile");
    assert_eq!(browser.get("/profile").await.status(), S::OK);
    // The same code again, on another device: refused (good once), as is
    // the code of the step before.
    let other = password_step(&t).await;
    assert_eq!(send_code(&other, &code).await.status(), S::UNAUTHORIZED);
    assert_eq!(
        send_code(&other, &app.code_at(0)).await.status(),
        S::UNAUTHORIZED
    );
    assert_eq!(other.get("/profile").await.status(), S::SEE_OTHER);
    // Without the password step there is no code step.
    let stranger = t.new_browser();
    let response = send_code(&stranger, &app.code_at(1)).await;
    assert_eq!(location(&response), "/sign-in");
    assert_eq!(stranger.get("/profile").await.status(), S::SEE_OTHER);
    // API tokens are unaffected.
    let sam = t.person("other@acme.example", t.east).await;
    assert_eq!(t.get_json(&sam.token, "/me").await.0, S::OK);
}

#[tokio::test]
async fn recovery_codes_work_once_each_and_wrong_codes_are_throttled() {
    let t = Tree::new().await;
    let (_, codes, _) = enrolled_sam(&t).await;
    let browser = password_step(&t).await;
    let typed = codes[0].to_uppercase();
    assert_eq!(
        send_code(&browser, &typed).await.status(),
        S::SEE_OTHER,
        "case and spaces aside"
    );
    let again = password_step(&t).await;
    assert_eq!(send_code(&again, &codes[0]).await.status(), S::UNAUTHORIZED);
    assert_eq!(t.audit("two_factor.recovery_code_used").await.len(), 1);
    // Guessing codes slows down like guessing passwords.
    let guesser = password_step(&t).await;
    let mut statuses = vec![];
    for n in 0..8 {
        statuses.push(send_code(&guesser, &format!("{n:06}")).await.status());
    }
    assert!(statuses.contains(&S::TOO_MANY_REQUESTS), "{statuses:?}");
    assert!(!statuses.contains(&S::SEE_OTHER));
}

#[tokio::test]
async fn an_org_that_requires_it_sends_its_people_to_enroll_and_no_child_weakens_it() {
    let t = Tree::new().await;
    t.person("sam@acme.example", t.east).await;
    t.person("gil@globex.example", t.globex).await;
    t.put_json(
        &t.ada,
        format!("/orgs/{}/settings", t.acme),
        json!({"require_two_factor": "required"}),
    )
    .await
    .expect_status(S::OK);
    // East may not make it optional below Acme.
    let (status, body) = t
        .put_json(
            &t.ada,
            format!("/orgs/{}/settings", t.east),
            json!({"require_two_factor": "optional"}),
        )
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("above requires"), "{body}");
    // Sam signs in and can do nothing but enroll.
    let sam = t.signed_in_browser("sam@acme.example").await;
    let east = format!("/orgs/{}", t.east);
    for path in ["/", "/profile", east.as_str()] {
        let response = sam.get(path).await;
        assert_eq!(response.status(), S::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/profile/two-factor", "{path}");
    }
    let (status, html) = sam.get_page("/profile/two-factor").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"must-enroll\""), "{html}");
    let app = App::from_page(&html);
    let done = sam
        .submit_form("/profile/two-factor/confirm", &[("code", &app.code_at(0))])
        .await;
    assert_eq!(done.status(), S::SEE_OTHER);
    assert_eq!(sam.get("/profile").await.status(), S::OK);
    // It stays on: turning it off is refused where it is required.
    let off = sam.submit_form("/profile/two-factor/off", &[]).await;
    assert_eq!(off.status(), S::FORBIDDEN);
    // Gil at Globex is not concerned.
    let gil = t.signed_in_browser("gil@globex.example").await;
    assert_eq!(gil.get("/profile").await.status(), S::OK);
}

#[tokio::test]
async fn an_admin_resets_a_second_factor_and_the_person_is_told() {
    let t = Tree::new().await;
    let (_, _, sam_id) = enrolled_sam(&t).await;
    let olga = t.org_admin("olga@acme.example", t.acme).await;
    let gus = t.org_admin("gus@globex.example", t.globex).await;
    let viewer = t.member("vic@acme.example", t.acme, "Viewer", t.acme).await;
    let path = format!("/users/{sam_id}/two-factor");
    let missing = t.delete(&gus.token, "/users/999999/two-factor").await;
    let hidden = t.delete(&gus.token, &path).await;
    assert_eq!(hidden, missing, "another tenant: like no one");
    assert_eq!(t.delete(&viewer.token, &path).await.0, S::FORBIDDEN);
    t.delete(&olga.token, &path)
        .await
        .expect_status(S::NO_CONTENT);
    let (status, body) = t.delete(&olga.token, &path).await;
    assert_eq!(status, S::CONFLICT, "nothing left to reset: {body}");
    assert_eq!(t.audit("two_factor.reset").await.len(), 1);
    let told = t.db.read(move |c| mail::for_user(c, sam_id)).await.unwrap();
    assert!(
        told.iter()
            .any(|m| m.subject.contains("two-factor sign-in was reset"))
    );
    // The password alone signs Sam in again.
    let browser = t.new_browser();
    let response = browser.sign_in("sam@acme.example", ADMIN_PASSWORD).await;
    assert_eq!(location(&response), "/");
}
