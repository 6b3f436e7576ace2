//! The shell around every page: the sidebar holds only what the person may
//! use, the org switcher takes only orgs they administer (and never leads
//! off the site; the tree and the reports start there), the branding is
//! the org's own, and a context that no longer holds falls back.

use reqwest::StatusCode as S;
use serde_json::json;

use crate::fixture::Tree;
use crate::helpers::*;

/// The sidebar's links (the `Main` navigation), in order.
fn sidebar(html: &str) -> Vec<String> {
    let start = html.find("aria-label=\"Main\"").expect("a sidebar");
    let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
    nav.split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

fn context_name(html: &str) -> Option<String> {
    let at = html.find("data-testid=\"context-name\">")?;
    let rest = &html[at + "data-testid=\"context-name\">".len()..];
    Some(rest[..rest.find('<')?].to_string())
}

#[tokio::test]
async fn the_sidebar_offers_each_person_only_what_they_may_use() {
    let t = Tree::new().await;
    let eve = t.person("eve@example.com", t.east).await;
    let olga = t.org_admin("olga@example.com", t.acme).await;
    let _ = (eve.id, olga.id);

    let eve_page = t.signed_in_browser("eve@example.com").await;
    let (status, html) = eve_page.get_page("/").await;
    assert_eq!(status, S::OK);
    let links = sidebar(&html);
    assert_eq!(
        links,
        [
            "/",
            "/timesheets",
            "/my/projects",
            "/orgs",
            "/access/explain"
        ],
        "an employee with no grant: their own work and their home org"
    );
    assert!(context_name(&html).is_none(), "no org to administer");
    // Every link the sidebar holds opens.
    for link in &links {
        assert_eq!(eve_page.get_page(link).await.0, S::OK, "{link}");
    }

    let olga_page = t.signed_in_browser("olga@example.com").await;
    let (_, html) = olga_page.get_page("/").await;
    let links = sidebar(&html);
    for wanted in [
        "/orgs",
        "/users",
        "/groups",
        "/teams",
        "/projects",
        "/reports",
        "/audit",
        "/approvals",
    ] {
        assert!(links.contains(&wanted.to_string()), "{wanted} in {links:?}");
    }
    // Settings lead to the org she works in: her tenant, by default.
    let settings = format!("/orgs/{}/settings", t.acme);
    assert!(links.contains(&settings), "{links:?}");
    assert_eq!(context_name(&html).as_deref(), Some("Acme"));
    for link in &links {
        assert_eq!(olga_page.get_page(link).await.0, S::OK, "{link}");
    }
}

#[tokio::test]
async fn the_switcher_takes_only_orgs_one_administers_and_stays_on_the_site() {
    let t = Tree::new().await;
    t.org_admin("olga@example.com", t.acme).await;
    let olga = t.signed_in_browser("olga@example.com").await;
    let switch = async |org: &str, back: &str| {
        let answer = olga
            .submit_form("/context", &[("context_org", org), ("back", back)])
            .await;
        assert_eq!(answer.status(), S::SEE_OTHER);
        location(&answer)
    };

    // Her region, by code: the sidebar's Settings follow, the tree opens there.
    assert_eq!(switch("ACME-EAST", "/users?page=2").await, "/users?page=2");
    let (_, html) = olga.get_page("/").await;
    assert_eq!(context_name(&html).as_deref(), Some("East"));
    assert!(html.contains("Now working in East."));
    assert!(sidebar(&html).contains(&format!("/orgs/{}/settings", t.east)));
    let (_, tree) = olga.get_page("/orgs").await;
    assert!(tree.contains("data-testid=\"tree-current\""), "{tree}");
    // Reports start there too, until another org is picked.
    let (status, report) = olga.get_page("/reports/entries").await;
    assert_eq!(status, S::OK);
    assert!(
        report.contains("name=\"org_id\" value=\"ACME-EAST\""),
        "{report}"
    );
    let (_, report) = olga
        .get_page(&format!("/reports/entries?org_id={}", t.acme))
        .await;
    assert!(
        report.contains("name=\"org_id\" value=\"ACME\""),
        "{report}"
    );

    // Another tenant, the root above her, and a code that names nothing are
    // refused alike, and the choice stays.
    let mut refusals = Vec::new();
    for other in ["GLOBEX", "ROOT-NOT-A-CODE", &t.root.to_string()] {
        assert_eq!(switch(other, "/").await, "/");
        let (_, html) = olga.get_page("/").await;
        assert_eq!(context_name(&html).as_deref(), Some("East"), "{other}");
        let flash = html
            .split("flash-error")
            .nth(1)
            .map(|s| s[s.find('>').unwrap() + 1..s.find('<').unwrap()].to_string());
        refusals.push(flash.expect("an error flash"));
    }
    assert_eq!(
        refusals[0], refusals[1],
        "another tenant reads like nothing"
    );
    assert_eq!(refusals[0], refusals[2], "an org above reads like nothing");

    // `back` never leaves the site.
    for foreign in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        assert_eq!(switch("ACME-WEST", foreign).await, "/", "{foreign}");
    }
}

#[tokio::test]
async fn the_shell_wears_the_orgs_brand_and_a_lost_context_falls_back() {
    let t = Tree::new().await;
    let olga = t.org_admin("olga@example.com", t.acme).await;
    let (status, _) = t
        .put_json(
            &t.ada,
            format!("/orgs/{}/settings", t.east),
            json!({"display_name": "East Portal", "accent_color": "#8A2BE2"}),
        )
        .await;
    assert_eq!(status, S::OK);
    let page = t.signed_in_browser("olga@example.com").await;
    // The settings form holds values as they are: an empty display name is an
    // empty field (not the words "(empty)"), the accent a colour input.
    let (_, form) = page.get_page(&format!("/orgs/{}/settings", t.acme)).await;
    assert!(
        form.contains("id=\"set-display_name\" name=\"value\" value=\"\""),
        "{form}"
    );
    assert!(
        form.contains("id=\"set-accent_color\" name=\"value\" type=\"color\" value=\"#2f6b3b\"")
    );
    let (_, form) = page.get_page(&format!("/orgs/{}/settings", t.east)).await;
    assert!(form.contains("id=\"set-display_name\" name=\"value\" value=\"East Portal\""));
    // At Acme: Canopy's own name and colour.
    let (_, html) = page.get_page("/").await;
    assert!(html.contains("<title>Dashboard · Canopy</title>"), "{html}");
    assert!(!html.contains("/brand/accent-"));
    // In East: its name and accent.
    page.submit_form("/context", &[("context_org", "ACME-EAST"), ("back", "/")])
        .await;
    let (_, html) = page.get_page("/").await;
    assert!(html.contains("· East Portal</title>"), "{html}");
    assert!(html.contains("href=\"/brand/accent-8a2be2.css\""));
    let (status, css) = page.get_page("/brand/accent-8a2be2.css").await;
    assert_eq!(status, S::OK);
    assert!(css.contains("--canopy-accent: #8a2be2;"));
    assert_eq!(
        page.get_page("/brand/accent-8a2be2;}.css").await.0,
        S::NOT_FOUND
    );

    // Her grant goes: the context no longer holds, and the shell falls back
    // to what she has (nothing to administer).
    let (_, grants) = t
        .get_json(&t.ada, format!("/grants?org_id={}", t.acme))
        .await;
    let grant = grants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["user_id"].as_i64() == Some(olga.id))
        .expect("her grant")["id"]
        .as_i64()
        .unwrap();
    let (status, _) = t.delete(&t.ada, format!("/grants/{grant}")).await;
    assert_eq!(status, S::NO_CONTENT);
    let (_, html) = page.get_page("/").await;
    assert!(context_name(&html).is_none(), "{html}");
    assert!(!html.contains("East Portal"));
    assert!(!sidebar(&html).iter().any(|l| l.ends_with("/settings")));
}
