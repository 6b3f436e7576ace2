//! The shell per person: what each sees in the sidebar, the org switcher,
//! the org's branding, breadcrumbs, and the sidebar behind a menu button on
//! a phone.

use serde_json::Value;

use crate::support::*;

const PASSWORD: &str = "canopy-demo-2026";

/// The sidebar's entries as (area, label, href), in order.
async fn sidebar(page: &Page) -> TestResult<Vec<(String, String, String)>> {
    let found: Value = page
        .client
        .execute(
            "return [...document.querySelectorAll('#sidebar a')].map(a => [
                 document.getElementById(a.closest('ul').getAttribute('aria-labelledby')).textContent.trim(),
                 a.childNodes[0].textContent.trim(),
                 a.getAttribute('href')]);",
            vec![],
        )
        .await?;
    Ok(found
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let s = |i: usize| e[i].as_str().unwrap_or_default().to_string();
            (s(0), s(1), s(2))
        })
        .collect())
}

fn labels(entries: &[(String, String, String)]) -> Vec<String> {
    entries.iter().map(|(_, l, _)| l.clone()).collect()
}

/// Every sidebar entry opens a page that is not an error.
async fn every_entry_opens(page: &Page, entries: &[(String, String, String)]) -> TestResult {
    for (_, label, href) in entries {
        page.goto(href).await?;
        let title = page.client.title().await?;
        if title.starts_with("Not found") || title.starts_with("Forbidden") {
            return Err(format!("{label} ({href}) answers {title:?}").into());
        }
    }
    Ok(())
}

/// The top bar's computed top border colour, as `rgb(r, g, b)`.
async fn accent_shown(page: &Page) -> TestResult<String> {
    let colour = page
        .client
        .execute(
            "return getComputedStyle(document.querySelector('[data-testid=topbar]')).borderTopColor;",
            vec![],
        )
        .await?;
    Ok(colour.as_str().unwrap_or_default().to_string())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn each_person_sees_their_shell_and_an_admin_switches_org_and_brands_it() {
    run(
        Server::start_after(&["demo", "--size", "small"]).await,
        async |page| {
            page.client.set_window_size(1366, 900).await?;

            // An employee: their own work and what they may read, nothing
            // to approve, no org to administer.
            page.sign_in("employee@c0001.demo", PASSWORD).await?;
            let mine = sidebar(&page).await?;
            let seen = labels(&mine);
            for wanted in ["Dashboard", "My week", "My projects"] {
                assert!(
                    seen.contains(&wanted.to_string()),
                    "employee lacks {wanted}: {seen:?}"
                );
            }
            for hidden in ["Approvals", "Audit", "Settings"] {
                assert!(
                    !seen.contains(&hidden.to_string()),
                    "employee sees {hidden}: {seen:?}"
                );
            }
            assert!(!page.exists("[data-testid=context-switcher]").await?);
            every_entry_opens(&page, &mine).await?;
            page.goto("/my/projects").await?;
            snap(&page, "employee-shell").await?;
            let crumbs = page.text("main nav[aria-label=Breadcrumb]").await?;
            assert!(
                crumbs.contains("Dashboard") && crumbs.contains("My projects"),
                "{crumbs}"
            );
            sign_out(&page).await?;

            // An approver also has the inbox.
            page.sign_in("approver@c0001.demo", PASSWORD).await?;
            let theirs = sidebar(&page).await?;
            assert!(
                theirs
                    .iter()
                    .any(|(area, l, h)| area == "Work" && l == "Approvals" && h == "/approvals"),
                "{theirs:?}"
            );
            assert!(!labels(&theirs).contains(&"Settings".to_string()));
            every_entry_opens(&page, &theirs).await?;
            sign_out(&page).await?;

            // An org admin works in their tenant: the switcher names it and
            // Settings points at it.
            page.sign_in("admin@c0001.demo", PASSWORD).await?;
            let admin = sidebar(&page).await?;
            for (area, entry) in [
                ("Insight", "Reports"),
                ("Insight", "Audit"),
                ("Admin", "Settings"),
            ] {
                assert!(
                    admin.iter().any(|(a, l, _)| a == area && l == entry),
                    "admin lacks {area} / {entry}: {admin:?}"
                );
            }
            every_entry_opens(&page, &admin).await?;
            page.goto("/").await?;
            let tenant = page.text("[data-testid=context-name]").await?;
            let settings = |entries: &[(String, String, String)]| {
                entries
                    .iter()
                    .find(|(_, l, _)| l == "Settings")
                    .map(|(_, _, h)| h.clone())
                    .unwrap_or_default()
            };
            let tenant_settings = settings(&admin);
            assert!(tenant_settings.ends_with("/settings"), "{tenant_settings}");

            // Switch to one of the tenant's sub-organizations, by searching.
            page.goto(&tenant_settings.replace("/settings", "/sub-orgs"))
                .await?;
            let child = page
                .client
                .execute(
                    "const a = document.querySelector('main [role=treeitem] a.name');
                     return a ? a.getAttribute('href') : null;",
                    vec![],
                )
                .await?;
            let child_href = child
                .as_str()
                .ok_or("no sub-organization on the tenant's page")?
                .to_string();
            page.goto(&child_href).await?;
            let child_name = page.text("[data-testid=org-name]").await?;
            let child_code = page.text("main hgroup code").await?;
            page.click("[data-testid=context-switcher] summary").await?;
            page.fill("#context-org", &child_code).await?;
            page.click(".context-form button[type=submit]").await?;
            page.wait_for_text("Now working in").await?;
            let now = page.text("[data-testid=context-name]").await?;
            assert_ne!(now, tenant, "the switcher still names the tenant");
            assert!(
                now.contains(&child_name),
                "{now} does not name {child_name}"
            );
            let switched = sidebar(&page).await?;
            assert_eq!(settings(&switched), format!("{child_href}/settings"));
            // The tree opens at the chosen org.
            page.goto("/orgs").await?;
            page.find(&format!(
                "[data-testid=org-tree] a.name[href='{child_href}']"
            ))
            .await?;

            // An org outside the tenant cannot be chosen: the switcher says
            // so and keeps the choice.
            page.click("[data-testid=context-switcher] summary").await?;
            page.fill("#context-org", "C0002").await?;
            page.click(".context-form button[type=submit]").await?;
            page.find(".flash-error").await?;
            assert_eq!(page.text("[data-testid=context-name]").await?, now);

            // Branding: the chosen org's display name and accent dress the shell.
            page.goto(&format!("{child_href}/settings")).await?;
            set_brand(&page, "Acme East Portal", "#8a2be2").await?;
            page.goto("/").await?;
            assert_eq!(page.text("[data-testid=brand]").await?, "Acme East Portal");
            assert_eq!(accent_shown(&page).await?, "rgb(138, 43, 226)");
            assert!(page.client.title().await?.ends_with("· Acme East Portal"));

            // On a phone the sidebar waits behind the menu button.
            page.client.set_window_size(390, 844).await?;
            page.goto("/users").await?;
            assert!(!page.find("#sidebar").await?.is_displayed().await?);
            page.click("[data-testid=menu-button]").await?;
            assert!(page.find("#sidebar").await?.is_displayed().await?);
            fits(&page, "the shell with its sidebar open").await?;
            Ok(())
        },
    )
    .await;
}
