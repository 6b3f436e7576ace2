//! An org's own face and a new customer in one pass: the root's owner makes
//! a customer through the guided flow (org, first admin, role, assignable
//! roles) and finds it in the org table, then uploads a logo and names and
//! colours the shell.

use serde_json::json;

use crate::support::*;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Chooses the option of the select `css` whose text is `label`.
async fn choose(page: &Page, css: &str, label: &str) -> TestResult {
    let found = page
        .client
        .execute(
            "const s = document.querySelector(arguments[0]);
             const o = [...s.options].find(o => o.textContent.trim() === arguments[1]);
             if (!o) return false;
             s.value = o.value; return true;",
            vec![json!(css), json!(label)],
        )
        .await?;
    if found != json!(true) {
        return Err(format!("no option {label:?} in {css}").into());
    }
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn an_admin_makes_a_new_customer_in_one_pass_and_brands_the_shell_with_a_logo() {
    let server = Server::start(true).await;
    let logo = server.dir.path().join("logo.png");
    std::fs::write(&logo, PNG).expect("logo file");
    run(server, async |page| {
        page.client.set_window_size(1366, 900).await?;
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;

        // The flow, from the org table.
        page.goto("/orgs/table").await?;
        page.click("[data-testid=new-customer]").await?;
        page.wait_for_path("the flow", |p| p == "/orgs/new-customer").await?;
        page.fill("#customer-name", "Initech").await?;
        page.fill("#customer-code", "INITECH").await?;
        page.fill("#customer-tags", "gold").await?;
        page.fill("#customer-admin-email", "bill@initech.example").await?;
        page.fill("#customer-admin-name", "Bill Lumbergh").await?;
        choose(&page, "#customer-role", "Org admin").await?;
        page.client
            .execute(
                "[...document.querySelectorAll('input[name=assignable]')]
                     .filter(c => ['Org admin', 'Approver'].includes(c.parentElement.textContent.trim()))
                     .forEach(c => c.click());",
                vec![],
            )
            .await?;
        page.click("[data-testid=create-customer]").await?;
        page.wait_for_text("Initech is ready").await?;
        let summary = page.text("[data-testid=customer-summary]").await?;
        for wanted in ["INITECH", "Bill Lumbergh", "bill@initech.example", "Org admin", "Approver"] {
            assert!(summary.contains(wanted), "{wanted} not in {summary}");
        }
        snap(&page, "new-customer-summary").await?;
        // The table finds it by its tag.
        page.goto("/orgs/table?tag=gold").await?;
        let table = page.text("[data-testid=org-table]").await?;
        snap(&page, "org-table").await?;
        assert!(table.contains("INITECH") && table.contains("Customer"), "{table}");
        fits(&page, "the org table").await?;

        // Branding the root, where the owner works: a logo, a name, a colour.
        page.goto("/").await?;
        let settings = page
            .find("#sidebar a[href$='/settings']")
            .await?
            .attr("href")
            .await?
            .ok_or("no settings link")?;
        page.goto(&settings).await?;
        page.find("#logo-file")
            .await?
            .send_keys(&logo.display().to_string())
            .await?;
        page.click("[data-testid=upload-logo]").await?;
        page.find("[data-testid=logo-preview]").await?;
        set_brand(&page, "Initrode Console", "#8a2be2").await?;

        page.goto("/").await?;
        assert_eq!(page.text("[data-testid=brand]").await?, "Initrode Console");
        let shown = page
            .client
            .execute(
                "const i = document.querySelector('[data-testid=brand-logo]');
                 return i && i.complete && i.naturalWidth > 0 && i.alt;",
                vec![],
            )
            .await?;
        assert_eq!(shown, json!("Initrode Console logo"), "the logo loads, with alt text");
        snap(&page, "branded-shell").await?;
        let accent = page
            .client
            .execute(
                "return getComputedStyle(document.querySelector('[data-testid=topbar]')).borderTopColor;",
                vec![],
            )
            .await?;
        assert_eq!(accent, json!("rgb(138, 43, 226)"));
        Ok(())
    })
    .await;
}
