//! Database access for both backends: the `AnyConnection` enum, a pool manager
//! that picks the backend by URL, migrations, and the read/write entry points every
//! other module goes through. Only this module knows which backend is in use.

#[cfg(test)]
mod plan_stability;
pub mod schema;
pub mod text_enum;
pub mod transfer;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::Error;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the URL named.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// What domain functions take: `fn f(conn: &mut Conn, …)`.
pub type Conn = AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Runs `$body` with `$c` bound to the inner, backend-specific connection. For the
/// few statements the combined backend cannot express (RETURNING, upserts).
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}

/// Seconds libpq waits for a server before giving up, unless the URL says.
const PG_CONNECT_TIMEOUT_SECS: u32 = 5;

/// The PostgreSQL URL with a `connect_timeout`: libpq has none by default, so
/// a host that drops packets would hold start-up for the kernel's TCP timeout
/// (minutes) instead of failing within seconds with the real error.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
}

/// How long a request waits for a pooled connection before it answers 503
/// (`Error::Pool`, with `Retry-After`). Shorter than SQLite's busy timeout, so
/// a request queued behind stuck writers gives up before they do.
pub const POOL_WAIT: Duration = Duration::from_secs(3);

/// How long a command of the command line waits for a connection.
pub const COMMAND_POOL_WAIT: Duration = Duration::from_secs(60);

/// SQLite's busy timeout: how long a statement waits on another connection's
/// lock before it fails with "database is locked" (`Error::Busy`, 503).
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5000;

/// Hands out connections to r2d2, set up for Canopy.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<AnyConnection, diesel::ConnectionError> {
        match self.backend {
            Backend::Postgres => Ok(AnyConnection::Postgresql(diesel::PgConnection::establish(
                &with_connect_timeout(&self.url),
            )?)),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url)?;
                // The busy timeout first: it covers other processes (the CLI, a
                // second instance) holding the file, and switching to WAL itself
                // needs a moment of the file to itself. WAL lets readers run beside
                // the writer; NORMAL sync is safe with WAL.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), diesel::ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// SQLite's page cache of the one writing connection, in KiB (negative
/// `cache_size` is KiB): the write path's interior b-tree pages of the big
/// tables stay in it between transactions, because no other connection of
/// this process writes (docs/performance.md, "Timesheet saves").
const SQLITE_WRITER_CACHE_KIB: u32 = 16 * 1024;

/// The database handle the app shares. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite only: the one connection every write transaction of this process
    /// runs on, a pool of one. SQLite takes one writer at a time anyway;
    /// queueing writers here keeps them out of SQLite's busy loop, bounds their
    /// wait like the pool's (503 after `POOL_WAIT`), leaves the read pool to
    /// readers, and keeps the writer's page cache warm: SQLite empties a
    /// connection's cache when another connection wrote, so with one writer
    /// only the readers' caches go cold. PostgreSQL writers use the pool.
    writer: Option<Pool>,
}

impl Db {
    /// Opens a pool, failing within seconds with the underlying error when the
    /// database cannot be reached.
    pub fn connect(url: &str, pool_size: u32) -> Result<Db, Error> {
        Db::connect_waiting(url, pool_size, POOL_WAIT)
    }

    /// [`Db::connect`] with connections awaited up to `wait` instead of
    /// [`POOL_WAIT`]: a command run once (`canopy remind`, `admin create`) has
    /// nobody to answer 503 to, so on a busy database it waits longer rather
    /// than fail.
    pub fn connect_waiting(url: &str, pool_size: u32, wait: Duration) -> Result<Db, Error> {
        let backend = Backend::from_url(url);
        let manager = ConnectionManager {
            url: url.to_string(),
            backend,
        };
        // Establish one connection by hand first: r2d2 would retry until its
        // timeout and then report only "timed out", losing the real cause.
        use r2d2::ManageConnection;
        manager.connect().map_err(|e| {
            Error::internal(format!("cannot open {} database: {e}", backend.name()))
        })?;
        let writer = match backend {
            Backend::Sqlite => Some(
                r2d2::Pool::builder()
                    .max_size(1)
                    .min_idle(Some(1))
                    .connection_timeout(wait)
                    .connection_customizer(Box::new(WriterCache))
                    .build(ConnectionManager {
                        url: url.to_string(),
                        backend,
                    })?,
            ),
            Backend::Postgres => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(wait)
            .build(manager)?;
        Ok(Db {
            pool,
            backend,
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> Result<PooledConn, Error> {
        Ok(self.pool.get()?)
    }

    /// Applies every pending migration for this backend.
    pub fn migrate(&self) -> Result<Vec<String>, Error> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| Error::internal(format!("migration failed: {e}")))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    }

    /// Applies the pending migrations up to and including `version` (a
    /// restore brings a new database to the schema its dump was taken at,
    /// loads it, then applies the rest).
    pub fn migrate_up_to(&self, version: &str) -> Result<Vec<String>, Error> {
        use diesel::migration::Migration as _;
        fn up_to<DB: diesel::backend::Backend>(
            conn: &mut impl MigrationHarness<DB>,
            source: EmbeddedMigrations,
            version: &str,
        ) -> diesel::migration::Result<Vec<String>> {
            let chosen: Vec<_> = conn
                .pending_migrations(source)?
                .into_iter()
                .filter(|m| m.name().version().to_string().as_str() <= version)
                .collect();
            let applied = conn.run_migrations(&chosen)?;
            Ok(applied.iter().map(|v| v.to_string()).collect())
        }
        let mut conn = self.conn()?;
        match &mut *conn {
            AnyConnection::Sqlite(c) => up_to(c, SQLITE_MIGRATIONS, version),
            AnyConnection::Postgresql(c) => up_to(c, POSTGRES_MIGRATIONS, version),
        }
        .map_err(|e| Error::internal(format!("migration failed: {e}")))
    }

    /// The newest migration this build carries for the backend.
    pub fn latest_schema(&self) -> Result<String, Error> {
        use diesel::migration::{Migration as _, MigrationSource};
        let versions = match self.backend {
            Backend::Sqlite => MigrationSource::<diesel::sqlite::Sqlite>::migrations(
                &SQLITE_MIGRATIONS,
            )
            .map(|ms| {
                ms.iter()
                    .map(|m| m.name().version().to_string())
                    .collect::<Vec<_>>()
            }),
            Backend::Postgres => {
                MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS).map(|ms| {
                    ms.iter()
                        .map(|m| m.name().version().to_string())
                        .collect::<Vec<_>>()
                })
            }
        }
        .map_err(|e| Error::internal(format!("migrations: {e}")))?;
        versions
            .into_iter()
            .max()
            .ok_or_else(|| Error::internal("no migrations"))
    }

    /// Runs `f` while no other app instance runs its own `exclusively`: on
    /// PostgreSQL under a session advisory lock held on one connection, so
    /// instances starting together on a fresh database do not race through
    /// migrations and the root org. SQLite serves one instance (a second
    /// process on the file waits on its busy timeout, statement by statement).
    pub fn exclusively<T>(&self, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        /// An arbitrary key shared by every Canopy instance ("CANOPY" in ASCII).
        const STARTUP_LOCK: i64 = 0x43_41_4E_4F_50_59;
        if self.backend == Backend::Sqlite {
            return f();
        }
        let mut conn = self.conn()?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK})"))
            .execute(&mut *conn)?;
        let outcome = f();
        let unlocked = diesel::sql_query(format!("SELECT pg_advisory_unlock({STARTUP_LOCK})"))
            .execute(&mut *conn);
        let value = outcome?;
        unlocked?;
        Ok(value)
    }

    /// Runs `f` on a pooled connection, outside a transaction. For reads.
    pub fn read_sync<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, Error>) -> Result<T, Error> {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction: all of it commits or none of it does.
    pub fn write_sync<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, Error>) -> Result<T, Error> {
        match &self.writer {
            Some(writer) => {
                let mut conn = writer.get()?;
                immediate_transaction(&mut conn, f)
            }
            None => AnyConnection::transaction(&mut *self.conn()?, f),
        }
    }

    /// `read_sync` on the blocking thread pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_sync(f))
            .await
            .map_err(Error::internal)?
    }

    /// `write_sync` on the blocking thread pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_sync(f))
            .await
            .map_err(Error::internal)?
    }
}

/// Sets the writer's bigger page cache when r2d2 opens it.
#[derive(Debug)]
struct WriterCache;

impl r2d2::CustomizeConnection<AnyConnection, diesel::ConnectionError> for WriterCache {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::ConnectionError> {
        conn.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_WRITER_CACHE_KIB};"))
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }
}

/// A SQLite write transaction opened with `BEGIN IMMEDIATE`, so it holds the write
/// lock from its first statement. A deferred one that reads first and then writes
/// must upgrade its read snapshot, and SQLite refuses that at once ("database is
/// locked", no busy wait) when another process or app instance wrote in between;
/// an immediate one waits on the busy timeout instead. The writer pool of
/// one already queues the writers of one process.
fn immediate_transaction<T>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, Error>,
) -> Result<T, Error> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    fn sqlite(conn: &mut Conn) -> &mut diesel::SqliteConnection {
        match conn {
            AnyConnection::Sqlite(inner) => inner,
            AnyConnection::Postgresql(_) => unreachable!("called for SQLite only"),
        }
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite(conn), "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite(conn))?;
            Ok(value)
        }
        Err(error) => match AnsiTransactionManager::rollback_transaction(sqlite(conn)) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same in both backends: case-insensitive matching without
    /// relying on `LIKE`'s backend-specific case rules.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The current time as stored: UTC without offset, to the microsecond (the
/// precision both backends keep, so a value reads back equal).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored UTC time as API.md writes times: RFC 3339 to the second with `Z`,
/// e.g. `2026-11-22T09:30:00Z`.
pub fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::{Backend, with_connect_timeout};

    #[test]
    fn postgres_urls_get_a_connect_timeout_unless_they_set_one() {
        assert_eq!(
            with_connect_timeout("postgres://u@h:5432/db"),
            "postgres://u@h:5432/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?sslmode=require"),
            "postgres://u@h/db?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?connect_timeout=30"),
            "postgres://u@h/db?connect_timeout=30"
        );
    }

    #[test]
    fn the_url_picks_the_backend() {
        assert_eq!(Backend::from_url("postgres://x/y"), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://x/y"), Backend::Postgres);
        assert_eq!(Backend::from_url("canopy.db"), Backend::Sqlite);
    }
}
