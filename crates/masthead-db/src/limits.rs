//! Rate-limit counters shared by every node: one row per key with a fixed
//! window. Counting is one upsert, atomic on both backends, so two nodes
//! counting the same key at the same moment both see the sum.

use chrono::{DateTime, Utc};

use crate::{Db, Result};

impl Db {
    /// Counts one attempt for `key` and returns the attempts in its current
    /// window, this one included. A window older than `window` starts over.
    pub async fn count_attempt(&self, key: &str, window: chrono::Duration, now: DateTime<Utc>) -> Result<i64> {
        let expired = now - window;
        let hits: i64 = on_write!(self, pool => sqlx::query_scalar(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END,
                 window_start = CASE WHEN rate_limits.window_start <= $3 THEN excluded.window_start ELSE rate_limits.window_start END
             RETURNING hits",
        ).bind(key).bind(now).bind(expired).fetch_one(pool).await?);
        Ok(hits)
    }

    /// Forgets windows that started before `before` (the scheduler's tidying).
    pub async fn prune_rate_limits(&self, before: DateTime<Utc>) -> Result<u64> {
        let n = on_write!(self, pool => sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(pool).await?.rows_affected());
        Ok(n)
    }
}
