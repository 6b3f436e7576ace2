//! Processes and the page driver the journeys share: a `canopy serve` on
//! its own database, chromedriver with a fresh Chromium profile, and [`run`].

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

pub type TestResult<T = ()> = Result<T, Box<dyn Error>>;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_NAME: &str = "Ada Admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// How long to wait for a page, an element or a URL.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long to wait for a child process (server, chromedriver) to come up.
pub const STARTUP: Duration = Duration::from_secs(20);
/// Pause between two probes of a condition.
pub const POLL: Duration = Duration::from_millis(100);

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

/// A free TCP port on 127.0.0.1 (bound to port 0, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free port")
        .port()
}

/// The `canopy` binary under test: `$CANOPY_BIN`, else the one cargo built.
pub fn canopy_bin() -> PathBuf {
    std::env::var_os("CANOPY_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_canopy")))
}

/// Kills and reaps a child process, ignoring that it may have exited already.
pub fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The file's contents, or an empty string when it cannot be read.
pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A running `canopy serve` on its own SQLite database; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: TempDir,
}

impl Server {
    /// Starts `canopy serve` on a fresh database, after `canopy admin create`
    /// when `with_admin`, and waits until `/healthz` answers 200.
    pub async fn start(with_admin: bool) -> Server {
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
    pub async fn start_after(setup: &[&str]) -> Server {
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
    pub async fn wait_healthy(&mut self) {
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
    pub async fn setup_link(&mut self) -> String {
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
    pub fn mail_link(dir: &Path, to: &str, path: &str) -> String {
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
    pub fn log(&self) -> String {
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
pub fn canopy(dir: &Path, port: u16) -> Command {
    let mut cmd = Command::new(canopy_bin());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CANOPY_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("CANOPY_DATABASE_URL", dir.join("canopy.db"))
        .env("CANOPY_BIND", format!("127.0.0.1:{port}"))
        .env("CANOPY_BCRYPT_COST", "4")
        .env("CANOPY_REMIND_HOUR", "off")
        .env("CANOPY_WORKERS", "2");
    cmd
}

/// chromedriver plus one WebDriver session in headless Chromium. The driver is
/// killed on drop; close the session first with [`run`].
pub struct Browser {
    pub client: Client,
    pub driver: Child,
    pub _dir: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port, waits until it accepts connections
    /// and opens a session in a fresh Chromium profile.
    pub async fn start() -> Browser {
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
pub struct Page {
    pub client: Client,
    pub base: String,
}

/// Retries `probe` every [`POLL`] until it yields `Some`, for at most [`WAIT`].
/// Errors count as "not yet" (the page may be navigating); the last one is
/// reported on time-out.
pub async fn eventually<T>(
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
    pub async fn goto(&self, path: &str) -> TestResult {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        Ok(self.client.goto(&url).await?)
    }

    /// The current URL's path, with the query when there is one.
    pub async fn path(&self) -> TestResult<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        })
    }

    /// Waits until the current path (and query) satisfies `ok`; returns it.
    pub async fn wait_for_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> TestResult<String> {
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
    pub async fn find(&self, css: &str) -> TestResult<fantoccini::elements::Element> {
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
    pub async fn exists(&self, css: &str) -> TestResult<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The visible text of the element matching `css` (waiting for it).
    pub async fn text(&self, css: &str) -> TestResult<String> {
        Ok(self.find(css).await?.text().await?.trim().to_string())
    }

    /// Waits until the page's visible text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> TestResult {
        eventually(&format!("the page to show {needle:?}"), async || {
            let body = self.client.find(Locator::Css("body")).await?.text().await?;
            Ok(body.contains(needle).then_some(()))
        })
        .await
    }

    /// Replaces the value of the field matching `css` with `value`.
    pub async fn fill(&self, css: &str, value: &str) -> TestResult {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> TestResult {
        Ok(self.find(css).await?.click().await?)
    }

    /// Takes the sign-in page's steps: the email, Continue, then the
    /// password (for an email no single sign-on claims), and submits.
    pub async fn enter_credentials(&self, email: &str, password: &str) -> TestResult {
        self.goto("/sign-in").await?;
        self.fill("#email", email).await?;
        self.click("form[action='/sign-in/continue'] button[type=submit]")
            .await?;
        self.fill("#password", password).await?;
        self.click("form[action='/sign-in'] button[type=submit]")
            .await?;
        Ok(())
    }

    /// Signs in through the form and waits for the dashboard.
    pub async fn sign_in(&self, email: &str, password: &str) -> TestResult {
        self.enter_credentials(email, password).await?;
        self.wait_for_path("/", |p| p == "/").await?;
        Ok(())
    }
}

/// Runs one journey in a fresh browser against `server`. Whatever happens, the
/// WebDriver session is closed; on failure the server's temp dir is kept with a
/// screenshot, the page source and the server log, and its path is printed.
pub async fn run<F, Fut>(server: Server, journey: F)
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

/// Saves a screenshot of the current page into `CANOPY_SCREENSHOTS` when set
/// (for looking at the pages by eye; journeys do not depend on it).
pub async fn snap(page: &Page, name: &str) -> TestResult {
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
pub async fn rect(page: &Page, css: &str) -> TestResult<(f64, f64, f64, f64)> {
    Ok(page.find(css).await?.rectangle().await?)
}

/// Signs out through the user menu.
pub async fn sign_out(page: &Page) -> TestResult {
    page.click("details.user-menu summary").await?;
    page.click("[data-testid=sign-out]").await?;
    page.wait_for_path("/sign-in", |p| p.starts_with("/sign-in"))
        .await?;
    Ok(())
}

/// True when the page is wider than the window (it would scroll sideways).
pub async fn overflows_sideways(page: &Page) -> TestResult<bool> {
    let wide = page
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await?;
    Ok(wide.as_bool().unwrap_or(true))
}

/// Fails, naming the elements that reach furthest right, when the page
/// scrolls sideways.
pub async fn fits(page: &Page, what: &str) -> TestResult {
    if overflows_sideways(page).await? {
        let widths = page
            .client
            .execute(
                "const w = window.innerWidth;
                 const wide = [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > w + 1)
                     .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
                     .slice(0, 5)
                     .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                          + (typeof e.className === 'string' && e.className.trim()
                              ? '.' + e.className.trim().replace(/ +/g, '.') : '')
                          + ' ' + Math.round(e.getBoundingClientRect().right));
                 return [document.documentElement.scrollWidth, w, wide];",
                vec![],
            )
            .await?;
        return Err(format!("{what} scrolls sideways at phone width: {widths}").into());
    }
    Ok(())
}

/// On an org's settings tab: sets its display name and accent colour
/// (`#rrggbb`), waiting after each save for the page it answers with, so the
/// next field is the new page's (not one about to go stale).
pub async fn set_brand(page: &Page, name: &str, hex: &str) -> TestResult {
    page.fill("#set-display_name", name).await?;
    page.click("form[action$='/settings/display_name'] button[type=submit]")
        .await?;
    page.find(&format!("#set-display_name[value='{name}']"))
        .await?;
    // A colour input takes no typing: set its value as the picker would.
    page.client
        .execute(
            "document.querySelector('#set-accent_color').value = arguments[0];",
            vec![json!(hex)],
        )
        .await?;
    page.click("form[action$='/settings/accent_color'] button[type=submit]")
        .await?;
    page.find(&format!("#set-accent_color[value='{hex}']"))
        .await?;
    Ok(())
}
