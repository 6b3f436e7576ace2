//! The command line: `canopy serve | migrate | admin create | token create |
//! mail list | mail show | remind | demo | import | backup | restore | copy`.

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::domain::audit::Actor;
use crate::domain::setup::{NewAdmin, SetupInput, create_owner};
use crate::domain::token::{self, NewToken};
use crate::domain::{password, secrets, user};
use crate::error::{Error, Result};
use crate::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "canopy",
    version,
    about = "A portal for a tree of organizations, their people and their timesheets.",
    after_help = Config::environment_help(),
    help_expected = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web app and API (the default). Reads every variable listed
    /// under "Environment" in `canopy --help`.
    Serve,
    /// Apply pending database migrations to CANOPY_DATABASE_URL and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Read the outbox on the server's own machine: the whole messages, with
    /// their setup, activation and reset links (the outbox page never shows
    /// those). For development installs without SMTP.
    Mail {
        #[command(subcommand)]
        action: MailAction,
    },
    /// Fill a fresh database (CANOPY_DATABASE_URL) with a realistic data set
    /// and print the demo sign-ins; their passwords are hashed at
    /// CANOPY_BCRYPT_COST.
    Demo {
        /// small: 64 orgs; medium: 10k orgs, 2k users, a year of weeks; large:
        /// 100k orgs, 20k users, 2M entries.
        #[arg(long, value_enum, default_value = "small")]
        size: crate::domain::demo::Size,
    },
    /// Remind everyone whose org's reminder day is today and who worked on a
    /// project last week without submitting that week's timesheet, by
    /// notification and mail (queued in CANOPY_DATABASE_URL, sent by `canopy
    /// serve` through CANOPY_SMTP_URL). `canopy serve` does this by itself
    /// (CANOPY_REMIND_HOUR); for cron, run it daily. Each person's week is
    /// reminded once however often it runs.
    Remind {
        /// Count "last week" from this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = |s: &str| crate::domain::validate::date(s, "--today"))]
        today: Option<chrono::NaiveDate>,
    },
    /// Import orgs, users or grants from a CSV file into CANOPY_DATABASE_URL
    /// as a person, with exactly their permissions (as the API's
    /// `/import/…`): every row's outcome is printed, and nothing is written
    /// unless every row is accepted. Progress goes to standard error.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: crate::domain::import::Kind,
        /// The CSV file: a header row naming the columns, UTF-8, comma or semicolon.
        file: std::path::PathBuf,
        /// Show every row's outcome and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import as this active user (their email), with their permissions.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: String,
    },
    /// Write a consistent copy of CANOPY_DATABASE_URL to a new file while
    /// the server runs (one snapshot; no client tools), read it back to
    /// verify every table by count and checksum. The file holds password
    /// and token hashes: it is created readable by its owner only.
    Backup {
        /// The new file (never overwritten).
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// Fill the empty database CANOPY_DATABASE_URL (of either backend) from a
    /// file `canopy backup` wrote, and verify every table by count and
    /// checksum. A database that holds data is refused and left as it is.
    Restore {
        /// The backup file.
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
    },
    /// Copy the whole installation in CANOPY_DATABASE_URL, as of one moment,
    /// into the empty database at URL (SQLite file or postgres://), keeping
    /// ids, sequences and the audit log, and verify every table by count and
    /// checksum.
    Copy {
        /// The empty target database: a SQLite file path or a postgres:// URL.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Subcommand)]
pub enum AdminAction {
    /// Create an active user in the root org with the Owner role at the root,
    /// in CANOPY_DATABASE_URL; the password is hashed at CANOPY_BCRYPT_COST.
    Create {
        /// The administrator's email, their sign-in name.
        #[arg(long)]
        email: String,
        /// The name shown for them.
        #[arg(long)]
        name: String,
        /// At least 10 characters; a strong one is generated and printed if omitted.
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum MailAction {
    /// List the newest messages in CANOPY_DATABASE_URL's outbox: id, queued
    /// (UTC), status, recipient, subject.
    List {
        /// How many messages, newest first (1 to 10,000).
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Print one message of CANOPY_DATABASE_URL's outbox whole: headers, then
    /// the plain-text part.
    Show {
        /// The message's id, as `canopy mail list` prints it.
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Print a new API token for a user of CANOPY_DATABASE_URL (the token
    /// alone on the last line).
    Create {
        /// Whose token: the user's email.
        #[arg(long)]
        email: String,
        /// A label for the token, shown on the person's profile.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token stops working (never, when omitted).
        #[arg(long)]
        expires_days: Option<i64>,
    },
}

pub async fn run(cli: Cli, config: Config) -> Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            blocking(move || {
                // Two connections: one holds the lock other instances wait on.
                let db = crate::db::Db::connect_waiting(
                    &config.database_url,
                    2,
                    crate::db::COMMAND_POOL_WAIT,
                )?;
                let applied = db.exclusively(|| db.migrate())?;
                println!(
                    "{} database is up to date ({} migration(s) applied).",
                    db.backend().name(),
                    applied.len()
                );
                Ok(())
            })
            .await
        }
        Command::Admin {
            action:
                AdminAction::Create {
                    email,
                    name,
                    password,
                },
        } => blocking(move || admin_create(&config, &email, &name, password)).await,
        Command::Token {
            action:
                TokenAction::Create {
                    email,
                    name,
                    expires_days,
                },
        } => blocking(move || token_create(&config, &email, &name, expires_days)).await,
        Command::Mail { action } => blocking(move || mail(&config, action)).await,
        Command::Remind { today } => blocking(move || remind(&config, today)).await,
        Command::Demo { size } => blocking(move || demo(&config, size)).await,
        Command::Import {
            kind,
            file,
            dry_run,
            as_email,
        } => blocking(move || import(&config, kind, &file, dry_run, &as_email)).await,
        Command::Backup { to } => blocking(move || backup(&config, &to)).await,
        Command::Restore { from } => blocking(move || restore(&config, &from)).await,
        Command::Copy { to } => blocking(move || copy(&config, &to)).await,
    }
}

/// A database for `backup`, `restore` and `copy`, opened without migrating
/// it: a backup keeps the schema it finds, a target is brought to the
/// source's. Three connections: the startup lock, migrations, the load.
fn transfer_db(url: &str) -> Result<crate::db::Db> {
    crate::db::Db::connect_waiting(url, 3, crate::db::COMMAND_POOL_WAIT)
}

fn print_tables(report: &crate::db::transfer::Report) {
    for table in &report.tables {
        println!("{}", table.line());
    }
}

fn backup(config: &Config, to: &std::path::Path) -> Result<()> {
    let started = std::time::Instant::now();
    let db = transfer_db(&config.database_url)?;
    let (report, path) = crate::db::transfer::backup(&db, to)?;
    print_tables(&report);
    println!(
        "Backed up {} tables, {} rows ({}, schema {}) to {}, verified ({:.1} s).",
        report.tables.len(),
        report.rows(),
        db.backend().name(),
        report.schema,
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn restore(config: &Config, from: &std::path::Path) -> Result<()> {
    let started = std::time::Instant::now();
    let db = transfer_db(&config.database_url)?;
    let report = crate::db::transfer::restore(from, &db)?;
    print_tables(&report);
    println!(
        "Restored {} tables, {} rows from {} into the {} database, verified ({:.1} s).",
        report.tables.len(),
        report.rows(),
        from.display(),
        db.backend().name(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn copy(config: &Config, to: &str) -> Result<()> {
    let started = std::time::Instant::now();
    if to.trim() == config.database_url.trim() {
        return Err(Error::BadRequest(
            "--to names the database CANOPY_DATABASE_URL already names".into(),
        ));
    }
    let source = transfer_db(&config.database_url)?;
    let target = transfer_db(to)?;
    let report = crate::db::transfer::copy(&source, &target)?;
    print_tables(&report);
    println!(
        "Copied {} tables, {} rows from {} to {}, verified ({:.1} s).",
        report.tables.len(),
        report.rows(),
        source.backend().name(),
        target.backend().name(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn import(
    config: &Config,
    kind: crate::domain::import::Kind,
    file: &std::path::Path,
    dry_run: bool,
    email: &str,
) -> Result<()> {
    use crate::domain::import::{self, Importer, Outcome};
    let started = std::time::Instant::now();
    let db = startup::prepare(config)?;
    let input = std::fs::File::open(file)
        .map_err(|e| Error::BadRequest(format!("cannot open {}: {e}", file.display())))?;
    let importer = db.read_sync(|conn| {
        let me = user::find_by_email(conn, email)?
            .filter(|u| u.is_active())
            .ok_or_else(|| Error::BadRequest(format!("no active user with email {email}")))?;
        Ok(Importer {
            access: crate::authz::Access {
                user_id: me.id,
                snapshot: crate::authz::AuthzStore::new().fresh(conn)?,
            },
            actor: Actor {
                user_id: Some(me.id),
                ..Actor::cli()
            },
            base_url: config.base_url(&config.bind),
        })
    })?;
    let mut progress = |rows: u64| eprint!("\rimport {}: {rows} row(s) read", kind.as_str());
    let report = import::run(&db, kind, input, &importer, dry_run, &mut progress)?;
    eprintln!();
    // Creates are counted, not listed: a 100,000-row file prints its summary.
    let told = |o: Outcome| matches!(o, Outcome::Update | Outcome::Error);
    for row in report.rows.iter().filter(|r| told(r.outcome)) {
        println!("line {}: {} {}", row.line, row.outcome.label(), row.message);
    }
    let verdict = if report.applied {
        "applied"
    } else if report.failed() {
        "nothing written: fix the rows in error and import again"
    } else {
        "dry run, nothing written"
    };
    println!(
        "{} ({}; {:.1} s).",
        report.summary(),
        verdict,
        started.elapsed().as_secs_f64()
    );
    if report.failed() {
        return Err(Error::BadRequest(format!(
            "{} row(s) refused",
            report.count(Outcome::Error)
        )));
    }
    Ok(())
}

fn demo(config: &Config, size: crate::domain::demo::Size) -> Result<()> {
    use crate::domain::demo;
    let started = std::time::Instant::now();
    let db = startup::prepare_for_command(config)?;
    let hash = password::hash(demo::PASSWORD, config.bcrypt_cost)?;
    let summary = demo::generate(&db, size, &hash, crate::db::now().date(), &|phase| {
        eprintln!("demo: {phase}")
    })?;
    println!(
        "Demo data: {} organizations, {} users, {} projects, {} timesheets, {} entries ({:.1} s).",
        summary.orgs,
        summary.users,
        summary.projects,
        summary.sheets,
        summary.entries,
        started.elapsed().as_secs_f64()
    );
    println!("Sign in with the password {} as:", demo::PASSWORD);
    for (who, email) in &summary.sign_ins {
        println!("  {email:<28} {who}");
    }
    Ok(())
}

fn mail(config: &Config, action: MailAction) -> Result<()> {
    use crate::domain::mail;
    let db = startup::prepare_for_command(config)?;
    match action {
        MailAction::List { limit } => {
            let messages = db.read_sync(|c| mail::latest(c, limit.clamp(1, 10_000)))?;
            if messages.is_empty() {
                println!("The outbox is empty.");
            }
            for m in messages {
                let status = if m.sent_at.is_some() {
                    "sent"
                } else {
                    "queued"
                };
                println!(
                    "{:>6}  {}  {:<6}  {}  {}",
                    m.id,
                    m.created_at.format("%Y-%m-%d %H:%M:%S"),
                    status,
                    m.to_address,
                    m.subject
                );
            }
        }
        MailAction::Show { id } => {
            let m = db.read_sync(|c| mail::find(c, id)).map_err(|e| match e {
                Error::NotFound => Error::BadRequest(format!("no message with id {id}")),
                other => other,
            })?;
            println!("Id: {}", m.id);
            println!("To: {}", m.to_address);
            println!("Subject: {}", m.subject);
            println!("Queued: {} UTC", m.created_at.format("%Y-%m-%d %H:%M:%S"));
            match m.sent_at {
                Some(at) => println!("Sent: {} UTC", at.format("%Y-%m-%d %H:%M:%S")),
                None => println!("Sent: no ({} attempt(s))", m.attempts),
            }
            println!();
            print!("{}", m.body_text);
        }
    }
    Ok(())
}

fn remind(config: &Config, today: Option<chrono::NaiveDate>) -> Result<()> {
    use chrono::Datelike;
    let db = startup::prepare_for_command(config)?;
    let today = today.unwrap_or_else(|| crate::db::now().date());
    let sent = crate::domain::timesheet::remind_due(&db, &Actor::cli(), today)?;
    println!(
        "{sent} reminder(s) sent for missing timesheets of last week (people whose reminder day is {}).",
        crate::domain::timesheet::weekday_name(today.weekday())
    );
    Ok(())
}

async fn blocking(f: impl FnOnce() -> Result<()> + Send + 'static) -> Result<()> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Error::internal)?
}

async fn serve(config: Config) -> Result<()> {
    let app = Application::build(config).await?;
    let base = app.base_url().to_string();
    println!("Canopy is serving at {base}");
    match app.setup_link() {
        Some(link) => println!(
            "No administrator exists yet. Open this one-time link to create the first one:\n\n    {link}\n"
        ),
        None => println!("Sign in at {base}/sign-in"),
    }
    app.run_until_stopped().await.map_err(Error::internal)
}

fn admin_create(config: &Config, email: &str, name: &str, password: Option<String>) -> Result<()> {
    let db = startup::prepare_for_command(config)?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| secrets::random_token(20));
    let admin = NewAdmin::parse(&SetupInput {
        display_name: name.into(),
        email: email.into(),
        password: password.clone(),
        password_confirm: password.clone(),
    })?;
    let hash = password::hash(&password, config.bcrypt_cost)?;
    let owner = db.write_sync(|conn| create_owner(conn, &Actor::cli(), &admin, hash))?;
    println!(
        "Created {} <{}>, Owner at the root organization.",
        owner.display_name, owner.email
    );
    if generated {
        println!("Password: {password}");
    }
    Ok(())
}

fn token_create(config: &Config, email: &str, name: &str, expires_days: Option<i64>) -> Result<()> {
    let db = startup::prepare_for_command(config)?;
    let days = expires_days.map(|d| d.to_string()).unwrap_or_default();
    let new = NewToken::parse(name, &days)?;
    let (token, secret) = db.write_sync(|conn| {
        let owner = user::find_by_email(conn, email)?
            .filter(|u| u.is_active())
            .ok_or_else(|| Error::BadRequest(format!("no active user with email {email}")))?;
        token::create(conn, &Actor::cli(), owner.id, new)
    })?;
    match token.expires_at {
        Some(at) => println!("Token \"{}\" created; it expires {at} UTC.", token.name),
        None => println!("Token \"{}\" created; it does not expire.", token.name),
    }
    println!("{secret}");
    Ok(())
}

/// A readable line for a failed command.
pub fn describe_error(err: &Error) -> String {
    match err {
        Error::Validation(fields) | Error::Duplicate(fields) => fields
            .0
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_command_and_flag_has_help() {
        // `help_expected` makes clap's own check fail on a bare argument.
        Cli::command().debug_assert();
    }

    #[test]
    fn help_names_the_environment_and_each_command_the_database_it_uses() {
        let mut cli = Cli::command();
        let help = cli.render_help().to_string();
        for (name, _) in Config::ENVIRONMENT {
            assert!(help.contains(name), "{name} missing from:\n{help}");
        }
        // Clap's own `help` subcommand reads nothing.
        for sub in cli.get_subcommands_mut().filter(|s| s.get_name() != "help") {
            let mut leaves: Vec<clap::Command> = sub
                .get_subcommands()
                .filter(|s| s.get_name() != "help")
                .cloned()
                .collect();
            if leaves.is_empty() {
                leaves.push(sub.clone());
            }
            for mut leaf in leaves {
                let text = leaf.render_long_help().to_string();
                assert!(
                    text.contains("CANOPY_DATABASE_URL") || text.contains("Environment"),
                    "{} {}: {text}",
                    sub.get_name(),
                    leaf.get_name()
                );
            }
        }
    }
}
