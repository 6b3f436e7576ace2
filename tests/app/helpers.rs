//! `spawn_app()`: the real app on port 0 with a fresh database of its own —
//! a SQLite file in a temp dir, or, when `CANOPY_TEST_DATABASE_URL` is set, a new
//! PostgreSQL database created for the test and dropped after it.

use std::collections::HashMap;

use canopy::Config;
use canopy::db::Db;
use canopy::domain::audit::{self, Actor, Entry};
use canopy::domain::password;
use canopy::domain::setup::{NewAdmin, SetupInput, create_owner};
use canopy::domain::token::{self, NewToken};
use canopy::domain::user::User;
use canopy::startup::Application;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use reqwest::{Method, Response, StatusCode, header};
use serde_json::Value;

pub const ADMIN_EMAIL: &str = "ada@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A running app with its own database. Derefs to its first [`Browser`].
pub struct TestApp {
    pub browser: Browser,
    // Field order is drop order: the server and the pools go before the database.
    _server: RunningApp,
    pub db: Db,
    pub database_url: String,
    pub setup_link: Option<String>,
    _store: TestDatabase,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// One person's browser: keeps cookies, does not follow redirects.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
}

/// Where the test's data lives; removed when the test ends.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("CANOPY_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.trim().is_empty() => {
            let name = format!(
                "canopy_test_{}",
                canopy::domain::secrets::random_token(16).to_lowercase()
            );
            let mut conn = diesel::PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("cannot reach CANOPY_TEST_DATABASE_URL: {e}"));
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (
                format!("{base}/{name}"),
                TestDatabase::Postgres { admin_url, name },
            )
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("canopy.db").to_string_lossy().into_owned();
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

/// The configuration tests run with: cheap bcrypt, two workers, port 0, no
/// scheduled reminders.
pub fn test_config(database_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("CANOPY_DATABASE_URL", database_url),
        ("CANOPY_BIND", "127.0.0.1:0"),
        ("CANOPY_BCRYPT_COST", "4"),
        ("CANOPY_WORKERS", "2"),
        ("CANOPY_POOL_SIZE", "4"),
        // No reminders behind a test's back (`schedule` tests turn them on).
        ("CANOPY_REMIND_HOUR", "off"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("test config")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app with Ada, the root's Owner, and an API token of hers.
pub async fn spawn_with_owner() -> (TestApp, User, String) {
    let app = spawn_app().await;
    let ada = app.create_default_admin().await;
    let token = app.create_token(ada.id, "").await;
    (app, ada, token)
}

/// Starts the app with extra `CANOPY_*` settings.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let (database_url, store) = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    let server = start(&database_url, extra).await;
    // The test's own handle waits like a command, not like a request: a
    // loaded machine (both suites at once in CI) must not fail a check.
    let db = Db::connect_waiting(&database_url, 2, canopy::db::COMMAND_POOL_WAIT)
        .expect("test db handle");
    TestApp {
        browser: Browser {
            address: format!("http://127.0.0.1:{}", server.port),
            client: new_client(),
        },
        setup_link: server.setup_link.clone(),
        _server: server,
        db,
        database_url,
        _store: store,
    }
}

/// An app serving on a thread and runtime of its own. Dropping it stops the
/// server and waits for the thread, so that when a test ends its workers and
/// their connection pools are gone before its database is dropped. Left running,
/// the pools kept reconnecting to the dropped database until the process exited,
/// and libpq's TLS racing OpenSSL's exit-time cleanup crashed the test binary.
pub struct RunningApp {
    pub port: u16,
    pub setup_link: Option<String>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; the thread ends when the server has.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Builds and starts an app on `database_url`; it runs until the answer is dropped.
pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> RunningApp {
    let config = test_config(database_url, extra);
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("test runtime");
        runtime.block_on(async move {
            let app = Application::build(config).await.expect("app builds");
            let started = (
                app.port(),
                app.setup_link().map(str::to_string),
                app.handle(),
            );
            if tx.send(started).is_ok() {
                let _ = app.run_until_stopped().await;
            }
        });
    });
    let (port, setup_link, handle) = tokio::task::spawn_blocking(move || rx.recv())
        .await
        .unwrap()
        .expect("the app starts (see the panic above)");
    RunningApp {
        port,
        setup_link,
        handle,
        thread: Some(thread),
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs a page as this browser: the status and the HTML.
    pub async fn get_page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// A same-origin form POST, as the browser sends it from one of our pages.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header(header::ORIGIN, &self.address)
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Submits a form as this browser would from one of our pages: a
    /// same-origin POST with this session's CSRF token added.
    pub async fn submit_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(path, &all).await
    }

    /// The CSRF token of this client's session, read off the sign-in page, the
    /// dashboard, or (for someone who must set up two-factor sign-in first)
    /// the page every other one sends them to, like a browser would see it.
    pub async fn csrf_token(&self) -> String {
        for page in ["/sign-in", "/", "/profile/two-factor"] {
            if let Some(token) = extract_csrf(&self.get_page(page).await.1) {
                return token;
            }
        }
        panic!("page carries a CSRF token")
    }

    pub async fn sign_in(&self, email: &str, password_plain: &str) -> Response {
        self.submit_form(
            "/sign-in",
            &[("email", email), ("password", password_plain)],
        )
        .await
    }
}

impl TestApp {
    /// Another person's (or device's) browser on the same app.
    pub fn new_browser(&self) -> Browser {
        Browser {
            address: self.address.clone(),
            client: new_client(),
        }
    }

    /// Creates an Owner at the root, as `canopy admin create` does.
    pub async fn create_admin(&self, email: &str, name: &str, password_plain: &str) -> User {
        let admin = NewAdmin::parse(&SetupInput {
            display_name: name.into(),
            email: email.into(),
            password: password_plain.into(),
            password_confirm: password_plain.into(),
        })
        .expect("valid admin");
        let hash = password::hash(password_plain, 4).unwrap();
        let db = self.db.clone();
        db.write(move |conn| create_owner(conn, &Actor::cli(), &admin, hash))
            .await
            .expect("admin created")
    }

    pub async fn create_default_admin(&self) -> User {
        self.create_admin(ADMIN_EMAIL, "Ada Admin", ADMIN_PASSWORD)
            .await
    }

    /// A new API token for `user_id`, as the profile page or CLI makes one.
    pub async fn create_token(&self, user_id: i64, expires_in_days: &str) -> String {
        let new = NewToken::parse("test", expires_in_days).unwrap();
        self.db
            .write(move |conn| token::create(conn, &Actor::cli(), user_id, new))
            .await
            .expect("token created")
            .1
    }

    pub fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
    }

    pub async fn audit(&self, action: &'static str) -> Vec<Entry> {
        self.db
            .read(move |conn| audit::by_action(conn, action))
            .await
            .unwrap()
    }
}

/// An API answer's status checked in one step:
/// `let list = app.get_json(&t, "/orgs").await.expect_status(StatusCode::OK);`
pub trait ExpectStatus {
    /// The body, once the status is `expected` (else a panic showing both).
    fn expect_status(self, expected: StatusCode) -> Value;
}

impl ExpectStatus for (StatusCode, Value) {
    #[track_caller]
    fn expect_status(self, expected: StatusCode) -> Value {
        let (status, body) = self;
        assert_eq!(status, expected, "{body}");
        body
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Sign-in answers from one address: the first `limit` are refused (401),
/// every later one is throttled (429).
pub fn assert_refused_then_throttled(statuses: &[StatusCode], limit: usize) {
    assert!(
        statuses[..limit]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[limit..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// The ids of a list answer's items, in order.
pub fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

impl TestApp {
    /// An active user with a password, at home in `org_id` (no grants).
    pub async fn create_user(&self, email: &str, name: &str, org_id: i64) -> User {
        use canopy::domain::user::{self, NewUser, UserStatus};
        use canopy::domain::validate::Email;
        let new = NewUser {
            org_id,
            email: Email::parse(email).unwrap(),
            display_name: name.into(),
            job_title: String::new(),
            status: UserStatus::Active,
            password_hash: Some(password::hash(ADMIN_PASSWORD, 4).unwrap()),
        };
        self.db
            .write(move |conn| user::create(conn, &Actor::cli(), new))
            .await
            .expect("user created")
    }

    /// Sends a JSON request to the API and returns the status and body (Null
    /// when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: impl Into<String>,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = self.api(method, &path.into(), token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API call");
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, value)
    }

    /// GET an API path (below `/api/v1`) as `token`'s holder.
    pub async fn get_json(&self, token: &str, path: impl Into<String>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    /// POST a JSON body to an API path as `token`'s holder.
    pub async fn post_json(
        &self,
        token: &str,
        path: impl Into<String>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// POST with no body (an action such as accepting or marking read).
    pub async fn post_empty(&self, token: &str, path: impl Into<String>) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, None).await
    }

    /// PUT a JSON body to an API path as `token`'s holder.
    pub async fn put_json(
        &self,
        token: &str,
        path: impl Into<String>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    /// PATCH an API path with a JSON body as `token`'s holder.
    pub async fn patch_json(
        &self,
        token: &str,
        path: impl Into<String>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// DELETE an API path as `token`'s holder.
    pub async fn delete(&self, token: &str, path: impl Into<String>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// POSTs what must be created (201) and returns it.
    pub async fn post_created(&self, token: &str, path: impl Into<String>, body: Value) -> Value {
        let path = path.into();
        let (status, out) = self.post_json(token, &path, body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {out}");
        out
    }

    /// Saves `user_id`'s new week starting `week_start` (version 0) with
    /// `entries` as `token`'s holder; it must be accepted (200). The sheet.
    pub async fn save_week(
        &self,
        token: &str,
        user_id: i64,
        week_start: impl std::fmt::Display,
        entries: Value,
    ) -> Value {
        let path = format!("/timesheets/{user_id}/{week_start}");
        let body = serde_json::json!({"version": 0, "entries": entries});
        let (status, sheet) = self.put_json(token, &path, body).await;
        assert_eq!(status, StatusCode::OK, "PUT {path}: {sheet}");
        sheet
    }

    /// Assigns `user_id` to `project_id` as `role` (member, approver, …) for a
    /// full week (2400 minutes) from `start_date`; it must be created (201).
    pub async fn assign(
        &self,
        token: &str,
        project_id: i64,
        user_id: i64,
        role: &str,
        start_date: impl std::fmt::Display,
    ) {
        let path = format!("/projects/{project_id}/assignments/{user_id}");
        let body = serde_json::json!({"role": role, "minutes_per_week": 2400,
            "start_date": start_date.to_string()});
        let (status, out) = self.put_json(token, &path, body).await;
        assert_eq!(status, StatusCode::CREATED, "PUT {path}: {out}");
    }

    /// The id of the role called `name`, as listed at the root.
    pub async fn role_id(&self, token: &str, name: &str) -> i64 {
        let root = self.root_id().await;
        self.role_id_at(token, root, name).await
    }

    /// The id of the role called `name` among those `token`'s holder sees
    /// offered at `org_id`.
    pub async fn role_id_at(&self, token: &str, org_id: i64, name: &str) -> i64 {
        let (_, roles) = self
            .get_json(token, format!("/roles?org_id={org_id}"))
            .await;
        roles["items"]
            .as_array()
            .and_then(|items| items.iter().find(|r| r["name"] == name))
            .and_then(|r| r["id"].as_i64())
            .unwrap_or_else(|| panic!("no role {name}: {roles}"))
    }

    /// Grants the role called `role` to `user_id` at `org_id` (and below)
    /// through the API as `token`'s holder; the grant's id.
    pub async fn grant_role(&self, token: &str, role: &str, user_id: i64, org_id: i64) -> i64 {
        let role_id = self.role_id(token, role).await;
        let body = serde_json::json!({"role_id": role_id, "user_id": user_id, "org_id": org_id});
        self.post_created(token, "/grants", body).await["id"]
            .as_i64()
            .unwrap()
    }

    /// A second browser, signed in through the form as `email` (the test
    /// password).
    pub async fn signed_in_browser(&self, email: &str) -> Browser {
        let browser = self.new_browser();
        assert_eq!(
            browser.sign_in(email, ADMIN_PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        browser
    }

    /// A child org of `parent` made through the API as `token`'s holder.
    pub async fn create_org(&self, token: &str, parent: i64, name: &str, code: &str) -> i64 {
        let body = serde_json::json!({"parent_id": parent, "name": name, "code": code});
        self.post_created(token, "/orgs", body).await["id"]
            .as_i64()
            .unwrap()
    }

    /// A project made through the API as `token`'s holder (201); its body.
    pub async fn create_project(&self, token: &str, org_id: i64, code: &str, name: &str) -> Value {
        let body = serde_json::json!({"org_id": org_id, "code": code, "name": name});
        self.post_created(token, "/projects", body).await
    }

    /// `n` children of `parent` named `{prefix}0000`… (codes `{prefix}0`…),
    /// written straight to the database; their ids.
    pub async fn many_orgs(&self, parent: i64, prefix: &'static str, n: usize) -> Vec<i64> {
        use canopy::domain::org::{self, OrgDraft};
        self.db
            .write(move |conn| {
                let mut ids = Vec::new();
                for i in 0..n {
                    let values = OrgDraft {
                        name: format!("{prefix}{i:04}"),
                        code: format!("{}{i}", prefix.replace(' ', "")),
                        ..Default::default()
                    }
                    .validate()?;
                    ids.push(org::create(conn, &Actor::cli(), parent, &values)?.id);
                }
                Ok(ids)
            })
            .await
            .unwrap()
    }

    /// Turns privacy mode on for `org_id` as `token`'s holder; it must be
    /// accepted (200). See [`TestApp::add_keeper`]: it is refused without one.
    pub async fn make_private(&self, token: &str, org_id: i64) {
        let path = format!("/orgs/{org_id}");
        let body = serde_json::json!({"privacy_mode": true});
        let (status, out) = self.patch_json(token, &path, body).await;
        assert_eq!(status, StatusCode::OK, "PATCH {path}: {out}");
    }

    /// Someone who keeps access to `org_id` from inside once privacy mode is
    /// on (an Org admin granted there, at home at the root so no subtree's
    /// people change): turning privacy on is refused without one.
    pub async fn add_keeper(&self, org_id: i64) -> User {
        use canopy::authz::BuiltinRole;
        use canopy::domain::grant;
        let root = self.root_id().await;
        let keeper = self
            .create_user(
                &format!("keeper{org_id}@inside.example"),
                "Keeper Inside",
                root,
            )
            .await;
        let id = keeper.id;
        self.db
            .write(move |conn| {
                grant::grant_builtin_at_org(
                    conn,
                    &Actor::cli(),
                    canopy::ids::UserId(id),
                    BuiltinRole::OrgAdmin,
                    canopy::ids::OrgId(org_id),
                )
            })
            .await
            .expect("keeper granted");
        keeper
    }

    /// Every user's id, in id order, read straight from the table.
    pub async fn all_user_ids(&self) -> Vec<i64> {
        use canopy::db::schema::users;
        use diesel::prelude::*;
        self.db
            .read(|conn| Ok(users::table.select(users::id).order(users::id).load(conn)?))
            .await
            .unwrap()
    }

    pub async fn root_id(&self) -> i64 {
        self.db
            .read(|conn| Ok(canopy::domain::org::find_root(conn)?.unwrap().id))
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Marks `domain` verified for `org_id` straight in the database, as a
    /// successful DNS check would (for tests about what verification unlocks).
    pub async fn mark_domain_verified(&self, org_id: i64, domain: &str) {
        let domain = domain.to_string();
        self.db
            .write(move |conn| canopy::domain::org::domains::mark_verified(conn, org_id, &domain))
            .await
            .unwrap()
    }
}
