//! The org tree: create, move, refuse to delete; invitations; a group's
//! role and explain.

use fantoccini::Locator;

use crate::support::*;

/// Creates a sub-organization of the org whose page is open.
async fn create_child(page: &Page, name: &str, code: &str) -> TestResult {
    page.click("a[href$='/new']").await?;
    page.fill("#name", name).await?;
    page.fill("#code", code).await?;
    page.click("main form[action$='/new'] button[type=submit]")
        .await?;
    page.wait_for_text(&format!("{name} is created.")).await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn create_move_and_fail_to_delete_an_org() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.click("nav a[href='/orgs']").await?;
        page.click("[data-testid=org-tree] a").await?; // the root
        create_child(&page, "Acme", "ACME").await?;
        create_child(&page, "East", "ACME-EAST").await?;
        assert_eq!(page.text("[data-testid=org-name]").await?, "East");
        page.click(".crumbs a[href^='/orgs/']:not([href='/orgs'])")
            .await?; // back to Root
        page.wait_for_path("the root's page", |p| p.starts_with("/orgs/"))
            .await?;
        create_child(&page, "Globex", "GLOBEX").await?;

        // The tree loads children lazily: expand the root, then Acme.
        page.goto("/orgs").await?;
        page.click("[data-testid=org-tree] > li > .toggle").await?;
        page.wait_for_text("Globex").await?;
        // The tree is vertical and indented: each child below the one before,
        // children to the right of their parent (Pico's [role=group] style
        // once laid siblings side by side).
        let (rx, ry, _, _) = rect(&page, "[data-testid=org-tree] > li").await?;
        let (ax, ay, _, _) = rect(&page, "li.node li.node:nth-child(1)").await?;
        let (gx, gy, _, _) = rect(&page, "li.node li.node:nth-child(2)").await?;
        assert!(ay > ry && gy > ay, "children below: {ry} {ay} {gy}");
        assert!(
            ax > rx && (gx - ax).abs() < 1.0,
            "indented, aligned: {rx} {ax} {gx}"
        );
        page.click("li.node li.node .toggle").await?; // Acme's toggle (Acme sorts first)
        page.wait_for_text("East").await?;
        snap(&page, "org-tree").await?;

        // Move East from Acme to Globex.
        page.click("a[href$='/orgs/3']").await?;
        page.wait_for_path("East's page", |p| p == "/orgs/3")
            .await?;
        page.click("a[href='/orgs/3/move']").await?;
        // The picker suggests as one types; the code is enough.
        page.fill("#parent_id", "glob").await?;
        page.find("#parent_id-options option[value='GLOBEX']")
            .await?;
        page.fill("#parent_id", "GLOBEX").await?;
        page.click("form[method=post][action='/orgs/3/move'] button[type=submit]")
            .await?;
        page.wait_for_text("East is moved.").await?;
        let crumbs = page.text(".crumbs").await?;
        assert!(
            crumbs.contains("Globex") && !crumbs.contains("Acme"),
            "{crumbs}"
        );
        snap(&page, "org-overview").await?;

        // Globex now holds East: deleting it is refused, and the page says why.
        page.click(".crumbs a[href='/orgs/4']").await?;
        page.click("a[href='/orgs/4/delete']").await?;
        let why = page.text("[data-testid=delete-blocked]").await?;
        assert!(
            why.contains("Globex cannot be deleted") && why.contains("1 sub-organization"),
            "{why}"
        );
        assert!(
            !page.exists("form[action='/orgs/4/delete']").await?,
            "no delete button when blocked"
        );
        snap(&page, "org-delete-blocked").await?;

        // The tree by keyboard: Right opens a node, Right again enters its
        // first child, Left goes back up to it.
        use fantoccini::key::Key;
        page.goto("/orgs").await?;
        let closed = "[role=tree] li.node[aria-expanded=false] > a.name";
        let name = page.text(closed).await?;
        page.find(closed).await?.send_keys(&Key::Right).await?;
        page.find("[role=tree] li.node[aria-expanded=true] > ul > li.node > a.name")
            .await?;
        let focused = page.client.active_element().await?;
        focused.send_keys(&Key::Right).await?;
        let child = page.client.active_element().await?.text().await?;
        assert_ne!(child.trim(), name, "focus entered the opened node");
        page.client
            .active_element()
            .await?
            .send_keys(&Key::Left)
            .await?;
        let back = page.client.active_element().await?.text().await?;
        assert_eq!(back.trim(), name, "Left went back up to the parent");
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn invite_a_user_and_activate_from_the_outbox_link() {
    let server = Server::start(true).await;
    let dir = server.dir.path().to_path_buf();
    run(server, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.click("nav a[href='/users']").await?;
        page.click("a[href='/users/new']").await?;
        page.fill("#email", "eve@example.com").await?;
        page.fill("#display_name", "Eve Example").await?;
        page.click("#org_id").await?;
        page.fill("#org_id", "1").await?; // Root, by id (the picker takes ids, codes and paths)
        page.click("main form[action='/users/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Eve Example is invited").await?;
        assert_eq!(page.text("[data-testid=user-status]").await?, "invited");

        // The invitation waits in the outbox, which says a link was sent but
        // never shows it; the server's command line prints it for development.
        page.goto("/admin/outbox").await?;
        page.click("[data-testid=outbox] a").await?;
        page.find("[data-testid=link-sent]").await?;
        let link = Server::mail_link(&dir, "eve@example.com", "/activate/");
        assert!(link.contains("/activate/"), "{link}");
        page.click("details.user-menu summary").await?;
        page.click("[data-testid=sign-out]").await?;
        page.wait_for_text("You have signed out.").await?;

        page.goto(&link).await?;
        page.fill("#password", "short").await?;
        page.fill("#password_confirm", "short").await?;
        page.click("main form button[type=submit]").await?;
        page.wait_for_text("at least 10 characters").await?;
        page.fill("#password", "eve's long password").await?;
        page.fill("#password_confirm", "eve's long password")
            .await?;
        page.click("main form button[type=submit]").await?;
        page.wait_for_path("the dashboard", |p| p == "/").await?;
        page.wait_for_text("Welcome, Eve Example").await?;
        snap(&page, "activated").await?;

        // The link is used up.
        page.goto(&link).await?;
        page.wait_for_text("expired or was already used").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_group_role_reaches_its_member_and_explain_says_why_not_before() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/orgs/1").await?;
        create_child(&page, "Acme", "ACME").await?;
        // A user at home in the root, with a password.
        page.goto("/users/new").await?;
        page.fill("#email", "sam@example.com").await?;
        page.fill("#display_name", "Sam Member").await?;
        page.fill("#org_id", "1").await?; // Root
        page.fill("#password", "sam's long password").await?;
        page.click("main form[action='/users/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Sam Member can sign in now.").await?;

        // Why may Sam not edit Acme? No grant.
        page.click("nav a[href='/access/explain']").await?;
        page.fill("#email", "sam@example.com").await?;
        page.click("#permission option[value='org.edit']").await?;
        page.fill("#org_id", "ACME").await?;
        page.click("main form button[type=submit]").await?;
        let answer = page.text("[data-testid=explain-answer]").await?;
        assert!(
            answer.contains("denied")
                && answer.contains("no grant gives Edit organizations (org.edit)"),
            "{answer}"
        );

        // A group with Sam in it gets Org admin at Acme.
        page.goto("/groups/new").await?;
        page.fill("#name", "Acme admins").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/groups/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Group Acme admins is created.").await?;
        page.fill("#member-email", "sam@example.com").await?;
        page.click("main form[action$='/members'] button[type=submit]")
            .await?;
        page.wait_for_text("Sam Member is in the group.").await?;
        page.click("#grant-role").await?;
        page.click(
            &page
                .client
                .find(Locator::XPath(
                    "//select[@id='grant-role']/option[normalize-space()='Org admin']",
                ))
                .await?
                .attr("value")
                .await?
                .map(|v| format!("#grant-role option[value='{v}']"))
                .unwrap_or_default(),
        )
        .await?;
        page.fill("#grant-org", "ACME").await?;
        page.click("main form[action$='/grants'] button[type=submit]")
            .await?;
        page.wait_for_text("Every member now holds Org admin there.")
            .await?;
        snap(&page, "group").await?;

        // Now the explain page says allowed, through the group.
        page.goto("/access/explain?email=sam%40example.com&permission=org.edit&org_id=2")
            .await?;
        let answer = page.text("[data-testid=explain-answer]").await?;
        assert!(
            answer.contains("allowed") && answer.contains("Org admin at Acme"),
            "{answer}"
        );

        // And Sam, signed in, sees Acme's edit button.
        sign_out(&page).await?;
        page.sign_in("sam@example.com", "sam's long password")
            .await?;
        page.goto("/orgs/2").await?;
        assert!(
            page.exists("a[href='/orgs/2/edit']").await?,
            "Sam may edit Acme through the group"
        );
        Ok(())
    })
    .await;
}
