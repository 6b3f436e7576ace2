//! The guided "New customer" flow: every step as by hand, all or nothing.

use super::*;
use canopy::domain::{mail, user};

fn form<'a>(
    parent: &'a str,
    code: &'a str,
    email: &'a str,
    role: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("parent", parent),
        ("name", "Initech"),
        ("code", code),
        ("kind", "customer"),
        ("tags", "gold, new"),
        ("admin_email", email),
        ("admin_name", "Bill Lumbergh"),
        ("role_id", role),
    ]
}

async fn user_by_email(w: &Tree, email: &'static str) -> Option<user::User> {
    w.db.read(move |c| user::find_by_email(c, email))
        .await
        .unwrap()
}

async fn org_by_code(w: &Tree, code: &str) -> Vec<i64> {
    let (_, list) = w.get_json(&w.ada, format!("/orgs?q={code}")).await;
    ids(&list)
}

#[tokio::test]
async fn an_admin_makes_a_customer_org_admin_and_assignable_roles_in_one_pass() {
    let w = Tree::new().await;
    w.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let org_admin = w.role_id(&w.ada, "Org admin").await.to_string();
    let approver = w.role_id(&w.ada, "Approver").await.to_string();
    let grants_before = w.audit("grant.created").await.len();
    let (status, html) = w.get_page("/orgs/new-customer").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"assignable\""));

    let root = w.root.to_string();
    let mut fields = form(&root, "INITECH", "bill@initech.example", &org_admin);
    fields.push(("assignable", &org_admin));
    fields.push(("assignable", &approver));
    let done = w.submit_form("/orgs/new-customer", &fields).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let summary_path = location(&done);
    let made = org_by_code(&w, "INITECH").await;
    assert_eq!(made.len(), 1);
    let bill = user_by_email(&w, "bill@initech.example")
        .await
        .expect("invited");
    assert_eq!(
        summary_path,
        format!("/orgs/{}/welcome?admin={}", made[0], bill.id)
    );
    assert_eq!(bill.org_id, made[0]);

    let (status, html) = w.get_page(&summary_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Initech is ready"));
    assert!(html.contains("bill@initech.example"));
    let roles = html.split("data-testid=\"summary-roles\">").nth(1).unwrap();
    assert!(roles.starts_with("Org admin"), "{roles}");
    let assignable = html
        .split("data-testid=\"summary-assignable\">")
        .nth(1)
        .unwrap();
    assert!(
        assignable.starts_with("Org admin, Approver")
            || assignable.starts_with("Approver, Org admin"),
        "{assignable}"
    );

    let (_, org) = w.get_json(&w.ada, format!("/orgs/{}", made[0])).await;
    assert_eq!(org["kind"], "customer");
    let mail =
        w.db.read(move |c| mail::for_user(c, bill.id))
            .await
            .unwrap();
    assert_eq!(mail.len(), 1, "one invitation");
    let (_, settings) = w
        .get_json(&w.ada, format!("/orgs/{}/settings", made[0]))
        .await;
    assert!(
        settings.to_string().contains("assignable_roles"),
        "{settings}"
    );
    assert_eq!(w.audit("grant.created").await.len(), grants_before + 1);
}

#[tokio::test]
async fn a_refused_step_leaves_nothing_behind_and_says_why_by_the_field() {
    let w = Tree::new().await;
    w.org_admin("olga@acme.example", w.acme).await;
    w.person("eve@acme.example", w.acme).await;
    let olga = w.signed_in_browser("olga@acme.example").await;
    let owner = w.role_id(&w.ada, "Owner").await.to_string();
    let org_admin = w.role_id(&w.ada, "Org admin").await.to_string();
    let acme = w.acme.to_string();
    let orgs_before = w.audit("org.created").await.len();

    // Escalation: an org admin may not hand out Owner; the org made before
    // the grant and the invited admin are undone with it.
    let refused = olga
        .submit_form(
            "/orgs/new-customer",
            &form(&acme, "INITECH", "bill@initech.example", &owner),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"role_id-error\""),
        "the message by the role"
    );
    assert!(
        html.contains("value=\"bill@initech.example\""),
        "the form as typed"
    );
    assert!(org_by_code(&w, "INITECH").await.is_empty(), "no org");
    assert!(
        user_by_email(&w, "bill@initech.example").await.is_none(),
        "no person"
    );
    assert_eq!(
        w.audit("org.created").await.len(),
        orgs_before,
        "only the fixture's orgs"
    );

    // Another tenant's org as the parent answers like a missing one.
    let globex = w.globex.to_string();
    let outside = olga
        .submit_form(
            "/orgs/new-customer",
            &form(&globex, "INITECH", "bill@initech.example", &org_admin),
        )
        .await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let outside = outside.text().await.unwrap();
    let missing = olga
        .submit_form(
            "/orgs/new-customer",
            &form("999999", "INITECH", "bill@initech.example", &org_admin),
        )
        .await
        .text()
        .await
        .unwrap();
    let message = |h: &str| {
        h.split("id=\"customer-parent-error\"")
            .nth(1)
            .map(|m| m[..80].to_string())
    };
    assert!(message(&outside).is_some());
    assert_eq!(message(&outside), message(&missing));

    // A taken code and a taken email: both messages at once, nothing made.
    let taken = olga
        .submit_form(
            "/orgs/new-customer",
            &form(&acme, "ACME-EAST", "eve@acme.example", &org_admin),
        )
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = taken.text().await.unwrap();
    assert!(html.contains("id=\"code-error\""), "the code's message");
    assert_eq!(w.audit("org.created").await.len(), orgs_before);

    // Within her own rules it works: under Acme, Org admin there.
    let ok = olga
        .submit_form(
            "/orgs/new-customer",
            &form(&acme, "INITECH", "bill@initech.example", &org_admin),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(org_by_code(&w, "INITECH").await.len(), 1);

    // Someone who may create no org anywhere is refused the flow.
    let eve = w.signed_in_browser("eve@acme.example").await;
    assert_eq!(
        eve.get("/orgs/new-customer").await.status(),
        StatusCode::FORBIDDEN
    );
}
