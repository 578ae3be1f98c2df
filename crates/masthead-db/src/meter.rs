//! The meter: which metered articles each reader (or browser, or network)
//! has read in the current window. Keys are `r:READER`, `a:ANON-ID` or
//! `n:NETWORK-HASH`; a read is one row per key and article, refreshed when
//! it is read again in a later window.

use chrono::{DateTime, Utc};
use masthead_core::MeterCount;

use crate::{placeholders, Db, Result};

impl Db {
    /// How many distinct articles `key` read since `window_start`, and
    /// whether `article_id` is one of them.
    pub async fn meter_count(&self, key: &str, article_id: i64, window_start: DateTime<Utc>) -> Result<MeterCount> {
        let (used, this): (i64, i64) = on_read!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN article_id = $3 THEN 1 ELSE 0 END), 0)
             FROM meter_reads WHERE meter_key = $1 AND read_at >= $2",
        ).bind(key).bind(window_start).bind(article_id).fetch_one(pool).await?);
        Ok(MeterCount { used: u32::try_from(used).unwrap_or(u32::MAX), already_read: this > 0 })
    }

    /// The article ids `key` read since `window_start`.
    pub async fn meter_reads(&self, key: &str, window_start: DateTime<Utc>) -> Result<Vec<i64>> {
        let ids: Vec<i64> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT article_id FROM meter_reads WHERE meter_key = $1 AND read_at >= $2 ORDER BY read_at",
        ).bind(key).bind(window_start).fetch_all(pool).await?);
        Ok(ids)
    }

    /// The articles read under `key` since `window_start`, with when.
    pub async fn meter_read_times(&self, key: &str, window_start: DateTime<Utc>) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let rows: Vec<(i64, DateTime<Utc>)> = on_read!(self, pool => sqlx::query_as(
            "SELECT article_id, read_at FROM meter_reads WHERE meter_key = $1 AND read_at >= $2 ORDER BY read_at",
        ).bind(key).bind(window_start).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Records reads in one transaction. A read of an article already
    /// counted in this window changes nothing; one counted in an earlier
    /// window counts again from now.
    pub async fn record_meter_reads(&self, reads: &[(String, i64, DateTime<Utc>)], window_start: DateTime<Utc>) -> Result<()> {
        // One row per key and article per statement (PostgreSQL refuses to
        // touch a row twice in one upsert); the latest read wins.
        let mut latest: std::collections::HashMap<(&str, i64), DateTime<Utc>> = std::collections::HashMap::new();
        for (key, article, at) in reads {
            let e = latest.entry((key.as_str(), *article)).or_insert(*at);
            if *at > *e {
                *e = *at;
            }
        }
        let reads: Vec<(&str, i64, DateTime<Utc>)> = latest.into_iter().map(|((k, a), t)| (k, a, t)).collect();
        if reads.is_empty() {
            return Ok(());
        }
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in reads.chunks(200) {
                let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 3, 3))).collect();
                let sql = format!(
                    "INSERT INTO meter_reads (meter_key, article_id, read_at) VALUES {}
                     ON CONFLICT (meter_key, article_id) DO UPDATE SET read_at = excluded.read_at
                     WHERE meter_reads.read_at < ${}",
                    values.join(", "),
                    chunk.len() * 3 + 1
                );
                let mut q = sqlx::query(&sql);
                for (key, article, at) in chunk {
                    q = q.bind(key).bind(article).bind(at);
                }
                q.bind(window_start).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Moves an anonymous browser's reads onto an account, so the count
    /// follows the reader after sign-in. Reads the account already has win.
    pub async fn merge_meter(&self, from: &str, into: &str) -> Result<()> {
        if from == into {
            return Ok(());
        }
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO meter_reads (meter_key, article_id, read_at)
                 SELECT $2, article_id, read_at FROM meter_reads WHERE meter_key = $1
                 ON CONFLICT (meter_key, article_id) DO UPDATE SET read_at = excluded.read_at
                 WHERE meter_reads.read_at < excluded.read_at",
            ).bind(from).bind(into).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM meter_reads WHERE meter_key = $1").bind(from).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
