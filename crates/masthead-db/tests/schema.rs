//! Both backends must have the same schema: the same tables, columns and
//! indexes, so one code path works on either. And a database migrated by a
//! newer Masthead must be refused, not run against.

use masthead_db::{testing, DbError};
use sqlx::Connection;

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let lite = testing::sqlite().await;
    let Some(pg) = testing::postgres().await else {
        eprintln!("note: {} not set; schema comparison needs both backends", testing::POSTGRES_ENV);
        lite.cleanup().await;
        return;
    };
    let lite_schema = without(describe_sqlite(&lite.url).await, SQLITE_ONLY);
    let pg_schema = without(describe_postgres(&pg.url).await, POSTGRES_ONLY);
    assert!(lite_schema.len() > 30, "schema read back: {lite_schema:?}");
    assert_eq!(lite_schema, pg_schema);
    lite.cleanup().await;
    pg.cleanup().await;
}

/// Full-text search is the one place the schemas differ by design (see
/// masthead-db/src/search.rs): SQLite keeps the words in an FTS5 virtual
/// table and the shadow tables FTS5 makes for it; PostgreSQL keeps them in
/// tsvector columns of search_documents with GIN indexes. Everything else
/// about search_documents must match.
const SQLITE_ONLY: &[&str] = &["search_fts", "search_fts_config", "search_fts_data", "search_fts_docsize", "search_fts_idx"];
const POSTGRES_ONLY: &[&str] = &[
    "search_documents.open_tsv",
    "search_documents.full_tsv",
    "search_documents_open_tsv",
    "search_documents_full_tsv",
];

/// Drops the named tables (with their columns), columns and indexes.
fn without(schema: Vec<String>, names: &[&str]) -> Vec<String> {
    schema
        .into_iter()
        .filter(|line| {
            let name = line.split(' ').nth(1).unwrap_or("");
            let table = name.split('.').next().unwrap_or("");
            !names.contains(&name) && !(line.starts_with("column ") && names.contains(&table))
        })
        .collect()
}

async fn describe_sqlite(url: &str) -> Vec<String> {
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        out.push(format!("table {t}"));
        // A primary key is never null, though SQLite's pragma says 0 for it.
        let cols: Vec<(String, i64)> =
            sqlx::query_as(&format!("SELECT name, \"notnull\" OR pk > 0 FROM pragma_table_info('{t}') ORDER BY name")).fetch_all(&mut c).await.unwrap();
        for (name, notnull) in cols {
            out.push(format!("column {t}.{name} notnull={}", notnull != 0));
        }
    }
    let idx: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    out.extend(idx.into_iter().map(|i| format!("index {i}")));
    out.sort();
    out
}

async fn describe_postgres(url: &str) -> Vec<String> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        out.push(format!("table {t}"));
        let cols: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, is_nullable::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY 1",
        )
        .bind(&t)
        .fetch_all(&mut c)
        .await
        .unwrap();
        for (name, nullable) in cols {
            out.push(format!("column {t}.{name} notnull={}", nullable == "NO"));
        }
    }
    // Only indexes we declared; PostgreSQL also lists those behind keys.
    let idx: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()
           AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    out.extend(idx.into_iter().map(|i| format!("index {i}")));
    out.sort();
    out
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused() {
    for t in testing::all().await {
        let known = t.db.known_version();
        let mut fake = sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES ($1, 'from the future', CURRENT_TIMESTAMP, TRUE, $2, 0)");
        fake = fake.bind(known + 1).bind(vec![0u8; 48]);
        match t.backend {
            "sqlite" => {
                let mut c = sqlx::SqliteConnection::connect(&t.url).await.unwrap();
                sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES ($1, 'from the future', CURRENT_TIMESTAMP, TRUE, $2, 0)")
                    .bind(known + 1).bind(vec![0u8; 48]).execute(&mut c).await.unwrap();
                drop(fake);
            }
            _ => {
                let mut c = sqlx::PgConnection::connect(&t.url).await.unwrap();
                fake.execute(&mut c).await.unwrap();
            }
        }
        let err = t.db.migrate().await.unwrap_err();
        assert!(matches!(err, DbError::SchemaTooNew { .. }), "{}: {err}", t.backend);
        assert!(err.to_string().contains("newer than this binary"));
        // Nothing was touched: the articles table is still there and readable.
        assert_eq!(t.db.count_articles().await.unwrap(), 0);
        t.cleanup().await;
    }
}
