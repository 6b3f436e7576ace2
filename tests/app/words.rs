//! Words, not codes (issue 14, points 3 and 5): the audit log reads as
//! sentences naming and linking people, never naming what the viewer may
//! not see; its action filter is by label; reports head their columns with
//! labels and always show their period, with presets; permissions read as
//! labels with their codes as hints.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode as S;
use serde_json::json;

use crate::helpers::*;
use crate::timesheets::{World, world};

/// The sentence cell of each audit row on `html`.
fn sentences(html: &str) -> Vec<String> {
    html.split("data-testid=\"sentence\">")
        .skip(1)
        .map(|s| s[..s.find("</td>").unwrap()].to_string())
        .collect()
}

/// Eve logs an hour on P1 on the first day of last week.
async fn an_hour_on_p1(w: &World) -> serde_json::Value {
    let entries = json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60}]);
    let (status, sheet) = w.put_sheet(&w.eve, 0, entries).await;
    assert_eq!(status, S::OK, "{sheet}");
    sheet
}

/// "30 Nov 2026", as the log's sentences write a week.
fn day(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

#[tokio::test]
async fn an_audit_entry_reads_as_a_sentence_naming_and_linking_people() {
    let w = world().await;
    let sheet = an_hour_on_p1(&w).await;
    let id = sheet["id"].as_i64().unwrap();
    assert_eq!(w.act(&w.eve, id, "submit", json!({})).await.0, S::OK);
    let (status, body) = w
        .act(&w.pat, id, "approve", json!({"project_id": w.p1}))
        .await;
    assert_eq!(status, S::OK, "{body}");

    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/audit?action=timesheet.approved").await;
    assert_eq!(status, S::OK, "{html}");
    let expected = format!(
        "<a href=\"/users/{pat}\">Pat</a> approved <a href=\"/users/{eve}\">Eve</a>’s \
         <a href=\"/timesheets/{eve}/{week}\">week of {day}</a>.",
        pat = w.pat_id,
        eve = w.eve_id,
        week = w.week,
        day = day(w.week),
    );
    assert_eq!(sentences(&html), std::slice::from_ref(&expected), "{html}");
    // The dashboard's latest changes read the same sentence, not "timesheet #id".
    let (status, dashboard) = olga.get_page("/").await;
    assert_eq!(status, S::OK, "{dashboard}");
    assert!(sentences(&dashboard).contains(&expected), "{dashboard}");
    assert!(
        !dashboard.contains(&format!("timesheet #{id}")),
        "{dashboard}"
    );
    // The action filter is a select of labels, the code as the value.
    assert!(
        html.contains("<option value=\"timesheet.approved\" selected>Week approved</option>"),
        "{html}"
    );
    // Its changes read as words: no version, no raw JSON.
    assert!(html.contains("<dt>State</dt>"), "{html}");
    assert!(
        !html.contains("<dt>version</dt>") && !html.contains("part_id"),
        "{html}"
    );
    // Dates are <time> elements with the ISO date on hover.
    assert!(html.contains("<time datetime=\""), "{html}");

    // "About a person" is a person picker: the entries whose target she is.
    let (status, html) = olga
        .get_page("/audit?about_user=eve%40acme.example&action=user.")
        .await;
    assert_eq!(status, S::OK, "{html}");
    assert!(
        html.contains("name=\"about_user\" value=\"eve@acme.example\""),
        "{html}"
    );
    assert!(
        sentences(&html)
            .iter()
            .all(|s| s.contains(&format!("/users/{}\"", w.eve_id))),
        "{html}"
    );
}

#[tokio::test]
async fn the_action_filter_takes_labels_and_refuses_unknown_codes_cleanly() {
    let w = world().await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/audit?action=project.created").await;
    assert_eq!(status, S::OK);
    let rows: Vec<&str> = html.split("<tr data-action=\"").skip(1).collect();
    assert!(!rows.is_empty(), "{html}");
    assert!(
        rows.iter().all(|r| r.starts_with("project.created\"")),
        "{html}"
    );
    assert!(
        html.contains("created the project <a href=\"/projects/"),
        "{html}"
    );
    // An area still filters (old links), and an unknown code or markup is a
    // message next to the field, never a 500.
    assert_eq!(olga.get_page("/audit?action=project.").await.0, S::OK);
    for bad in [
        "nope",
        "project.exploded",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let (status, html) = olga.get_page(&format!("/audit?action={bad}")).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(html.contains("id=\"action-error\""), "{bad}: {html}");
        assert!(!html.contains("<script>alert"), "{bad}");
    }
    // The API's filter is unchanged: a code matches entries, nothing more.
    w.app
        .get_json(&w.olga, "/audit?action=nope")
        .await
        .expect_status(S::OK);
}

#[tokio::test]
async fn a_hidden_target_is_never_named_to_another_tenant() {
    let w = world().await;
    // Ada gives Olga (of Acme) a role at Globex, then takes it back: Gus,
    // Globex's admin, reads both entries, but Olga is no longer someone he
    // may see, so neither names her.
    let grant = w
        .app
        .grant_role(&w.ada, "Org admin", w.olga_id, w.globex)
        .await;
    w.app
        .delete(&w.ada, format!("/grants/{grant}"))
        .await
        .expect_status(S::NO_CONTENT);
    // A person moved from Acme to Globex: Gus sees them, not where they came from.
    let ivy = w.app.create_user("ivy@acme.example", "Ivy", w.acme).await;
    w.app
        .patch_json(
            &w.ada,
            format!("/users/{}", ivy.id),
            json!({"org_id": w.globex}),
        )
        .await
        .expect_status(S::OK);
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    let (status, html) = gus.get_page("/audit").await;
    assert_eq!(status, S::OK, "{html}");
    let said = sentences(&html);
    assert!(
        said.iter()
            .any(|s| s.contains("granted the role Org admin at <a href=")
                && s.ends_with("to someone.")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|s| s.contains("revoked the role Org admin")),
        "{said:?}"
    );
    assert!(!html.contains("Olga") && !html.contains("olga@"), "{html}");
    assert!(!html.contains("Acme") && !html.contains("ACME"), "{html}");
    assert!(
        said.iter()
            .any(|s| s.contains(&format!("moved <a href=\"/users/{}\">Ivy</a>", ivy.id))),
        "{said:?}"
    );
    assert!(
        html.contains("<dt>Organization</dt><dd><del>an organization</del> → <ins>Globex</ins>"),
        "{html}"
    );
}

#[tokio::test]
async fn reports_label_their_columns_and_show_their_period_with_presets() {
    let w = world().await;
    an_hour_on_p1(&w).await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/reports/project-hours").await;
    assert_eq!(status, S::OK, "{html}");
    // The default period is in the fields, never hidden behind empty ones.
    let today = chrono::Utc::now().date_naive();
    let month = today.with_day(1).unwrap();
    let next = (month + Duration::days(32)).with_day(1).unwrap();
    assert!(html.contains(&format!("name=\"from\" type=\"date\" value=\"{month}\"")));
    let month_end = next - Duration::days(1);
    assert!(html.contains(&format!("name=\"to\" type=\"date\" value=\"{month_end}\"")));
    // Presets link to their dates (no script needed); last month is right.
    let last_month = (month - Duration::days(1)).with_day(1).unwrap();
    let link = preset(&html, "last-month");
    assert!(
        link.contains(&format!("from={last_month}"))
            && link.contains(&format!("to={}", month - Duration::days(1))),
        "{link}"
    );
    let quarter = NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1).unwrap();
    assert!(preset(&html, "this-quarter").contains(&format!("from={quarter}")));
    let week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    assert!(preset(&html, "this-week").contains(&format!("from={week}")));
    let (status, followed) = olga.get_page(&link.replace("&#38;", "&")).await;
    assert_eq!(status, S::OK);
    assert!(followed.contains(&format!(
        "name=\"from\" type=\"date\" value=\"{last_month}\""
    )));
    assert!(
        followed.contains("aria-current=\"true\" data-preset=\"last-month\""),
        "{followed}"
    );

    // Headers are labels on the page; the CSV keeps the field names.
    let (_, html) = olga
        .get_page(&format!(
            "/reports/project-hours?from={}&to={}",
            w.day(0),
            w.day(6)
        ))
        .await;
    for label in ["Project", "Budget (hours)", "Project code"] {
        assert!(
            html.contains(&format!("<th scope=\"col\">{label}</th>")),
            "{label}: {html}"
        );
    }
    assert!(!html.contains(">budget_hours<") && !html.contains(">project_code<"));
    let (status, csv) = olga.get_page("/reports/project-hours?format=csv").await;
    assert_eq!(status, S::OK);
    assert!(
        csv.starts_with("project_code,project,user,month,hours,budget_hours"),
        "{csv}"
    );
}

/// The `href` of the preset link `key` on a report page.
fn preset(html: &str, key: &str) -> String {
    let at = html
        .find(&format!("data-preset=\"{key}\""))
        .unwrap_or_else(|| panic!("{key}: {html}"));
    let start = html[..at].rfind("href=\"").unwrap() + 6;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn reports_chart_titles_are_words() {
    let w = world().await;
    an_hour_on_p1(&w).await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (_, html) = olga
        .get_page(&format!(
            "/reports/entries?from={}&to={}",
            w.day(0),
            w.day(6)
        ))
        .await;
    assert!(html.contains("Hours by project<"), "{html}");
    assert!(!html.contains("by project_code"));
}

#[tokio::test]
async fn permissions_show_a_label_with_the_code_as_a_hint() {
    let w = world().await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page(&format!("/orgs/{}/roles", w.acme)).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("<abbr title=\"org.view\">View organizations</abbr>"),
        "{html}"
    );
    let (status, html) = olga
        .get_page("/access/explain?permission=org.view&org_id=ACME")
        .await;
    assert_eq!(status, S::OK, "{html}");
    assert!(
        html.contains("<option value=\"org.view\" selected>View organizations (org.view)</option>"),
        "{html}"
    );
    assert!(
        html.contains(
            "View organizations (org.view) comes from the role Org admin at Acme and below."
        ),
        "{html}"
    );
    assert!(!html.contains("(grant "), "{html}");
}
