//! Verified domains (issue 16, point 3): an org's email domains are claims
//! until a DNS TXT record proves them; the check asks a small DNS responder
//! on localhost (`dns`), the app's `CANOPY_DNS_RESOLVER`.

mod dns;

use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Person, Tree, on_the_tree};
use crate::helpers::*;
use dns::FakeDns;

/// The tree, its DNS, and: Olga, Org admin at Acme; Gus, Org admin at
/// Globex; Vera, Viewer at Acme (sees inside, may not edit).
struct World {
    tree: Tree,
    dns: FakeDns,
    olga: Person,
    gus: Person,
    vera: Person,
}
on_the_tree!(World);

async fn world() -> World {
    let dns = FakeDns::start().await;
    let tree = Tree::with_settings(&[("CANOPY_DNS_RESOLVER", &dns.setting())]).await;
    let olga = tree.org_admin("olga@acme.test", tree.acme).await;
    let gus = tree.org_admin("gus@globex.test", tree.globex).await;
    let vera = tree
        .member("vera@acme.test", tree.acme, "Viewer", tree.acme)
        .await;
    World {
        tree,
        dns,
        olga,
        gus,
        vera,
    }
}

impl World {
    /// Sets an org's email domains through the API (`PATCH /orgs/{id}`).
    async fn set_domains(&self, token: &str, org: i64, domains: &[&str]) -> (S, Value) {
        let (_, current) = self.get_json(token, format!("/orgs/{org}")).await;
        self.patch_json(
            token,
            format!("/orgs/{org}"),
            json!({"email_domains": domains, "version": current["version"]}),
        )
        .await
    }

    /// The org's domains, as `GET /orgs/{id}/domains` lists them.
    async fn domains(&self, token: &str, org: i64) -> Vec<Value> {
        let body = self
            .get_json(token, format!("/orgs/{org}/domains"))
            .await
            .expect_status(S::OK);
        body["items"].as_array().unwrap().clone()
    }

    /// One domain of the org, as listed.
    async fn domain(&self, org: i64, name: &str) -> Value {
        self.domains(&self.ada, org)
            .await
            .into_iter()
            .find(|d| d["domain"] == name)
            .unwrap_or_else(|| panic!("{name} is listed"))
    }

    async fn verify(&self, token: &str, org: i64, domain: &str) -> (S, Value) {
        self.post_empty(token, format!("/orgs/{org}/domains/{domain}/verify"))
            .await
    }

    /// Publishes the org's own record for `domain`.
    async fn publish(&self, org: i64, domain: &str) {
        let d = self.domain(org, domain).await;
        let value = d["record"]["value"].as_str().unwrap().to_string();
        let name = d["record"]["name"].as_str().unwrap().to_string();
        self.dns.set_txt(&name, &["v=spf1 -all", &value]);
    }

    /// The org whose verified domain covers `email`, read straight from the
    /// contract single sign-on uses.
    async fn owner_of(&self, email: &'static str) -> Option<i64> {
        self.app
            .db
            .read(move |conn| canopy::domain::org::domains::verified_owner_of_email(conn, email))
            .await
            .unwrap()
            .map(|o| o.id)
    }
}

#[tokio::test]
async fn a_published_txt_record_verifies_the_domain() {
    let w = world().await;
    w.set_domains(
        &w.olga.token,
        w.acme,
        &["Acme.example", "mail.acme.example"],
    )
    .await
    .expect_status(S::OK);
    let listed = w.domains(&w.olga.token, w.acme).await;
    let names: Vec<&str> = listed
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme.example", "mail.acme.example"]);
    let claim = &listed[0];
    assert_eq!(claim["verified"], false, "{claim}");
    assert_eq!(claim["verified_at"], Value::Null);
    assert_eq!(claim["record"]["type"], "TXT");
    assert_eq!(claim["record"]["name"], "_canopy-challenge.acme.example");
    let value = claim["record"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("canopy-verify=") && value.len() >= 40,
        "{value}"
    );
    assert_ne!(listed[0]["record"]["value"], listed[1]["record"]["value"]);
    assert_eq!(w.owner_of("new@acme.example").await, None);

    w.publish(w.acme, "acme.example").await;
    let done = w
        .verify(&w.olga.token, w.acme, "acme.example")
        .await
        .expect_status(S::OK);
    assert_eq!(done["verified"], true, "{done}");
    assert!(done["verified_at"].is_string(), "{done}");
    assert_eq!(done["last_error"], Value::Null);
    assert_eq!(
        w.domain(w.acme, "mail.acme.example").await["verified"],
        false
    );
    assert_eq!(w.owner_of("New@ACME.example").await, Some(w.acme));
    assert_eq!(w.owner_of("new@mail.acme.example").await, None);
    let entries = w.audit("domain.verified").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].org_id, Some(w.acme));
    assert_eq!(entries[0].actor_user_id, Some(w.olga.id));
    assert!(
        entries[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("acme.example")
    );

    // Checking a verified domain again changes nothing and records nothing.
    let again = w
        .verify(&w.olga.token, w.acme, "ACME.example")
        .await
        .expect_status(S::OK);
    assert_eq!(again["verified_at"], done["verified_at"]);
    assert_eq!(w.audit("domain.verified").await.len(), 1);
}

#[tokio::test]
async fn a_missing_wrong_or_failed_record_leaves_the_domain_unverified_and_says_why() {
    let w = world().await;
    w.set_domains(&w.olga.token, w.acme, &["acme.example"])
        .await
        .expect_status(S::OK);
    let name = "_canopy-challenge.acme.example";
    let check = async || {
        let body = w
            .verify(&w.olga.token, w.acme, "acme.example")
            .await
            .expect_status(S::OK);
        assert_eq!(body["verified"], false, "{body}");
        assert!(body["last_checked_at"].is_string(), "{body}");
        body["last_error"].as_str().unwrap().to_string()
    };
    let why = check().await;
    assert!(why.contains("No TXT record") && why.contains(name), "{why}");
    w.dns.set_txt(name, &["canopy-verify=someone-elses-token"]);
    let why = check().await;
    assert!(why.contains("none holds canopy-verify="), "{why}");
    assert!(!why.contains("someone-elses-token"), "{why}");
    w.dns.fail(name);
    let why = check().await;
    assert!(why.contains("lookup failed"), "{why}");

    let listed = w.domain(w.acme, "acme.example").await;
    assert_eq!(listed["verified"], false);
    assert_eq!(listed["last_error"].as_str().unwrap(), why);
    assert_eq!(w.audit("domain.check_failed").await.len(), 3);
    assert!(w.audit("domain.verified").await.is_empty());
    assert_eq!(w.owner_of("x@acme.example").await, None);
}

#[tokio::test]
async fn the_domains_tab_shows_the_record_and_checks_it_on_request() {
    let w = world().await;
    w.set_domains(&w.olga.token, w.acme, &["acme.example"])
        .await
        .expect_status(S::OK);
    let value = w.domain(w.acme, "acme.example").await["record"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let olga = w.signed_in_browser("olga@acme.test").await;
    let tab = format!("/orgs/{}/domains", w.acme);
    let (status, html) = olga.get_page(&tab).await;
    assert_eq!(status, S::OK, "{html}");
    assert!(html.contains("_canopy-challenge.acme.example"), "{html}");
    assert!(html.contains(&value), "{html}");
    assert!(html.contains("data-testid=\"domain-unverified\""), "{html}");
    assert!(
        html.contains(
            "Check now<span class=\"visually-hidden\"> the TXT record of acme.example</span>"
        ),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"{tab}\" aria-current=\"page\"")),
        "{html}"
    );

    let verify = format!("/orgs/{}/domains/acme.example/verify", w.acme);
    let response = olga.submit_form(&verify, &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(location(&response), tab);
    let (_, html) = olga.get_page(&tab).await;
    assert!(html.contains("data-testid=\"domain-error\""), "{html}");
    assert!(html.contains("No TXT record was found"), "{html}");

    // Without the session's CSRF token nothing is checked.
    w.publish(w.acme, "acme.example").await;
    let forged = olga.post_form(&verify, &[]).await;
    assert_eq!(forged.status(), S::FORBIDDEN);
    assert_eq!(w.domain(w.acme, "acme.example").await["verified"], false);

    let response = olga.submit_form(&verify, &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = olga.get_page(&tab).await;
    assert!(html.contains("data-testid=\"domain-verified\""), "{html}");
    assert!(
        !html.contains("the TXT record of acme.example</span>"),
        "{html}"
    );

    // A viewer sees the tab, without the button; the check itself is refused.
    w.set_domains(&w.olga.token, w.acme, &["acme.example", "b.acme.example"])
        .await
        .expect_status(S::OK);
    let vera = w.signed_in_browser("vera@acme.test").await;
    let (status, html) = vera.get_page(&tab).await;
    assert_eq!(status, S::OK, "{html}");
    assert!(html.contains("_canopy-challenge.b.acme.example"), "{html}");
    assert!(!html.contains("Check now"), "{html}");
    let b = format!("/orgs/{}/domains/b.acme.example/verify", w.acme);
    assert_eq!(vera.submit_form(&b, &[]).await.status(), S::FORBIDDEN);
    // Someone who cannot see Acme finds no tab at all.
    let gus = w.signed_in_browser("gus@globex.test").await;
    let (hidden, _) = gus.get_page(&tab).await;
    let (missing, _) = gus.get_page("/orgs/999999/domains").await;
    assert_eq!((hidden, missing), (S::NOT_FOUND, S::NOT_FOUND));
    assert_eq!(gus.submit_form(&b, &[]).await.status(), S::NOT_FOUND);
    assert!(w.audit("domain.check_failed").await.len() == 1);
}

#[tokio::test]
async fn only_those_who_may_edit_the_org_check_its_domains_and_strangers_find_nothing() {
    let w = world().await;
    w.set_domains(&w.olga.token, w.acme, &["acme.example"])
        .await
        .expect_status(S::OK);
    w.set_domains(&w.gus.token, w.globex, &["globex.example"])
        .await
        .expect_status(S::OK);
    w.publish(w.acme, "acme.example").await;
    w.publish(w.globex, "globex.example").await;

    // Vera sees Acme's domains but may not change its email domains.
    assert_eq!(w.domains(&w.vera.token, w.acme).await.len(), 1);
    let (status, body) = w.verify(&w.vera.token, w.acme, "acme.example").await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert_eq!(w.domain(w.acme, "acme.example").await["verified"], false);

    // Another tenant's org, a domain the org does not hold, a domain that is
    // no domain, and an org that does not exist all answer alike.
    let missing = w.get_json(&w.gus.token, "/orgs/999999/domains").await;
    assert_eq!(missing.0, S::NOT_FOUND);
    let hidden = w
        .get_json(&w.gus.token, format!("/orgs/{}/domains", w.acme))
        .await;
    assert_eq!(hidden, missing);
    let missing = w.verify(&w.gus.token, 999_999, "acme.example").await;
    assert_eq!(missing.0, S::NOT_FOUND);
    assert_eq!(
        w.verify(&w.gus.token, w.acme, "acme.example").await,
        missing
    );
    assert_eq!(
        w.verify(&w.olga.token, w.acme, "globex.example").await,
        missing
    );
    assert_eq!(
        w.verify(&w.olga.token, w.globex, "globex.example").await,
        missing
    );
    assert_eq!(
        w.verify(&w.olga.token, w.acme, "not%20a%20domain").await,
        missing
    );
    assert_eq!(w.verify(&w.olga.token, w.acme, "%00").await.0, S::NOT_FOUND);
    assert_eq!(
        w.domain(w.globex, "globex.example").await["verified"],
        false
    );
    assert!(w.audit("domain.verified").await.is_empty());
    assert!(w.audit("domain.check_failed").await.is_empty());

    // A bad page number is a field error, as on every list.
    let (status, body) = w
        .get_json(&w.olga.token, format!("/orgs/{}/domains?page=zero", w.acme))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["page"].is_string(), "{body}");

    // Each admin verifies their own.
    let (status, body) = w.verify(&w.gus.token, w.globex, "globex.example").await;
    assert_eq!((status, body["verified"].clone()), (S::OK, json!(true)));
}

#[tokio::test]
async fn a_verified_domain_cannot_be_claimed_or_verified_by_another_org() {
    let w = world().await;
    // West claims acme.example first; claims alone may overlap.
    w.set_domains(&w.ada, w.west, &["acme.example"])
        .await
        .expect_status(S::OK);
    w.set_domains(&w.olga.token, w.acme, &["acme.example"])
        .await
        .expect_status(S::OK);
    let west_value = w.domain(w.west, "acme.example").await["record"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let acme_value = w.domain(w.acme, "acme.example").await["record"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let name = "_canopy-challenge.acme.example";
    w.dns.set_txt(name, &[&acme_value, &west_value]);
    w.verify(&w.olga.token, w.acme, "acme.example")
        .await
        .expect_status(S::OK);

    // West's own record is published, yet it cannot verify the domain.
    let (status, body) = w.verify(&w.ada, w.west, "acme.example").await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert!(!body.to_string().contains("Acme"), "{body}");
    assert_eq!(w.domain(w.west, "acme.example").await["verified"], false);

    // Globex cannot add it, by edit or at creation, and learns nothing of who holds it.
    let (_, before) = w
        .get_json(&w.gus.token, format!("/orgs/{}", w.globex))
        .await;
    let (status, body) = w
        .set_domains(&w.gus.token, w.globex, &["globex.example", "ACME.example"])
        .await;
    assert_eq!(status, S::CONFLICT, "{body}");
    let message = body["error"]["fields"]["email_domains"].as_str().unwrap();
    assert!(message.contains("acme.example"), "{body}");
    assert!(
        !body.to_string().contains("Acme") && !body.to_string().contains("ACME"),
        "{body}"
    );
    let (_, after) = w
        .get_json(&w.gus.token, format!("/orgs/{}", w.globex))
        .await;
    assert_eq!(after, before);
    assert!(w.domains(&w.gus.token, w.globex).await.is_empty());
    let (status, body) = w
        .post_json(
            &w.gus.token,
            "/orgs",
            json!({"parent_id": w.globex, "name": "Labs", "code": "GLOBEX-LABS", "email_domains": "acme.example"}),
        )
        .await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert!(
        body["error"]["fields"]["email_domains"].is_string(),
        "{body}"
    );

    // Acme keeps editing its other fields; West keeps its old claim.
    let (status, body) = w
        .patch_json(
            &w.olga.token,
            format!("/orgs/{}", w.acme),
            json!({"city": "Lisbon"}),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    let (status, body) = w
        .patch_json(
            &w.ada,
            format!("/orgs/{}", w.west),
            json!({"city": "Porto"}),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(w.owner_of("x@acme.example").await, Some(w.acme));

    // The database holds it too: a second verified claim is refused by the
    // index, whatever code path tries (a race between two checks).
    let (west, domain) = (w.west, "acme.example");
    let marked = w
        .app
        .db
        .write(move |conn| canopy::domain::org::domains::mark_verified(conn, west, domain))
        .await;
    assert!(marked.is_err(), "{marked:?}");
    let forced = w
        .app
        .db
        .write(move |conn| {
            use canopy::db::schema::org_domains;
            use diesel::prelude::*;
            Ok(diesel::update(
                org_domains::table
                    .filter(org_domains::org_id.eq(west))
                    .filter(org_domains::domain.eq(domain)),
            )
            .set(org_domains::verified_at.eq(Some(canopy::db::now())))
            .execute(conn)?)
        })
        .await;
    assert!(forced.is_err(), "{forced:?}");
    assert_eq!(w.owner_of("x@acme.example").await, Some(w.acme));
}

#[tokio::test]
async fn removing_a_domain_drops_its_claim_and_a_new_claim_starts_unverified() {
    let w = world().await;
    w.set_domains(&w.olga.token, w.acme, &["acme.example", "old.example"])
        .await
        .expect_status(S::OK);
    w.app.mark_domain_verified(w.acme, "acme.example").await;
    let first = w.domain(w.acme, "acme.example").await;
    assert_eq!(first["verified"], true);
    w.set_domains(&w.olga.token, w.acme, &["old.example"])
        .await
        .expect_status(S::OK);
    let names: Vec<Value> = w
        .domains(&w.olga.token, w.acme)
        .await
        .iter()
        .map(|d| d["domain"].clone())
        .collect();
    assert_eq!(names, [json!("old.example")]);
    assert_eq!(w.owner_of("x@acme.example").await, None);
    // Free again: Globex may claim it now, with a token of its own.
    w.set_domains(&w.gus.token, w.globex, &["acme.example"])
        .await
        .expect_status(S::OK);
    let globex = w.domain(w.globex, "acme.example").await;
    assert_eq!(globex["verified"], false);
    assert_ne!(globex["record"]["value"], first["record"]["value"]);
    // A domain given to `mark_domain_verified` that the org does not list
    // joins its list, so claims and list stay in step.
    w.app.mark_domain_verified(w.acme, "extra.example").await;
    let (_, acme) = w.get_json(&w.ada, format!("/orgs/{}", w.acme)).await;
    assert_eq!(
        acme["email_domains"],
        json!(["old.example", "extra.example"])
    );
    assert_eq!(w.owner_of("x@extra.example").await, Some(w.acme));
}

#[tokio::test]
async fn the_home_org_suggestion_ignores_unverified_claims() {
    let w = world().await;
    w.set_domains(&w.olga.token, w.east, &["east.acme.example"])
        .await
        .expect_status(S::OK);
    let olga = w.signed_in_browser("olga@acme.test").await;
    let suggest = "/users/suggest-org?email=new.hire%40east.acme.example";
    let (status, html) = olga.get_page(suggest).await;
    assert_eq!(status, S::OK, "{html}");
    assert!(!html.contains("org-suggestion"), "{html}");
    w.publish(w.east, "east.acme.example").await;
    w.verify(&w.olga.token, w.east, "east.acme.example")
        .await
        .expect_status(S::OK);
    let (_, html) = olga.get_page(suggest).await;
    assert!(html.contains("data-testid=\"org-suggestion\""), "{html}");
    assert!(html.contains("East"), "{html}");
}

#[tokio::test]
async fn the_edit_form_refuses_a_domain_verified_elsewhere_next_to_the_field() {
    let w = world().await;
    w.app.mark_domain_verified(w.acme, "acme.example").await;
    let (_, before) = w
        .get_json(&w.gus.token, format!("/orgs/{}", w.globex))
        .await;
    let version = before["version"].to_string();
    let gus = w.signed_in_browser("gus@globex.test").await;
    let fields = [
        ("name", "Globex"),
        ("code", "GLOBEX"),
        ("kind", "customer"),
        ("email_domains", "globex.example, acme.example"),
        ("version", version.as_str()),
    ];
    let response = gus
        .submit_form(&format!("/orgs/{}/edit", w.globex), &fields)
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"email_domains-error\""), "{html}");
    assert!(
        html.contains("acme.example is verified by another organization"),
        "{html}"
    );
    assert!(!html.contains("Acme"), "{html}");
    let (_, after) = w
        .get_json(&w.gus.token, format!("/orgs/{}", w.globex))
        .await;
    assert_eq!(after, before);
    assert!(w.domains(&w.gus.token, w.globex).await.is_empty());
}
