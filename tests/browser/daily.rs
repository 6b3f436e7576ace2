//! Daily work with fewer clicks (issue 14): typed settings, a role granted
//! from a person's page, an assignment back-dated by editing it, and the
//! grid's totals following what is typed.

use chrono::{Datelike, Duration};

use crate::support::*;

/// Sets a field's value as a picker would (date and colour inputs take no
/// typing in a fixed format).
async fn set_value(page: &Page, css: &str, value: &str) -> TestResult {
    page.client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![css.into(), value.into()],
        )
        .await?;
    Ok(())
}

/// Chooses the option of the select `css` whose label is `label`.
async fn choose(page: &Page, css: &str, label: &str) -> TestResult {
    page.find(css).await?;
    let found = page
        .client
        .execute(
            "const s = document.querySelector(arguments[0]);\
             const o = Array.from(s.options).find((o) => o.text.trim() === arguments[1]);\
             if (o) { s.value = o.value; } return !!o;",
            vec![css.into(), label.into()],
        )
        .await?;
    assert_eq!(found, serde_json::json!(true), "no option {label} in {css}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn settings_are_picked_saved_and_inherited_again() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/orgs/1/settings").await?;
        snap(&page, "settings").await?;
        // A closed choice is a select; the empty option says what it inherits.
        assert!(
            page.text("#set-week_start option[value='']")
                .await?
                .contains("Monday, the default")
        );
        page.click("#set-week_start option[value='tuesday']")
            .await?;
        page.click("form[action$='/settings/week_start'] button[type=submit]")
            .await?;
        page.wait_for_text("Week starts on is set here.").await?;
        assert_eq!(
            page.text("[data-testid=setting-week_start]").await?,
            "Tuesday"
        );
        // Numbers carry their unit.
        page.fill("#set-lock_after_days", "30").await?;
        page.click("form[action$='/settings/lock_after_days'] button[type=submit]")
            .await?;
        page.wait_for_text("Lock approved time after (days) is set here.")
            .await?;
        assert_eq!(
            page.text("[data-testid=setting-lock_after_days]").await?,
            "30 days"
        );
        // Emptied, it inherits again, and says so.
        page.click("#set-week_start option[value='']").await?;
        page.click("form[action$='/settings/week_start'] button[type=submit]")
            .await?;
        page.wait_for_text("Week starts on now inherits.").await?;
        assert_eq!(
            page.text("[data-testid=setting-week_start]").await?,
            "Monday"
        );
        assert_eq!(
            page.text("[data-testid=source-week_start]").await?,
            "Default"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_role_is_granted_from_a_persons_page_in_one_step() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/users/new").await?;
        page.fill("#email", "gus@example.com").await?;
        page.fill("#display_name", "Gus Guest").await?;
        page.fill("#org_id", "1").await?; // Root
        page.fill("#password", "a long enough password").await?;
        page.click("main form[action='/users/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Gus Guest can sign in now.").await?;
        // The person's page grants a role at an org (the picker starts at
        // their home).
        choose(&page, "#grant-role", "Auditor").await?;
        page.click("[data-testid=grant-role]").await?;
        page.wait_for_text("The role Auditor is granted.").await?;
        let grants = page.text("[data-testid=user-grants]").await?;
        assert!(grants.contains("Auditor at Root"), "{grants}");
        snap(&page, "person-granted").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_back_dated_assignment_takes_the_hours_and_the_grid_adds_up_as_you_type() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/projects/new").await?;
        page.fill("#name", "Apollo").await?;
        page.fill("#code", "APOLLO").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/projects/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Project Apollo is created.").await?;
        let project = page
            .path()
            .await?
            .trim_start_matches("/projects/")
            .to_string();
        // Assigned from this week's first day (the default) ...
        page.fill("#assign-email", ADMIN_EMAIL).await?;
        page.fill("#assign-hours", "40").await?;
        page.click("main form[action$='/assignments'] button[type=submit]")
            .await?;
        page.wait_for_text("is assigned.").await?;
        // ... then back-dated a week by editing the assignment.
        let today = chrono::Utc::now().date_naive();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let earlier = monday - Duration::days(7);
        page.click("[data-testid=assignments] a[data-testid=edit-assignment]")
            .await?;
        set_value(&page, "#assign-start", &earlier.to_string()).await?;
        page.click("[data-testid=save-assignment]").await?;
        page.wait_for_text("The assignment is saved.").await?;
        // Dates read in words; the ISO date is the `<time>`'s own.
        assert!(
            page.exists(&format!(
                "[data-testid=assignments] time[datetime='{earlier}']"
            ))
            .await?,
            "the assignment starts {earlier}"
        );

        // Hours on that earlier Monday are taken.
        page.goto(&format!("/timesheets/1/{earlier}")).await?;
        page.fill("[data-testid=add-project]", "APOLLO").await?;
        page.click("main form.inline button[type=submit]").await?;
        let cell = |day: chrono::NaiveDate| format!("[data-testid=h-{project}-{day}]");
        page.fill(&cell(earlier), "6").await?;
        page.click("[data-testid=save]").await?;
        page.wait_for_text("Saved").await?;
        assert!(!page.exists("[data-testid^=error-]").await?);

        // This week: today is marked, and the totals follow the typing.
        page.goto(&format!("/timesheets/1/{monday}")).await?;
        page.fill("[data-testid=add-project]", "APOLLO").await?;
        page.click("main form.inline button[type=submit]").await?;
        // The row's cell exists only once the page with the added row is in.
        page.fill(&cell(monday), "3").await?;
        let marked = page.find("th[aria-current=date]").await?.text().await?;
        assert!(
            marked.contains(&today.format("%d %b").to_string()),
            "{marked}"
        );
        page.fill(&cell(monday + Duration::days(1)), "4:30").await?;
        assert_eq!(
            page.text(&format!("[data-testid=row-total-{project}]"))
                .await?,
            "7.50"
        );
        assert_eq!(
            page.text(&format!("[data-testid=day-total-{monday}]"))
                .await?,
            "3.00"
        );
        assert_eq!(page.text("[data-testid=week-total]").await?, "7.50");
        snap(&page, "timesheet-typing").await?;
        Ok(())
    })
    .await;
}
