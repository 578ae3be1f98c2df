//! Storage for Masthead. One `Db` handle over SQLite (the embedded default)
//! or PostgreSQL; every query is written once with `$1` placeholders and run
//! through `on_read!`/`on_write!`, which expand to one arm per backend. Where
//! SQL must differ, the repository function says so with an explicit
//! `Backend` match, and nowhere else.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Runs `$body` with `$pool` bound to a pool that may read.
macro_rules! on_read {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.inner {
            $crate::Inner::Sqlite { read: $pool, .. } => $body,
            $crate::Inner::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool that writes (on SQLite the
/// single writer connection, so writers queue in the app, not on a lock).
macro_rules! on_write {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.inner {
            $crate::Inner::Sqlite { write: $pool, .. } => $body,
            $crate::Inner::Postgres($pool) => $body,
        }
    };
}

pub mod archive;
pub mod articles;
pub mod audit;
pub mod billing;
pub mod cluster;
pub mod copy;
pub mod counters;
pub mod desk;
pub mod feeds;
pub mod jobs;
pub mod limits;
pub mod magazine;
pub mod media;
pub mod meter;
pub mod newsletters;
pub mod plans;
pub mod readers;
pub mod search;
pub mod revisions;
pub mod settings;
pub mod staff;
pub mod tags;
pub mod testing;
pub mod tokens;
pub mod webhooks;

pub use articles::{ArticleWrite, ListFilter, Page};
pub use jobs::Job;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a `Db` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Inner {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// A handle to the publication's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) inner: Inner,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("the database URL {0:?} is not understood: use sqlite:PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("could not open the database at {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("the database schema is at migration {found}, newer than this binary knows ({known}); upgrade Masthead before running it against this database")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt ({what}): {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

impl DbError {
    pub(crate) fn corrupt(what: &'static str, detail: impl ToString) -> Self {
        DbError::Corrupt { what, detail: detail.to_string() }
    }

    /// True when the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Redacts a password from a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.split_once('@') {
            return match creds.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_string(),
            };
        }
    }
    url.to_string()
}

impl Db {
    /// Opens the database named by a URL: `sqlite:PATH` (created if
    /// missing) or `postgres://...`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Db> {
        let target = redact_url(url);
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| DbError::BadUrl(target.clone()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("temp_store", "memory");
            // SQLite's own page cache is per connection (the OS caches the
            // file besides): 16 MB for the one writer, 4 MB for each reader,
            // so five connections stay near 32 MB however big the archive.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone().pragma("cache_size", "-16000"))
                .await
                .map_err(|e| DbError::Connect { target: target.clone(), detail: e.to_string() })?;
            let readers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2) as u32 * 2;
            let read = SqlitePoolOptions::new()
                .max_connections(readers)
                .connect_with(opts.read_only(true).pragma("cache_size", "-4000"))
                .await
                .map_err(|e| DbError::Connect { target: target.clone(), detail: e.to_string() })?;
            Ok(Db { inner: Inner::Sqlite { read, write } })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|_| DbError::BadUrl(target.clone()))?;
            // One plain connection first: a pool only says it timed out,
            // this says why (refused, unknown database, bad password).
            let probe = tokio::time::timeout(Duration::from_secs(10), <sqlx::PgConnection as sqlx::Connection>::connect_with(&opts)).await;
            match probe {
                Ok(Ok(c)) => {
                    let _ = sqlx::Connection::close(c).await;
                }
                Ok(Err(e)) => return Err(DbError::Connect { target, detail: e.to_string() }),
                Err(_) => return Err(DbError::Connect { target, detail: "no answer within 10 seconds".into() }),
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| DbError::Connect { target, detail: e.to_string() })?;
            Ok(Db { inner: Inner::Postgres(pool) })
        } else {
            Err(DbError::BadUrl(target))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite { .. } => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The newest migration this binary knows.
    pub fn known_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The newest migration applied to the database, if any.
    pub async fn applied_version(&self) -> Result<Option<i64>> {
        let table_exists: bool = match &self.inner {
            Inner::Sqlite { read, .. } => {
                sqlx::query_scalar("SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                    .fetch_one(read)
                    .await?
            }
            Inner::Postgres(pg) => sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(pg).await?,
        };
        if !table_exists {
            return Ok(None);
        }
        let v: Option<i64> = on_read!(self, pool => sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(pool).await?);
        Ok(v)
    }

    /// Applies pending migrations. Refuses a database whose schema is newer
    /// than this binary, rather than run old code against it.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let known = self.known_version();
        let before = self.applied_version().await?;
        if let Some(found) = before {
            if found > known {
                return Err(DbError::SchemaTooNew { found, known });
            }
        }
        on_write!(self, pool => self.migrator().run(pool).await?);
        let before = before.unwrap_or(0);
        Ok(self.migrator().iter().map(|m| m.version).filter(|v| *v > before).collect())
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        on_read!(self, pool => sqlx::query("SELECT 1").execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn close(&self) {
        match &self.inner {
            Inner::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Inner::Postgres(pg) => pg.close().await,
        }
    }

    /// The PostgreSQL pool, for the few features that exist only there
    /// (LISTEN/NOTIFY, advisory locks).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.inner {
            Inner::Postgres(pg) => Some(pg),
            Inner::Sqlite { .. } => None,
        }
    }
}

/// `$1, $2, ...` placeholders for an IN list starting after `offset`.
pub(crate) fn placeholders(offset: usize, n: usize) -> String {
    (1..=n).map(|i| format!("${}", i + offset)).collect::<Vec<_>>().join(", ")
}
