//! Every page each kind of person reaches, checked by the axe-core engine
//! (the npm package, `npm ci --prefix tests/browser`) inside Chromium: no
//! serious or critical violation of WCAG 2.1 A and AA (labels, names,
//! contrast, landmarks, ARIA), and a visible focus ring on the first links.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::*;

/// axe-core's browser bundle: `$AXE_CORE`, else the one npm installed here.
fn axe_source() -> TestResult<String> {
    let path = std::env::var_os("AXE_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/browser/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read axe-core at {} ({e}): run `npm ci --prefix tests/browser`",
            path.display()
        )
        .into()
    })
}

/// The serious and critical violations axe finds on the open page, one line
/// each: rule, what it means, and the first offending elements.
async fn violations(page: &Page, axe: &str) -> TestResult<Vec<String>> {
    page.client.execute(axe, vec![]).await?;
    let found = page
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {
                 runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
                 resultTypes: ['violations'],
             }).then(r => done(r.violations.map(v => ({
                 id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
             })))).catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await?;
    let list = found.as_array().cloned().unwrap_or_default();
    Ok(list
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{} ({}): {} at {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or("?"),
                v["nodes"]
            )
        })
        .collect())
}

/// The pages a person reaches: every entry of the main navigation, the first
/// link of each kind of detail page found on the lists, and `extra`.
async fn pages_of(page: &Page, extra: &[&str]) -> TestResult<Vec<String>> {
    page.goto("/").await?;
    let hrefs: Value = page
        .client
        .execute(
            "const own = a => a.getAttribute('href');
             const nav = [...document.querySelectorAll('header nav a[href^=\"/\"]')].map(own);
             return nav.filter(h => h !== '/' && !h.startsWith('/static'));",
            vec![],
        )
        .await?;
    let mut paths: Vec<String> = vec!["/".into()];
    for h in hrefs.as_array().into_iter().flatten() {
        if let Some(h) = h.as_str() {
            paths.push(h.to_string());
        }
    }
    // One detail page of each list the person can open.
    for (list, pattern) in [
        ("/orgs", r"^/orgs/\d+$"),
        ("/users", r"^/users/\d+$"),
        ("/projects", r"^/projects/\d+$"),
        ("/teams", r"^/teams/\d+$"),
        ("/groups", r"^/groups/\d+$"),
    ] {
        page.goto(list).await?;
        let found: Value = page
            .client
            .execute(
                "const re = new RegExp(arguments[0]);
                 const a = [...document.querySelectorAll('main a[href]')]
                     .map(a => a.getAttribute('href')).find(h => re.test(h));
                 return a || null;",
                vec![json!(pattern)],
            )
            .await?;
        if let Some(h) = found.as_str() {
            paths.push(h.to_string());
            // Its tabs.
            page.goto(h).await?;
            let tabs: Value = page
                .client
                .execute(
                    "return [...document.querySelectorAll('main nav a[href]')]
                         .map(a => a.getAttribute('href'))
                         .filter(h => h.startsWith(arguments[0] + '/'));",
                    vec![json!(h)],
                )
                .await?;
            for t in tabs.as_array().into_iter().flatten() {
                if let Some(t) = t.as_str() {
                    paths.push(t.to_string());
                }
            }
        }
    }
    paths.extend(extra.iter().map(|p| p.to_string()));
    paths.sort();
    paths.dedup();
    Ok(paths)
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn every_page_of_every_role_passes_axe_core() {
    let axe = axe_source().expect("axe-core");
    run(
        Server::start_after(&["demo", "--size", "small"]).await,
        async |page| {
            page.client.set_window_size(1366, 900).await?;
            let mut failures: Vec<String> = Vec::new();
            let mut checked = 0;
            // Signed out: the sign-in and password pages.
            for path in ["/sign-in", "/forgot-password"] {
                page.goto(path).await?;
                for v in violations(&page, &axe).await? {
                    failures.push(format!("signed out {path}: {v}"));
                }
                checked += 1;
            }
            let reports = [
                "/reports/monthly-by-project",
                "/reports/entries",
                "/reports/project-hours",
                "/reports/team-hours",
                "/reports/missing-timesheets",
            ];
            // The org table and the New customer flow (issue 14, point 10).
            let admin_pages = [&reports[..], &["/orgs/table", "/orgs/new-customer"]].concat();
            for (who, extra) in [
                ("owner@canopy.demo", &admin_pages[..]),
                ("admin@c0001.demo", &admin_pages[..]),
                (
                    "approver@c0001.demo",
                    &["/timesheets", "/notifications"][..],
                ),
                (
                    "employee@c0001.demo",
                    &["/timesheets", "/profile", "/profile/two-factor"][..],
                ),
            ] {
                page.sign_in(who, "canopy-demo-2026").await?;
                for path in pages_of(&page, extra).await? {
                    page.goto(&path).await?;
                    for v in violations(&page, &axe).await? {
                        failures.push(format!("{who} {path}: {v}"));
                    }
                    checked += 1;
                }
                sign_out(&page).await?;
            }
            assert!(checked > 40, "only {checked} pages were checked");
            if !failures.is_empty() {
                return Err(format!(
                    "{} serious or critical axe-core violations on {checked} pages:\n{}",
                    failures.len(),
                    failures.join("\n")
                )
                .into());
            }
            Ok(())
        },
    )
    .await;
}
