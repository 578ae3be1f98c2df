//! Daily counters for the numbers: first-party events (meter views, offers
//! shown, checkouts started, trials started and converted, article reads)
//! summed per day, written in batches by the web side. A counter may be
//! split by item (an article id, a plan), or not (item '').

use chrono::{DateTime, NaiveDate, Utc};

use crate::{Db, Result};

/// One batched increment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    pub day: NaiveDate,
    pub name: String,
    pub item: String,
}

/// A subscription as the numbers need it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionHistoryRow {
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub trial_end: Option<DateTime<Utc>>,
    pub price_minor: i64,
    pub interval: String,
    pub currency: String,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Db {
    /// Adds the batch in one transaction.
    pub async fn add_counters(&self, batch: &[(CounterKey, i64)]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            for (k, v) in batch {
                sqlx::query(
                    "INSERT INTO daily_counters (day, name, item, value) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (day, name, item) DO UPDATE SET value = daily_counters.value + excluded.value",
                ).bind(day(k.day)).bind(&k.name).bind(&k.item).bind(*v).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A counter per day from `from` to `to` inclusive, items summed; days
    /// without events are absent.
    pub async fn counter_series(&self, name: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<(NaiveDate, i64)>> {
        let rows: Vec<(String, i64)> = on_read!(self, pool => sqlx::query_as(
            "SELECT day, CAST(SUM(value) AS BIGINT) FROM daily_counters WHERE name = $1 AND day >= $2 AND day <= $3 GROUP BY day ORDER BY day",
        ).bind(name).bind(day(from)).bind(day(to)).fetch_all(pool).await?);
        Ok(rows.into_iter().filter_map(|(d, v)| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok().map(|d| (d, v))).collect())
    }

    /// A counter's total over the days.
    pub async fn counter_total(&self, name: &str, from: NaiveDate, to: NaiveDate) -> Result<i64> {
        let v: Option<i64> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT CAST(SUM(value) AS BIGINT) FROM daily_counters WHERE name = $1 AND day >= $2 AND day <= $3",
        ).bind(name).bind(day(from)).bind(day(to)).fetch_one(pool).await?);
        Ok(v.unwrap_or(0))
    }

    /// The items with the highest totals over the days.
    pub async fn counter_top(&self, name: &str, from: NaiveDate, to: NaiveDate, limit: i64) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = on_read!(self, pool => sqlx::query_as(
            "SELECT item, CAST(SUM(value) AS BIGINT) AS total FROM daily_counters WHERE name = $1 AND day >= $2 AND day <= $3
             GROUP BY item ORDER BY total DESC, item LIMIT $4",
        ).bind(name).bind(day(from)).bind(day(to)).bind(limit).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Every subscription with its plan's price, for subscribers, revenue
    /// and churn over time.
    pub async fn subscription_history(&self) -> Result<Vec<SubscriptionHistoryRow>> {
        let rows = on_read!(self, pool => sqlx::query_as(
            "SELECT s.status, s.created_at, s.updated_at, s.trial_end, p.price_minor, p.interval, p.currency
             FROM subscriptions s JOIN plans p ON p.id = s.plan_id ORDER BY s.created_at",
        ).fetch_all(pool).await?);
        Ok(rows)
    }
}
