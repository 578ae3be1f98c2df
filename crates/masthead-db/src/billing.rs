//! What Masthead keeps about payments: which provider customer a reader is,
//! the checkout sessions it started, every provider event received (stored
//! once by id, so a duplicate delivery changes nothing), and gifts.

use chrono::{DateTime, Utc};

use crate::{Db, DbError, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckoutRow {
    pub id: String,
    pub provider: String,
    pub kind: String,
    pub reader_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub gift_months: Option<i64>,
    pub purchaser_email: Option<String>,
    pub recipient_email: Option<String>,
    pub status: String,
    pub next_path: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BillingEvent {
    pub id: String,
    pub provider: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub payload: String,
    pub created: i64,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GiftRow {
    pub id: i64,
    pub code_hash: String,
    pub months: i64,
    pub purchaser_email: String,
    pub recipient_email: String,
    pub checkout_session_id: String,
    pub created_at: DateTime<Utc>,
    pub redeemed_by: Option<i64>,
    pub redeemed_at: Option<DateTime<Utc>>,
}

impl Db {
    pub async fn billing_customer(&self, reader_id: i64) -> Result<Option<String>> {
        let c = on_read!(self, pool => sqlx::query_scalar("SELECT customer_id FROM billing_customers WHERE reader_id = $1").bind(reader_id).fetch_optional(pool).await?);
        Ok(c)
    }

    pub async fn reader_for_customer(&self, customer_id: &str) -> Result<Option<i64>> {
        let c = on_read!(self, pool => sqlx::query_scalar("SELECT reader_id FROM billing_customers WHERE customer_id = $1").bind(customer_id).fetch_optional(pool).await?);
        Ok(c)
    }

    pub async fn set_billing_customer(&self, reader_id: i64, provider: &str, customer_id: &str, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO billing_customers (reader_id, provider, customer_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (reader_id) DO UPDATE SET provider = excluded.provider, customer_id = excluded.customer_id",
        ).bind(reader_id).bind(provider).bind(customer_id).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn create_checkout(&self, c: &CheckoutRow) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO checkout_sessions (id, provider, kind, reader_id, plan_id, gift_months, purchaser_email, recipient_email, status, next_path, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        ).bind(&c.id).bind(&c.provider).bind(&c.kind).bind(c.reader_id).bind(c.plan_id).bind(c.gift_months)
         .bind(&c.purchaser_email).bind(&c.recipient_email).bind(&c.status).bind(&c.next_path).bind(c.created_at)
         .execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn checkout(&self, id: &str) -> Result<Option<CheckoutRow>> {
        let c = on_read!(self, pool => sqlx::query_as("SELECT * FROM checkout_sessions WHERE id = $1").bind(id).fetch_optional(pool).await?);
        Ok(c)
    }

    /// Marks a checkout complete once; returns false if it already was.
    pub async fn complete_checkout(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query("UPDATE checkout_sessions SET status = 'complete', completed_at = $2 WHERE id = $1 AND status <> 'complete'")
            .bind(id).bind(now).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// Stores a provider event once. Returns false for a duplicate delivery.
    /// The job that processes it is enqueued in the same transaction.
    pub async fn store_billing_event(&self, provider: &str, id: &str, kind: &str, payload: &str, created: i64, now: DateTime<Utc>) -> Result<bool> {
        let stored = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "INSERT INTO billing_events (id, provider, type, payload, created, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            ).bind(id).bind(provider).bind(kind).bind(payload).bind(created).bind(now).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let job = serde_json::json!({ "event": id }).to_string();
                sqlx::query("INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at) VALUES ('billing.event', $1, 'queued', 0, 8, $2, $2)")
                    .bind(job).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n > 0
        });
        Ok(stored)
    }

    pub async fn billing_event(&self, id: &str) -> Result<Option<BillingEvent>> {
        let e = on_read!(self, pool => sqlx::query_as("SELECT * FROM billing_events WHERE id = $1").bind(id).fetch_optional(pool).await?);
        Ok(e)
    }

    pub async fn mark_billing_event(&self, id: &str, error: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE billing_events SET processed_at = $2, error = $3 WHERE id = $1")
            .bind(id).bind(now).bind(error).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// The newest event time seen from a provider, for replaying what was missed.
    pub async fn latest_billing_event(&self, provider: &str) -> Result<Option<i64>> {
        let t: Option<i64> = on_read!(self, pool => sqlx::query_scalar("SELECT MAX(created) FROM billing_events WHERE provider = $1").bind(provider).fetch_one(pool).await?);
        Ok(t)
    }

    /// All subscriptions held with a provider, for reconciliation.
    pub async fn subscriptions_with(&self, provider: &str) -> Result<Vec<crate::plans::SubscriptionRow>> {
        let rows = on_read!(self, pool => sqlx::query_as("SELECT * FROM subscriptions WHERE provider = $1 ORDER BY id").bind(provider).fetch_all(pool).await?);
        Ok(rows)
    }

    pub async fn subscription_by_provider_id(&self, id: &str) -> Result<Option<crate::plans::SubscriptionRow>> {
        let r = on_read!(self, pool => sqlx::query_as("SELECT * FROM subscriptions WHERE provider_subscription_id = $1").bind(id).fetch_optional(pool).await?);
        Ok(r)
    }

    pub async fn plan_by_provider_price(&self, price_id: &str) -> Result<Option<masthead_core::billing::Plan>> {
        let id: Option<i64> = on_read!(self, pool => sqlx::query_scalar("SELECT id FROM plans WHERE provider_price_id = $1").bind(price_id).fetch_optional(pool).await?);
        match id {
            Some(id) => self.plan_by_id(id).await,
            None => Ok(None),
        }
    }

    pub async fn create_gift(&self, code_hash: &str, months: i64, purchaser: &str, recipient: &str, session: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query(
            "INSERT INTO gifts (code_hash, months, purchaser_email, recipient_email, checkout_session_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (checkout_session_id) DO NOTHING",
        ).bind(code_hash).bind(months).bind(purchaser).bind(recipient).bind(session).bind(now).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// Redeems a gift code once, granting complimentary access for its
    /// months in the same transaction.
    pub async fn redeem_gift(&self, code_hash: &str, reader_id: i64, benefits: &str, now: DateTime<Utc>) -> Result<GiftRow> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let gift: Option<GiftRow> = sqlx::query_as(
                "UPDATE gifts SET redeemed_by = $2, redeemed_at = $3 WHERE code_hash = $1 AND redeemed_at IS NULL RETURNING *",
            ).bind(code_hash).bind(reader_id).bind(now).fetch_optional(&mut *tx).await?;
            let Some(gift) = gift else {
                return Err(DbError::Conflict("that gift code is not valid, or was already used".into()));
            };
            // Gift time starts after any complimentary access already held.
            let from: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT MAX(ends_at) FROM complimentary_access WHERE reader_id = $1 AND ends_at > $2")
                .bind(reader_id).bind(now).fetch_one(&mut *tx).await?;
            let start = from.unwrap_or(now);
            let end = start + chrono::Duration::days(30 * gift.months);
            sqlx::query("INSERT INTO complimentary_access (reader_id, benefits, starts_at, ends_at, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(reader_id).bind(benefits).bind(start).bind(end).bind(format!("gift {}", gift.id)).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(gift)
        })
    }
}
