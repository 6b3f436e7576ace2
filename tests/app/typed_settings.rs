//! Typed settings (issue 14): each setting's control on the org's settings
//! page, what an empty field inherits and from where, and the page and the
//! API refusing the same bad values with the same words.

use reqwest::StatusCode as S;
use serde_json::json;

use crate::fixture::Tree;
use crate::helpers::*;

#[tokio::test]
async fn the_settings_page_offers_typed_controls_and_says_what_each_inherits() {
    let t = Tree::new().await;
    let (status, _) = t
        .put_json(
            &t.ada,
            format!("/orgs/{}/settings", t.acme),
            json!({"week_start": "tuesday", "lock_after_days": 30}),
        )
        .await;
    assert_eq!(status, S::OK);
    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    let (status, html) = page.get_page(&format!("/orgs/{}/settings", t.east)).await;
    assert_eq!(status, S::OK);
    // Closed choices are selects whose empty option inherits, visibly.
    assert!(
        html.contains("<select id=\"set-week_start\" name=\"value\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"\">Inherit (Tuesday, from Acme)</option>"),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"both\">Both in turn"),
        "{html}"
    );
    assert!(html.contains("<select id=\"set-reminder_day\" name=\"value\""));
    // Numbers are numbers with their unit; "never" is a box of its own.
    assert!(html.contains(
        "id=\"set-max_minutes_per_day\" name=\"value\" type=\"number\" min=\"1\" max=\"1440\""
    ));
    assert!(html.contains("<span>minutes</span>"));
    assert!(
        html.contains("Empty inherits: 30 days, from Acme."),
        "{html}"
    );
    assert!(html.contains("data-testid=\"never-lock_after_days\""));
    // The colour is a colour input with a swatch (no inline style).
    assert!(html.contains("id=\"set-accent_color\" name=\"value\" type=\"color\""));
    assert!(html.contains("<rect id=\"swatch-accent_color\""));
    assert!(!html.contains("style="));
    // Assignable roles are ticked by name.
    assert!(html.contains("name=\"role\""));
    assert!(html.contains("> Org admin</label>"), "{html}");
    assert!(!html.contains("list of role ids"));
    // What is inherited names where it comes from.
    assert!(html.contains(&format!(
        "Inherited from <a href=\"/orgs/{}\">Acme</a>",
        t.acme
    )));
}

#[tokio::test]
async fn a_setting_picked_on_the_page_is_saved_and_an_emptied_one_inherits() {
    let t = Tree::new().await;
    t.put_json(
        &t.ada,
        format!("/orgs/{}/settings", t.acme),
        json!({"week_start": "tuesday"}),
    )
    .await;
    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    let set = |key: &str| format!("/orgs/{}/settings/{key}", t.east);
    let response = page
        .submit_form(&set("week_start"), &[("value", "friday")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, got) = t
        .get_json(&t.ada, format!("/orgs/{}/settings", t.east))
        .await;
    let week_start = |got: &serde_json::Value| {
        got["settings"]
            .as_array()
            .and_then(|l| l.iter().find(|s| s["key"] == "week_start"))
            .cloned()
            .unwrap_or_else(|| got["week_start"].clone())
    };
    assert_eq!(week_start(&got)["value"], "friday", "{got}");
    assert_eq!(week_start(&got)["source"], "this_org", "{got}");
    let (_, html) = page.get_page(&format!("/orgs/{}/settings", t.east)).await;
    assert!(
        html.contains("<option value=\"friday\" selected>Friday</option>"),
        "{html}"
    );

    // Emptied, it inherits Acme's again.
    let response = page.submit_form(&set("week_start"), &[("value", "")]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, got) = t
        .get_json(&t.ada, format!("/orgs/{}/settings", t.east))
        .await;
    assert_eq!(week_start(&got)["value"], "tuesday", "{got}");
    assert_eq!(week_start(&got)["inherited_from"], t.acme, "{got}");

    // "Never" and ticked roles are what the API stores for them.
    let response = page
        .submit_form(&set("lock_after_days"), &[("value", ""), ("never", "1")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let viewer = t.role_id(&t.ada, "Viewer").await;
    let auditor = t.role_id(&t.ada, "Auditor").await;
    let response = page
        .submit_form(
            &set("assignable_roles"),
            &[
                ("value", "some"),
                ("role", &viewer.to_string()),
                ("role", &auditor.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, got) = t
        .get_json(&t.ada, format!("/orgs/{}/settings", t.east))
        .await;
    let text = got.to_string();
    assert!(text.contains("\"none\""), "{got}");
    let mut ids = vec![viewer, auditor];
    ids.sort();
    assert!(text.contains(&json!(ids).to_string()), "{got}");
    let (_, html) = page.get_page(&format!("/orgs/{}/settings", t.east)).await;
    assert!(
        html.contains("Auditor, Viewer") || html.contains("Viewer, Auditor"),
        "{html}"
    );
}

#[tokio::test]
async fn bad_settings_are_refused_next_to_the_field_as_the_api_refuses_them() {
    let t = Tree::new().await;
    let page = t.signed_in_browser(ADMIN_EMAIL).await;
    for (key, bad) in [
        ("week_start", "someday"),
        ("max_minutes_per_day", "0"),
        ("accent_color", "red"),
    ] {
        let response = page
            .submit_form(
                &format!("/orgs/{}/settings/{key}", t.east),
                &[("value", bad)],
            )
            .await;
        assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY, "{key}");
        let html = response.text().await.unwrap();
        let (status, api) = t
            .put_json(
                &t.ada,
                format!("/orgs/{}/settings", t.east),
                json!({key: bad}),
            )
            .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{api}");
        let message = api["error"]["fields"][key].as_str().unwrap().to_string();
        let shown = format!("<small id=\"{key}-error\" class=\"field-error\">{message}</small>");
        assert!(html.contains(&shown), "{key}: {shown} in {html}");
        assert!(html.contains("aria-invalid=\"true\""));
    }
    // Nothing changed.
    let (_, got) = t
        .get_json(&t.ada, format!("/orgs/{}/settings", t.east))
        .await;
    assert!(!got.to_string().contains("this_org"), "{got}");
}

#[tokio::test]
async fn settings_of_another_tenant_or_without_the_permission_are_refused() {
    let t = Tree::new().await;
    t.org_admin("gina@example.com", t.globex).await;
    t.member("vic@example.com", t.acme, "Viewer", t.acme).await;
    let path = format!("/orgs/{}/settings/week_start", t.east);
    let gina = t.signed_in_browser("gina@example.com").await;
    let response = gina.submit_form(&path, &[("value", "friday")]).await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let vic = t.signed_in_browser("vic@example.com").await;
    let response = vic.submit_form(&path, &[("value", "friday")]).await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (_, html) = vic.get_page(&format!("/orgs/{}/settings", t.east)).await;
    assert!(!html.contains("id=\"set-week_start\""));
    let (_, got) = t
        .get_json(&t.ada, format!("/orgs/{}/settings", t.east))
        .await;
    assert!(!got.to_string().contains("friday"), "{got}");
}
