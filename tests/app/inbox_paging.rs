//! The approvals inbox at scale: 50 rows a page with the total (its filters
//! are in `inbox_filters.rs`), people of the same name told apart, "approve all N
//! matching" that approves exactly what the confirmation listed, and the SQL
//! scope held to the Rust rule (`Approver::may_decide`) for everyone.

use std::sync::Arc;

use canopy::authz::{Access, AuthzStore};
use canopy::domain::approval::{Approver, PendingFilter};
use canopy::domain::audit::Actor;
use canopy::domain::timesheet::{self, CellInput};
use canopy::domain::user::User;
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode as S;
use serde_json::json;

use crate::helpers::*;
use crate::timesheets::{World, post, world};

/// The timesheet world, plus:
/// - 30 people called "Sam Same" at East, each with one week on P1 and P2
///   (project mode: two parts each), spread over three weeks;
/// - West (under Acme, team mode), 10 people with one week each (a team part),
///   the first three in Lee's team.
///
/// Olga (time.approve over Acme) decides all 70 parts; Pat the 30 on P1 (by
/// assignment); Lee the three team parts of his team.
pub(crate) struct Inbox {
    pub(crate) w: World,
    pub(crate) west: i64,
    sams: Vec<User>,
    wests: Vec<User>,
    store: Arc<AuthzStore>,
}

pub(crate) const SAMS: usize = 30;
pub(crate) const WESTS: usize = 10;

impl Inbox {
    pub(crate) fn app(&self) -> &TestApp {
        &self.w.app
    }

    /// The week `i` people submitted (three weeks, the latest last week).
    fn week_of(w: &World, i: usize) -> NaiveDate {
        w.week - Duration::days(7 * (i % 3) as i64)
    }

    pub(crate) async fn browser(&self, email: &str) -> Browser {
        let b = self.app().new_browser();
        assert_eq!(
            b.sign_in(email, ADMIN_PASSWORD).await.status(),
            S::SEE_OTHER
        );
        b
    }

    /// The id of Sam `n`'s submitted sheet.
    async fn sheet_id(&self, n: usize) -> i64 {
        let path = format!(
            "/timesheets/{}/{}",
            self.sams[n].id,
            Inbox::week_of(&self.w, n)
        );
        let (_, week) = self.app().get_json(&self.w.ada, path).await;
        week["id"].as_i64().unwrap()
    }

    /// Pending parts as (part id, sheet id, project id, sheet version).
    async fn pending(&self) -> Vec<(i64, i64, Option<i64>, i64)> {
        self.app()
            .db
            .read(|conn| {
                use canopy::db::schema::{approval_parts, timesheets};
                use diesel::prelude::*;
                Ok(approval_parts::table
                    .inner_join(timesheets::table)
                    .filter(approval_parts::status.eq("pending"))
                    .order(approval_parts::id)
                    .select((
                        approval_parts::id,
                        timesheets::id,
                        approval_parts::project_id,
                        timesheets::version,
                    ))
                    .load(conn)?)
            })
            .await
            .unwrap()
    }
}

async fn assign(w: &World, project: i64, user: i64, role: &str) {
    let start = w.week - Duration::days(60);
    w.app.assign(&w.ada, project, user, role, start).await;
}

/// Saves `user`'s week with 4 hours on Monday of each project and submits it.
async fn submit(i: &Inbox, user: &User, week: NaiveDate, projects: &[i64]) -> i64 {
    let (user, projects, store) = (user.clone(), projects.to_vec(), i.store.clone());
    i.app()
        .db
        .write(move |conn| {
            let actor = Actor::session(user.id, None);
            let cells: Vec<CellInput> = projects
                .iter()
                .map(|p| CellInput {
                    key: format!("h-{p}-{week}"),
                    project_id: *p,
                    date: week.to_string(),
                    minutes: 240,
                    note: String::new(),
                })
                .collect();
            let saved = timesheet::save(conn, &actor, &user, week, 0, &cells)?;
            let id = saved.sheet.expect("saved").id;
            let snapshot = store.fresh(conn)?;
            timesheet::submit(conn, &actor, &snapshot, id, None)?;
            Ok(id)
        })
        .await
        .expect("week submitted")
}

pub(crate) async fn inbox() -> Inbox {
    let w = world().await;
    let west = w.west;
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{west}/settings"),
            json!({"approval_mode": "team"}),
        )
        .await
        .expect_status(S::OK);
    let mut i = Inbox {
        west,
        sams: Vec::new(),
        wests: Vec::new(),
        store: Arc::new(AuthzStore::new()),
        w,
    };
    for n in 0..SAMS {
        let sam = i
            .app()
            .create_user(&format!("sam{n:02}@acme.example"), "Sam Same", i.w.east)
            .await;
        assign(&i.w, i.w.p1, sam.id, "member").await;
        assign(&i.w, i.w.p2, sam.id, "member").await;
        i.sams.push(sam);
    }
    for n in 0..WESTS {
        let person = i
            .app()
            .create_user(
                &format!("west{n:02}@acme.example"),
                &format!("West {n:02}"),
                west,
            )
            .await;
        assign(&i.w, i.w.p1, person.id, "member").await;
        if n < 3 {
            let (status, _) = i
                .app()
                .put_json(
                    &i.w.ada,
                    format!("/teams/{}/members/{}", i.w.team, person.id),
                    json!({"lead": false}),
                )
                .await;
            assert!(status.is_success());
        }
        i.wests.push(person);
    }
    // Submitted one after the other: Sam 00 waits longest, West 09 least.
    for (n, sam) in i.sams.clone().iter().enumerate() {
        submit(&i, sam, Inbox::week_of(&i.w, n), &[i.w.p1, i.w.p2]).await;
    }
    for (n, person) in i.wests.clone().iter().enumerate() {
        submit(&i, person, Inbox::week_of(&i.w, n), &[i.w.p1]).await;
    }
    i
}

/// The part ids of the rows an inbox page shows, in order.
pub(crate) fn rows(html: &str) -> Vec<i64> {
    html.split("data-testid=\"row-")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn the_inbox_pages_in_sql_with_its_total_and_the_navigation_agrees() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let total = SAMS * 2 + WESTS;
    let (status, first) = olga.get_page("/approvals").await;
    assert_eq!(status, S::OK);
    assert!(
        first.contains(&format!("Showing 1\u{2013}50 of {total}")),
        "{first}"
    );
    assert_eq!(rows(&first).len(), 50);
    assert!(
        first.contains(&format!("aria-label=\"{total} waiting\"")),
        "nav agrees"
    );
    assert!(
        first.contains("data-testid=\"pick-all\""),
        "select-all on the page"
    );
    assert!(first.contains(&format!("Approve all {total} matching")));
    let (_, second) = olga.get_page("/approvals?page=2").await;
    assert!(
        second.contains(&format!("Showing 51\u{2013}{total} of {total}")),
        "{second}"
    );
    let (first_rows, second_rows) = (rows(&first), rows(&second));
    assert_eq!(second_rows.len(), total - 50);
    assert!(first_rows.iter().all(|r| !second_rows.contains(r)));
    // Oldest submission first: Sam 00's two parts lead, West 09's part ends.
    let pending = i.pending().await;
    assert_eq!(first_rows[0], pending[0].0);
    assert_eq!(*second_rows.last().unwrap(), pending.last().unwrap().0);
    // Bad page numbers are clamped, never a 500.
    for (query, expected) in [
        ("page=-1", &first_rows),
        ("page=abc", &first_rows),
        ("page=999", &second_rows),
    ] {
        let (status, html) = olga.get_page(&format!("/approvals?{query}")).await;
        assert_eq!(status, S::OK, "{query}");
        assert_eq!(&rows(&html), expected, "{query}");
    }
    // The API pages and counts the same way, and the nav count agrees.
    let olga_token = &i.w.olga;
    let body = i
        .app()
        .get_json(olga_token, "/approvals?per_page=50&page=2")
        .await
        .expect_status(S::OK);
    assert_eq!(body["total"], total);
    let api_rows: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["part_id"].as_i64().unwrap())
        .collect();
    assert_eq!(api_rows, second_rows);
    assert!(
        body["items"][0]["user_email"]
            .as_str()
            .unwrap()
            .ends_with("@acme.example")
    );
    // Pat decides the P1 parts by assignment only; Lee the team parts of
    // the three West people in his team.
    let pat = i.browser("pat@acme.example").await;
    let (_, html) = pat.get_page("/approvals").await;
    assert!(
        html.contains(&format!("Showing 1\u{2013}{SAMS} of {SAMS}")),
        "{html}"
    );
    assert!(html.contains(&format!("aria-label=\"{SAMS} waiting\"")));
    let lee = i.browser("lee@acme.example").await;
    let (_, html) = lee.get_page("/approvals").await;
    assert!(html.contains("Showing 1\u{2013}3 of 3"), "{html}");
}

#[tokio::test]
async fn same_named_people_are_told_apart_by_their_email() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let (_, html) = olga
        .get_page(&format!("/approvals?project={}", i.w.p1))
        .await;
    for sam in &i.sams {
        assert!(
            html.contains(&format!("<small class=\"muted\">{}</small>", sam.email)),
            "{}",
            sam.email
        );
    }
}

/// The `seen` value of a confirmation page.
fn seen_of(html: &str) -> String {
    let marker = "name=\"seen\" value=\"";
    let start = html.find(marker).expect("a confirmation with a list") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn approve_all_matching_approves_exactly_what_was_confirmed() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let (status, html) = olga.get_page("/approvals/approve-all?project=P2").await;
    assert_eq!(status, S::OK);
    assert!(html.contains("<strong>30</strong> parts wait"), "{html}");
    assert!(html.contains("Project: Project P2 (P2)"));
    let seen = seen_of(&html);
    assert_eq!(seen.split(' ').count(), SAMS);

    // In between: Pat approves the P1 part of Sam 00's week (the sheet's
    // version moves on), Olga approves Sam 01's P2 part on its own (no
    // longer pending), Sam 02's week is withdrawn (its parts are gone).
    let pending = i.pending().await;
    let (s0, s1, s2) = (
        i.sheet_id(0).await,
        i.sheet_id(1).await,
        i.sheet_id(2).await,
    );
    i.app()
        .post_json(
            &i.w.pat,
            format!("/timesheets/{s0}/approve"),
            json!({"project_id": i.w.p1}),
        )
        .await
        .expect_status(S::OK);
    i.app()
        .post_json(
            &i.w.olga,
            format!("/timesheets/{s1}/approve"),
            json!({"project_id": i.w.p2}),
        )
        .await
        .expect_status(S::OK);
    let sam2 = i.app().create_token(i.sams[2].id, "").await;
    let (status, body) = i
        .app()
        .post_json(&sam2, format!("/timesheets/{s2}/withdraw"), json!({}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    let before = i.app().audit("timesheet.approved").await.len();

    let response = olga
        .submit_form(
            "/approvals/approve-all",
            &[
                ("project", "P2"),
                ("team", ""),
                ("org", ""),
                ("week", ""),
                ("sort", ""),
                ("seen", &seen),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(location(&response), "/approvals?project=P2");
    let (_, html) = olga.get_page("/approvals?project=P2").await;
    assert!(html.contains("27 approved."), "{html}");
    assert!(
        html.contains("2 no longer waited for you or no longer matched the filter"),
        "{html}"
    );
    assert!(html.contains("1 changed since you confirmed"), "{html}");
    // Each approval audited like a single one; only Sam 00's P2 part waits.
    assert_eq!(i.app().audit("timesheet.approved").await.len(), before + 27);
    let still: Vec<(i64, Option<i64>)> = i
        .pending()
        .await
        .into_iter()
        .filter(|p| p.2 == Some(i.w.p2))
        .map(|p| (p.1, p.2))
        .collect();
    assert_eq!(still, vec![(s0, Some(i.w.p2))]);
    // Nothing outside the filter moved: the P1 parts and the team parts wait.
    let p1_and_team = pending.iter().filter(|p| p.2 != Some(i.w.p2)).count();
    assert_eq!(
        i.pending()
            .await
            .iter()
            .filter(|p| p.2 != Some(i.w.p2))
            .count(),
        p1_and_team - 2,
        "Pat's approval and Sam 02's withdrawn P1 part only"
    );
    // A second post of the same list approves nothing more.
    let response = olga
        .submit_form(
            "/approvals/approve-all",
            &[("project", "P2"), ("seen", &seen)],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(i.app().audit("timesheet.approved").await.len(), before + 27);
}

#[tokio::test]
async fn a_crafted_approve_all_never_approves_what_is_not_yours() {
    let i = inbox().await;
    let olga = i.browser("olga@acme.example").await;
    let (_, html) = olga.get_page("/approvals/approve-all").await;
    let everything = seen_of(&html);
    assert_eq!(everything.split(' ').count(), SAMS * 2 + WESTS);
    // Pat posts Olga's whole list: only his own P1 parts can go through.
    let pat = i.browser("pat@acme.example").await;
    let response = pat
        .submit_form("/approvals/approve-all", &[("seen", &everything)])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let left = i.pending().await;
    assert_eq!(
        left.len(),
        SAMS + WESTS,
        "only the P1 parts Pat approves went"
    );
    assert!(left.iter().all(|p| p.2 != Some(i.w.p1)));
    // Gus (another tenant) and Eve (no permission) approve nothing at all.
    let (_, html) = olga.get_page("/approvals/approve-all").await;
    let rest = seen_of(&html);
    for email in ["gus@globex.example", "eve@acme.example"] {
        let b = i.browser(email).await;
        let response = b
            .submit_form("/approvals/approve-all", &[("seen", &rest)])
            .await;
        assert_eq!(response.status(), S::SEE_OTHER, "{email}");
        let (_, html) = b.get_page("/approvals").await;
        assert!(
            html.contains(&format!("Skipped: {} no longer waited", SAMS + WESTS)),
            "{email}: {html}"
        );
        assert_eq!(i.pending().await.len(), SAMS + WESTS, "{email}");
    }
    // Garbage lists are refused with a message, never a 500.
    for bad in ["1;2", "x.y", ""] {
        let response = olga
            .submit_form("/approvals/approve-all", &[("seen", bad)])
            .await;
        assert!(
            response.status().is_client_error(),
            "{bad}: {}",
            response.status()
        );
    }
    let too_many = (1..=5_001)
        .map(|n| format!("{n}.1"))
        .collect::<Vec<_>>()
        .join(" ");
    let response = olga
        .submit_form("/approvals/approve-all", &[("seen", &too_many)])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert_eq!(i.pending().await.len(), SAMS + WESTS);
}

/// For every person, the SQL scope shows exactly the parts `may_decide`
/// allows: through org grants (also "this org only", behind a privacy
/// border, and a grant inside a border under a grant it stops), project
/// grants, assignments and team leads.
#[tokio::test]
async fn the_sql_scope_agrees_with_may_decide_for_everyone() {
    let i = inbox().await;
    let w = &i.w;
    let approver_role = w.app.role_id(&w.ada, "Approver").await;
    let rita = w.app.create_user("rita@acme.example", "Rita", w.acme).await;
    let paula = w
        .app
        .create_user("paula@acme.example", "Paula", w.acme)
        .await;
    let otto = w.app.create_user("otto@acme.example", "Otto", w.acme).await;
    for body in [
        // Rita: Acme and below, and West again once West is private.
        json!({"role_id": approver_role, "user_id": rita.id, "org_id": w.acme}),
        json!({"role_id": approver_role, "user_id": rita.id, "org_id": i.west}),
        // Paula: project P2 only.
        json!({"role_id": approver_role, "user_id": paula.id, "project_id": w.p2}),
        // Otto: East only, not below (nothing is below East; the grant still
        // holds at East).
        json!({"role_id": approver_role, "user_id": otto.id, "org_id": w.east, "descendants": false}),
    ] {
        post(&w.app, &w.ada, "/grants", body).await;
    }
    w.app.add_keeper(i.west).await;
    w.app.make_private(&w.ada, i.west).await;
    // Pat's assignment ends mid-way: only the weeks it covers are his.
    let end = (w.week - Duration::days(10)).to_string();
    let (status, body) = w
        .app
        .put_json(
            &w.ada,
            format!("/projects/{}/assignments/{}", w.p1, w.pat_id),
            json!({"role": "approver", "minutes_per_week": 2400,
                        "start_date": (w.week - Duration::days(30)).to_string(), "end_date": end}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    let everyone = w.app.all_user_ids().await;
    let store = i.store.clone();
    let mut decided_by_someone = 0;
    for viewer in everyone {
        let store = store.clone();
        let (sql, reference, total, count) = w
            .app
            .db
            .read(move |conn| {
                use canopy::db::schema::{approval_parts, timesheets, users};
                use canopy::domain::timesheet::{Part, Timesheet};
                use diesel::prelude::*;
                let access = Access {
                    user_id: viewer,
                    snapshot: store.fresh(conn)?,
                };
                let approver = Approver::load(conn, &access)?;
                let (page, total) = canopy::domain::inbox::page(
                    conn,
                    &approver,
                    &PendingFilter::default(),
                    0,
                    10_000,
                )?;
                let count = canopy::domain::approval::pending_count(conn, &approver)?;
                let all: Vec<(Part, Timesheet, User)> = approval_parts::table
                    .inner_join(timesheets::table.inner_join(users::table))
                    .filter(approval_parts::status.eq("pending"))
                    .select((Part::as_select(), Timesheet::as_select(), User::as_select()))
                    .load(conn)?;
                let mut reference: Vec<i64> = all
                    .iter()
                    .filter(|(p, s, o)| approver.may_decide(o, s.week_start, p))
                    .map(|(p, _, _)| p.id)
                    .collect();
                reference.sort_unstable();
                let mut sql: Vec<i64> = page.iter().map(|p| p.part_id).collect();
                sql.sort_unstable();
                Ok((sql, reference, total, count))
            })
            .await
            .unwrap();
        assert_eq!(sql, reference, "viewer {viewer}");
        assert_eq!(total as usize, reference.len(), "viewer {viewer}");
        assert_eq!(count, reference.len(), "viewer {viewer}: nav count");
        if !reference.is_empty() {
            decided_by_someone += 1;
        }
        if viewer == rita.id {
            assert_eq!(reference.len(), SAMS * 2 + WESTS, "Rita reaches West again");
        }
        if viewer == paula.id {
            assert_eq!(reference.len(), SAMS);
        }
    }
    assert!(decided_by_someone >= 6, "the rule was exercised");
}
