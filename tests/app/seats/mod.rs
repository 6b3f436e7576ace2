//! Seat licences through the API: a pool set from above, shares that cannot
//! overdraw it, seats by hand, in bulk and automatically on the first time
//! entry, the last seat won once, time refused without a seat, seats that
//! follow moves and deactivation, and the usual unhappy paths.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod pages;

/// The shared tree with a cast: Olga administers Acme, Ella East, Gus
/// Globex; Eve and Pat are at home in East, Wes in West, Gil in Globex, all
/// members of a project of their tenant.
pub struct World {
    tree: Tree,
    pub olga: String,
    pub ella: String,
    pub gus: String,
    pub eve: String,
    pub eve_id: i64,
    pub pat: String,
    pub pat_id: i64,
    pub wes_id: i64,
    pub gil: String,
    pub p1: i64,
    pub g1: i64,
    pub week: NaiveDate,
}

on_the_tree!(World);

pub async fn world() -> World {
    let tree = Tree::new().await;
    let olga = tree.org_admin("olga@acme.example", tree.acme).await.token;
    let ella = tree.org_admin("ella@acme.example", tree.east).await.token;
    let gus = tree
        .org_admin("gus@globex.example", tree.globex)
        .await
        .token;
    let (eve_id, eve) = tree
        .person("eve@acme.example", tree.east)
        .await
        .id_and_token();
    let (pat_id, pat) = tree
        .person("pat@acme.example", tree.east)
        .await
        .id_and_token();
    let wes_id = tree.person("wes@acme.example", tree.west).await.id;
    let (gil_id, gil) = tree
        .person("gil@globex.example", tree.globex)
        .await
        .id_and_token();
    let today = chrono::Utc::now().date_naive();
    let week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()) + 7);
    let start = week - Duration::days(30);
    let p1 = tree
        .create_project(&tree.ada, tree.acme, "P1", "Project P1")
        .await["id"]
        .as_i64()
        .unwrap();
    let g1 = tree
        .create_project(&tree.ada, tree.globex, "G1", "Project G1")
        .await["id"]
        .as_i64()
        .unwrap();
    for who in [eve_id, pat_id, wes_id] {
        tree.assign(&tree.ada, p1, who, "member", start).await;
    }
    tree.assign(&tree.ada, g1, gil_id, "member", start).await;
    World {
        tree,
        olga,
        ella,
        gus,
        eve,
        eve_id,
        pat,
        pat_id,
        wes_id,
        gil,
        p1,
        g1,
        week,
    }
}

impl World {
    /// Sets (or with null reverts) `seats` at `org` as `token`'s holder.
    pub async fn set_seats(&self, token: &str, org: i64, seats: Value) -> (S, Value) {
        self.put_json(
            token,
            format!("/orgs/{org}/settings"),
            json!({ "seats": seats }),
        )
        .await
    }

    pub async fn seats_of(&self, token: &str, org: i64) -> (S, Value) {
        self.get_json(token, format!("/orgs/{org}/seats")).await
    }

    /// `user_id` saves an hour on `project` on the week's Monday.
    pub async fn enter_time(&self, token: &str, user_id: i64, project: i64) -> (S, Value) {
        let body = json!({"version": 0, "entries": [
            {"project_id": project, "date": self.week.to_string(), "minutes": 60}
        ]});
        self.put_json(token, format!("/timesheets/{user_id}/{}", self.week), body)
            .await
    }

    pub async fn give(&self, token: &str, user_id: i64) -> (S, Value) {
        self.put_json(token, format!("/users/{user_id}/seat"), json!({}))
            .await
    }
}

#[tokio::test]
async fn a_pool_is_set_from_above_so_a_tenant_cannot_raise_its_own() {
    let w = world().await;
    // Olga administers Acme but not the root: Acme's seats are not hers to set.
    let (status, body) = w.set_seats(&w.olga, w.acme, json!(100)).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot raise its own limit"),
        "{body}"
    );
    // The root's owner can; then Olga may share some of it out to East.
    w.set_seats(&w.ada, w.acme, json!(5))
        .await
        .expect_status(S::OK);
    let body = w
        .set_seats(&w.olga, w.east, json!(2))
        .await
        .expect_status(S::OK);
    assert_eq!(body["seats"]["value"], 2);
    // Ella administers East, and cannot raise East's share.
    let (status, _) = w.set_seats(&w.ella, w.east, json!(5)).await;
    assert_eq!(status, S::FORBIDDEN);
    // Gus of Globex sees no Acme at all.
    let (status, _) = w.set_seats(&w.gus, w.acme, json!(5)).await;
    assert_eq!(status, S::NOT_FOUND);
    // Bad values change nothing.
    for bad in [json!(-1), json!("many"), json!(1.5), json!(2_000_000)] {
        let (status, body) = w.set_seats(&w.ada, w.acme, bad.clone()).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["error"]["fields"]["seats"].is_string(), "{body}");
    }
    let seats = w.seats_of(&w.olga, w.acme).await.expect_status(S::OK);
    assert_eq!(seats["pool"]["size"], 5);
    assert_eq!(seats["pool"]["shares"], 2);
    assert_eq!(seats["pool"]["free"], 3);
    assert_eq!(seats["shares"][0]["org_id"], w.east);
    assert_eq!(seats["own_pool"], true);
    assert_eq!(w.audit("org.settings_changed").await.len(), 2);
}

#[tokio::test]
async fn shares_and_seats_given_cannot_overdraw_a_pool() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(3))
        .await
        .expect_status(S::OK);
    w.set_seats(&w.olga, w.east, json!(2))
        .await
        .expect_status(S::OK);
    // 2 to East and 2 to West would be 4 of 3.
    let (status, body) = w.set_seats(&w.olga, w.west, json!(2)).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["seats"]
            .as_str()
            .unwrap()
            .contains("Acme's pool holds 3 seats"),
        "{body}"
    );
    w.set_seats(&w.olga, w.west, json!(1))
        .await
        .expect_status(S::OK);
    // Wes draws from West's share of one; a second person there finds none.
    w.give(&w.olga, w.wes_id).await.expect_status(S::OK);
    // West's share cannot drop below the seat it gave out, nor Acme's pool
    // below its shares.
    let (status, _) = w.set_seats(&w.olga, w.west, json!(0)).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    let (status, _) = w.set_seats(&w.ada, w.acme, json!(2)).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    // Removing West's share carries Wes's seat up to Acme's pool.
    w.set_seats(&w.olga, w.west, Value::Null)
        .await
        .expect_status(S::OK);
    let seat = w
        .get_json(&w.olga, format!("/users/{}/seat", w.wes_id))
        .await
        .expect_status(S::OK);
    assert_eq!(seat["pool_org_id"], w.acme);
    assert_eq!(w.audit("seat.moved").await.len(), 1);
    let acme = w.seats_of(&w.olga, w.acme).await.expect_status(S::OK);
    assert_eq!(
        (
            &acme["pool"]["used"],
            &acme["pool"]["shares"],
            &acme["pool"]["free"]
        ),
        (&json!(1), &json!(2), &json!(0))
    );
}

#[tokio::test]
async fn seats_by_hand_and_in_bulk_with_their_shapes() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(2))
        .await
        .expect_status(S::OK);
    let seat = w.give(&w.olga, w.eve_id).await.expect_status(S::OK);
    assert_eq!(seat["user_id"], w.eve_id);
    assert_eq!(seat["pool_org_id"], w.acme);
    assert_eq!(seat["how"], "hand");
    assert!(seat["assigned_at"].as_str().unwrap().ends_with('Z'));
    // Giving again is no error and no second seat.
    w.give(&w.olga, w.eve_id).await.expect_status(S::OK);
    w.give(&w.olga, w.pat_id).await.expect_status(S::OK);
    let (status, body) = w.give(&w.olga, w.wes_id).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["seat"]
            .as_str()
            .unwrap()
            .contains("No seats are left in Acme's pool"),
        "{body}"
    );
    let seats = w.seats_of(&w.olga, w.acme).await.expect_status(S::OK);
    assert_eq!(
        (&seats["seated"], &seats["pool"]["free"]),
        (&json!(2), &json!(0))
    );
    // Taking back is 204, twice.
    for _ in 0..2 {
        let (status, _) = w.delete(&w.olga, format!("/users/{}/seat", w.eve_id)).await;
        assert_eq!(status, S::NO_CONTENT);
    }
    let (status, _) = w
        .get_json(&w.olga, format!("/users/{}/seat", w.eve_id))
        .await;
    assert_eq!(status, S::NOT_FOUND);
    // In bulk: Wes in, Pat out, in one go.
    let path = format!("/orgs/{}/seats", w.acme);
    let body = json!({"assign": [w.wes_id, w.eve_id], "unassign": [w.pat_id]});
    let done = w.post_json(&w.olga, &path, body).await.expect_status(S::OK);
    assert_eq!(
        (&done["assigned"], &done["unassigned"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(done["seats"]["seated"], 2);
    let pat = w
        .get_json(&w.olga, format!("/users/{}/seat", w.pat_id))
        .await;
    assert_eq!(pat.0, S::NOT_FOUND);
    let wes = w
        .get_json(&w.olga, format!("/users/{}/seat", w.wes_id))
        .await
        .expect_status(S::OK);
    assert_eq!(wes["how"], "bulk");
    // Too many for the pool: nothing changes.
    let before = w.audit("seat.assigned").await.len();
    let body = json!({"unassign": [w.eve_id], "assign": [w.pat_id]});
    w.post_json(&w.olga, &path, body).await.expect_status(S::OK);
    let body = json!({"assign": [w.eve_id]});
    let (status, out) = w.post_json(&w.olga, &path, body).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{out}");
    assert!(out["error"]["fields"]["assign"].is_string(), "{out}");
    assert_eq!(w.audit("seat.assigned").await.len(), before + 1);
    assert_eq!(
        w.audit("seat.unassigned").await.len(),
        3,
        "eve by hand, pat and eve in bulk"
    );
}

#[tokio::test]
async fn strangers_and_people_without_user_manage_get_nothing() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(2))
        .await
        .expect_status(S::OK);
    let eve_seat = format!("/users/{}/seat", w.eve_id);
    // Another tenant: exactly as if none of it existed.
    for (status, body) in [
        w.seats_of(&w.gus, w.acme).await,
        w.give(&w.gus, w.eve_id).await,
        w.delete(&w.gus, &eve_seat).await,
        w.get_json(&w.gus, &eve_seat).await,
        w.post_json(
            &w.gus,
            format!("/orgs/{}/seats", w.acme),
            json!({"assign": [w.eve_id]}),
        )
        .await,
    ] {
        assert_eq!(status, S::NOT_FOUND, "{body}");
    }
    let (_, missing) = w.seats_of(&w.gus, 999_999).await;
    assert_eq!(w.seats_of(&w.gus, w.acme).await.1, missing);
    // A viewer at Acme sees Eve but does not administer her.
    let vic = w
        .member("vic@acme.example", w.acme, "Viewer", w.acme)
        .await
        .token;
    assert_eq!(w.give(&vic, w.eve_id).await.0, S::FORBIDDEN);
    assert_eq!(w.seats_of(&vic, w.acme).await.0, S::FORBIDDEN);
    // Eve herself cannot take a seat.
    assert_eq!(w.give(&w.eve, w.eve_id).await.0, S::FORBIDDEN);
    // Gus's own people, with Gus's bulk form naming Eve: refused, nothing changed.
    let (status, body) = w
        .post_json(
            &w.gus,
            format!("/orgs/{}/seats", w.globex),
            json!({"assign": [w.eve_id]}),
        )
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    // Bad bodies.
    let path = format!("/orgs/{}/seats", w.acme);
    for bad in [
        json!({}),
        json!({"assign": "all"}),
        json!({"assign": [w.eve_id], "unassign": [w.eve_id]}),
        json!({"assign": [w.eve_id], "nope": 1}),
        json!({"assign": [999_999]}),
    ] {
        let (status, body) = w.post_json(&w.olga, &path, bad.clone()).await;
        assert!(status.is_client_error(), "{bad}: {status} {body}");
    }
    // No pool over Globex: a seat there is refused, saying why.
    let (status, body) = w
        .get_json(&w.gus, format!("/orgs/{}/seats", w.globex))
        .await;
    assert_eq!(status, S::OK);
    assert!(body["pool"].is_null(), "{body}");
    assert!(w.audit("seat.assigned").await.is_empty());
}

#[tokio::test]
async fn a_seat_is_given_on_the_first_entry_and_time_is_refused_without_one() {
    let w = world().await;
    // No pool anywhere: everyone enters time.
    w.enter_time(&w.gil, gil_id(&w).await, w.g1)
        .await
        .expect_status(S::OK);
    w.set_seats(&w.ada, w.acme, json!(1))
        .await
        .expect_status(S::OK);
    w.enter_time(&w.eve, w.eve_id, w.p1)
        .await
        .expect_status(S::OK);
    let seat = w
        .get_json(&w.olga, format!("/users/{}/seat", w.eve_id))
        .await
        .expect_status(S::OK);
    assert_eq!(seat["how"], "automatic");
    let (status, body) = w.enter_time(&w.pat, w.pat_id, w.p1).await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no seat for timesheets"),
        "{body}"
    );
    // Nothing of Pat's week was kept; Globex still counts nothing.
    let (_, week) = w
        .get_json(&w.pat, format!("/timesheets/{}/{}", w.pat_id, w.week))
        .await;
    assert_eq!(week["entries"], json!([]));
    assert_eq!(w.audit("seat.assigned").await.len(), 1);
    // Eve keeps entering time with her seat.
    let next = w.week + Duration::days(7);
    let body = json!({"version": 0, "entries": [
        {"project_id": w.p1, "date": next.to_string(), "minutes": 30}
    ]});
    w.put_json(&w.eve, format!("/timesheets/{}/{next}", w.eve_id), body)
        .await
        .expect_status(S::OK);
}

async fn gil_id(w: &World) -> i64 {
    w.get_json(&w.gil, "/me").await.1["id"].as_i64().unwrap()
}

#[tokio::test]
async fn two_people_racing_for_the_last_seat_leave_one_holder() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(1))
        .await
        .expect_status(S::OK);
    let (a, b) = tokio::join!(w.give(&w.olga, w.eve_id), w.give(&w.olga, w.pat_id));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [S::OK, S::UNPROCESSABLE_ENTITY],
        "{} / {}",
        a.1,
        b.1
    );
    let seats = w.seats_of(&w.olga, w.acme).await.expect_status(S::OK);
    assert_eq!(seats["seated"], 1);
    // The same through first entries: one week saved, one refused.
    w.delete(&w.olga, format!("/users/{}/seat", w.eve_id)).await;
    w.delete(&w.olga, format!("/users/{}/seat", w.pat_id)).await;
    let (a, b) = tokio::join!(
        w.enter_time(&w.eve, w.eve_id, w.p1),
        w.enter_time(&w.pat, w.pat_id, w.p1)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [S::OK, S::CONFLICT], "{} / {}", a.1, b.1);
    let seats = w.seats_of(&w.olga, w.acme).await.expect_status(S::OK);
    assert_eq!(
        (&seats["seated"], &seats["pool"]["free"]),
        (&json!(1), &json!(0))
    );
}

#[tokio::test]
async fn moves_keep_a_seat_within_its_pool_and_release_it_elsewhere() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(3))
        .await
        .expect_status(S::OK);
    for who in [w.eve_id, w.pat_id, w.wes_id] {
        w.give(&w.olga, who).await.expect_status(S::OK);
    }
    // East to West: the same pool, the seat stays.
    let eve = format!("/users/{}", w.eve_id);
    w.patch_json(&w.ada, &eve, json!({"org_id": w.west}))
        .await
        .expect_status(S::OK);
    assert_eq!(w.get_json(&w.ada, format!("{eve}/seat")).await.0, S::OK);
    // To Globex: no pool there, the seat goes back.
    w.patch_json(&w.ada, &eve, json!({"org_id": w.globex}))
        .await
        .expect_status(S::OK);
    assert_eq!(
        w.get_json(&w.ada, format!("{eve}/seat")).await.0,
        S::NOT_FOUND
    );
    // Deactivated: the seat goes back.
    let pat = format!("/users/{}", w.pat_id);
    w.patch_json(&w.ada, &pat, json!({"status": "deactivated"}))
        .await
        .expect_status(S::OK);
    assert_eq!(
        w.get_json(&w.ada, format!("{pat}/seat")).await.0,
        S::NOT_FOUND
    );
    let reasons: Vec<String> = w
        .audit("seat.unassigned")
        .await
        .iter()
        .map(|e| e.after_json.clone().unwrap_or_default())
        .collect();
    assert!(
        reasons[0].contains("moved") && reasons[1].contains("deactivated"),
        "{reasons:?}"
    );
    // West moves under Globex: Wes's seat leaves Acme's pool with it.
    let (status, body) = w
        .post_json(
            &w.ada,
            format!("/orgs/{}/move", w.west),
            json!({"parent_id": w.globex}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let acme = w.seats_of(&w.ada, w.acme).await.expect_status(S::OK);
    assert_eq!(
        (&acme["pool"]["used"], &acme["seated"]),
        (&json!(0), &json!(0))
    );
}

#[tokio::test]
async fn the_users_import_gives_and_takes_back_seats() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(1))
        .await
        .expect_status(S::OK);
    let import = async |csv: &str| {
        let response = w
            .api(reqwest::Method::POST, "/import/users", &w.olga)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json::<Value>().await.unwrap())
    };
    let (status, report) = import(
        "email,name,org,seat\neve@acme.example,Eve,ACME-EAST,yes\npat@acme.example,Pat,ACME-EAST,\n",
    )
    .await;
    assert_eq!(status, S::OK, "{report}");
    assert_eq!(report["rows"][0]["message"], "Changed: seat.", "{report}");
    let seat = w
        .get_json(&w.olga, format!("/users/{}/seat", w.eve_id))
        .await
        .expect_status(S::OK);
    assert_eq!(seat["how"], "import");
    // Pool full: the row is refused on its column and nothing is written.
    let (status, report) = import(
        "email,name,org,seat\neve@acme.example,Eve,ACME-EAST,no\npat@acme.example,Pat,ACME-EAST,yes\nwes@acme.example,Wes,ACME-WEST,yes\n",
    )
    .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{report}");
    assert!(
        report["rows"][2]["message"]
            .as_str()
            .unwrap()
            .contains("No seats are left"),
        "{report}"
    );
    assert_eq!(
        w.get_json(&w.olga, format!("/users/{}/seat", w.eve_id))
            .await
            .0,
        S::OK
    );
    let (status, report) =
        import("email,name,org,seat\neve@acme.example,Eve,ACME-EAST,maybe\n").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{report}");
    assert!(
        report["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Enter yes"),
        "{report}"
    );
}
