//! The work `canopy serve` does by itself: reminders on each org's reminder
//! day from the configured hour, exactly once however many instances tick,
//! and pruning of what can no longer be used.

use chrono::{Datelike, Duration, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use reqwest::StatusCode as S;
use serde_json::json;

use canopy::domain::schedule::{self, Plan};
use canopy::domain::session::Lifetimes;

use crate::helpers::*;
use crate::timesheets::{World, world};

fn plan(hour: u32) -> Plan {
    Plan {
        remind_hour: Some(hour),
        sessions: Lifetimes {
            idle: Duration::hours(8),
            absolute: Duration::hours(24),
        },
    }
}

async fn reminders_of(w: &World, token: &str) -> usize {
    w.kinds(token)
        .await
        .iter()
        .filter(|k| *k == "timesheet_reminder")
        .count()
}

/// Pat submits last week, Eve leaves hers a draft, Lee works on no project:
/// of the three only Eve is due a reminder.
async fn eve_missing_last_week(w: &World) {
    let path = format!("/timesheets/{}/{}", w.pat_id, w.week);
    let entries = json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60}]);
    let body = w
        .app
        .put_json(&w.pat, &path, json!({"version": 0, "entries": entries}))
        .await
        .expect_status(S::OK);
    w.act(&w.pat, body["id"].as_i64().unwrap(), "submit", json!({}))
        .await;
    w.put_sheet(&w.eve, 0, json!([])).await;
}

/// Several instances tick at once on the reminder day: one runs the
/// reminders, each person hears once, and the day is not run again.
#[tokio::test]
async fn reminders_go_out_on_the_orgs_day_once_however_many_instances_tick() {
    let w = world().await;
    eve_missing_last_week(&w).await;
    // Acme's people are reminded on Wednesdays (East inherits it).
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{}/settings", w.acme),
            json!({"reminder_day": "wednesday"}),
        )
        .await
        .expect_status(S::OK);
    let at = |days: i64, hour: u32| -> NaiveDateTime {
        (w.week + Duration::days(days)).and_time(NaiveTime::from_hms_opt(hour, 30, 0).unwrap())
    };
    let tick = |now: NaiveDateTime, holder: &'static str| {
        let db = w.app.db.clone();
        tokio::task::spawn_blocking(move || schedule::tick(&db, &plan(7), holder, now))
    };

    // Monday, the default day, is not Acme's: the day's run reminds nobody.
    let monday = tick(at(7, 9), "a").await.unwrap().unwrap();
    assert_eq!(monday.reminded, Some(0));
    assert_eq!(reminders_of(&w, &w.eve).await, 0);
    // Wednesday before the hour: nothing runs.
    let early = tick(at(9, 6), "a").await.unwrap().unwrap();
    assert_eq!(early.reminded, None);
    assert_eq!(reminders_of(&w, &w.eve).await, 0);

    // Wednesday from 07:00, three instances at once.
    let runs = futures_util::future::join_all(["a", "b", "c"].map(|h| tick(at(9, 8), h))).await;
    let ran: Vec<usize> = runs
        .into_iter()
        .filter_map(|r| r.unwrap().unwrap().reminded)
        .collect();
    assert_eq!(ran, [1], "one instance ran the day's reminders");
    assert_eq!(reminders_of(&w, &w.eve).await, 1);
    assert_eq!(reminders_of(&w, &w.pat).await, 0, "Pat submitted");
    assert_eq!(reminders_of(&w, &w.lee).await, 0, "Lee works on no project");
    // Later that day the reminders do not run again.
    let later = tick(at(9, 20), "b").await.unwrap().unwrap();
    assert_eq!(later.reminded, None);
    let sent = w.app.audit("timesheet.reminders_sent").await;
    assert_eq!(sent.len(), 2, "Monday's run and Wednesday's");
    assert!(sent.iter().all(|e| e.via.as_str() == "system"));
}

/// An instance that dies holding the reminders' lease holds them up until the
/// lease runs out; then another takes them over and nobody hears twice.
#[tokio::test]
async fn a_lease_left_by_a_dead_instance_is_taken_over_when_it_runs_out() {
    let w = world().await;
    eve_missing_last_week(&w).await;
    let monday = w.week + Duration::days(7);
    let at = move |minutes: i64| monday.and_hms_opt(9, 0, 0).unwrap() + Duration::minutes(minutes);
    let db = w.app.db.clone();
    let taken = db
        .write(move |c| schedule::take(c, "reminders", "dead", at(0), Some(monday)))
        .await
        .unwrap();
    assert!(taken);
    let tick = |minutes: i64| {
        let db = w.app.db.clone();
        let now = at(minutes);
        tokio::task::spawn_blocking(move || schedule::tick(&db, &plan(7), "alive", now))
    };
    assert_eq!(tick(5).await.unwrap().unwrap().reminded, None, "still held");
    assert_eq!(reminders_of(&w, &w.eve).await, 0);
    assert_eq!(tick(11).await.unwrap().unwrap().reminded, Some(1));
    assert_eq!(reminders_of(&w, &w.eve).await, 1);
    // The same week's reminders run by hand too tell nobody twice.
    let db = w.app.db.clone();
    let again = tokio::task::spawn_blocking(move || {
        canopy::domain::timesheet::remind_due(&db, &canopy::domain::audit::Actor::cli(), monday)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(again, 0);
    assert_eq!(reminders_of(&w, &w.eve).await, 1);
}

/// `canopy serve` ticks by itself: an instance started with the hour at 0
/// sends the reminders due today at once.
#[tokio::test]
async fn serve_sends_the_days_reminders_by_itself() {
    let w = world().await;
    eve_missing_last_week(&w).await;
    let today = canopy::db::now().date();
    let day = canopy::domain::timesheet::weekday_name(today.weekday()).to_lowercase();
    w.app
        .put_json(
            &w.ada,
            format!("/orgs/{}/settings", w.acme),
            json!({"reminder_day": day}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(reminders_of(&w, &w.eve).await, 0, "tests run with it off");
    let _second = start(&w.app.database_url, &[("CANOPY_REMIND_HOUR", "0")]).await;
    let mut heard = 0;
    for _ in 0..100 {
        heard = reminders_of(&w, &w.eve).await;
        if heard > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(heard, 1);
    assert_eq!(reminders_of(&w, &w.pat).await, 0);
}

/// Pruning drops expired sessions, links long expired and old authz change
/// records, keeps what may still be used, and runs once an hour.
#[tokio::test]
async fn pruning_drops_only_what_can_no_longer_be_used() {
    use canopy::db::schema::{authz_changes, user_tokens};
    let w = world().await;
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let now = canopy::db::now();
    let eve = w.eve_id;
    let (tokens_before, changes_before) = w
        .app
        .db
        .write(move |c| {
            for (hash, expires) in [
                ("old", now - Duration::days(8)),
                ("recent", now - Duration::days(1)),
                ("live", now + Duration::days(1)),
            ] {
                diesel::insert_into(user_tokens::table)
                    .values((
                        user_tokens::user_id.eq(eve),
                        user_tokens::purpose.eq("reset"),
                        user_tokens::token_hash.eq(hash),
                        user_tokens::expires_at.eq(expires),
                        user_tokens::created_at.eq(expires - Duration::days(1)),
                    ))
                    .execute(c)?;
            }
            // Every change record so far made two days ago.
            diesel::update(authz_changes::table)
                .set(authz_changes::at.eq(now - Duration::days(2)))
                .execute(c)?;
            let tokens: i64 = user_tokens::table.count().get_result(c)?;
            let changes: i64 = authz_changes::table.count().get_result(c)?;
            Ok((tokens, changes))
        })
        .await
        .unwrap();
    assert!(changes_before > 1);
    let tick = |now: NaiveDateTime| {
        let db = w.app.db.clone();
        let plan = Plan {
            remind_hour: None,
            ..plan(0)
        };
        tokio::task::spawn_blocking(move || schedule::tick(&db, &plan, "a", now))
    };
    // The app's own loop pruned as it started and holds the lease for an
    // hour: ticks from two hours on.
    let now = now + Duration::hours(2);
    let first = tick(now).await.unwrap().unwrap();
    assert_eq!(first.reminded, None, "reminders are off");
    assert!(first.pruned.is_some());
    let (hashes, changes_after) = w
        .app
        .db
        .read(|c| {
            let hashes: Vec<String> = user_tokens::table
                .select(user_tokens::token_hash)
                .order(user_tokens::token_hash)
                .load(c)?;
            let changes: i64 = authz_changes::table.count().get_result(c)?;
            Ok((hashes, changes))
        })
        .await
        .unwrap();
    assert!(!hashes.contains(&"old".to_string()), "{hashes:?}");
    assert!(hashes.contains(&"recent".to_string()) && hashes.contains(&"live".to_string()));
    assert_eq!(hashes.len() as i64, tokens_before - 1);
    assert_eq!(changes_after, 1, "the newest record stays");
    // A live session survives the pruning.
    assert_eq!(olga.get("/").await.status(), S::OK);
    // Within the hour nobody prunes again; after it, someone does.
    let soon = tick(now + Duration::minutes(30)).await.unwrap().unwrap();
    assert_eq!(soon.pruned, None);
    let later = tick(now + Duration::minutes(61)).await.unwrap().unwrap();
    assert!(later.pruned.is_some());
}
