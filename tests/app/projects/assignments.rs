//! Assignments: validated, never overlapping, ended keeping history, one of two concurrent ones through; an assignee sees their project.

use super::*;

#[tokio::test]
async fn assignments_are_validated_never_overlap_and_end_keeping_history() {
    let w = world().await;
    let (app, olga) = (&w.app, w.olga.as_str());
    let p = new_project(&w, olga, w.east, "ACME-1").await["id"]
        .as_i64()
        .unwrap();
    let path = |user: i64| format!("/projects/{p}/assignments/{user}");
    let a = app
        .put_json(olga, path(w.sam), json!({"role": "member", "minutes_per_week": 2400, "start_date": "2020-01-06", "end_date": "2020-06-30"}))
        .await.expect_status(S::CREATED);
    assert_eq!(a["minutes_per_week"], 2400);
    assert_eq!(a["end_date"], "2020-06-30");
    // The same start date changes that assignment.
    let a = app
        .put_json(olga, path(w.sam), json!({"role": "approver", "minutes_per_week": 1200, "start_date": "2020-01-06", "end_date": "2020-06-30", "version": 1}))
        .await.expect_status(S::OK);
    assert_eq!(a["role"], "approver");
    assert_eq!(a["version"], 2);

    // Bad input, overlaps, strangers: refused, nothing changes.
    for (user, body, expected, field) in [
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": -1, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 10_081, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 99_999_999_999_i64, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 1.5, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("body"),
        ),
        (
            w.sam,
            json!({"role": "member", "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "chief", "minutes_per_week": 60, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("role"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04", "end_date": "2021-01-03"}),
            S::UNPROCESSABLE_ENTITY,
            Some("end_date"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "yesterday"}),
            S::UNPROCESSABLE_ENTITY,
            Some("start_date"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2020-06-30"}),
            S::CONFLICT,
            None,
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2019-01-01", "end_date": "2020-01-06"}),
            S::CONFLICT,
            None,
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2019-01-01"}),
            S::CONFLICT,
            None,
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2020-01-06", "version": 1}),
            S::CONFLICT,
            None,
        ),
        // Gina lives in Globex: Olga may not even know her.
        (
            w.gina,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
            S::NOT_FOUND,
            None,
        ),
        (
            999_999,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
            S::NOT_FOUND,
            None,
        ),
    ] {
        let (status, answer) = app.put_json(olga, path(user), body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        if let Some(field) = field {
            assert!(
                answer["error"]["fields"][field].is_string(),
                "{field}: {answer}"
            );
        }
    }
    let (status, answer) = app
        .put_json(
            olga,
            path(w.sam),
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2020-06-30"}),
        )
        .await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("overlap"),
        "{status} {answer}"
    );
    let rows = assignments_of(app, p).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].assignment.minutes_per_week, 1200);

    // The owner sees Gina, but she is neither at home here nor a guest: 422.
    let answer = app
        .put_json(
            &w.ada,
            path(w.gina),
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
        )
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    assert!(answer["error"]["fields"]["user_id"].is_string(), "{answer}");
    assert_eq!(assignments_of(app, p).await.len(), 1);
    // As a guest of Acme she may be assigned.
    w.grant_role(&w.ada, "Viewer", w.gina, w.acme).await;
    app.put_json(
        olga,
        path(w.gina),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
    )
    .await
    .expect_status(S::CREATED);

    // A later, separate period; then ending: started ones end today, upcoming
    // ones go away.
    app.put_json(
        olga,
        path(w.sam),
        json!({"role": "manager", "minutes_per_week": 600, "start_date": "2021-01-04"}),
    )
    .await
    .expect_status(S::CREATED);
    app.delete(olga, path(w.sam))
        .await
        .expect_status(S::NO_CONTENT);
    let (_, shown) = app.get_json(olga, format!("/projects/{p}")).await;
    let sams: Vec<&Value> = shown["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["user_id"] == w.sam)
        .collect();
    assert_eq!(sams.len(), 2, "{shown}");
    assert_eq!(sams[0]["end_date"], "2020-06-30");
    assert_eq!(sams[1]["end_date"], json!(today()));
    assert_eq!(sams[1]["display_name"], "Sam");
    // Nothing open any more.
    app.delete(olga, path(w.sam))
        .await
        .expect_status(S::NOT_FOUND);
    let (status, _) = app
        .put_json(
            olga,
            path(w.gina),
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2999-01-01"}),
        )
        .await;
    assert_eq!(
        status,
        S::CONFLICT,
        "the open-ended period from 2021 overlaps"
    );
    app.delete(olga, path(w.gina))
        .await
        .expect_status(S::NO_CONTENT);
    app.put_json(
        olga,
        path(w.gina),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2999-01-01"}),
    )
    .await
    .expect_status(S::CREATED);
    app.delete(olga, path(w.gina))
        .await
        .expect_status(S::NO_CONTENT);
    let rows = assignments_of(app, p).await;
    assert_eq!(rows.len(), 3, "the upcoming one was deleted, the rest kept");
    let current = app
        .db
        .read({
            let sam = w.sam;
            move |conn| assignment::current_for_user(conn, sam, chrono::Utc::now().date_naive())
        })
        .await
        .unwrap();
    assert_eq!(current.len(), 1, "ends today, so still current today");
    assert!(app.audit("project.assignment_put").await.len() >= 5);
    assert_eq!(app.audit("project.assignment_ended").await.len(), 3);

    // A project with assignments cannot be deleted; it says why.
    let body = app
        .delete(olga, format!("/projects/{p}"))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(body["error"]["blocking"]["assignments"], 3, "{body}");

    // A closed project takes no assignments.
    app.patch_json(olga, format!("/projects/{p}"), json!({"status": "closed"}))
        .await
        .expect_status(S::OK);
    app.put_json(
        olga,
        path(w.sam),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2030-01-07"}),
    )
    .await
    .expect_status(S::CONFLICT);
    assert_eq!(assignments_of(app, p).await.len(), 3);

    // Nor does a project in an archived org.
    let q = new_project(&w, olga, w.west, "ACME-2").await["id"]
        .as_i64()
        .unwrap();
    app.patch_json(
        &w.ada,
        format!("/orgs/{}", w.west),
        json!({"status": "archived"}),
    )
    .await
    .expect_status(S::OK);
    app.put_json(
        olga,
        format!("/projects/{q}/assignments/{}", w.sam),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2026-01-05"}),
    )
    .await
    .expect_status(S::CONFLICT);
    assert!(assignments_of(app, q).await.is_empty());

    // Another tenant's admin learns nothing of any of it.
    app.get_json(&w.gus, format!("/projects/{p}"))
        .await
        .expect_status(S::NOT_FOUND);
    app.delete(&w.gus, path(w.gina))
        .await
        .expect_status(S::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_overlapping_assignments_let_exactly_one_through() {
    let w = world().await;
    let p = new_project(&w, &w.olga, w.east, "RACE").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/projects/{p}/assignments/{}", w.sam);
    let calls = (1..=6).map(|day| {
        w.put_json(&w.olga, path.clone(), json!({"role": "member", "minutes_per_week": 60, "start_date": format!("2026-03-{day:02}")}))
    });
    let answers = futures_util::future::join_all(calls).await;
    let created = answers.iter().filter(|(s, _)| *s == S::CREATED).count();
    let refused = answers.iter().filter(|(s, _)| *s == S::CONFLICT).count();
    assert_eq!((created, refused), (1, 5), "{answers:?}");
    assert_eq!(assignments_of(&w.app, p).await.len(), 1);
}

#[tokio::test]
async fn an_assignee_sees_their_project_without_a_grant() {
    let w = world().await;
    let apollo = new_project(&w, &w.olga, w.east, "APOLLO").await["id"]
        .as_i64()
        .unwrap();
    let sam = w.create_token(w.sam, "").await;
    assert_eq!(
        w.get_json(&sam, format!("/projects/{apollo}")).await.0,
        S::NOT_FOUND
    );
    let (status, body) = w
        .put_json(
            &w.olga,
            format!("/projects/{apollo}/assignments/{}", w.sam),
            json!({"role": "member", "minutes_per_week": 600, "start_date": today()}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(
        w.get_json(&sam, format!("/projects/{apollo}")).await.0,
        S::OK
    );
    let (status, _) = w
        .patch_json(&sam, format!("/projects/{apollo}"), json!({"name": "Mine"}))
        .await;
    assert_eq!(status, S::FORBIDDEN, "seeing is not managing");
    let browser = w.signed_in_browser("sam@acme.example").await;
    let (status, html) = browser.get_page("/my/projects").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("Project APOLLO") && html.contains("10.00 h/week"),
        "{html}"
    );
    assert_eq!(
        browser.get(&format!("/projects/{apollo}")).await.status(),
        S::OK
    );
}
