//! CSV import (SPEC 8, API.md `/import/*`, `canopy import`): each row through
//! the single operation's rules as the importer, all or nothing, dry runs
//! that write nothing, and files read by header name, either delimiter, UTF-8.

use reqwest::StatusCode;
use serde_json::Value;

use crate::fixture::Tree;
use crate::helpers::*;

/// POSTs `csv` to `/import/{kind}` as `token`'s holder.
async fn import(
    app: &TestApp,
    token: &str,
    kind: &str,
    csv: &[u8],
    dry: bool,
) -> (StatusCode, Value) {
    let path = format!("/import/{kind}{}", if dry { "?dry_run=true" } else { "" });
    let response = app
        .api(reqwest::Method::POST, &path, token)
        .header("content-type", "text/csv")
        .body(csv.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Each row's outcome, in order.
fn outcomes(report: &Value) -> Vec<String> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

/// The message of the first row in error.
fn first_error(report: &Value) -> String {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "error")
        .map(|r| r["message"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no row in error: {report}"))
}

async fn org_count(t: &Tree) -> usize {
    let (_, list) = t.get_json(&t.ada, "/orgs?per_page=100").await;
    list["items"].as_array().unwrap().len()
}

async fn org_by_code(t: &Tree, code: &str) -> Option<Value> {
    let (_, list) = t
        .get_json(&t.ada, format!("/orgs?q={code}&per_page=100"))
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == code)
        .cloned()
}

const ORGS: &[u8] = b"code,name,parent,kind,city\n\
    ACME-NORTH,North,ACME,region,Oslo\n\
    ACME-NORTH-1,North One,Root/Acme/North,site,\n\
    ACME-EAST,East,ACME,region,Boston\n";

#[tokio::test]
async fn orgs_are_created_updated_and_a_second_import_changes_nothing() {
    let t = Tree::new().await;
    let before = org_count(&t).await;
    let report = import(&t, &t.ada, "orgs", ORGS, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        outcomes(&report),
        ["create", "create", "update"],
        "{report}"
    );
    assert_eq!(report["applied"], true);
    assert_eq!(report["rows"][0]["line"], 2);
    assert_eq!(report["rows"][2]["message"], "Changed: city.", "{report}");
    let north = org_by_code(&t, "ACME-NORTH").await.expect("North created");
    let one = org_by_code(&t, "ACME-NORTH-1")
        .await
        .expect("North One created");
    assert_eq!(one["parent_id"], north["id"], "the path names its parent");
    assert_eq!(north["parent_id"], t.acme);
    assert_eq!(
        org_by_code(&t, "ACME-EAST").await.unwrap()["city"],
        "Boston"
    );
    assert_eq!(org_count(&t).await, before + 2);
    assert_eq!(
        t.audit("org.created").await.len(),
        before + 2,
        "audited as one by one"
    );
    let again = import(&t, &t.ada, "orgs", ORGS, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&again), ["unchanged"; 3], "{again}");
    assert_eq!(org_count(&t).await, before + 2);
}

#[tokio::test]
async fn a_dry_run_reports_every_row_and_writes_nothing() {
    let t = Tree::new().await;
    let before = org_count(&t).await;
    let report = import(&t, &t.ada, "orgs", ORGS, true)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&report), ["create", "create", "update"]);
    assert_eq!(report["applied"], false);
    assert_eq!(org_count(&t).await, before);
    assert!(org_by_code(&t, "ACME-NORTH").await.is_none());
    assert!(
        t.audit("org.created").await.len() == before,
        "no audit either"
    );
}

#[tokio::test]
async fn one_bad_row_is_422_with_every_outcome_and_nothing_applied() {
    let t = Tree::new().await;
    let before = org_count(&t).await;
    let csv = b"code,name,parent\nNEW-1,New one,ACME\nNEW-2,,NOPE\nNEW-3,Three,GLOBEX\n";
    let (status, report) = import(&t, &t.ada, "orgs", csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(outcomes(&report), ["create", "error", "create"]);
    assert_eq!(report["applied"], false);
    assert_eq!(report["rows"][1]["line"], 3);
    assert!(
        first_error(&report).contains("There is no organization \"NOPE\""),
        "{report}"
    );
    assert_eq!(org_count(&t).await, before);
}

#[tokio::test]
async fn an_org_admin_imports_inside_their_subtree_only_and_outside_reads_as_nothing() {
    let t = Tree::new().await;
    let olga = t.org_admin("olga@example.com", t.acme).await;
    let outside = b"code,name,parent\nACME-S,South,ACME\nGLX-1,Sneaky,GLOBEX\n";
    let (status, report) = import(&t, &olga.token, "orgs", outside, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(outcomes(&report), ["create", "error"]);
    let missing = import(
        &t,
        &olga.token,
        "orgs",
        b"code,name,parent\nX-1,X,NOSUCH\n",
        false,
    )
    .await
    .1;
    assert_eq!(
        first_error(&report).replace("GLOBEX", "?"),
        first_error(&missing).replace("NOSUCH", "?"),
        "an org out of sight answers like one that does not exist"
    );
    assert!(org_by_code(&t, "ACME-S").await.is_none(), "nothing applied");
    // A path from the top of what she sees works; one through the root does not.
    let inside = b"code,name,parent\nACME-S,South,Acme\nACME-S-1,South One,Acme/South\n";
    let report = import(&t, &olga.token, "orgs", inside, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&report), ["create", "create"], "{report}");
    let (status, _) = import(
        &t,
        &olga.token,
        "orgs",
        b"code,name,parent\nACME-Z,Z,Root/Acme\n",
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nor can she edit an org she does not see: its code reads as free, then taken.
    let (_, report) = import(
        &t,
        &olga.token,
        "orgs",
        b"code,name,parent\nGLOBEX,Mine now,ACME\n",
        false,
    )
    .await;
    assert!(first_error(&report).contains("not available"), "{report}");
    assert_eq!(org_by_code(&t, "GLOBEX").await.unwrap()["name"], "Globex");
}

#[tokio::test]
async fn headers_in_any_order_and_semicolons_are_read_and_encodings_checked() {
    let t = Tree::new().await;
    let semi = "\u{feff}Parent;Name;Code\nACME;\"Süd; Region\";ACME-SUD\n";
    let report = import(&t, &t.ada, "orgs", semi.as_bytes(), false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&report), ["create"], "{report}");
    assert_eq!(
        org_by_code(&t, "ACME-SUD").await.unwrap()["name"],
        "Süd; Region"
    );
    let latin1 = b"code,name,parent\nACME-CAFE,Caf\xE9,ACME\n";
    let (status, report) = import(&t, &t.ada, "orgs", latin1, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(first_error(&report).contains("not UTF-8"), "{report}");
    let (status, report) = import(&t, &t.ada, "orgs", b"code;nom;parent\n", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        first_error(&report).contains("Unknown column \"nom\""),
        "{report}"
    );
    let response = t
        .api(reqwest::Method::POST, "/import/orgs", &t.ada)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        import(&t, &t.ada, "teams", ORGS, false).await.0,
        StatusCode::NOT_FOUND
    );
}

const USERS: &[u8] = b"email,name,org,job_title,grants\n\
    uma@example.com,Uma,ACME-EAST,Engineer,Viewer@ACME-EAST\n\
    vic@example.com,Vic,ACME-WEST,,Approver@ACME-WEST;Viewer@ACME\n";

#[tokio::test]
async fn users_are_invited_with_their_grants_and_a_second_import_changes_nothing() {
    let t = Tree::new().await;
    let grants = t.audit("grant.created").await.len();
    let report = import(&t, &t.ada, "users", USERS, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&report), ["create", "create"], "{report}");
    let (_, users) = t.get_json(&t.ada, "/users?q=vic@").await;
    let vic = &users["items"][0];
    assert_eq!(vic["status"], "invited");
    assert_eq!(vic["org_id"], t.west);
    assert_eq!(t.audit("user.invited").await.len(), 2);
    assert_eq!(t.audit("grant.created").await.len(), grants + 3);
    let again = import(&t, &t.ada, "users", USERS, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&again), ["unchanged", "unchanged"], "{again}");
    assert_eq!(t.audit("grant.created").await.len(), grants + 3);
    let moved = b"org,email,name\nACME-EAST,vic@example.com,Victor\n";
    let report = import(&t, &t.ada, "users", moved, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&report), ["update"]);
    assert!(
        report["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("org"),
        "{report}"
    );
    let (_, users) = t.get_json(&t.ada, "/users?q=vic@").await;
    assert_eq!(users["items"][0]["display_name"], "Victor");
    assert_eq!(users["items"][0]["org_id"], t.east);
}

#[tokio::test]
async fn an_org_admin_cannot_grant_by_import_what_they_could_not_grant_by_hand() {
    let t = Tree::new().await;
    let olga = t.org_admin("olga@example.com", t.acme).await;
    let csv = b"email,name,org,grants\nw@example.com,W,ACME-EAST,Owner@ACME\n";
    let (status, report) = import(&t, &olga.token, "users", csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    let (by_hand, _) = t
        .post_json(
            &olga.token,
            "/grants",
            serde_json::json!({
            "role_id": t.role_id(&t.ada, "Owner").await, "user_id": olga.id, "org_id": t.acme}),
        )
        .await;
    assert_eq!(by_hand, StatusCode::FORBIDDEN);
    assert!(
        first_error(&report).contains("Owner") || first_error(&report).contains("permission"),
        "{report}"
    );
    let (_, users) = t.get_json(&t.ada, "/users?q=w@example").await;
    assert_eq!(
        users["items"].as_array().unwrap().len(),
        0,
        "the user went with the row"
    );
    // A home outside her subtree reads as no such org.
    let csv = b"email,name,org\nx@example.com,X,GLOBEX\n";
    let (_, report) = import(&t, &olga.token, "users", csv, false).await;
    assert!(
        first_error(&report).contains("There is no organization \"GLOBEX\""),
        "{report}"
    );
}

#[tokio::test]
async fn grants_are_imported_once() {
    let t = Tree::new().await;
    let pat = t.person("pat@example.com", t.east).await;
    let csv = b"email;org;role;descendants\npat@example.com;ACME-EAST;Approver;no\npat@example.com;Root/Acme;viewer;\n";
    let report = import(&t, &t.ada, "grants", csv, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&report), ["create", "create"], "{report}");
    let (_, grants) = t
        .get_json(&t.ada, format!("/grants?user_id={}", pat.id))
        .await;
    assert_eq!(grants["items"].as_array().unwrap().len(), 2, "{grants}");
    let again = import(&t, &t.ada, "grants", csv, false)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(outcomes(&again), ["unchanged", "unchanged"]);
    let (status, report) = import(
        &t,
        &t.ada,
        "grants",
        b"email,org,role\nnobody@example.com,ACME,Viewer\n",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(first_error(&report).contains("no user"), "{report}");
}

/// `canopy import KIND FILE ARGS…` against the test's database.
fn canopy_import(url: &str, kind: &str, csv: &[u8], args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("import.csv");
    std::fs::write(&file, csv).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_canopy"))
        .args(["import", kind, file.to_str().unwrap()])
        .args(args)
        .env("CANOPY_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("canopy runs")
}

#[tokio::test]
async fn the_command_line_imports_as_the_person_named() {
    let t = Tree::new().await;
    t.org_admin("olga@example.com", t.acme).await;
    let url = t.database_url.clone();
    let run = move |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || canopy_import(&url, "orgs", ORGS, args))
    };
    let dry = run(&["--dry-run", "--as", ADMIN_EMAIL]).await.unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        stdout.contains("2 create, 1 update, 0 unchanged, 0 error (dry run"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&dry.stderr).contains("3 row(s) read"));
    assert!(org_by_code(&t, "ACME-NORTH").await.is_none());
    let done = run(&["--as", ADMIN_EMAIL]).await.unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(org_by_code(&t, "ACME-NORTH").await.is_some());
    let entry = t.audit("org.created").await.pop().unwrap();
    let (_, me) = t.get_json(&t.ada, "/me").await;
    assert_eq!(
        entry.actor_user_id,
        me["id"].as_i64(),
        "signed by the person named"
    );
    assert_eq!(entry.via.as_str(), "cli");
    // An org admin of Acme cannot reach Globex from the shell either.
    let url = t.database_url.clone();
    let outside = tokio::task::spawn_blocking(move || {
        canopy_import(
            &url,
            "orgs",
            b"code,name,parent\nGLX-9,Nine,GLOBEX\n",
            &["--as", "olga@example.com"],
        )
    })
    .await
    .unwrap();
    assert!(!outside.status.success());
    let stdout = String::from_utf8_lossy(&outside.stdout);
    assert!(
        stdout.contains("line 2: error parent: There is no organization \"GLOBEX\""),
        "{stdout}"
    );
    assert!(stdout.contains("nothing written"), "{stdout}");
}

/// A `multipart/form-data` body of text fields and one file, as a browser sends it.
fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "----canopyimport";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(data) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orgs.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The value of the hidden `csv` field of the preview's "Apply" form.
fn carried_csv(html: &str) -> Option<String> {
    let start = html.find("<textarea name=\"csv\"")?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find("</textarea>")?;
    Some(
        html[open_end..close]
            .replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

#[tokio::test]
async fn the_page_previews_every_row_then_applies_what_was_previewed() {
    let t = Tree::new().await;
    let before = org_count(&t).await;
    let browser = t.signed_in_browser(ADMIN_EMAIL).await;
    let (status, html) = browser.get_page("/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/import\""), "the sidebar offers it");
    let token = extract_csrf(&html).unwrap();
    let post = async |content_type: String, body: Vec<u8>| {
        let response = browser
            .client
            .post(browser.url("/import"))
            .header("origin", browser.url(""))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let (content_type, body) = multipart(&[("csrf_token", &token), ("kind", "orgs")], Some(ORGS));
    let (status, preview) = post(content_type, body).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        preview.matches("data-outcome=\"create\"").count(),
        2,
        "{preview}"
    );
    assert!(preview.contains("data-outcome=\"update\""));
    assert!(preview.contains("Changed: city."));
    assert_eq!(org_count(&t).await, before, "a preview writes nothing");
    let carried = carried_csv(&preview).expect("an Apply form carrying the file");
    let (content_type, body) = multipart(
        &[
            ("csrf_token", &token),
            ("kind", "orgs"),
            ("apply", "1"),
            ("csv", &carried),
        ],
        None,
    );
    let (status, applied) = post(content_type, body).await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert!(
        applied.contains("2 create, 1 update, 0 unchanged, 0 error"),
        "{applied}"
    );
    assert_eq!(org_count(&t).await, before + 2);
    // A row in error: 422, the message next to its row, no Apply form.
    let bad = b"code,name,parent\nZ-1,Z,NOWHERE\n";
    let (content_type, body) = multipart(&[("csrf_token", &token), ("kind", "orgs")], Some(bad));
    let (status, html) = post(content_type, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("There is no organization &quot;NOWHERE&quot;")
            || html.contains("There is no organization &#34;NOWHERE&#34;"),
        "{html}"
    );
    assert!(!html.contains("data-testid=\"apply\""));
    // Without the form's token the upload is refused.
    let (content_type, body) = multipart(&[("kind", "orgs")], Some(ORGS));
    let (status, _) = post(content_type, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Someone who may create nothing has no such page.
    t.person("pat@example.com", t.east).await;
    let theirs = t.signed_in_browser("pat@example.com").await;
    assert_eq!(theirs.get_page("/import").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_describes_the_import() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/import/{kind}"]["post"];
    assert!(op["requestBody"]["content"]["text/csv"].is_object(), "{op}");
    let schema_of =
        |code: &str| op["responses"][code]["content"]["application/json"]["schema"]["$ref"].clone();
    assert_eq!(
        schema_of("200"),
        "#/components/schemas/ImportReport",
        "{op}"
    );
    // A 422 is the rows' outcomes, or the shared error body when the request
    // is refused before any row is read (a control character in the query).
    assert_eq!(
        schema_of("422"),
        "#/components/schemas/ImportRefused",
        "{op}"
    );
    let refused: Vec<Value> = doc["components"]["schemas"]["ImportRefused"]["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .map(|s| s["$ref"].clone())
        .collect();
    assert_eq!(
        refused,
        [
            "#/components/schemas/ImportReport",
            "#/components/schemas/ErrorBody"
        ],
        "{doc}"
    );
    let row = &doc["components"]["schemas"]["ImportRow"]["properties"];
    assert!(row["line"].is_object() && row["outcome"].is_object() && row["message"].is_object());
}

/// Imported email domains are claims like typed ones: a new one starts
/// unverified with a token of its own, and one another org has verified is
/// the row's error, which does not name that org.
#[tokio::test]
async fn imported_email_domains_are_claims_and_one_verified_elsewhere_is_refused() {
    let t = Tree::new().await;
    t.app.mark_domain_verified(t.globex, "globex.example").await;
    let csv = b"code,name,parent,email_domains\n\
        ACME-NORTH,North,ACME,north.acme.example\n\
        ACME-SOUTH,South,ACME,GLOBEX.example\n";
    let (status, report) = import(&t, &t.ada, "orgs", csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(outcomes(&report), ["create", "error"]);
    let message = first_error(&report);
    assert!(
        message.contains("globex.example is verified by another organization"),
        "{report}"
    );
    assert!(!report.to_string().contains("Globex"), "{report}");
    assert_eq!(org_by_code(&t, "ACME-NORTH").await, None);

    let csv = b"code,name,parent,email_domains\nACME-NORTH,North,ACME,north.acme.example\n";
    let (status, report) = import(&t, &t.ada, "orgs", csv, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let north = org_by_code(&t, "ACME-NORTH").await.unwrap();
    let (_, domains) = t
        .get_json(&t.ada, format!("/orgs/{}/domains", north["id"]))
        .await;
    assert_eq!(
        domains["items"][0]["domain"], "north.acme.example",
        "{domains}"
    );
    assert_eq!(domains["items"][0]["verified"], false, "{domains}");
}
