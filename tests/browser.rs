//! End-to-end journeys in headless Chromium, driven through chromedriver with
//! `fantoccini`, against the real `canopy` binary on a fresh SQLite database.
//!
//! Every test is `#[ignore]`d so that a plain `cargo test` on a machine without
//! Chromium skips them. Run them with
//!
//! ```text
//! cargo test --test browser -- --ignored --test-threads=1
//! ```
//!
//! Environment: `CANOPY_BIN` (the binary to test; default: the one cargo built
//! for this test), `CHROMEDRIVER` (default `/usr/bin/chromedriver`) and
//! `CHROMIUM` (default `/usr/bin/chromium`).
//!
//! When a journey fails, its temp directory is kept and its path printed: it
//! holds the database, the server's log, a screenshot and the page source.

use std::error::Error;
use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::json;
use tempfile::TempDir;

type TestResult<T = ()> = Result<T, Box<dyn Error>>;

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_NAME: &str = "Ada Admin";
const ADMIN_PASSWORD: &str = "correct horse battery";

/// How long to wait for a page, an element or a URL.
const WAIT: Duration = Duration::from_secs(10);
/// How long to wait for a child process (server, chromedriver) to come up.
const STARTUP: Duration = Duration::from_secs(20);
/// Pause between two probes of a condition.
const POLL: Duration = Duration::from_millis(100);

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

/// A free TCP port on 127.0.0.1 (bound to port 0, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free port")
        .port()
}

/// The `canopy` binary under test: `$CANOPY_BIN`, else the one cargo built.
fn canopy_bin() -> PathBuf {
    std::env::var_os("CANOPY_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_canopy")))
}

/// Kills and reaps a child process, ignoring that it may have exited already.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The file's contents, or an empty string when it cannot be read.
fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A running `canopy serve` on its own SQLite database; killed on drop.
struct Server {
    child: Child,
    base: String,
    dir: TempDir,
}

impl Server {
    /// Starts `canopy serve` on a fresh database, after `canopy admin create`
    /// when `with_admin`, and waits until `/healthz` answers 200.
    async fn start(with_admin: bool) -> Server {
        let admin = [
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--name",
            ADMIN_NAME,
            "--password",
            ADMIN_PASSWORD,
        ];
        Server::start_after(if with_admin { &admin[..] } else { &[] }).await
    }

    /// Starts `canopy serve` after `canopy <setup>` (when given) on the same
    /// fresh database.
    async fn start_after(setup: &[&str]) -> Server {
        let dir = tempfile::Builder::new()
            .prefix("canopy-browser-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        if !setup.is_empty() {
            let out = canopy(dir.path(), port)
                .args(setup)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", canopy_bin().display()));
            assert!(
                out.status.success(),
                "canopy {} failed ({}):\n{}{}",
                setup[0],
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let file = |name: &str| std::fs::File::create(dir.path().join(name)).expect("log file");
        let child = canopy(dir.path(), port)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(file("stdout.log"))
            .stderr(file("stderr.log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", canopy_bin().display()));
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        server.wait_healthy().await;
        server
    }

    /// Polls `GET /healthz` until it answers 200; panics with the log otherwise.
    async fn wait_healthy(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("http client");
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("canopy serve exited with {status}:\n{}", self.log());
            }
            if let Ok(answer) = http.get(&url).send().await
                && answer.status() == reqwest::StatusCode::OK
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{url} did not answer 200 within {STARTUP:?}:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Reads the server's stdout until it has printed the one-time setup link.
    async fn setup_link(&mut self) -> String {
        let deadline = Instant::now() + STARTUP;
        loop {
            let stdout = read_lossy(&self.dir.path().join("stdout.log"));
            if let Some(line) = stdout.lines().find(|l| l.contains("/setup/")) {
                return line.trim().to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("canopy serve exited with {status}:\n{}", self.log());
            }
            if Instant::now() > deadline {
                panic!("no setup link printed within {STARTUP:?}:\n{}", self.log());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The newest link to `path` (e.g. `/activate/`) mailed to `to`, read with
    /// `canopy mail list` and `canopy mail show ID` as a developer would.
    fn mail_link(dir: &Path, to: &str, path: &str) -> String {
        let run = |args: &[&str]| {
            let out = canopy(dir, free_port())
                .args(args)
                .output()
                .expect("canopy mail runs");
            assert!(out.status.success(), "canopy {args:?} failed");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let list = run(&["mail", "list"]);
        let id = list
            .lines()
            .find(|l| l.contains(to))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no mail to {to} in:\n{list}"))
            .to_string();
        let message = run(&["mail", "show", &id]);
        let at = message
            .find(path)
            .unwrap_or_else(|| panic!("no {path} link in:\n{message}"));
        let start = message[..at]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
        message[start..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Everything the server printed so far.
    fn log(&self) -> String {
        let dir = self.dir.path();
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            read_lossy(&dir.join("stdout.log")),
            read_lossy(&dir.join("stderr.log"))
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A `canopy` command for the database in `dir`, listening on `port`, with
/// cheap password hashing and no other `CANOPY_*` settings from outside.
fn canopy(dir: &Path, port: u16) -> Command {
    let mut cmd = Command::new(canopy_bin());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CANOPY_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("CANOPY_DATABASE_URL", dir.join("canopy.db"))
        .env("CANOPY_BIND", format!("127.0.0.1:{port}"))
        .env("CANOPY_BCRYPT_COST", "4")
        .env("CANOPY_WORKERS", "2");
    cmd
}

/// chromedriver plus one WebDriver session in headless Chromium. The driver is
/// killed on drop; close the session first with [`run`].
struct Browser {
    client: Client,
    driver: Child,
    _dir: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port, waits until it accepts connections
    /// and opens a session in a fresh Chromium profile.
    async fn start() -> Browser {
        let dir = tempfile::Builder::new()
            .prefix("canopy-chromium-")
            .tempdir()
            .expect("temp dir");
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let port = free_port();
        let log = dir.path().join("chromedriver.log");
        let mut driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_bin}: {e}"));
        let deadline = Instant::now() + STARTUP;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("{driver_bin} exited with {status}:\n{}", read_lossy(&log));
            }
            if Instant::now() > deadline {
                stop(&mut driver);
                panic!("{driver_bin} did not listen on port {port} within {STARTUP:?}");
            }
            tokio::time::sleep(POLL).await;
        }
        let profile = dir.path().join("profile");
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let caps = caps.as_object().expect("an object").clone();
        let connected =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
        let client = match connected {
            Ok(client) => client,
            Err(err) => {
                stop(&mut driver);
                panic!("no WebDriver session: {err}\n{}", read_lossy(&log));
            }
        };
        Browser {
            client,
            driver,
            _dir: dir,
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop(&mut self.driver);
    }
}

// ---------------------------------------------------------------------------
// The page under test
// ---------------------------------------------------------------------------

/// What a journey works with: the browser and the server's base URL. Cheap to
/// clone (the client is a handle).
#[derive(Clone)]
struct Page {
    client: Client,
    base: String,
}

/// Retries `probe` every [`POLL`] until it yields `Some`, for at most [`WAIT`].
/// Errors count as "not yet" (the page may be navigating); the last one is
/// reported on time-out.
async fn eventually<T>(
    what: &str,
    mut probe: impl AsyncFnMut() -> TestResult<Option<T>>,
) -> TestResult<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        let last = match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => String::new(),
            Err(err) => format!(" (last error: {err})"),
        };
        if Instant::now() > deadline {
            return Err(format!("timed out after {WAIT:?} waiting for {what}{last}").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Page {
    /// Opens `path` (relative to the server) or an absolute URL.
    async fn goto(&self, path: &str) -> TestResult {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        Ok(self.client.goto(&url).await?)
    }

    /// The current URL's path, with the query when there is one.
    async fn path(&self) -> TestResult<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        })
    }

    /// Waits until the current path (and query) satisfies `ok`; returns it.
    async fn wait_for_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> TestResult<String> {
        let result = eventually(&format!("the URL to be {what}"), async || {
            let path = self.path().await?;
            Ok(ok(&path).then_some(path))
        })
        .await;
        match result {
            Ok(path) => Ok(path),
            Err(err) => {
                Err(format!("{err}; the URL is {}", self.client.current_url().await?).into())
            }
        }
    }

    /// Waits for the element matching `css`.
    async fn find(&self, css: &str) -> TestResult<fantoccini::elements::Element> {
        eventually(&format!("an element matching {css:?}"), async || {
            let found = self.client.find(Locator::Css(css)).await;
            match found {
                Ok(el) => Ok(Some(el)),
                Err(e) if e.is_no_such_element() => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// True when an element matches `css` right now.
    async fn exists(&self, css: &str) -> TestResult<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The visible text of the element matching `css` (waiting for it).
    async fn text(&self, css: &str) -> TestResult<String> {
        Ok(self.find(css).await?.text().await?.trim().to_string())
    }

    /// Waits until the page's visible text contains `needle`.
    async fn wait_for_text(&self, needle: &str) -> TestResult {
        eventually(&format!("the page to show {needle:?}"), async || {
            let body = self.client.find(Locator::Css("body")).await?.text().await?;
            Ok(body.contains(needle).then_some(()))
        })
        .await
    }

    /// Replaces the value of the field matching `css` with `value`.
    async fn fill(&self, css: &str, value: &str) -> TestResult {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Clicks the element matching `css`.
    async fn click(&self, css: &str) -> TestResult {
        Ok(self.find(css).await?.click().await?)
    }

    /// Signs in through the form and waits for the dashboard.
    async fn sign_in(&self, email: &str, password: &str) -> TestResult {
        self.goto("/sign-in").await?;
        self.fill("#email", email).await?;
        self.fill("#password", password).await?;
        self.click("form[action='/sign-in'] button[type=submit]")
            .await?;
        self.wait_for_path("/", |p| p == "/").await?;
        Ok(())
    }
}

/// Runs one journey in a fresh browser against `server`. Whatever happens, the
/// WebDriver session is closed; on failure the server's temp dir is kept with a
/// screenshot, the page source and the server log, and its path is printed.
async fn run<F, Fut>(server: Server, journey: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let mut server = server;
    let browser = Browser::start().await;
    let page = Page {
        client: browser.client.clone(),
        base: server.base.clone(),
    };
    let outcome = AssertUnwindSafe(journey(page)).catch_unwind().await;
    let client = browser.client.clone();
    if !matches!(outcome, Ok(Ok(()))) {
        let dir = server.dir.path().to_path_buf();
        let url = client.current_url().await.map(|u| u.to_string());
        if let Ok(png) = client.screenshot().await {
            let _ = std::fs::write(dir.join("failure.png"), png);
        }
        if let Ok(html) = client.source().await {
            let _ = std::fs::write(dir.join("failure.html"), html);
        }
        server.dir.disable_cleanup(true);
        eprintln!(
            "journey failed at {url:?}; screenshot, page source, database and server log \
             kept in {}\n{}",
            dir.display(),
            server.log()
        );
    }
    if let Err(err) = client.close().await {
        eprintln!("warning: could not close the WebDriver session: {err}");
    }
    drop(browser);
    drop(server);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(err)) => panic!("{err}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

// ---------------------------------------------------------------------------
// Journeys
// ---------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn sign_in_see_the_dashboard_and_sign_out() {
    run(Server::start(true).await, async |page| {
        page.goto("/sign-in").await?;
        page.fill("#email", ADMIN_EMAIL).await?;
        page.fill("#password", ADMIN_PASSWORD).await?;
        page.click("form[action='/sign-in'] button[type=submit]")
            .await?;
        page.wait_for_path("/", |p| p == "/").await?;
        page.wait_for_text(&format!("Welcome, {ADMIN_NAME}"))
            .await?;
        assert_eq!(page.text("[data-testid=home-org]").await?, "Root");

        page.click("details.user-menu summary").await?;
        page.click("[data-testid=sign-out]").await?;
        page.wait_for_path("/sign-in", |p| p == "/sign-in").await?;
        page.wait_for_text("You have signed out.").await?;

        page.goto("/").await?;
        page.wait_for_path("a redirect to /sign-in", |p| p.starts_with("/sign-in"))
            .await?;
        assert!(
            page.exists("#password").await?,
            "no sign-in form after sign-out"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn failing_sign_in_shows_the_error_and_keeps_the_email() {
    run(Server::start(true).await, async |page| {
        page.goto("/sign-in").await?;
        page.fill("#email", ADMIN_EMAIL).await?;
        page.fill("#password", "not the password").await?;
        page.click("form[action='/sign-in'] button[type=submit]")
            .await?;
        assert_eq!(
            page.text("[data-testid=sign-in-error]").await?,
            "Email or password is incorrect."
        );
        assert_eq!(page.path().await?, "/sign-in");
        let email = page.find("#email").await?.prop("value").await?;
        assert_eq!(email.as_deref(), Some(ADMIN_EMAIL));
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn setup_link_creates_the_first_admin_once() {
    let mut server = Server::start(false).await;
    let link = server.setup_link().await;
    assert!(
        link.starts_with(&format!("{}/setup/", server.base)),
        "unexpected setup link {link:?}"
    );
    run(server, async |page| {
        let name = "Grace Hopper";
        let fill_form = async |password: &str| -> TestResult {
            page.fill("#display_name", name).await?;
            page.fill("#email", "grace@example.com").await?;
            page.fill("#password", password).await?;
            page.fill("#password_confirm", password).await?;
            page.click("form[action^='/setup/'] button[type=submit]")
                .await
        };

        page.goto(&link).await?;
        fill_form("short").await?;
        let message = page.text("#password-error").await?;
        assert!(
            message.contains("at least 10 characters"),
            "password message was {message:?}"
        );
        let described_by = page
            .find("#password")
            .await?
            .attr("aria-describedby")
            .await?;
        assert_eq!(described_by.as_deref(), Some("password-error"));

        fill_form("a long enough password").await?;
        page.wait_for_path("/", |p| p == "/").await?;
        page.wait_for_text(&format!("Welcome, {name}")).await?;

        page.goto(&link).await?;
        page.wait_for_text("Not found").await?;
        assert!(
            !page.exists("#display_name").await?,
            "setup form still shown"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn api_token_from_the_profile_page() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/profile").await?;
        page.fill("#token-name", "browser test").await?;
        page.click("form[action='/profile/tokens'] button[type=submit]")
            .await?;
        let secret = page
            .find("[data-testid=new-token]")
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        assert!(!secret.is_empty(), "the new token has no value");

        let http = reqwest::Client::new();
        let me = format!("{}/api/v1/me", page.base);
        let answer = http.get(&me).bearer_auth(&secret).send().await?;
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
        let body: serde_json::Value = answer.json().await?;
        assert_eq!(body["email"], ADMIN_EMAIL);

        page.goto("/profile").await?;
        page.wait_for_text("browser test").await?;
        assert!(
            !page.exists("[data-testid=new-token]").await?,
            "the secret is shown again after a reload"
        );
        assert!(
            !page.client.source().await?.contains(&secret),
            "the secret is still in the page"
        );

        let revoke = page
            .client
            .find(Locator::XPath(
                "//tr[td[1][normalize-space()='browser test']]//button[normalize-space()='Revoke']",
            ))
            .await?;
        revoke.click().await?;
        page.wait_for_text("is revoked.").await?;
        let answer = http.get(&me).bearer_auth(&secret).send().await?;
        assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);
        Ok(())
    })
    .await;
}

/// Saves a screenshot of the current page into `CANOPY_SCREENSHOTS` when set
/// (for looking at the pages by eye; journeys do not depend on it).
async fn snap(page: &Page, name: &str) -> TestResult {
    if let Ok(dir) = std::env::var("CANOPY_SCREENSHOTS") {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            Path::new(&dir).join(format!("{name}.png")),
            page.client.screenshot().await?,
        )?;
    }
    Ok(())
}

/// Where the element matching `css` is on the page: (x, y, width, height).
async fn rect(page: &Page, css: &str) -> TestResult<(f64, f64, f64, f64)> {
    Ok(page.find(css).await?.rectangle().await?)
}

/// Creates a sub-organization of the org whose page is open.
async fn create_child(page: &Page, name: &str, code: &str) -> TestResult {
    page.click("a[href$='/new']").await?;
    page.fill("#name", name).await?;
    page.fill("#code", code).await?;
    page.click("main form[action$='/new'] button[type=submit]")
        .await?;
    page.wait_for_text(&format!("{name} is created.")).await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn create_move_and_fail_to_delete_an_org() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.click("nav a[href='/orgs']").await?;
        page.click("[data-testid=org-tree] a").await?; // the root
        create_child(&page, "Acme", "ACME").await?;
        create_child(&page, "East", "ACME-EAST").await?;
        assert_eq!(page.text("[data-testid=org-name]").await?, "East");
        page.click(".crumbs a[href^='/orgs/']:not([href='/orgs'])")
            .await?; // back to Root
        page.wait_for_path("the root's page", |p| p.starts_with("/orgs/"))
            .await?;
        create_child(&page, "Globex", "GLOBEX").await?;

        // The tree loads children lazily: expand the root, then Acme.
        page.goto("/orgs").await?;
        page.click("[data-testid=org-tree] > li > .toggle").await?;
        page.wait_for_text("Globex").await?;
        // The tree is vertical and indented: each child below the one before,
        // children to the right of their parent (Pico's [role=group] style
        // once laid siblings side by side).
        let (rx, ry, _, _) = rect(&page, "[data-testid=org-tree] > li").await?;
        let (ax, ay, _, _) = rect(&page, "li.node li.node:nth-child(1)").await?;
        let (gx, gy, _, _) = rect(&page, "li.node li.node:nth-child(2)").await?;
        assert!(ay > ry && gy > ay, "children below: {ry} {ay} {gy}");
        assert!(
            ax > rx && (gx - ax).abs() < 1.0,
            "indented, aligned: {rx} {ax} {gx}"
        );
        page.click("li.node li.node .toggle").await?; // Acme's toggle (Acme sorts first)
        page.wait_for_text("East").await?;
        snap(&page, "org-tree").await?;

        // Move East from Acme to Globex.
        page.click("a[href$='/orgs/3']").await?;
        page.wait_for_path("East's page", |p| p == "/orgs/3")
            .await?;
        page.click("a[href='/orgs/3/move']").await?;
        // The picker suggests as one types; the code is enough.
        page.fill("#parent_id", "glob").await?;
        page.find("#parent_id-options option[value='GLOBEX']")
            .await?;
        page.fill("#parent_id", "GLOBEX").await?;
        page.click("form[method=post][action='/orgs/3/move'] button[type=submit]")
            .await?;
        page.wait_for_text("East is moved.").await?;
        let crumbs = page.text(".crumbs").await?;
        assert!(
            crumbs.contains("Globex") && !crumbs.contains("Acme"),
            "{crumbs}"
        );
        snap(&page, "org-overview").await?;

        // Globex now holds East: deleting it is refused, and the page says why.
        page.click(".crumbs a[href='/orgs/4']").await?;
        page.click("a[href='/orgs/4/delete']").await?;
        let why = page.text("[data-testid=delete-blocked]").await?;
        assert!(
            why.contains("Globex cannot be deleted") && why.contains("1 sub-organization"),
            "{why}"
        );
        assert!(
            !page.exists("form[action='/orgs/4/delete']").await?,
            "no delete button when blocked"
        );
        snap(&page, "org-delete-blocked").await?;

        // The tree by keyboard: Right opens a node, Right again enters its
        // first child, Left goes back up to it.
        use fantoccini::key::Key;
        page.goto("/orgs").await?;
        let closed = "[role=tree] li.node[aria-expanded=false] > a.name";
        let name = page.text(closed).await?;
        page.find(closed).await?.send_keys(&Key::Right).await?;
        page.find("[role=tree] li.node[aria-expanded=true] > ul > li.node > a.name")
            .await?;
        let focused = page.client.active_element().await?;
        focused.send_keys(&Key::Right).await?;
        let child = page.client.active_element().await?.text().await?;
        assert_ne!(child.trim(), name, "focus entered the opened node");
        page.client
            .active_element()
            .await?
            .send_keys(&Key::Left)
            .await?;
        let back = page.client.active_element().await?.text().await?;
        assert_eq!(back.trim(), name, "Left went back up to the parent");
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn invite_a_user_and_activate_from_the_outbox_link() {
    let server = Server::start(true).await;
    let dir = server.dir.path().to_path_buf();
    run(server, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.click("nav a[href='/users']").await?;
        page.click("a[href='/users/new']").await?;
        page.fill("#email", "eve@example.com").await?;
        page.fill("#display_name", "Eve Example").await?;
        page.click("#org_id").await?;
        page.fill("#org_id", "1").await?; // Root, by id (the picker takes ids, codes and paths)
        page.click("main form[action='/users/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Eve Example is invited").await?;
        assert_eq!(page.text("[data-testid=user-status]").await?, "invited");

        // The invitation waits in the outbox, which says a link was sent but
        // never shows it; the server's command line prints it for development.
        page.goto("/admin/outbox").await?;
        page.click("[data-testid=outbox] a").await?;
        page.find("[data-testid=link-sent]").await?;
        let link = Server::mail_link(&dir, "eve@example.com", "/activate/");
        assert!(link.contains("/activate/"), "{link}");
        page.click("details.user-menu summary").await?;
        page.click("[data-testid=sign-out]").await?;
        page.wait_for_text("You have signed out.").await?;

        page.goto(&link).await?;
        page.fill("#password", "short").await?;
        page.fill("#password_confirm", "short").await?;
        page.click("main form button[type=submit]").await?;
        page.wait_for_text("at least 10 characters").await?;
        page.fill("#password", "eve's long password").await?;
        page.fill("#password_confirm", "eve's long password")
            .await?;
        page.click("main form button[type=submit]").await?;
        page.wait_for_path("the dashboard", |p| p == "/").await?;
        page.wait_for_text("Welcome, Eve Example").await?;
        snap(&page, "activated").await?;

        // The link is used up.
        page.goto(&link).await?;
        page.wait_for_text("expired or was already used").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_group_role_reaches_its_member_and_explain_says_why_not_before() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        page.goto("/orgs/1").await?;
        create_child(&page, "Acme", "ACME").await?;
        // A user at home in the root, with a password.
        page.goto("/users/new").await?;
        page.fill("#email", "sam@example.com").await?;
        page.fill("#display_name", "Sam Member").await?;
        page.fill("#org_id", "1").await?; // Root
        page.fill("#password", "sam's long password").await?;
        page.click("main form[action='/users/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Sam Member can sign in now.").await?;

        // Why may Sam not edit Acme? No grant.
        page.click("nav a[href='/access/explain']").await?;
        page.fill("#email", "sam@example.com").await?;
        page.click("#permission option[value='org.edit']").await?;
        page.fill("#org_id", "ACME").await?;
        page.click("main form button[type=submit]").await?;
        let answer = page.text("[data-testid=explain-answer]").await?;
        assert!(
            answer.contains("denied") && answer.contains("no grant gives org.edit"),
            "{answer}"
        );

        // A group with Sam in it gets Org admin at Acme.
        page.goto("/groups/new").await?;
        page.fill("#name", "Acme admins").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/groups/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Group Acme admins is created.").await?;
        page.fill("#member-email", "sam@example.com").await?;
        page.click("main form[action$='/members'] button[type=submit]")
            .await?;
        page.wait_for_text("Sam Member is in the group.").await?;
        page.click("#grant-role").await?;
        page.click(
            &page
                .client
                .find(Locator::XPath(
                    "//select[@id='grant-role']/option[normalize-space()='Org admin']",
                ))
                .await?
                .attr("value")
                .await?
                .map(|v| format!("#grant-role option[value='{v}']"))
                .unwrap_or_default(),
        )
        .await?;
        page.fill("#grant-org", "ACME").await?;
        page.click("main form[action$='/grants'] button[type=submit]")
            .await?;
        page.wait_for_text("Every member now holds Org admin there.")
            .await?;
        snap(&page, "group").await?;

        // Now the explain page says allowed, through the group.
        page.goto("/access/explain?email=sam%40example.com&permission=org.edit&org_id=2")
            .await?;
        let answer = page.text("[data-testid=explain-answer]").await?;
        assert!(
            answer.contains("allowed") && answer.contains("Org admin at Acme"),
            "{answer}"
        );

        // And Sam, signed in, sees Acme's edit button.
        page.click("details.user-menu summary").await?;
        page.click("[data-testid=sign-out]").await?;
        page.sign_in("sam@example.com", "sam's long password")
            .await?;
        page.goto("/orgs/2").await?;
        assert!(
            page.exists("a[href='/orgs/2/edit']").await?,
            "Sam may edit Acme through the group"
        );
        Ok(())
    })
    .await;
}

/// Creates a user with a password through the page, at home in the root.
async fn create_user_page(page: &Page, email: &str, name: &str) -> TestResult {
    page.goto("/users/new").await?;
    page.fill("#email", email).await?;
    page.fill("#display_name", name).await?;
    page.fill("#org_id", "1").await?; // Root
    page.fill("#password", "a long enough password").await?;
    page.click("main form[action='/users/new'] button[type=submit]")
        .await?;
    page.wait_for_text(&format!("{name} can sign in now."))
        .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_project_with_two_people_and_a_team_with_a_lead() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        create_user_page(&page, "pia@example.com", "Pia Manager").await?;
        create_user_page(&page, "max@example.com", "Max Member").await?;

        page.click("nav a[href='/projects']").await?;
        page.click("a[href='/projects/new']").await?;
        page.fill("#name", "Apollo").await?;
        page.fill("#code", "APOLLO").await?;
        page.fill("#org_id", "1").await?; // Root
        page.fill("#budget_hours", "120").await?;
        page.click("main form[action='/projects/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Project Apollo is created.").await?;

        for (email, role, hours) in [
            ("pia@example.com", "manager", "8"),
            ("max@example.com", "member", "32"),
        ] {
            page.fill("#assign-email", email).await?;
            page.click(&format!("#assign-role option[value='{role}']"))
                .await?;
            page.fill("#assign-hours", hours).await?;
            page.click("main form[action$='/assignments'] button[type=submit]")
                .await?;
            page.wait_for_text("is assigned.").await?;
        }
        let table = page.text("[data-testid=assignments]").await?;
        assert!(
            table.contains("Pia Manager") && table.contains("manager") && table.contains("8.00"),
            "{table}"
        );
        assert!(
            table.contains("Max Member") && table.contains("member") && table.contains("32.00"),
            "{table}"
        );
        snap(&page, "project").await?;

        page.click("nav a[href='/teams']").await?;
        page.click("a[href='/teams/new']").await?;
        page.fill("#name", "Flight crew").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/teams/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Team Flight crew is created.").await?;
        page.fill("#member-email", "pia@example.com").await?;
        page.click("input[name=lead]").await?;
        page.click("main form[action$='/members'] button[type=submit]")
            .await?;
        page.wait_for_text("Pia Manager is in the team.").await?;
        page.fill("#member-email", "max@example.com").await?;
        page.click("main form[action$='/members'] button[type=submit]")
            .await?;
        page.wait_for_text("Max Member is in the team.").await?;
        let members = page.text("[data-testid=team-members]").await?;
        assert!(
            members.contains("Pia Manager")
                && members.contains("lead")
                && members.contains("Max Member"),
            "{members}"
        );

        // Max sees the project among his own.
        page.click("details.user-menu summary").await?;
        page.click("[data-testid=sign-out]").await?;
        page.sign_in("max@example.com", "a long enough password")
            .await?;
        page.click("nav a[href='/my/projects']").await?;
        let mine = page.text("[data-testid=my-projects]").await?;
        assert!(
            mine.contains("Apollo") && mine.contains("32.00 h/week"),
            "{mine}"
        );
        Ok(())
    })
    .await;
}

/// Signs out through the user menu.
async fn sign_out(page: &Page) -> TestResult {
    page.click("details.user-menu summary").await?;
    page.click("[data-testid=sign-out]").await?;
    page.wait_for_path("/sign-in", |p| p.starts_with("/sign-in"))
        .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_week_is_submitted_rejected_fixed_and_approved() {
    run(Server::start(true).await, async |page| {
        page.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        create_user_page(&page, "eve@example.com", "Eve Employee").await?;
        create_user_page(&page, "pat@example.com", "Pat Approver").await?;
        page.goto("/projects/new").await?;
        page.fill("#name", "Apollo").await?;
        page.fill("#code", "APOLLO").await?;
        page.fill("#org_id", "1").await?; // Root
        page.click("main form[action='/projects/new'] button[type=submit]")
            .await?;
        page.wait_for_text("Project Apollo is created.").await?;
        let project_id = page
            .path()
            .await?
            .trim_start_matches("/projects/")
            .to_string();
        for (email, role) in [
            ("eve@example.com", "member"),
            ("pat@example.com", "approver"),
        ] {
            page.fill("#assign-email", email).await?;
            page.click(&format!("#assign-role option[value='{role}']"))
                .await?;
            page.fill("#assign-hours", "40").await?;
            page.click("main form[action$='/assignments'] button[type=submit]")
                .await?;
            page.wait_for_text("is assigned.").await?;
        }
        sign_out(&page).await?;

        // Eve fills today's cell of this week and submits.
        let today = chrono::Utc::now().date_naive();
        let cell = format!("[data-testid=h-{project_id}-{today}]");
        page.sign_in("eve@example.com", "a long enough password")
            .await?;
        page.click("nav a[href='/timesheets']").await?;
        page.click("[data-testid=this-week]").await?;
        // The project to add is typed (its code, or picked from the list).
        page.fill("[data-testid=add-project]", "APOLLO").await?;
        page.click("main form.inline button[type=submit]").await?;
        page.fill(&cell, "9").await?;
        page.click(".notes-row summary").await?;
        page.fill(
            &format!("[data-testid=n-{project_id}-{today}]"),
            "Launch prep",
        )
        .await?;
        page.click("[data-testid=submit]").await?;
        page.wait_for_text("Your week is submitted for approval.")
            .await?;
        assert_eq!(page.text("[data-testid=sheet-status]").await?, "submitted");
        snap(&page, "timesheet-submitted").await?;
        sign_out(&page).await?;

        // Pat finds it in his inbox and rejects it with a reason.
        page.sign_in("pat@example.com", "a long enough password")
            .await?;
        assert_eq!(page.text("[data-testid=approvals-count]").await?, "1");
        page.click("nav a[href='/approvals']").await?;
        page.click("[data-testid=inbox] a").await?;
        page.fill(
            "[data-testid=reject-reason]",
            "Launch prep goes on project Zeus",
        )
        .await?;
        page.click("[data-testid=reject]").await?;
        page.wait_for_text("Rejected; the person is told why.")
            .await?;
        sign_out(&page).await?;

        // Eve sees why, fixes the hours and submits again.
        page.sign_in("eve@example.com", "a long enough password")
            .await?;
        assert!(page.exists("[data-testid=unread-count]").await?);
        page.click("[data-testid=bell]").await?;
        page.wait_for_text("was rejected").await?;
        page.click("[data-testid=notifications] li a").await?;
        let why = page.text("[data-testid=rejection]").await?;
        assert!(why.contains("project Zeus"), "{why}");
        page.fill(&cell, "7.5").await?;
        page.fill(
            &format!("[data-testid=n-{project_id}-{today}]"),
            "Design review",
        )
        .await?;
        page.click("[data-testid=submit]").await?;
        page.wait_for_text("Your week is submitted for approval.")
            .await?;
        let sheet_path = page.path().await?;
        sign_out(&page).await?;

        // Pat approves from the inbox.
        page.sign_in("pat@example.com", "a long enough password")
            .await?;
        page.goto("/approvals").await?;
        page.click("[data-testid=inbox] input[type=checkbox]")
            .await?;
        page.click("[data-testid=bulk-approve]").await?;
        page.wait_for_text("1 approved.").await?;
        assert!(page.exists("[data-testid=inbox-empty]").await?);
        sign_out(&page).await?;

        // The week is approved and locked for Eve.
        page.sign_in("eve@example.com", "a long enough password")
            .await?;
        page.goto(&sheet_path).await?;
        page.wait_for_text("This week is approved and locked.")
            .await?;
        assert_eq!(page.text("[data-testid=sheet-status]").await?, "approved");
        assert!(
            !page.exists("input.hours").await?,
            "no inputs on a locked week"
        );
        assert!(
            page.text("[data-testid=week-total]")
                .await?
                .contains("7.50")
        );
        snap(&page, "timesheet-approved").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_report_over_another_period_and_its_csv_agree() {
    run(
        Server::start_after(&["demo", "--size", "small"]).await,
        async |page| {
            page.sign_in("admin@c0001.demo", "canopy-demo-2026").await?;
            page.click("nav a[href='/reports']").await?;
            page.click("a[href='/reports/monthly-by-project']").await?;
            page.find("[data-testid=report]").await?;
            let this_month = page.text("[data-testid=report-total]").await?;

            // The last eight weeks instead of this month: set the dates, show.
            let today = chrono::Utc::now().date_naive();
            let from = (today - chrono::Duration::days(56)).to_string();
            page.client
                .execute(
                    "document.getElementById('from').value = arguments[0];\
                 document.getElementById('to').value = arguments[1];",
                    vec![json!(from), json!(today.to_string())],
                )
                .await?;
            page.click("[data-testid=run-report]").await?;
            page.wait_for_path("the period in the query", |p| {
                p.contains(&format!("from={from}"))
            })
            .await?;
            let total = page.text("[data-testid=report-total]").await?;
            assert_ne!(total, this_month, "a longer period holds more hours");
            snap(&page, "report").await?;

            // The CSV behind the download link, fetched with the page's session.
            let href = page
                .find("[data-testid=csv]")
                .await?
                .attr("href")
                .await?
                .ok_or("the CSV link has no href")?;
            let cookies = page.client.get_all_cookies().await?;
            let session = cookies
                .iter()
                .find(|c| c.name() == "canopy_session")
                .ok_or("no session cookie")?;
            let csv = reqwest::Client::new()
                .get(format!("{}{href}", page.base))
                .header("Cookie", format!("canopy_session={}", session.value()))
                .send()
                .await?;
            assert!(
                csv.headers()["content-type"]
                    .to_str()?
                    .starts_with("text/csv")
            );
            let text = csv.text().await?;
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("user,month,project_code,project,hours"));
            let sum: f64 = lines
                .map(|l| {
                    l.rsplit(',')
                        .next()
                        .unwrap_or("0")
                        .parse::<f64>()
                        .unwrap_or(f64::NAN)
                })
                .sum();
            assert_eq!(
                format!("{sum:.2}"),
                total,
                "the CSV's hours add up to the page's total"
            );
            Ok(())
        },
    )
    .await;
}

/// True when the page is wider than the window (it would scroll sideways).
async fn overflows_sideways(page: &Page) -> TestResult<bool> {
    let wide = page
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await?;
    Ok(wide.as_bool().unwrap_or(true))
}

/// Opens the first node with children among `level` (a CSS path to tree
/// items) and returns the CSS path to the items it shows.
async fn open_first_with_children(page: &Page, level: &str) -> TestResult<String> {
    let node = format!("{level}[aria-expanded]");
    page.click(&format!("{node} > a.toggle")).await?;
    let children = format!("{level}[aria-expanded=true] > ul > li.node");
    page.find(&children).await?;
    Ok(children)
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn at_ten_thousand_orgs_the_tree_search_and_a_page_of_the_inbox_work() {
    run(
        Server::start_after(&["demo", "--size", "medium"]).await,
        async |page| {
            page.client.set_window_size(1366, 900).await?;
            page.sign_in("owner@canopy.demo", "canopy-demo-2026")
                .await?;

            // Three levels down the tree, each loaded on demand.
            page.goto("/orgs").await?;
            let mut level = "[data-testid=org-tree] > li.node".to_string();
            for _ in 0..3 {
                level = open_first_with_children(&page, &level).await?;
            }
            let shown = page.client.find_all(Locator::Css("li.node")).await?.len();
            assert!(
                shown < 300,
                "only the opened paths are on the page, not 10k orgs: {shown} nodes"
            );
            assert!(!overflows_sideways(&page).await?, "the tree fits 1366 px");
            snap(&page, "tree-at-scale").await?;

            // Search an org, show it in the tree, open it.
            page.fill("input[name=q]", "Acme").await?;
            page.click("form[role=search] button[type=submit]").await?;
            page.click("[data-testid=show-in-tree]").await?;
            let current = page.find("[data-testid=tree-current]").await?;
            let href = current.attr("href").await?.ok_or("no link")?;
            current.click().await?;
            page.wait_for_path("the org's page", |p| p == href).await?;
            assert!(
                !overflows_sideways(&page).await?,
                "the org page fits 1366 px"
            );
            sign_out(&page).await?;

            // The org admin approves one page of the inbox at once.
            page.sign_in("admin@c0001.demo", "canopy-demo-2026").await?;
            page.goto("/approvals").await?;
            page.find("[data-testid=inbox]").await?;
            let before = page.text("[data-testid=inbox-showing]").await?;
            let rows = page
                .client
                .find_all(Locator::Css("[data-testid=inbox] input[name=item]"))
                .await?
                .len();
            assert!(rows > 0, "the demo leaves weeks waiting: {before}");
            assert!(!overflows_sideways(&page).await?, "the inbox fits 1366 px");
            page.click("[data-testid=pick-all]").await?;
            page.click("[data-testid=bulk-approve]").await?;
            page.wait_for_text(&format!("{rows} approved.")).await?;
            let after = page.text("body").await?;
            assert!(
                !after.contains(&before),
                "the inbox moved on after approving a page: {before}"
            );
            Ok(())
        },
    )
    .await;
}

/// Fails with `what` when the page scrolls sideways.
async fn fits(page: &Page, what: &str) -> TestResult {
    if overflows_sideways(page).await? {
        let widths = page
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await?;
        return Err(format!("{what} scrolls sideways at phone width: {widths}").into());
    }
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn at_phone_width_the_tree_a_picker_the_inbox_and_a_report_fit() {
    run(
        Server::start_after(&["demo", "--size", "small"]).await,
        async |page| {
            page.sign_in("owner@canopy.demo", "canopy-demo-2026")
                .await?;
            page.client.set_window_size(390, 844).await?;

            // The org tree, three levels open.
            page.goto("/orgs").await?;
            let mut level = "[data-testid=org-tree] > li.node".to_string();
            for _ in 0..3 {
                level = open_first_with_children(&page, &level).await?;
            }
            fits(&page, "the org tree three levels open").await?;
            snap(&page, "phone-tree").await?;

            // The inbox with its filters, then a picker with its suggestions.
            page.goto("/approvals").await?;
            page.find("[data-testid=inbox-filters]").await?;
            fits(&page, "the inbox").await?;
            page.fill("#f-org", "a").await?;
            eventually("the org picker's suggestions", async || {
                let options = page
                    .client
                    .find_all(Locator::Css("#f-org-options option"))
                    .await?;
                Ok((!options.is_empty()).then_some(()))
            })
            .await?;
            page.click("#f-org").await?;
            fits(&page, "a picker with its suggestions").await?;
            snap(&page, "phone-inbox").await?;

            // A report with its chart and table, over the last eight weeks.
            let from = chrono::Utc::now().date_naive() - chrono::Duration::days(56);
            page.goto(&format!("/reports/monthly-by-project?from={from}"))
                .await?;
            page.find("[data-testid=report]").await?;
            fits(&page, "a report").await?;
            snap(&page, "phone-report").await?;
            Ok(())
        },
    )
    .await;
}
