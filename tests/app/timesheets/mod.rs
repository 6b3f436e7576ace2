//! Timesheets, approvals and notifications through the API: the whole cycle in
//! each approval mode, the right people told and nobody else able to see or
//! decide, bad input refused without a trace, and concurrent decisions that
//! leave exactly one.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod entries;

/// The shared tree with the time world's cast, projects and team: Eve, Pat
/// and Lee at home in East; Olga and Gus administer Acme and Globex; Acme
/// runs P1 and P2 (Eve on both, Pat approving P1), and Lee leads Eve's team
/// Field in East.
pub struct World {
    tree: Tree,
    /// Org admin at Acme: time.approve and time.manage over Acme.
    pub olga: String,
    pub olga_id: i64,
    /// Org admin at Globex: an outsider to Acme's time.
    pub gus: String,
    pub eve: String,
    pub eve_id: i64,
    /// Approver of project P1 by assignment; no grants.
    pub pat: String,
    pub pat_id: i64,
    /// Lead of Eve's team; no grants.
    pub lee: String,
    pub lee_id: i64,
    pub p1: i64,
    pub p2: i64,
    /// Eve's team, led by Lee.
    pub team: i64,
    /// Last week's Monday (the default week start).
    pub week: NaiveDate,
}

on_the_tree!(World);

pub async fn post(app: &TestApp, t: &str, path: &str, body: Value) -> Value {
    let (status, out) = app.post_json(t, path, body).await;
    assert!(status.is_success(), "POST {path}: {status} {out}");
    out
}

pub async fn world() -> World {
    let tree = Tree::new().await;
    let (app, ada, acme, east) = (&tree.app, &tree.ada, tree.acme, tree.east);
    let (olga_id, olga) = tree
        .org_admin("olga@acme.example", acme)
        .await
        .id_and_token();
    let gus = tree
        .org_admin("gus@globex.example", tree.globex)
        .await
        .token;
    let (eve_id, eve) = tree.person("eve@acme.example", east).await.id_and_token();
    let (pat_id, pat) = tree.person("pat@acme.example", east).await.id_and_token();
    let (lee_id, lee) = tree.person("lee@acme.example", east).await.id_and_token();
    let today = chrono::Utc::now().date_naive();
    let week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()) + 7);
    let start = week - Duration::days(30);
    let mut projects = vec![];
    for code in ["P1", "P2"] {
        let name = format!("Project {code}");
        let p = app.create_project(ada, acme, code, &name).await;
        projects.push(p["id"].as_i64().unwrap());
    }
    app.assign(ada, projects[0], eve_id, "member", start).await;
    app.assign(ada, projects[1], eve_id, "member", start).await;
    app.assign(ada, projects[0], pat_id, "approver", start)
        .await;
    let team = json!({"org_id": east, "name": "Field"});
    let team = post(app, ada, "/teams", team).await["id"].as_i64().unwrap();
    for (user, lead) in [(eve_id, false), (lee_id, true)] {
        let path = format!("/teams/{team}/members/{user}");
        let (status, _) = app.put_json(ada, path, json!({"lead": lead})).await;
        assert!(status.is_success());
    }
    World {
        olga,
        olga_id,
        gus,
        eve,
        eve_id,
        pat,
        pat_id,
        lee,
        lee_id,
        p1: projects[0],
        p2: projects[1],
        team,
        week,
        tree,
    }
}

impl World {
    pub fn day(&self, n: i64) -> String {
        (self.week + Duration::days(n)).to_string()
    }

    fn sheet_path(&self) -> String {
        format!("/timesheets/{}/{}", self.eve_id, self.week)
    }

    async fn get_sheet(&self, t: &str) -> (S, Value) {
        self.app.get_json(t, self.sheet_path()).await
    }

    pub async fn put_sheet(&self, t: &str, version: i64, entries: Value) -> (S, Value) {
        self.app
            .put_json(
                t,
                self.sheet_path(),
                json!({"version": version, "entries": entries}),
            )
            .await
    }

    /// Eve's usual week: a day on P1, half a day on P2.
    async fn fill(&self) -> Value {
        let (status, body) = self
            .put_sheet(
                &self.eve,
                0,
                json!([
                    {"project_id": self.p1, "date": self.day(0), "minutes": 480, "note": "kick-off"},
                    {"project_id": self.p2, "date": self.day(1), "minutes": 240},
                ]),
            )
            .await;
        assert_eq!(status, S::OK, "{body}");
        body
    }

    pub async fn act(&self, t: &str, id: i64, what: &str, body: Value) -> (S, Value) {
        self.app
            .post_json(t, format!("/timesheets/{id}/{what}"), body)
            .await
    }

    async fn set_mode(&self, mode: &str) {
        self.app
            .put_json(
                &self.ada,
                format!("/orgs/{}/settings", self.acme),
                json!({"approval_mode": mode}),
            )
            .await
            .expect_status(S::OK);
    }

    async fn notifications(&self, t: &str) -> Vec<Value> {
        let body = self
            .app
            .get_json(t, "/notifications")
            .await
            .expect_status(S::OK);
        body["items"].as_array().unwrap().clone()
    }

    pub async fn kinds(&self, t: &str) -> Vec<String> {
        self.notifications(t)
            .await
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect()
    }
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

#[tokio::test]
async fn project_mode_runs_the_whole_cycle_with_the_right_people() {
    let w = world().await;
    // A week never saved is an empty draft, and GET stores nothing.
    let (status, empty) = w.get_sheet(&w.eve).await;
    assert_eq!(status, S::OK, "{empty}");
    assert_eq!(empty["id"], Value::Null);
    assert_eq!(empty["version"], 0);
    assert_eq!(empty["status"], "draft");
    assert_eq!(w.get_sheet(&w.eve).await.1["id"], Value::Null);

    let sheet = w.fill().await;
    let id = sheet["id"].as_i64().unwrap();
    assert_eq!(sheet["version"], 1);
    assert_eq!(sheet["total_minutes"], 720);

    // Outsiders see nothing; Pat sees only the lines of the project he approves.
    assert_eq!(w.get_sheet(&w.gus).await.0, S::NOT_FOUND);
    let (status, for_pat) = w.get_sheet(&w.pat).await;
    assert_eq!(status, S::OK);
    let entries = for_pat["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["project_id"], w.p1);
    // Lee leads Eve's team and Olga administers Acme: the whole week.
    assert_eq!(
        w.get_sheet(&w.lee).await.1["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        w.get_sheet(&w.olga).await.1["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Only Eve submits her week.
    assert_eq!(
        w.act(&w.olga, id, "submit", json!({})).await.0,
        S::FORBIDDEN
    );
    let (status, submitted) = w.act(&w.eve, id, "submit", json!({"version": 1})).await;
    assert_eq!(status, S::OK, "{submitted}");
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["parts"].as_array().unwrap().len(), 2);
    // P1 waits for Pat (its approver); P2 has no approver by assignment, so the
    // holders of time.approve there are told: Olga and Ada, never Gus or Lee.
    assert_eq!(count(&w.kinds(&w.pat).await, "approval_waiting"), 1);
    assert_eq!(count(&w.kinds(&w.olga).await, "approval_waiting"), 1);
    assert_eq!(count(&w.kinds(&w.gus).await, "approval_waiting"), 0);
    assert_eq!(count(&w.kinds(&w.lee).await, "approval_waiting"), 0);
    // Approval mail went through the outbox.
    let pat_mail = w
        .app
        .db
        .read({
            let pat = w.pat_id;
            move |conn| canopy::domain::mail::for_user(conn, pat)
        })
        .await
        .unwrap();
    assert!(
        pat_mail
            .iter()
            .any(|m| m.subject.contains("waits for your approval"))
    );

    // Edits of a submitted week are refused.
    let (status, body) = w.put_sheet(&w.eve, 2, json!([])).await;
    assert_eq!(status, S::CONFLICT, "{body}");

    // The inbox: Pat has P1's part, Gus nothing, Eve nothing of her own.
    let (_, inbox) = w.app.get_json(&w.pat, "/approvals").await;
    assert_eq!(inbox["total"], 1, "{inbox}");
    assert_eq!(inbox["items"][0]["project_id"], w.p1);
    assert_eq!(w.app.get_json(&w.gus, "/approvals").await.1["total"], 0);
    assert_eq!(w.app.get_json(&w.eve, "/approvals").await.1["total"], 0);
    let (_, olga_inbox) = w.app.get_json(&w.olga, "/approvals").await;
    assert_eq!(olga_inbox["total"], 2);
    let (_, filtered) = w
        .app
        .get_json(&w.olga, format!("/approvals?project_id={}", w.p2))
        .await;
    assert_eq!(filtered["total"], 1);

    // Nobody approves their own time; outsiders do not even find the sheet.
    assert_eq!(
        w.act(&w.eve, id, "approve", json!({})).await.0,
        S::FORBIDDEN
    );
    assert_eq!(
        w.act(&w.gus, id, "approve", json!({})).await.0,
        S::NOT_FOUND
    );
    // Pat approves what is his: P1 only.
    let (status, after_pat) = w.act(&w.pat, id, "approve", json!({})).await;
    assert_eq!(status, S::OK, "{after_pat}");
    assert_eq!(after_pat["status"], "submitted");
    // A decision was made: Eve can no longer withdraw.
    assert_eq!(
        w.act(&w.eve, id, "withdraw", json!({})).await.0,
        S::CONFLICT
    );

    // Olga rejects P2, which rejects the week; an empty reason changes nothing.
    let (status, body) = w
        .act(
            &w.olga,
            id,
            "reject",
            json!({"project_id": w.p2, "reason": "  "}),
        )
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string());
    assert_eq!(w.get_sheet(&w.eve).await.1["status"], "submitted");
    let (status, rejected) = w
        .act(
            &w.olga,
            id,
            "reject",
            json!({"project_id": w.p2, "reason": "P2 was on hold on Tuesday"}),
        )
        .await;
    assert_eq!(status, S::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["rejection_reason"], "P2 was on hold on Tuesday");
    let eve_notes = w.notifications(&w.eve).await;
    let told = eve_notes
        .iter()
        .find(|n| n["kind"] == "sheet_rejected")
        .unwrap();
    assert!(told["body"].as_str().unwrap().contains("P2 was on hold"));
    // The owner's notice carries her home org (issue 11 point 9), so privacy
    // there also covers it later.
    let eve_id = w.eve_id;
    let orgs: Vec<Option<i64>> = w
        .app
        .db
        .read(move |conn| {
            use canopy::db::schema::notifications as n;
            use diesel::prelude::*;
            Ok(n::table
                .filter(n::user_id.eq(eve_id))
                .filter(n::kind.eq("sheet_rejected"))
                .select(n::org_id)
                .load::<Option<i64>>(conn)?)
        })
        .await
        .unwrap();
    assert!(
        !orgs.is_empty() && orgs.iter().all(|o| *o == Some(w.east)),
        "{orgs:?}"
    );

    // Eve fixes and resubmits; every part is open again.
    let version = rejected["version"].as_i64().unwrap();
    let (status, fixed) = w
        .put_sheet(
            &w.eve,
            version,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 480, "note": "kick-off"},
                   {"project_id": w.p1, "date": w.day(1), "minutes": 240}]),
        )
        .await;
    assert_eq!(status, S::OK, "{fixed}");
    let (status, again) = w.act(&w.eve, id, "submit", json!({})).await;
    assert_eq!(status, S::OK, "{again}");
    assert_eq!(again["parts"].as_array().unwrap().len(), 1);
    assert_eq!(again["parts"][0]["status"], "pending");

    let (status, approved) = w
        .act(&w.pat, id, "approve", json!({"project_id": w.p1}))
        .await;
    assert_eq!(status, S::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert!(
        w.kinds(&w.eve)
            .await
            .contains(&"sheet_approved".to_string())
    );
    // Approved weeks are locked.
    let v = approved["version"].as_i64().unwrap();
    assert_eq!(w.put_sheet(&w.eve, v, json!([])).await.0, S::CONFLICT);
    assert_eq!(
        w.act(&w.eve, id, "withdraw", json!({})).await.0,
        S::CONFLICT
    );
    assert_eq!(w.act(&w.pat, id, "approve", json!({})).await.0, S::CONFLICT);

    // Reopening takes time.manage and a reason.
    assert_eq!(
        w.act(&w.pat, id, "reopen", json!({"reason": "typo"}))
            .await
            .0,
        S::FORBIDDEN
    );
    assert_eq!(
        w.act(&w.olga, id, "reopen", json!({"reason": ""})).await.0,
        S::UNPROCESSABLE_ENTITY
    );
    let (status, reopened) = w
        .act(
            &w.olga,
            id,
            "reopen",
            json!({"reason": "Tuesday belongs to P2 after all"}),
        )
        .await;
    assert_eq!(status, S::OK, "{reopened}");
    assert_eq!(reopened["status"], "draft");
    // time.manage corrects someone else's week; the history says who.
    let v = reopened["version"].as_i64().unwrap();
    let (status, corrected) = w
        .put_sheet(
            &w.olga,
            v,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 480, "note": "kick-off"},
                   {"project_id": w.p2, "date": w.day(1), "minutes": 240}]),
        )
        .await;
    assert_eq!(status, S::OK, "{corrected}");
    assert_eq!(corrected["total_minutes"], 720);

    // Every transition is in the audit log, with the history on the sheet.
    for action in [
        "timesheet.saved",
        "timesheet.submitted",
        "timesheet.approved",
        "timesheet.rejected",
        "timesheet.reopened",
    ] {
        assert!(!w.app.audit(action).await.is_empty(), "{action} audited");
    }
    let history = w
        .app
        .db
        .read(move |conn| {
            let sheet = canopy::domain::timesheet::find(conn, id)?;
            let owner = canopy::domain::user::find(conn, sheet.user_id)?;
            canopy::domain::timesheet::load_week(conn, &owner, sheet.week_start)
        })
        .await
        .unwrap()
        .history;
    let changes: Vec<&str> = history.iter().map(|c| c.change.as_str()).collect();
    for c in [
        "entry",
        "submitted",
        "part",
        "rejected",
        "approved",
        "reopened",
    ] {
        assert!(changes.contains(&c), "{c} in {changes:?}");
    }
    assert!(history.iter().any(|c| c.change.as_str() == "entry"
        && c.old_value.as_deref() == Some("4.00 h")
        && c.new_value.is_none()));
    assert!(
        history
            .iter()
            .any(|c| c.change.as_str() == "entry" && c.actor_id == Some(w.olga_id))
    );
}

#[tokio::test]
async fn team_mode_goes_to_the_team_leads() {
    let w = world().await;
    w.set_mode("team").await;
    let id = w.fill().await["id"].as_i64().unwrap();
    let (status, submitted) = w.act(&w.eve, id, "submit", json!({})).await;
    assert_eq!(status, S::OK, "{submitted}");
    assert_eq!(submitted["approval_mode"], "team");
    let parts = submitted["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["project_id"], Value::Null);
    // The lead is told; the project approver is not, and may not decide.
    assert_eq!(count(&w.kinds(&w.lee).await, "approval_waiting"), 1);
    assert_eq!(count(&w.kinds(&w.pat).await, "approval_waiting"), 0);
    assert_eq!(
        w.act(&w.pat, id, "approve", json!({})).await.0,
        S::FORBIDDEN
    );
    assert_eq!(
        w.act(&w.gus, id, "approve", json!({})).await.0,
        S::NOT_FOUND
    );
    let (status, approved) = w.act(&w.lee, id, "approve", json!({})).await;
    assert_eq!(status, S::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(count(&w.kinds(&w.eve).await, "sheet_approved"), 1);
}

#[tokio::test]
async fn both_mode_asks_the_projects_first_then_the_team() {
    let w = world().await;
    w.set_mode("both").await;
    let id = w.fill().await["id"].as_i64().unwrap();
    let (_, submitted) = w.act(&w.eve, id, "submit", json!({})).await;
    let statuses: Vec<&str> = submitted["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "pending", "waiting"]);
    // The lead's turn has not come: nothing waits for him yet.
    assert_eq!(count(&w.kinds(&w.lee).await, "approval_waiting"), 0);
    assert_eq!(
        w.act(&w.lee, id, "approve", json!({})).await.0,
        S::FORBIDDEN
    );
    assert_eq!(w.act(&w.pat, id, "approve", json!({})).await.0, S::OK);
    let (status, body) = w
        .act(&w.olga, id, "approve", json!({"project_id": w.p2}))
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["status"], "submitted");
    // Both projects approved: now the team part waits, and the lead is told.
    assert_eq!(count(&w.kinds(&w.lee).await, "approval_waiting"), 1);
    let (status, approved) = w.act(&w.lee, id, "approve", json!({})).await;
    assert_eq!(status, S::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    let team_part = approved["parts"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(team_part["project_id"], Value::Null);
    assert_eq!(team_part["decided_by"], w.lee_id);
}

#[tokio::test]
async fn in_both_mode_a_lead_who_approves_the_project_too_approves_once() {
    let w = world().await;
    w.set_mode("both").await;
    // Lee, Eve's team lead, is also the approver of P2.
    let start = w.week - chrono::Duration::days(28);
    w.app
        .assign(&w.ada, w.p2, w.lee_id, "approver", start)
        .await;
    let id = w.fill().await["id"].as_i64().unwrap();
    assert_eq!(w.act(&w.eve, id, "submit", json!({})).await.0, S::OK);
    assert_eq!(w.act(&w.pat, id, "approve", json!({})).await.0, S::OK);
    // Lee's one approval takes P2's step and, with it, the team's.
    let (status, body) = w.act(&w.lee, id, "approve", json!({})).await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(body["status"], "approved", "{body}");
    let parts = body["parts"].as_array().unwrap();
    assert!(parts.iter().all(|p| p["status"] == "approved"), "{body}");
    let team_part = parts.iter().find(|p| p["project_id"].is_null()).unwrap();
    assert_eq!(team_part["decided_by"], w.lee_id);
    // He was told once (P2's step waited for him), not again for the team's.
    assert_eq!(count(&w.kinds(&w.lee).await, "approval_waiting"), 1);
    let (status, _) = w.act(&w.lee, id, "approve", json!({})).await;
    assert_eq!(
        status,
        S::CONFLICT,
        "a second approval finds nothing to decide"
    );
}
