//! The org tree (`/orgs`): children 50 at a time with "show more", the
//! no-JavaScript expand links (`/orgs?open=ID`), the path to a searched org
//! opened, and nothing hidden ever shown or told apart from a missing org.

use reqwest::StatusCode as S;

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

fn treeitems(html: &str) -> usize {
    html.matches("role=\"treeitem\"").count()
}

/// The tree, with Globex Labs below Globex, and Olga (Org admin of Acme)
/// signed in; the app's own session is Ada's, who owns the root.
struct World {
    tree: Tree,
    olga: Browser,
}

on_the_tree!(World);

async fn world() -> World {
    let tree = Tree::new().await;
    tree.create_org(&tree.ada, tree.globex, "Globex Labs", "GLOBEX-LABS")
        .await;
    tree.org_admin("olga@acme.example", tree.acme).await;
    let olga = tree.signed_in_browser("olga@acme.example").await;
    tree.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    World { tree, olga }
}

#[tokio::test]
async fn children_come_fifty_at_a_time_with_show_more() {
    let w = world().await;
    let big = w.create_org(&w.ada, w.acme, "Big", "BIG").await;
    let kids = w.many_orgs(big, "Kid", 51).await;

    let (status, html) = w.get_page(&format!("/orgs/{big}/children")).await;
    assert_eq!(status, S::OK);
    assert_eq!(treeitems(&html), 50, "{html}");
    assert!(html.contains(">Kid0049</a>") && !html.contains("Kid0050"));
    assert!(html.contains("data-testid=\"show-more\""), "{html}");
    assert!(html.contains(&format!("hx-get=\"/orgs/{big}/children?offset=50\"")));
    assert!(html.contains("50 of 51 shown"), "{html}");

    let (status, html) = w.get_page(&format!("/orgs/{big}/children?offset=50")).await;
    assert_eq!(status, S::OK);
    assert_eq!(treeitems(&html), 1, "{html}");
    assert!(html.contains(&format!("href=\"/orgs/{}\"", kids[50])));
    assert!(html.contains(">Kid0050</a>"));
    assert!(!html.contains("show-more"), "the last page: {html}");

    // The sub-organizations tab pages the same way.
    let (_, html) = w.get_page(&format!("/orgs/{big}/sub-orgs")).await;
    assert_eq!(treeitems(&html), 50);
    assert!(html.contains("data-testid=\"show-more\""));

    // The counts shown come with each node: Big has 51 sub-orgs.
    let (_, html) = w.get_page(&format!("/orgs/{}/children", w.acme)).await;
    assert!(html.contains("51 sub-orgs"), "{html}");
}

#[tokio::test]
async fn without_javascript_the_toggles_are_links_that_open_the_node() {
    let w = world().await;
    let (status, html) = w.get_page("/orgs").await;
    assert_eq!(status, S::OK);
    // Only the root shows, closed, its toggle a plain link.
    assert_eq!(treeitems(&html), 1, "{html}");
    let open_root = format!("href=\"/orgs?open={}#org-{}\"", w.root, w.root);
    assert!(html.contains(&open_root), "{html}");
    assert!(!html.contains("Acme"));

    // Following it opens the root: its children follow, the path is marked.
    let (status, html) = w.get_page(&format!("/orgs?open={}", w.root)).await;
    assert_eq!(status, S::OK);
    assert_eq!(treeitems(&html), 3, "root, Acme, Globex: {html}");
    assert!(html.contains(&format!(
        "data-org-id=\"{}\" aria-expanded=\"true\" aria-current=\"true\"",
        w.root
    )));
    assert!(html.contains(&format!("href=\"/orgs?open={}#org-{}\"", w.acme, w.acme)));
    // Acme is still closed: East is not listed.
    assert!(!html.contains(">East</a>"));
    // Its open toggle closes it again (back to the tree without it).
    assert!(
        html.contains(&format!("href=\"/orgs#org-{}\"", w.root)),
        "{html}"
    );

    // Deeper: opening Acme keeps the root open above it.
    let (_, html) = w.get_page(&format!("/orgs?open={}", w.acme)).await;
    assert!(
        html.contains(">East</a>") && html.contains(">Globex</a>"),
        "{html}"
    );
    assert!(!html.contains(">Globex Labs</a>"));

    // Show more without JavaScript: the next 50 of the open node.
    let big = w.create_org(&w.ada, w.acme, "Big", "BIG").await;
    w.many_orgs(big, "Kid", 51).await;
    let (_, html) = w.get_page(&format!("/orgs?open={big}")).await;
    assert!(html.contains(&format!(
        "href=\"/orgs?open={big}&amp;offset=50#children-{big}\""
    )));
    let (_, html) = w.get_page(&format!("/orgs?open={big}&offset=50")).await;
    assert!(
        html.contains(">Kid0050</a>") && !html.contains(">Kid0000</a>"),
        "{html}"
    );
    assert!(html.contains("Show the first ones"));
}

#[tokio::test]
async fn a_searched_org_opens_in_the_tree_with_its_path_expanded() {
    let w = world().await;
    let big = w.create_org(&w.ada, w.east, "Big", "BIG").await;
    let kids = w.many_orgs(big, "Kid", 60).await;
    let target = kids[55];

    let (status, html) = w.olga.get_page("/orgs?q=kid0055").await;
    assert_eq!(status, S::OK);
    let link = format!("href=\"/orgs?open={target}#org-{target}\"");
    assert!(html.contains(&link), "{html}");

    let (status, html) = w.olga.get_page(&format!("/orgs?open={target}")).await;
    assert_eq!(status, S::OK);
    // Acme (Olga's top) → East → Big → Kid0055, each open down to it.
    for id in [w.acme, w.east, big] {
        assert!(
            html.contains(&format!("data-org-id=\"{id}\" aria-expanded=\"true\"")),
            "{id} open: {html}"
        );
    }
    assert!(html.contains("data-testid=\"tree-current\""));
    assert!(html.contains(">Kid0055</a>"));
    // Kid0055 is past the first 50: Big shows the page holding it.
    assert!(!html.contains(">Kid0000</a>") && html.contains("Show the first ones"));
    // Nothing above Olga's scope shows on the way.
    assert!(!html.contains(&format!("data-org-id=\"{}\"", w.root)));
    assert!(!html.contains("Globex"));
}

#[tokio::test]
async fn hidden_orgs_never_show_and_answer_like_missing_ones() {
    let w = world().await;
    // Another tenant, for Olga.
    let (_, html) = w.olga.get_page("/orgs").await;
    assert!(!html.contains("Globex"), "{html}");
    let (_, html) = w.olga.get_page(&format!("/orgs?open={}", w.acme)).await;
    assert!(html.contains(">East</a>") && !html.contains("Globex"));
    let missing = 987_654;
    for (hidden, gone) in [
        (
            format!("/orgs?open={}", w.globex),
            format!("/orgs?open={missing}"),
        ),
        (
            format!("/orgs/{}/children", w.globex),
            format!("/orgs/{missing}/children"),
        ),
        (
            format!("/orgs/{}/children?offset=50", w.globex),
            format!("/orgs/{missing}/children?offset=50"),
        ),
        (
            format!("/orgs?open={}", w.root),
            format!("/orgs?open={missing}"),
        ),
    ] {
        let (s1, b1) = w.olga.get_page(&hidden).await;
        let (s2, b2) = w.olga.get_page(&gone).await;
        assert_eq!(s1, S::NOT_FOUND, "{hidden}");
        assert_eq!((s1, b1), (s2, b2), "{hidden} answers like {gone}");
    }

    // A privacy border, for the root owner: Vault shows by name, nothing
    // inside it does.
    let vault = w.create_org(&w.ada, w.root, "Vault", "VAULT").await;
    let secret = w.create_org(&w.ada, vault, "Secret", "SECRET").await;
    w.add_keeper(vault).await;
    w.make_private(&w.ada, vault).await;
    let (_, html) = w.get_page(&format!("/orgs?open={}", w.root)).await;
    assert!(html.contains(">Vault</a>"), "{html}");
    assert!(
        !html.contains(&format!("/orgs/{vault}/children")),
        "no toggle opens onto nothing: {html}"
    );
    assert!(!html.contains("Secret"));
    let (status, html) = w.get_page(&format!("/orgs/{vault}/children")).await;
    assert_eq!(status, S::OK);
    assert_eq!(treeitems(&html), 0, "{html}");
    let (_, html) = w.get_page("/orgs?q=secret").await;
    assert!(!html.contains("Secret</a>"), "{html}");
    for (hidden, gone) in [
        (
            format!("/orgs?open={secret}"),
            format!("/orgs?open={missing}"),
        ),
        (
            format!("/orgs/{secret}/children"),
            format!("/orgs/{missing}/children"),
        ),
    ] {
        let (s1, b1) = w.get_page(&hidden).await;
        let (s2, b2) = w.get_page(&gone).await;
        assert_eq!(s1, S::NOT_FOUND, "{hidden}");
        assert_eq!((s1, b1), (s2, b2), "{hidden} answers like {gone}");
    }
}

#[tokio::test]
async fn the_tree_is_a_keyboard_tree_laid_out_vertically() {
    let w = world().await;
    let (_, html) = w.get_page(&format!("/orgs?open={}", w.root)).await;
    assert!(html.contains("role=\"tree\"") && html.contains("role=\"group\""));
    assert!(html.contains("aria-describedby=\"tree-help\""));
    let (_, css) = w.get_page("/static/app.css").await;
    // Pico's button-group style must not turn the children into a row.
    assert!(
        css.contains(".tree ul[role=group] { display: block;"),
        "{css}"
    );
    let (_, js) = w.get_page("/static/app.js").await;
    for key in [
        "ArrowUp",
        "ArrowDown",
        "ArrowLeft",
        "ArrowRight",
        "Home",
        "End",
    ] {
        assert!(js.contains(key), "{key}");
    }
}
