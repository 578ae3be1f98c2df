//! Outgoing webhooks: endpoints the publisher registered, and each
//! delivery of an event to one of them (kept, with its attempts, for the
//! desk to show). Deliveries are sent by jobs.

use chrono::{DateTime, Utc};

use crate::{Db, DbError, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// The signing secret. It must be readable to sign with, so unlike
    /// tokens it is not hashed; it is shown once and never logged.
    pub secret: String,
    /// Space-separated event names, or "*".
    pub events: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl Webhook {
    pub fn wants(&self, event: &str) -> bool {
        self.active && self.events.split_whitespace().any(|e| e == "*" || e == event)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Db {
    pub async fn create_webhook(&self, url: &str, secret: &str, events: &str, now: DateTime<Utc>) -> Result<Webhook> {
        let w = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO webhooks (url, secret, events, active, created_at) VALUES ($1, $2, $3, TRUE, $4) RETURNING *",
        ).bind(url).bind(secret).bind(events).bind(now).fetch_one(pool).await?);
        Ok(w)
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let w = on_read!(self, pool => sqlx::query_as("SELECT * FROM webhooks ORDER BY id").fetch_all(pool).await?);
        Ok(w)
    }

    pub async fn webhook(&self, id: i64) -> Result<Webhook> {
        let w: Option<Webhook> = on_read!(self, pool => sqlx::query_as("SELECT * FROM webhooks WHERE id = $1").bind(id).fetch_optional(pool).await?);
        w.ok_or(DbError::NotFound)
    }

    pub async fn delete_webhook(&self, id: i64) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Records a delivery to send and queues the job that sends it, in one
    /// transaction. Returns the delivery's id.
    pub async fn enqueue_delivery(&self, webhook_id: i64, event_id: &str, event: &str, payload: &str, job_kind: &str, now: DateTime<Utc>) -> Result<i64> {
        let id = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, status, attempts, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5) RETURNING id",
            ).bind(webhook_id).bind(event_id).bind(event).bind(payload).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at) VALUES ($1, $2, 'queued', 0, 8, $3, $3)")
                .bind(job_kind).bind(serde_json::json!({ "delivery": id }).to_string()).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn delivery(&self, id: i64) -> Result<Delivery> {
        let d: Option<Delivery> = on_read!(self, pool => sqlx::query_as("SELECT * FROM webhook_deliveries WHERE id = $1").bind(id).fetch_optional(pool).await?);
        d.ok_or(DbError::NotFound)
    }

    /// Records one attempt's outcome.
    pub async fn record_delivery_attempt(&self, id: i64, delivered: bool, response_status: Option<i64>, error: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        let status = if delivered { "delivered" } else { "failing" };
        on_write!(self, pool => sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_status = $3, last_error = $4,
                 delivered_at = CASE WHEN $5 THEN $6 ELSE delivered_at END WHERE id = $1",
        ).bind(id).bind(status).bind(response_status).bind(error).bind(delivered).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// The newest deliveries of a webhook.
    pub async fn deliveries(&self, webhook_id: i64, limit: i64) -> Result<Vec<Delivery>> {
        let d = on_read!(self, pool => sqlx::query_as("SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(webhook_id).bind(limit).fetch_all(pool).await?);
        Ok(d)
    }

    /// Makes queued jobs of a kind due now (the desk's "retry now").
    pub async fn retry_jobs_now(&self, kind: &str, now: DateTime<Utc>) -> Result<u64> {
        let n = on_write!(self, pool => sqlx::query("UPDATE jobs SET run_at = $2 WHERE kind = $1 AND status = 'queued'")
            .bind(kind).bind(now).execute(pool).await?.rows_affected());
        Ok(n)
    }
}
