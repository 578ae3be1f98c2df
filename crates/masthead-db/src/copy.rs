//! Moving a whole publication between databases (SQLite to PostgreSQL when
//! a newsroom outgrows one machine, or back): every table, every row, in
//! an order that satisfies foreign keys, then a count per table on both
//! sides. The two schemas are the same by construction (a test compares
//! them), so one generic copier works; values are decoded by the column's
//! declared type.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{placeholders, Backend, Db, DbError, Inner, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Time,
    Bytes,
    Text,
}

fn kind(decl: &str) -> Kind {
    let d = decl.to_ascii_lowercase();
    if d.contains("int") || d.contains("serial") {
        Kind::Int
    } else if d.contains("bool") {
        Kind::Bool
    } else if d.contains("timestamp") || d.contains("date") {
        Kind::Time
    } else if d.contains("blob") || d.contains("bytea") {
        Kind::Bytes
    } else {
        Kind::Text
    }
}

#[derive(Debug, Clone)]
enum Value {
    /// A NULL of the column's type: PostgreSQL refuses a text NULL in a bigint column.
    Null(Kind),
    Int(i64),
    Bool(bool),
    Time(DateTime<Utc>),
    Bytes(Vec<u8>),
    Text(String),
}

/// Tables the copier leaves alone: migration bookkeeping, and search index
/// tables that are rebuilt from the articles.
fn skipped(table: &str) -> bool {
    table.starts_with("_sqlx") || table.starts_with("sqlite_") || table.contains("_fts") || table.starts_with("search_")
}

impl Db {
    /// Ordinary tables, with their columns' declared types.
    async fn describe(&self) -> Result<BTreeMap<String, Vec<(String, Kind)>>> {
        let mut out = BTreeMap::new();
        match &self.inner {
            Inner::Sqlite { read, .. } => {
                let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetch_all(read).await?;
                for t in tables.into_iter().filter(|t| !skipped(t)) {
                    let cols: Vec<(String, String)> = sqlx::query_as(&format!("SELECT name, type FROM pragma_table_info('{t}') ORDER BY cid")).fetch_all(read).await?;
                    out.insert(t, cols.into_iter().map(|(n, d)| (n, kind(&d))).collect());
                }
            }
            Inner::Postgres(pg) => {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT c.table_name::text, c.column_name::text, c.data_type::text FROM information_schema.columns c
                     JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
                     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position",
                )
                .fetch_all(pg)
                .await?;
                for (t, c, d) in rows.into_iter().filter(|(t, _, _)| !skipped(t)) {
                    if d == "tsvector" {
                        continue;
                    }
                    out.entry(t).or_insert_with(Vec::new).push((c, kind(&d)));
                }
            }
        }
        Ok(out)
    }

    /// Foreign-key parents of each table.
    async fn parents(&self, tables: &BTreeSet<String>) -> Result<BTreeMap<String, BTreeSet<String>>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = tables.iter().map(|t| (t.clone(), BTreeSet::new())).collect();
        match &self.inner {
            Inner::Sqlite { read, .. } => {
                for t in tables {
                    let ps: Vec<String> = sqlx::query_scalar(&format!("SELECT \"table\" FROM pragma_foreign_key_list('{t}')")).fetch_all(read).await?;
                    out.entry(t.clone()).or_default().extend(ps.into_iter().filter(|p| p != t));
                }
            }
            Inner::Postgres(pg) => {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT tc.table_name::text, ccu.table_name::text FROM information_schema.table_constraints tc
                     JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
                     WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()",
                )
                .fetch_all(pg)
                .await?;
                for (child, parent) in rows {
                    if child != parent && tables.contains(&child) {
                        out.entry(child).or_default().insert(parent);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn read_table(&self, table: &str, cols: &[(String, Kind)]) -> Result<Vec<Vec<Value>>> {
        let list = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {list} FROM \"{table}\"");
        macro_rules! decode {
            ($rows:expr) => {{
                let mut out = Vec::with_capacity($rows.len());
                for r in $rows {
                    let mut v = Vec::with_capacity(cols.len());
                    for (i, (_, k)) in cols.iter().enumerate() {
                        v.push(match k {
                            Kind::Int => r.try_get::<Option<i64>, _>(i)?.map_or(Value::Null(*k), Value::Int),
                            Kind::Bool => r.try_get::<Option<bool>, _>(i)?.map_or(Value::Null(*k), Value::Bool),
                            Kind::Time => r.try_get::<Option<DateTime<Utc>>, _>(i)?.map_or(Value::Null(*k), Value::Time),
                            Kind::Bytes => r.try_get::<Option<Vec<u8>>, _>(i)?.map_or(Value::Null(*k), Value::Bytes),
                            Kind::Text => r.try_get::<Option<String>, _>(i)?.map_or(Value::Null(*k), Value::Text),
                        });
                    }
                    out.push(v);
                }
                out
            }};
        }
        Ok(match &self.inner {
            Inner::Sqlite { read, .. } => {
                let rows = sqlx::query(&sql).fetch_all(read).await?;
                decode!(rows)
            }
            Inner::Postgres(pg) => {
                let rows = sqlx::query(&sql).fetch_all(pg).await?;
                decode!(rows)
            }
        })
    }

    async fn write_rows(&self, table: &str, cols: &[String], rows: &[Vec<Value>]) -> Result<()> {
        let list = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        // Stay under both backends' bound-parameter limits.
        let per = (30_000 / cols.len().max(1)).clamp(1, 500);
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in rows.chunks(per) {
                let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * cols.len(), cols.len()))).collect();
                let sql = format!("INSERT INTO \"{table}\" ({list}) VALUES {}", values.join(", "));
                let mut q = sqlx::query(&sql);
                for row in chunk {
                    for v in row {
                        q = match v {
                            Value::Null(Kind::Int) => q.bind(Option::<i64>::None),
                            Value::Null(Kind::Bool) => q.bind(Option::<bool>::None),
                            Value::Null(Kind::Time) => q.bind(Option::<DateTime<Utc>>::None),
                            Value::Null(Kind::Bytes) => q.bind(Option::<Vec<u8>>::None),
                            Value::Null(Kind::Text) => q.bind(Option::<String>::None),
                            Value::Int(x) => q.bind(*x),
                            Value::Bool(x) => q.bind(*x),
                            Value::Time(x) => q.bind(*x),
                            Value::Bytes(x) => q.bind(x.clone()),
                            Value::Text(x) => q.bind(x.clone()),
                        };
                    }
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn count(&self, table: &str) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
        let n: i64 = on_read!(self, pool => sqlx::query_scalar(&sql).fetch_one(pool).await?);
        Ok(n)
    }

    /// Copies the whole publication into `to`, which must be migrated to
    /// the same version and hold no articles, readers or staff. Returns the
    /// row count of each table, checked equal on both sides.
    pub async fn copy_to(&self, to: &Db) -> Result<Vec<(String, i64)>> {
        if self.applied_version().await? != to.applied_version().await? {
            return Err(DbError::Conflict("both databases must be migrated to the same version first".into()));
        }
        for t in ["articles", "readers", "staff"] {
            if to.count(t).await? > 0 {
                return Err(DbError::Conflict(format!("the destination already has {t}; copy into an empty publication")));
            }
        }
        let from_tables = self.describe().await?;
        let to_tables = to.describe().await?;
        let names: BTreeSet<String> = from_tables.keys().filter(|t| to_tables.contains_key(*t)).cloned().collect();
        // Empty what migrations may have seeded, children first, then fill
        // parents first.
        let parents = self.parents(&names).await?;
        let mut order: Vec<String> = Vec::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        while order.len() < names.len() {
            let before = order.len();
            for t in &names {
                if !done.contains(t) && parents.get(t).is_none_or(|ps| ps.iter().all(|p| done.contains(p) || !names.contains(p))) {
                    order.push(t.clone());
                    done.insert(t.clone());
                }
            }
            if order.len() == before {
                return Err(DbError::Conflict("the tables' foreign keys form a cycle; cannot order the copy".into()));
            }
        }
        for t in order.iter().rev() {
            let sql = format!("DELETE FROM \"{t}\"");
            on_write!(to, pool => sqlx::query(&sql).execute(pool).await?.rows_affected());
        }
        let mut counts = Vec::new();
        for t in &order {
            let dest_cols: BTreeSet<&str> = to_tables[t].iter().map(|(c, _)| c.as_str()).collect();
            let cols: Vec<(String, Kind)> = from_tables[t].iter().filter(|(c, _)| dest_cols.contains(c.as_str())).cloned().collect();
            let rows = self.read_table(t, &cols).await?;
            let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            to.write_rows(t, &names, &rows).await?;
            let (a, b) = (self.count(t).await?, to.count(t).await?);
            if a != b {
                return Err(DbError::Conflict(format!("{t}: {a} rows here but {b} there after the copy")));
            }
            counts.push((t.clone(), a));
        }
        // New rows on PostgreSQL must not collide with copied ids.
        if to.backend() == Backend::Postgres {
            for t in &order {
                if to_tables[t].iter().any(|(c, k)| c == "id" && *k == Kind::Int) {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM \"{t}\"), 0) + 1, false)
                         WHERE pg_get_serial_sequence('{t}', 'id') IS NOT NULL"
                    );
                    on_write!(to, pool => sqlx::query(&sql).execute(pool).await?.rows_affected());
                }
            }
        }
        Ok(counts)
    }
}
