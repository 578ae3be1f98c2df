//! Plans the publisher sells, subscriptions readers hold, complimentary
//! access staff grant, and gift links subscribers send. Turning these into
//! benefits happens in the core (`subscription_entitlements`), not here.

use chrono::{DateTime, Utc};
use masthead_core::billing::{Interval, Plan, SubscriptionFacts, SubscriptionStatus};
use masthead_core::{Benefit, Entitlements};

use crate::{Db, DbError, Result};

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    slug: String,
    name: String,
    price_minor: i64,
    currency: String,
    interval: String,
    trial_days: i64,
    badge: String,
    benefits: String,
    active: bool,
    provider_price_id: String,
}

pub fn benefits_to_text(b: &[Benefit]) -> String {
    b.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")
}

pub fn benefits_from_text(s: &str) -> Result<Vec<Benefit>> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| Benefit::parse(x).ok_or_else(|| DbError::corrupt("benefits", x)))
        .collect()
}

impl TryFrom<PlanRow> for Plan {
    type Error = DbError;
    fn try_from(r: PlanRow) -> Result<Plan> {
        Ok(Plan {
            interval: Interval::parse(&r.interval).ok_or_else(|| DbError::corrupt("plans.interval", &r.interval))?,
            benefits: benefits_from_text(&r.benefits)?,
            id: r.id,
            slug: r.slug,
            name: r.name,
            price_minor: r.price_minor,
            currency: r.currency,
            trial_days: u32::try_from(r.trial_days).unwrap_or(0),
            badge: r.badge,
            active: r.active,
            provider_price_id: r.provider_price_id,
        })
    }
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: i64,
    pub reader_id: i64,
    pub plan_id: i64,
    pub provider: String,
    pub provider_customer_id: String,
    pub provider_subscription_id: String,
    pub status: String,
    pub current_period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub past_due_since: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the "your grace period ends soon" reminder went out.
    pub grace_reminded_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a provider reports for a subscription.
#[derive(Debug, Clone)]
pub struct SubscriptionUpsert<'a> {
    pub reader_id: i64,
    pub plan_id: i64,
    pub provider: &'a str,
    pub provider_customer_id: &'a str,
    pub provider_subscription_id: &'a str,
    pub status: SubscriptionStatus,
    pub current_period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<DateTime<Utc>>,
}

impl Db {
    /// Creates a plan or updates the one with this slug.
    pub async fn upsert_plan(&self, p: &Plan, position: i64, now: DateTime<Utc>) -> Result<Plan> {
        let row: PlanRow = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO plans (slug, name, price_minor, currency, interval, trial_days, badge, benefits, active, provider_price_id, position, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name, price_minor = excluded.price_minor, currency = excluded.currency,
               interval = excluded.interval, trial_days = excluded.trial_days, badge = excluded.badge, benefits = excluded.benefits,
               active = excluded.active, provider_price_id = excluded.provider_price_id, position = excluded.position
             RETURNING id, slug, name, price_minor, currency, interval, trial_days, badge, benefits, active, provider_price_id",
        )
        .bind(&p.slug).bind(&p.name).bind(p.price_minor).bind(&p.currency).bind(p.interval.as_str()).bind(i64::from(p.trial_days))
        .bind(&p.badge).bind(benefits_to_text(&p.benefits)).bind(p.active).bind(&p.provider_price_id).bind(position).bind(now)
        .fetch_one(pool).await?);
        row.try_into()
    }

    /// Plans on offer, in the publisher's order.
    pub async fn active_plans(&self) -> Result<Vec<Plan>> {
        let rows: Vec<PlanRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT id, slug, name, price_minor, currency, interval, trial_days, badge, benefits, active, provider_price_id
             FROM plans WHERE active ORDER BY position, id",
        ).fetch_all(pool).await?);
        rows.into_iter().map(Plan::try_from).collect()
    }

    pub async fn plan_by_slug(&self, slug: &str) -> Result<Option<Plan>> {
        let row: Option<PlanRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT id, slug, name, price_minor, currency, interval, trial_days, badge, benefits, active, provider_price_id FROM plans WHERE slug = $1",
        ).bind(slug).fetch_optional(pool).await?);
        row.map(Plan::try_from).transpose()
    }

    pub async fn plan_by_id(&self, id: i64) -> Result<Option<Plan>> {
        let row: Option<PlanRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT id, slug, name, price_minor, currency, interval, trial_days, badge, benefits, active, provider_price_id FROM plans WHERE id = $1",
        ).bind(id).fetch_optional(pool).await?);
        row.map(Plan::try_from).transpose()
    }

    /// Records the provider's view of a subscription (insert or replace).
    /// Entering past_due remembers when, for the grace period.
    pub async fn upsert_subscription(&self, s: &SubscriptionUpsert<'_>, now: DateTime<Utc>) -> Result<SubscriptionRow> {
        let row: SubscriptionRow = on_write!(self, pool => sqlx::query_as(
            "INSERT INTO subscriptions (reader_id, plan_id, provider, provider_customer_id, provider_subscription_id, status,
                current_period_end, cancel_at_period_end, past_due_since, trial_end, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $6 = 'past_due' THEN $10 ELSE NULL END, $9, $10, $10)
             ON CONFLICT (provider_subscription_id) DO UPDATE SET reader_id = excluded.reader_id, plan_id = excluded.plan_id,
               provider_customer_id = excluded.provider_customer_id, status = excluded.status,
               current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
               past_due_since = CASE WHEN excluded.status = 'past_due' THEN COALESCE(subscriptions.past_due_since, excluded.past_due_since) ELSE NULL END,
               grace_reminded_at = CASE WHEN excluded.status = 'past_due' THEN subscriptions.grace_reminded_at ELSE NULL END,
               trial_end = excluded.trial_end, updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(s.reader_id).bind(s.plan_id).bind(s.provider).bind(s.provider_customer_id).bind(s.provider_subscription_id)
        .bind(s.status.as_str()).bind(s.current_period_end).bind(s.cancel_at_period_end).bind(s.trial_end).bind(now)
        .fetch_one(pool).await?);
        Ok(row)
    }

    /// Past-due subscriptions that went past due at or before `since` and
    /// have not been reminded yet in this spell (the grace reminder).
    pub async fn past_due_unreminded(&self, since: DateTime<Utc>) -> Result<Vec<SubscriptionRow>> {
        let rows = on_read!(self, pool => sqlx::query_as(
            "SELECT * FROM subscriptions WHERE status = 'past_due' AND grace_reminded_at IS NULL AND past_due_since <= $1 ORDER BY id",
        ).bind(since).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Marks the grace reminder as sent; false when another node (or an
    /// earlier tick) already did, or the subscription left past_due.
    pub async fn mark_grace_reminded(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query(
            "UPDATE subscriptions SET grace_reminded_at = $1 WHERE id = $2 AND status = 'past_due' AND grace_reminded_at IS NULL",
        ).bind(now).bind(id).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn subscriptions_of(&self, reader_id: i64) -> Result<Vec<SubscriptionRow>> {
        let rows = on_read!(self, pool => sqlx::query_as("SELECT * FROM subscriptions WHERE reader_id = $1 ORDER BY created_at DESC, id DESC")
            .bind(reader_id).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Facts about each of a reader's subscriptions, for the entitlement rule.
    pub async fn subscription_facts(&self, reader_id: i64) -> Result<Vec<SubscriptionFacts>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            status: String,
            current_period_end: DateTime<Utc>,
            past_due_since: Option<DateTime<Utc>>,
            benefits: String,
        }
        let rows: Vec<Row> = on_read!(self, pool => sqlx::query_as(
            "SELECT s.status, s.current_period_end, s.past_due_since, p.benefits FROM subscriptions s JOIN plans p ON p.id = s.plan_id
             WHERE s.reader_id = $1",
        ).bind(reader_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok(SubscriptionFacts {
                    status: SubscriptionStatus::parse(&r.status).ok_or_else(|| DbError::corrupt("subscriptions.status", &r.status))?,
                    current_period_end: r.current_period_end,
                    past_due_since: r.past_due_since,
                    benefits: benefits_from_text(&r.benefits)?,
                })
            })
            .collect()
    }

    /// Complimentary access a reader holds now.
    pub async fn complimentary_entitlements(&self, reader_id: i64, now: DateTime<Utc>) -> Result<Entitlements> {
        let rows: Vec<String> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT benefits FROM complimentary_access WHERE reader_id = $1 AND starts_at <= $2 AND ends_at > $2",
        ).bind(reader_id).bind(now).fetch_all(pool).await?);
        let mut e = Entitlements::none();
        for r in rows {
            e.merge(&Entitlements::of(&benefits_from_text(&r)?));
        }
        Ok(e)
    }

    pub async fn grant_complimentary(
        &self,
        reader_id: i64,
        benefits: &[Benefit],
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let id: i64 = on_write!(self, pool => sqlx::query_scalar(
            "INSERT INTO complimentary_access (reader_id, benefits, starts_at, ends_at, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        ).bind(reader_id).bind(benefits_to_text(benefits)).bind(starts_at).bind(ends_at).bind(note).bind(now).fetch_one(pool).await?);
        Ok(id)
    }

    /// Records a gift link a subscriber made.
    pub async fn create_gift_link(&self, reader_id: i64, article_id: i64, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<i64> {
        let id: i64 = on_write!(self, pool => sqlx::query_scalar(
            "INSERT INTO gift_links (reader_id, article_id, created_at, expires_at, revoked) VALUES ($1, $2, $3, $4, FALSE) RETURNING id",
        ).bind(reader_id).bind(article_id).bind(now).bind(expires_at).fetch_one(pool).await?);
        Ok(id)
    }

    /// Gift links a reader made since a time, for the monthly allowance.
    pub async fn gift_links_since(&self, reader_id: i64, since: DateTime<Utc>) -> Result<i64> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM gift_links WHERE reader_id = $1 AND created_at >= $2")
            .bind(reader_id).bind(since).fetch_one(pool).await?);
        Ok(n)
    }

    /// True if gift `id` opens `article_id` now.
    pub async fn gift_link_valid(&self, id: i64, article_id: i64, now: DateTime<Utc>) -> Result<bool> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM gift_links WHERE id = $1 AND article_id = $2 AND expires_at > $3 AND NOT revoked",
        ).bind(id).bind(article_id).bind(now).fetch_one(pool).await?);
        Ok(n > 0)
    }
}
