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

mod accessibility;
mod accounts;
mod daily;
mod orgs;
mod scale;
mod shell;
mod sso;
mod support;
mod tenant;
mod work;
