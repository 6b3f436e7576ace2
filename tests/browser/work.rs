//! Daily work: a project with people and a team, a week from draft to
//! approved, a report and its CSV.

use serde_json::json;

use crate::support::*;

/// Creates a user with a password through the page, at home in the root.
async fn create_user_page(page: &Page, email: &str, name: &str) -> TestResult {
    page.goto("/users/new").await?;
    page.fill("#email", email).await?;
    page.fill("#display_name", name).await?;
    page.fill("#org_id", "1").await?; // Root
    page.fill("#password", "a long enough password").await?;
    page.click("main form[action='/users/new'] button[type=submit]")
        .await?;
    page.wait_for_text(&format!("{name} can sign in now."))
        .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_project_with_two_people_and_a_team_with_a_lead() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        create_user_page(&page, "pia@example.com", "Pia Manager").await?;
        create_user_page(&page, "max@example.com", "Max Member").await?;

        page.click("nav a[href='/projects']").await?;
        page.click("a[href='/projects/new']").await?;
        page.fill("#name", "Apollo").await?;
        page.fill("#code", "APOLLO").await?;
        page.fill("#org_id", "1").await?; // Root
        page.fill("#budget_hours", "120").await?;
        page.click("main form[action='/projects/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Project Apollo is created.").await?;

        for (email, role, hours) in [
            ("pia@example.com", "manager", "8"),
            ("max@example.com", "member", "32"),
        ] {
            page.fill("#assign-email", email).await?;
            page.click(&format!("#assign-role option[value='{role}']"))
                .await?;
            page.fill("#assign-hours", hours).await?;
            page.click("main form[action$='/assignments'] button[type=submit]")
                .await?;
            page.wait_for_text("is assigned.").await?;
        }
        let table = page.text("[data-testid=assignments]").await?;
        assert!(
            table.contains("Pia Manager") && table.contains("manager") && table.contains("8.00"),
            "{table}"
        );
        assert!(
            table.contains("Max Member") && table.contains("member") && table.contains("32.00"),
            "{table}"
        );
        snap(&page, "project").await?;

        page.click("nav a[href='/teams']").await?;
        page.click("a[href='/teams/new']").await?;
        page.fill("#name", "Flight crew").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/teams/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Team Flight crew is created.").await?;
        page.fill("#member-email", "pia@example.com").await?;
        page.click("input[name=lead]").await?;
        page.click("main form[action$='/members'] button[type=submit]")
            .await?;
        page.wait_for_text("Pia Manager is in the team.").await?;
        page.fill("#member-email", "max@example.com").await?;
        page.click("main form[action$='/members'] button[type=submit]")
            .await?;
        page.wait_for_text("Max Member is in the team.").await?;
        let members = page.text("[data-testid=team-members]").await?;
        assert!(
            members.contains("Pia Manager")
                && members.contains("lead")
                && members.contains("Max Member"),
            "{members}"
        );

        // Max sees the project among his own.
        sign_out(&page).await?;
        page.sign_in("max@example.com", "a long enough password")
            .await?;
        page.click("nav a[href='/my/projects']").await?;
        let mine = page.text("[data-testid=my-projects]").await?;
        assert!(
            mine.contains("Apollo") && mine.contains("32.00 h/week"),
            "{mine}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_week_is_submitted_rejected_fixed_and_approved() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        create_user_page(&page, "eve@example.com", "Eve Employee").await?;
        create_user_page(&page, "pat@example.com", "Pat Approver").await?;
        page.goto("/projects/new").await?;
        page.fill("#name", "Apollo").await?;
        page.fill("#code", "APOLLO").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/projects/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Project Apollo is created.").await?;
        let project_id = page
            .path()
            .await?
            .trim_start_matches("/projects/")
            .to_string();
        for (email, role) in [
            ("eve@example.com", "member"),
            ("pat@example.com", "approver"),
        ] {
            page.fill("#assign-email", email).await?;
            page.click(&format!("#assign-role option[value='{role}']"))
                .await?;
            page.fill("#assign-hours", "40").await?;
            page.click("main form[action$='/assignments'] button[type=submit]")
                .await?;
            page.wait_for_text("is assigned.").await?;
        }
        sign_out(&page).await?;

        // Eve fills today's cell of this week and submits.
        let today = chrono::Utc::now().date_naive();
        let cell = format!("[data-testid=h-{project_id}-{today}]");
        page.sign_in("eve@example.com", "a long enough password")
            .await?;
        page.click("nav a[href='/timesheets']").await?;
        page.click("[data-testid=this-week]").await?;
        // The project to add is typed (its code, or picked from the list).
        page.fill("[data-testid=add-project]", "APOLLO").await?;
        page.click("main form.inline button[type=submit]").await?;
        page.fill(&cell, "9").await?;
        page.click(".notes-row summary").await?;
        page.fill(
            &format!("[data-testid=n-{project_id}-{today}]"),
            "Launch prep",
        )
        .await?;
        page.click("[data-testid=submit]").await?;
        page.wait_for_text("Your week is submitted for approval.")
            .await?;
        assert_eq!(page.text("[data-testid=sheet-status]").await?, "submitted");
        snap(&page, "timesheet-submitted").await?;
        sign_out(&page).await?;

        // Pat finds it in his inbox and rejects it with a reason.
        page.sign_in("pat@example.com", "a long enough password")
            .await?;
        assert_eq!(page.text("[data-testid=approvals-count]").await?, "1");
        page.click("nav a[href='/approvals']").await?;
        page.click("[data-testid=inbox] a").await?;
        page.fill(
            "[data-testid=reject-reason]",
            "Launch prep goes on project Zeus",
        )
        .await?;
        page.click("[data-testid=reject]").await?;
        page.wait_for_text("Rejected; the person is told why.")
            .await?;
        sign_out(&page).await?;

        // Eve sees why, fixes the hours and submits again.
        page.sign_in("eve@example.com", "a long enough password")
            .await?;
        assert!(page.exists("[data-testid=unread-count]").await?);
        page.click("[data-testid=bell]").await?;
        page.wait_for_text("was rejected").await?;
        page.click("[data-testid=notifications] li a").await?;
        let why = page.text("[data-testid=rejection]").await?;
        assert!(why.contains("project Zeus"), "{why}");
        page.fill(&cell, "7.5").await?;
        page.fill(
            &format!("[data-testid=n-{project_id}-{today}]"),
            "Design review",
        )
        .await?;
        page.click("[data-testid=submit]").await?;
        page.wait_for_text("Your week is submitted for approval.")
            .await?;
        let sheet_path = page.path().await?;
        sign_out(&page).await?;

        // Pat approves from the inbox.
        page.sign_in("pat@example.com", "a long enough password")
            .await?;
        page.goto("/approvals").await?;
        page.click("[data-testid=inbox] input[type=checkbox]")
            .await?;
        page.click("[data-testid=bulk-approve]").await?;
        page.wait_for_text("1 approved.").await?;
        assert!(page.exists("[data-testid=inbox-empty]").await?);
        sign_out(&page).await?;

        // The week is approved and locked for Eve.
        page.sign_in("eve@example.com", "a long enough password")
            .await?;
        page.goto(&sheet_path).await?;
        page.wait_for_text("This week is approved and locked.")
            .await?;
        assert_eq!(page.text("[data-testid=sheet-status]").await?, "approved");
        assert!(
            !page.exists("input.hours").await?,
            "no inputs on a locked week"
        );
        assert!(
            page.text("[data-testid=week-total]")
                .await?
                .contains("7.50")
        );
        snap(&page, "timesheet-approved").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_report_over_another_period_and_its_csv_agree() {
    run(
        Server::start_after(&["demo", "--size", "small"]).await,
        async |page| {
            page.sign_in("admin@c0001.demo", "canopy-demo-2026").await?;
            page.click("nav a[href='/reports']").await?;
            page.click("a[href='/reports/monthly-by-project']").await?;
            page.find("[data-testid=report]").await?;
            let this_month = page.text("[data-testid=report-total]").await?;

            // The last eight weeks instead of this month: set the dates, show.
            let today = chrono::Utc::now().date_naive();
            let from = (today - chrono::Duration::days(56)).to_string();
            page.client
                .execute(
                    "document.getElementById('from').value = arguments[0];\
                 document.getElementById('to').value = arguments[1];",
                    vec![json!(from), json!(today.to_string())],
                )
                .await?;
            page.click("[data-testid=run-report]").await?;
            page.wait_for_path("the period in the query", |p| {
                p.contains(&format!("from={from}"))
            })
            .await?;
            let total = page.text("[data-testid=report-total]").await?;
            assert_ne!(total, this_month, "a longer period holds more hours");
            snap(&page, "report").await?;

            // The CSV behind the download link, fetched with the page's session.
            let href = page
                .find("[data-testid=csv]")
                .await?
                .attr("href")
                .await?
                .ok_or("the CSV link has no href")?;
            let cookies = page.client.get_all_cookies().await?;
            let session = cookies
                .iter()
                .find(|c| c.name() == "canopy_session")
                .ok_or("no session cookie")?;
            let csv = reqwest::Client::new()
                .get(format!("{}{href}", page.base))
                .header("Cookie", format!("canopy_session={}", session.value()))
                .send()
                .await?;
            assert!(
                csv.headers()["content-type"]
                    .to_str()?
                    .starts_with("text/csv")
            );
            let text = csv.text().await?;
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("user,month,project_code,project,hours"));
            let sum: f64 = lines
                .map(|l| {
                    l.rsplit(',')
                        .next()
                        .unwrap_or("0")
                        .parse::<f64>()
                        .unwrap_or(f64::NAN)
                })
                .sum();
            assert_eq!(
                format!("{sum:.2}"),
                total,
                "the CSV's hours add up to the page's total"
            );
            Ok(())
        },
    )
    .await;
}
