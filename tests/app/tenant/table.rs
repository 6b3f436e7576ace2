//! The orgs as a table: what the person may see, searched, filtered,
//! sorted and paged in SQL with totals that match.

use super::*;

/// The codes in the table on `html`, in order.
fn codes(html: &str) -> Vec<String> {
    let Some(body) = html.split("data-testid=\"org-table\"").nth(1) else {
        return Vec::new();
    };
    let body = body.split("<tbody>").nth(1).unwrap_or_default();
    body.split("<tr>")
        .skip(1)
        .filter_map(|row| {
            let cell = row.split("<td>").nth(1)?;
            Some(cell.split("</td>").next()?.to_string())
        })
        .collect()
}

fn summary(html: &str) -> String {
    let at = html
        .find("data-testid=\"pager-summary\">")
        .expect("a pager");
    let rest = &html[at + "data-testid=\"pager-summary\">".len()..];
    rest.split("</p>").next().unwrap().to_string()
}

#[tokio::test]
async fn the_table_shows_only_what_the_person_may_see_filtered_sorted_and_paged() {
    let w = Tree::new().await;
    w.org_admin("olga@acme.example", w.acme).await;
    let olga = w.signed_in_browser("olga@acme.example").await;
    w.app.create_user("w1@acme.example", "W One", w.west).await;
    w.app.create_user("w2@acme.example", "W Two", w.west).await;
    let tagged = json!({"parent_id": w.acme, "name": "Lab", "code": "ACME-LAB", "kind": "site", "tags": "Gold, beta"});
    w.post_created(&w.ada, "/orgs", tagged).await;

    let (status, html) = olga.get_page("/orgs/table").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        codes(&html),
        ["ACME", "ACME-BOS", "ACME-EAST", "ACME-LAB", "ACME-WEST"]
    );
    assert_eq!(summary(&html), "Showing 1–5 of 5");
    let west = html.split("ACME-WEST").nth(1).unwrap();
    assert!(west.contains("<td>2</td>"), "two people live in West");

    let page = async |q: &str| olga.get_page(&format!("/orgs/table?{q}")).await;
    assert_eq!(codes(&page("q=east").await.1), ["ACME-EAST"]);
    assert_eq!(codes(&page("q=acme-b").await.1), ["ACME-BOS"]);
    assert_eq!(
        codes(&page("kind=region").await.1),
        ["ACME-EAST", "ACME-WEST"]
    );
    assert_eq!(codes(&page("tag=gold").await.1), ["ACME-LAB"]);
    assert_eq!(codes(&page("tag=BETA&kind=site").await.1), ["ACME-LAB"]);
    assert!(
        codes(&page("tag=gol").await.1).is_empty(),
        "a tag matches whole"
    );
    assert_eq!(
        codes(&page("sort=code&dir=desc").await.1),
        ["ACME-WEST", "ACME-LAB", "ACME-EAST", "ACME-BOS", "ACME"]
    );
    let changed = page("sort=changed&dir=desc").await.1;
    assert_eq!(codes(&changed)[0], "ACME-LAB", "the newest change first");
    // Globex and the root are nowhere, whatever is asked.
    assert!(codes(&page("q=globex").await.1).is_empty());
    assert!(codes(&page("q=root").await.1).is_empty());

    // Past a border: the private org's name shows, what lies inside does not.
    w.add_keeper(w.east).await;
    w.make_private(&w.ada, w.east).await;
    let html = olga.get_page("/orgs/table").await.1;
    assert_eq!(codes(&html), ["ACME", "ACME-EAST", "ACME-LAB", "ACME-WEST"]);
    assert_eq!(summary(&html), "Showing 1–4 of 4");
}

#[tokio::test]
async fn the_table_pages_by_fifty_and_the_totals_match() {
    let w = Tree::new().await;
    w.org_admin("olga@acme.example", w.acme).await;
    w.many_orgs(w.west, "Shop", 60).await;
    let olga = w.signed_in_browser("olga@acme.example").await;
    let (_, first) = olga.get_page("/orgs/table").await;
    assert_eq!(summary(&first), "Showing 1–50 of 64");
    assert_eq!(codes(&first).len(), 50);
    let (_, second) = olga.get_page("/orgs/table?page=2").await;
    assert_eq!(summary(&second), "Showing 51–64 of 64");
    assert_eq!(codes(&second).len(), 14);
    let mut all = codes(&first);
    all.extend(codes(&second));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 64, "no org twice, none left out");
    // A page past the end is the last page; the root's owner sees them all.
    assert_eq!(
        summary(&olga.get_page("/orgs/table?page=9").await.1),
        "Showing 51–64 of 64"
    );
    w.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        summary(&w.get_page("/orgs/table").await.1),
        "Showing 1–50 of 66"
    );
}
