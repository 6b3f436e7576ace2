//! The console at scale (10k orgs) and at phone width.

use fantoccini::Locator;

use crate::support::*;

/// Opens the first node with children among `level` (a CSS path to tree
/// items) and returns the CSS path to the items it shows.
async fn open_first_with_children(page: &Page, level: &str) -> TestResult<String> {
    let node = format!("{level}[aria-expanded]");
    page.click(&format!("{node} > a.toggle")).await?;
    let children = format!("{level}[aria-expanded=true] > ul > li.node");
    page.find(&children).await?;
    Ok(children)
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn at_ten_thousand_orgs_the_tree_search_and_a_page_of_the_inbox_work() {
    run(
        Server::start_after(&["demo", "--size", "medium"]).await,
        async |page| {
            page.client.set_window_size(1366, 900).await?;
            page.sign_in("owner@canopy.demo", "canopy-demo-2026")
                .await?;

            // Three levels down the tree, each loaded on demand.
            page.goto("/orgs").await?;
            let mut level = "[data-testid=org-tree] > li.node".to_string();
            for _ in 0..3 {
                level = open_first_with_children(&page, &level).await?;
            }
            let shown = page.client.find_all(Locator::Css("li.node")).await?.len();
            assert!(
                shown < 300,
                "only the opened paths are on the page, not 10k orgs: {shown} nodes"
            );
            assert!(!overflows_sideways(&page).await?, "the tree fits 1366 px");
            snap(&page, "tree-at-scale").await?;

            // Search an org, show it in the tree, open it.
            page.fill("input[name=q]", "Acme").await?;
            page.click("form[role=search] button[type=submit]").await?;
            page.click("[data-testid=show-in-tree]").await?;
            let current = page.find("[data-testid=tree-current]").await?;
            let href = current.attr("href").await?.ok_or("no link")?;
            current.click().await?;
            page.wait_for_path("the org's page", |p| p == href).await?;
            assert!(
                !overflows_sideways(&page).await?,
                "the org page fits 1366 px"
            );
            sign_out(&page).await?;

            // The org admin approves one page of the inbox at once.
            page.sign_in("admin@c0001.demo", "canopy-demo-2026").await?;
            page.goto("/approvals").await?;
            page.find("[data-testid=inbox]").await?;
            let before = page.text("[data-testid=inbox-showing]").await?;
            let rows = page
                .client
                .find_all(Locator::Css("[data-testid=inbox] input[name=item]"))
                .await?
                .len();
            assert!(rows > 0, "the demo leaves weeks waiting: {before}");
            assert!(!overflows_sideways(&page).await?, "the inbox fits 1366 px");
            page.click("[data-testid=pick-all]").await?;
            page.click("[data-testid=bulk-approve]").await?;
            page.wait_for_text(&format!("{rows} approved.")).await?;
            let after = page.text("body").await?;
            assert!(
                !after.contains(&before),
                "the inbox moved on after approving a page: {before}"
            );
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn at_phone_width_the_tree_a_picker_the_inbox_and_a_report_fit() {
    run(
        Server::start_after(&["demo", "--size", "small"]).await,
        async |page| {
            page.sign_in("owner@canopy.demo", "canopy-demo-2026")
                .await?;
            page.client.set_window_size(390, 844).await?;

            // The org tree, three levels open.
            page.goto("/orgs").await?;
            let mut level = "[data-testid=org-tree] > li.node".to_string();
            for _ in 0..3 {
                level = open_first_with_children(&page, &level).await?;
            }
            fits(&page, "the org tree three levels open").await?;
            snap(&page, "phone-tree").await?;

            // The inbox with its filters, then a picker with its suggestions.
            page.goto("/approvals").await?;
            page.find("[data-testid=inbox-filters]").await?;
            fits(&page, "the inbox").await?;
            page.fill("#f-org", "a").await?;
            eventually("the org picker's suggestions", async || {
                let options = page
                    .client
                    .find_all(Locator::Css("#f-org-options option"))
                    .await?;
                Ok((!options.is_empty()).then_some(()))
            })
            .await?;
            page.click("#f-org").await?;
            fits(&page, "a picker with its suggestions").await?;
            snap(&page, "phone-inbox").await?;

            // A report with its chart and table, over the last eight weeks.
            let from = chrono::Utc::now().date_naive() - chrono::Duration::days(56);
            page.goto(&format!("/reports/monthly-by-project?from={from}"))
                .await?;
            page.find("[data-testid=report]").await?;
            fits(&page, "a report").await?;
            snap(&page, "phone-report").await?;
            Ok(())
        },
    )
    .await;
}
