//! Mail to people of a subtree wears the brand of the recipient's home org.

use super::*;
use canopy::domain::account;
use canopy::domain::audit::Actor;
use canopy::domain::mail::{self, Queued};
use canopy::domain::user::{NewUser, UserStatus};
use canopy::domain::validate::Email;

async fn invite(w: &Tree, email: &str, org_id: i64) -> Vec<Queued> {
    let new = NewUser {
        org_id,
        email: Email::parse(email).unwrap(),
        display_name: "New Person".into(),
        job_title: String::new(),
        status: UserStatus::Invited,
        password_hash: None,
    };
    let base = w.address.clone();
    let user =
        w.db.write(move |c| account::invite(c, &Actor::cli(), new, &base))
            .await
            .unwrap();
    w.db.read(move |c| mail::for_user(c, user.id))
        .await
        .unwrap()
}

#[tokio::test]
async fn mail_wears_the_brand_of_the_recipients_home_org() {
    let w = Tree::new().await;
    brand(&w, w.acme, "Acme Portal", "#8a2be2").await;

    // An invitation to someone in East (below Acme): Acme's name and colour.
    let east = invite(&w, "eve@acme.example", w.east).await;
    let m = &east[0];
    assert_eq!(m.subject, "Acme Portal: You are invited to Canopy");
    assert!(m.body_html.contains("Acme Portal"), "{}", m.body_html);
    assert!(
        m.body_html.contains("#8a2be2"),
        "the accent in the HTML part"
    );
    assert!(!m.body_html.contains("#2f6b3b"), "no Canopy green left");
    assert!(m.body_text.contains("Acme Portal"), "signed with the name");

    // Someone in Globex gets Canopy's own.
    let globex = invite(&w, "gus@globex.example", w.globex).await;
    let m = &globex[0];
    assert_eq!(m.subject, "You are invited to Canopy");
    assert!(!m.body_html.contains("Acme Portal"));
    assert!(m.body_html.contains("#2f6b3b"));

    // A password reset for a person in Boston: the nearest brand above.
    let bob = w.app.create_user("bob@acme.example", "Bob", w.boston).await;
    let asked = w
        .new_browser()
        .submit_form("/forgot-password", &[("email", "bob@acme.example")])
        .await;
    assert!(asked.status().is_redirection() || asked.status().is_success());
    let mails = w.db.read(move |c| mail::for_user(c, bob.id)).await.unwrap();
    let reset = mails.last().expect("a reset mail");
    assert!(
        reset.subject.starts_with("Acme Portal: "),
        "{}",
        reset.subject
    );
    assert!(reset.body_html.contains("#8a2be2"));
}
