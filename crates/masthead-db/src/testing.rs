//! Test databases on every backend in one run: a fresh SQLite file always,
//! and a fresh PostgreSQL schema when MASTHEAD_TEST_POSTGRES_URL is set.
//! Each test gets its own, migrated, so tests run in parallel.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::Connection;

use crate::{Db, Inner};

pub const POSTGRES_ENV: &str = "MASTHEAD_TEST_POSTGRES_URL";

/// A migrated database for one test; call `cleanup` at the end.
pub struct TestDb {
    pub db: Db,
    pub backend: &'static str,
    /// The URL a separate process (e.g. `masthead serve`) can use.
    pub url: String,
    sqlite_path: Option<PathBuf>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some((url, schema)) = &self.pg_schema {
            if let Ok(mut c) = sqlx::PgConnection::connect(url).await {
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut c).await;
            }
        }
    }
}

/// A fresh SQLite database in a temporary file.
pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("masthead-test-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite:{}", path.display());
    let db = Db::connect(&url).await.expect("open test sqlite");
    db.migrate().await.expect("migrate test sqlite");
    TestDb { db, backend: "sqlite", url, sqlite_path: Some(path), pg_schema: None }
}

/// A fresh PostgreSQL schema, if the environment names a server.
pub async fn postgres() -> Option<TestDb> {
    let base = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())?;
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the server is unreachable: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("create test schema");
    let _ = admin.close().await;
    let opts = PgConnectOptions::from_str(&base).expect("parse postgres url").options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new().max_connections(8).connect_with(opts).await.expect("connect test schema");
    let db = Db { inner: Inner::Postgres(pool) };
    db.migrate().await.expect("migrate test postgres");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(TestDb { db, backend: "postgres", url, sqlite_path: None, pg_schema: Some((base, schema)) })
}

/// SQLite, and PostgreSQL when configured: run the same story on each.
pub async fn all() -> Vec<TestDb> {
    let mut v = vec![sqlite().await];
    match postgres().await {
        Some(pg) => v.push(pg),
        None => eprintln!("note: {POSTGRES_ENV} not set; this test ran on SQLite only"),
    }
    v
}
