//! The root overview, the API's team and group lists and the org search,
//! worked out from what is hidden rather than by walking the installation
//! (issue 12, helper `overview`), answer exactly what the resolver answers
//! org by org: for everyone, at every org, with a privacy border, a grant
//! inside it under a grant above it (a part visible again), "this org only"
//! grants and another tenant in the mix.

use std::collections::HashSet;

use canopy::authz::{Access, AuthzStore, Permission};
use canopy::db::schema::{groups, projects, teams, time_entries, users};
use canopy::domain::org;
use chrono::{Datelike, Duration};
use diesel::prelude::*;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::ExpectStatus;
use crate::helpers::ids;
use crate::timesheets::{World, post, world};

struct Mix {
    w: World,
    vault: i64,
    /// Keeper of the vault (org admin there), also a viewer over Acme: Acme
    /// is one part with the vault hidden, the vault a part of its own.
    keeper: String,
}

/// The world plus: a private Vault in East kept by someone who also views
/// Acme, a project and people in it, Paula viewing Acme only ("this org
/// only"), teams and groups at every level (one named with `_`, one with
/// `%`), entries this week on Acme's and the vault's projects.
async fn mix() -> Mix {
    let w = world().await;
    let app = &w.app;
    let vault = app.create_org(&w.ada, w.east, "Vault", "VAULT").await;
    let keeper_user = app.add_keeper(vault).await;
    let keeper = app.create_token(keeper_user.id, "").await;
    app.make_private(&w.ada, vault).await;
    let viewer = app.role_id(&w.ada, "Viewer").await;
    post(
        app,
        &w.ada,
        "/grants",
        json!({"role_id": viewer, "user_id": keeper_user.id, "org_id": w.acme}),
    )
    .await;
    let paula = app.create_user("paula@acme.example", "Paula", w.east).await;
    post(
        app,
        &w.ada,
        "/grants",
        json!({"role_id": viewer, "user_id": paula.id, "org_id": w.acme, "descendants": false}),
    )
    .await;
    let mut inside = Vec::new();
    for i in 0..3 {
        inside.push(
            app.create_user(&format!("v{i}@acme.example"), "In the vault", vault)
                .await,
        );
    }
    let vault_project = post(
        app,
        &keeper,
        "/projects",
        json!({"org_id": vault, "code": "V1", "name": "Vault work"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let start = chrono::Utc::now().date_naive() - Duration::days(60);
    app.assign(&keeper, vault_project, inside[0].id, "member", start)
        .await;
    let v0 = app.create_token(inside[0].id, "").await;
    for (token, org, name) in [
        (&w.ada, w.acme, "Acme_crew"),
        (&w.ada, w.east, "East%crew"),
        (&w.ada, w.globex, "Globex crew"),
        (&keeper, vault, "Vault crew"),
        (&w.ada, w.acme, "acme crew"),
    ] {
        for kind in ["/teams", "/groups"] {
            post(app, token, kind, json!({"org_id": org, "name": name})).await;
        }
    }
    // Every day of this week (some after today, some maybe last month):
    // Eve on P1 at Acme, someone in the vault on its project.
    let today = chrono::Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    for (who, token, project, per_day) in [
        (w.eve_id, &w.eve, w.p1, 15),
        (inside[0].id, &v0, vault_project, 30),
    ] {
        let entries: Vec<Value> = (0..7)
            .map(|d| {
                let date = (monday + Duration::days(d)).to_string();
                json!({"project_id": project, "date": date, "minutes": per_day * (d + 1)})
            })
            .collect();
        let (_, current) = app
            .get_json(token, format!("/timesheets/{who}/{monday}"))
            .await;
        let version = current["version"].as_i64().unwrap_or(0);
        app.put_json(
            token,
            format!("/timesheets/{who}/{monday}"),
            json!({"version": version, "entries": entries}),
        )
        .await
        .expect_status(S::OK);
    }
    Mix { w, vault, keeper }
}

/// Everyone's id.
#[tokio::test]
async fn the_roll_up_counts_exactly_what_the_viewer_sees_inside() {
    let m = mix().await;
    let store = std::sync::Arc::new(AuthzStore::new());
    let today = canopy::db::now().date();
    let mut nonzero = 0;
    for user_id in m.w.app.all_user_ids().await {
        let store = store.clone();
        let compared =
            m.w.app
                .db
                .read(move |conn| {
                    let access = Access {
                        user_id,
                        snapshot: store.fresh(conn)?,
                    };
                    let tree = access.snapshot.tree();
                    let homes: Vec<i64> = users::table.select(users::org_id).load(conn)?;
                    let project_orgs: Vec<(i64, i64)> = projects::table
                        .select((projects::id, projects::org_id))
                        .load(conn)?;
                    let entries: Vec<(i64, chrono::NaiveDate, i32)> = time_entries::table
                        .select((
                            time_entries::project_id,
                            time_entries::entry_date,
                            time_entries::minutes,
                        ))
                        .load(conn)?;
                    let month_start = today.with_day(1).unwrap();
                    let mut out = Vec::new();
                    for o in tree.ids_in_order().collect::<Vec<_>>() {
                        // The reference: the resolver org by org.
                        let seen: HashSet<i64> =
                            tree.subtree(o).filter(|x| access.sees_inside(*x)).collect();
                        let here = access.sees_inside(o);
                        let counted: HashSet<i64> = project_orgs
                            .iter()
                            .filter(|(_, po)| seen.contains(po))
                            .map(|(p, _)| *p)
                            .collect();
                        let expected = (
                            seen.len() - usize::from(here),
                            if here {
                                homes.iter().filter(|h| **h == o).count() as i64
                            } else {
                                0
                            },
                            homes.iter().filter(|h| seen.contains(h)).count() as i64,
                            counted.len() as i64,
                            entries
                                .iter()
                                .filter(|(p, d, _)| {
                                    counted.contains(p) && *d >= month_start && *d <= today
                                })
                                .map(|(_, _, m)| i64::from(*m))
                                .sum::<i64>(),
                        );
                        let r = org::rollup(conn, &access, o, today)?;
                        let got = (
                            r.sub_orgs,
                            r.own_users,
                            r.subtree_users,
                            r.projects,
                            r.minutes_this_month,
                        );
                        out.push((o, expected, got));
                    }
                    Ok(out)
                })
                .await
                .unwrap();
        for (o, expected, got) in compared {
            assert_eq!(got, expected, "user {user_id} at org {o}");
            nonzero += usize::from(got.4 > 0);
        }
    }
    assert!(nonzero > 0, "some roll-up counts this month's minutes");
}

/// What `GET /teams` and `GET /groups` answered before they paged in SQL:
/// every team the resolver lets the caller see, at exactly `org_id` when
/// given, whose lower-cased name contains the lower-cased `q` as typed; by
/// lower-cased name, then id.
async fn reference_list(m: &Mix, kind: &str, user_id: i64, org: Option<i64>, q: &str) -> Vec<i64> {
    let store = AuthzStore::new();
    let (kind, q) = (kind.to_string(), q.to_lowercase());
    m.w.app
        .db
        .read(move |conn| {
            let access = Access {
                user_id,
                snapshot: store.fresh(conn)?,
            };
            let (rows, perm): (Vec<(i64, i64, String)>, Permission) = if kind == "teams" {
                (
                    teams::table
                        .select((teams::id, teams::org_id, teams::name))
                        .load(conn)?,
                    Permission::TeamView,
                )
            } else {
                (
                    groups::table
                        .select((groups::id, groups::org_id, groups::name))
                        .load(conn)?,
                    Permission::GroupView,
                )
            };
            let mut kept: Vec<(String, i64)> = rows
                .into_iter()
                .filter(|(_, o, _)| org.is_none_or(|at| at == *o))
                .filter(|(_, o, _)| access.can(perm, *o))
                .filter(|(_, _, name)| name.to_lowercase().contains(&q))
                .map(|(id, _, name)| (name.to_lowercase(), id))
                .collect();
            kept.sort();
            Ok(kept.into_iter().map(|(_, id)| id).collect())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_team_and_group_lists_page_in_sql_and_answer_what_the_resolver_allows() {
    let m = mix().await;
    let w = &m.w;
    let ada_id = w
        .app
        .db
        .read(|conn| {
            Ok(users::table
                .filter(users::email_key.eq(crate::helpers::ADMIN_EMAIL))
                .select(users::id)
                .first::<i64>(conn)?)
        })
        .await
        .unwrap();
    let keeper_id = w
        .app
        .db
        .read(move |conn| {
            Ok(users::table
                .filter(users::email_key.like("keeper%"))
                .select(users::id)
                .first::<i64>(conn)?)
        })
        .await
        .unwrap();
    let people = [
        (&w.ada, ada_id),
        (&w.olga, w.olga_id),
        (&m.keeper, keeper_id),
        (&w.eve, w.eve_id),
    ];
    for kind in ["teams", "groups"] {
        for (token, user_id) in people {
            for org in [None, Some(w.acme), Some(w.east), Some(m.vault)] {
                for q in ["", "CREW", "_", "%", " crew", "acme", "nothing-like-it"] {
                    let mut path = format!("/{kind}?per_page=2&q={}", urlencode(q));
                    if let Some(o) = org {
                        path.push_str(&format!("&org_id={o}"));
                    }
                    let (status, first) = w.app.get_json(token, &path).await;
                    if status == S::NOT_FOUND {
                        // An org the caller may not see: as before, a 404.
                        let visible = w
                            .app
                            .get_json(token, format!("/orgs/{}", org.unwrap()))
                            .await
                            .0;
                        assert_eq!(visible, S::NOT_FOUND, "{path}");
                        continue;
                    }
                    assert_eq!(status, S::OK, "{path}: {first}");
                    let expected = reference_list(&m, kind, user_id, org, q).await;
                    assert_eq!(first["total"], json!(expected.len()), "{path}: {first}");
                    let mut got = Vec::new();
                    let pages = expected.len().div_ceil(2).max(1);
                    for page in 1..=pages {
                        let (_, body) = w.app.get_json(token, format!("{path}&page={page}")).await;
                        assert_eq!(body["page"], json!(page));
                        assert_eq!(body["per_page"], json!(2));
                        for item in body["items"].as_array().unwrap() {
                            for field in [
                                "id",
                                "org_id",
                                "name",
                                "description",
                                "version",
                                "created_at",
                                "updated_at",
                            ] {
                                assert!(item.get(field).is_some(), "{field}: {item}");
                            }
                            got.push(item["id"].as_i64().unwrap());
                        }
                    }
                    assert_eq!(got, expected, "user {user_id}: {path}");
                }
            }
        }
    }
    // The keeper sees the vault's team through the grant inside the border
    // although the border hides it from the grant over Acme.
    let (_, keeper) = w.app.get_json(&m.keeper, "/teams?q=vault").await;
    assert_eq!(keeper["total"], json!(1), "{keeper}");
    let (_, ada) = w.app.get_json(&w.ada, "/teams?q=vault").await;
    assert_eq!(ada["total"], json!(0), "{ada}");
}

fn urlencode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_org_search_matches_names_and_codes_in_memory_like_the_table() {
    let m = mix().await;
    let w = &m.w;
    let store = std::sync::Arc::new(AuthzStore::new());
    let check = |store: std::sync::Arc<AuthzStore>, label: &'static str| async move {
        for user_id in w.app.all_user_ids().await {
            let store = store.clone();
            w.app
                .db
                .read(move |conn| {
                    use canopy::db::schema::orgs;
                    let access = Access {
                        user_id,
                        snapshot: store.fresh(conn)?,
                    };
                    let rows: Vec<(i64, String, String)> = orgs::table
                        .select((orgs::id, orgs::name_key, orgs::code_key))
                        .load(conn)?;
                    for q in [
                        "", "a", "VAULT", "vau", "east", "acme", "%", "e_", "zzz", " Glo ",
                    ] {
                        for perm in [Permission::OrgView, Permission::TeamManage] {
                            let needle = q.trim().to_lowercase().replace(['%', '_'], "");
                            let scope = access.org_scope(perm);
                            let tree = access.snapshot.tree();
                            let mut expected: Vec<(String, i64)> = rows
                                .iter()
                                .filter(|(id, _, _)| {
                                    scope.roots.iter().any(|r| tree.is_within(*id, *r))
                                        && !scope.hidden.iter().any(|h| tree.is_within(*id, *h))
                                })
                                .filter(|(_, n, c)| n.contains(&needle) || c.contains(&needle))
                                .map(|(id, n, _)| (n.clone(), *id))
                                .collect();
                            expected.sort();
                            expected.truncate(3);
                            let expected: Vec<i64> = expected
                                .into_iter()
                                .filter(|(n, id)| {
                                    // Fairness reads the key as typed (`%` kept), as before.
                                    access.can(perm, *id)
                                        && (n.contains(&q.trim().to_lowercase())
                                            || access.sees_inside(*id))
                                })
                                .map(|(_, id)| id)
                                .collect();
                            let got: Vec<i64> =
                                org::search_visible(conn, &access, perm, q, None, 3)?
                                    .into_iter()
                                    .map(|o| o.id)
                                    .collect();
                            assert_eq!(got, expected, "{label}: user {user_id} {perm} q={q:?}");
                            let mut all: Vec<i64> =
                                org::search_visible_ids(conn, &access, perm, q)?;
                            all.sort();
                            let mut every =
                                org::search_visible(conn, &access, perm, q, None, 1_000)?
                                    .into_iter()
                                    .map(|o| o.id)
                                    .collect::<Vec<_>>();
                            every.sort();
                            assert_eq!(all, every, "{label}: user {user_id} {perm} q={q:?}");
                        }
                    }
                    Ok(())
                })
                .await
                .unwrap();
        }
    };
    check(store.clone(), "before").await;
    // A new code is found at the next request, the old one no more.
    w.app
        .patch_json(
            &w.ada,
            format!("/orgs/{}", w.east),
            json!({"code": "ORIENT"}),
        )
        .await
        .expect_status(S::OK);
    let (_, found) = w.app.get_json(&w.ada, "/orgs?q=orient").await;
    assert_eq!(found["total"], json!(1), "{found}");
    assert_eq!(found["items"][0]["id"], json!(w.east), "{found}");
    let (_, gone) = w.app.get_json(&w.ada, "/orgs?q=EAST").await;
    assert!(
        ids(&gone).contains(&w.east),
        "East is still found by its name"
    );
    let (_, renamed) = w
        .app
        .patch_json(
            &w.ada,
            format!("/orgs/{}", w.globex),
            json!({"name": "Initech"}),
        )
        .await;
    assert_eq!(renamed["name"], json!("Initech"), "{renamed}");
    let (_, by_name) = w.app.get_json(&w.ada, "/orgs?q=initech").await;
    assert_eq!(by_name["total"], json!(1), "{by_name}");
    check(store, "after").await;
}
