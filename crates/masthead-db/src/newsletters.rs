//! Newsletters in storage: the lists, who is on them (pending until they
//! confirm), editions, and one delivery row per recipient per edition.
//! The delivery rows are the send queue: a row is `queued`, claimed as
//! `sending` under a lease, and only marked `sent` after the SMTP server
//! accepted the message. A worker that dies leaves its rows `sending`; when
//! the lease runs out they are claimed again. So nothing is lost, and only
//! rows in flight at the crash can go out twice.

use chrono::{DateTime, Duration, Utc};
use masthead_core::newsletter::{Audience, Cadence, Newsletter, NewsletterDraft};

use crate::{placeholders, Backend, Db, DbError, Result};

#[derive(sqlx::FromRow)]
struct NewsletterRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    cadence_json: String,
    time_zone: String,
    from_name: String,
    from_email: String,
    reply_to: String,
    audience: String,
    topics: String,
    regions: String,
    template: String,
    box_after_paragraph: i64,
    position: i64,
    active: bool,
}

const NEWSLETTER_COLS: &str = "id, slug, name, description, cadence_json, time_zone, from_name, from_email, reply_to, audience, topics, regions, template, box_after_paragraph, position, active";

fn split(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

fn split_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

impl TryFrom<NewsletterRow> for Newsletter {
    type Error = DbError;
    fn try_from(r: NewsletterRow) -> Result<Self> {
        Ok(Newsletter {
            cadence: serde_json::from_str::<Cadence>(&r.cadence_json).map_err(|e| DbError::corrupt("newsletters.cadence_json", e))?,
            audience: Audience::parse(&r.audience).ok_or_else(|| DbError::corrupt("newsletters.audience", &r.audience))?,
            topics: split(&r.topics),
            regions: split(&r.regions),
            box_after_paragraph: u32::try_from(r.box_after_paragraph).unwrap_or(2),
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            time_zone: r.time_zone,
            from_name: r.from_name,
            from_email: r.from_email,
            reply_to: r.reply_to,
            template: r.template,
            position: r.position,
            active: r.active,
        })
    }
}

/// Where a sign-up came from, for the desk's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Site,
    Article,
    Account,
    Api,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Site => "site",
            Source::Article => "article",
            Source::Account => "account",
            Source::Api => "api",
            Source::Import => "import",
        }
    }
}

/// One address on one newsletter.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Signup {
    pub id: i64,
    pub newsletter_id: i64,
    pub email: String,
    pub reader_id: Option<i64>,
    /// pending, confirmed or unsubscribed
    pub status: String,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// A newsletter's audience in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct ListTotals {
    pub newsletter_id: i64,
    pub subscribers: i64,
    pub pending: i64,
    /// Confirmed since the start of the period.
    pub joined: i64,
    /// Unsubscribed since the start of the period.
    pub left: i64,
}

/// An issue of a newsletter, from the editor's draft to the last delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edition {
    pub id: i64,
    pub newsletter_id: i64,
    /// draft, composing, sending, sent or empty
    pub status: String,
    /// The scheduled instant it was composed for; None when sent by hand.
    pub slot: Option<DateTime<Utc>>,
    pub subject: String,
    pub intro: String,
    /// Articles an editor added, and removed from the automatic choice.
    pub added: Vec<i64>,
    pub removed: Vec<i64>,
    /// The articles it carries, in order, fixed when it was composed.
    pub articles: Vec<i64>,
    pub since: Option<DateTime<Utc>>,
    pub recipients: i64,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct EditionRow {
    id: i64,
    newsletter_id: i64,
    status: String,
    slot: Option<DateTime<Utc>>,
    subject: String,
    intro: String,
    added: String,
    removed: String,
    articles: String,
    since: Option<DateTime<Utc>>,
    recipients: i64,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<EditionRow> for Edition {
    fn from(r: EditionRow) -> Self {
        Edition {
            id: r.id,
            newsletter_id: r.newsletter_id,
            status: r.status,
            slot: r.slot,
            subject: r.subject,
            intro: r.intro,
            added: split_ids(&r.added),
            removed: split_ids(&r.removed),
            articles: split_ids(&r.articles),
            since: r.since,
            recipients: r.recipients,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}

const EDITION_COLS: &str = "id, newsletter_id, status, slot, subject, intro, added, removed, articles, since, recipients, created_at, sent_at";

/// One message to send: a recipient of an edition.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub edition_id: i64,
    pub subscription_id: i64,
    pub email: String,
    pub name: String,
    pub attempts: i64,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The SMTP server accepted it.
    Sent,
    /// A temporary failure: try again at this time.
    Deferred { retry_at: DateTime<Utc>, error: String },
    /// A permanent failure for this address: it is suppressed.
    Bounced { error: String },
    /// Not sent: the address is suppressed or has left the list.
    Skipped { why: String },
}

/// Delivery rows of one edition by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub deferred: i64,
    pub bounced: i64,
    pub skipped: i64,
}

impl Progress {
    pub fn total(&self) -> i64 {
        self.queued + self.sending + self.sent + self.deferred + self.bounced + self.skipped
    }
}

impl Db {
    pub async fn create_newsletter(&self, d: &NewsletterDraft, now: DateTime<Utc>) -> Result<Newsletter> {
        d.validate().map_err(|e| DbError::Conflict(e.to_string()))?;
        let sql = format!(
            "INSERT INTO newsletters (slug, name, description, cadence_json, time_zone, from_name, from_email, reply_to, audience,
                topics, regions, template, box_after_paragraph, position, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING {NEWSLETTER_COLS}"
        );
        let cadence = serde_json::to_string(&d.cadence).map_err(|e| DbError::corrupt("cadence", e))?;
        let row: std::result::Result<NewsletterRow, sqlx::Error> = on_write!(self, pool => sqlx::query_as(&sql)
            .bind(&d.slug).bind(d.name.trim()).bind(d.description.trim()).bind(&cadence).bind(&d.time_zone)
            .bind(d.from_name.trim()).bind(d.from_email.trim()).bind(d.reply_to.trim()).bind(d.audience.as_str())
            .bind(d.topics.join(",")).bind(d.regions.join(",")).bind(&d.template).bind(i64::from(d.box_after_paragraph))
            .bind(d.position).bind(d.active).bind(now).fetch_one(pool).await);
        match row {
            Ok(r) => r.try_into(),
            Err(e) => {
                let e = DbError::from(e);
                Err(if e.is_unique_violation() { DbError::Conflict(format!("a newsletter called \"{}\" exists", d.slug)) } else { e })
            }
        }
    }

    /// Replaces a newsletter's settings; a changed schedule is recomputed
    /// by the next scheduler tick.
    pub async fn update_newsletter(&self, id: i64, d: &NewsletterDraft) -> Result<Newsletter> {
        d.validate().map_err(|e| DbError::Conflict(e.to_string()))?;
        let cadence = serde_json::to_string(&d.cadence).map_err(|e| DbError::corrupt("cadence", e))?;
        let sql = format!(
            "UPDATE newsletters SET slug = $1, name = $2, description = $3, cadence_json = $4, time_zone = $5, from_name = $6,
                from_email = $7, reply_to = $8, audience = $9, topics = $10, regions = $11, template = $12,
                box_after_paragraph = $13, position = $14, active = $15, next_run_at = NULL
             WHERE id = $16 RETURNING {NEWSLETTER_COLS}"
        );
        let row: std::result::Result<Option<NewsletterRow>, sqlx::Error> = on_write!(self, pool => sqlx::query_as(&sql)
            .bind(&d.slug).bind(d.name.trim()).bind(d.description.trim()).bind(&cadence).bind(&d.time_zone)
            .bind(d.from_name.trim()).bind(d.from_email.trim()).bind(d.reply_to.trim()).bind(d.audience.as_str())
            .bind(d.topics.join(",")).bind(d.regions.join(",")).bind(&d.template).bind(i64::from(d.box_after_paragraph))
            .bind(d.position).bind(d.active).bind(id).fetch_optional(pool).await);
        match row {
            Ok(Some(r)) => r.try_into(),
            Ok(None) => Err(DbError::NotFound),
            Err(e) => {
                let e = DbError::from(e);
                Err(if e.is_unique_violation() { DbError::Conflict(format!("a newsletter called \"{}\" exists", d.slug)) } else { e })
            }
        }
    }

    /// Every newsletter, in the desk's order.
    pub async fn newsletters(&self) -> Result<Vec<Newsletter>> {
        let sql = format!("SELECT {NEWSLETTER_COLS} FROM newsletters ORDER BY position, name");
        let rows: Vec<NewsletterRow> = on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(Newsletter::try_from).collect()
    }

    pub async fn newsletter(&self, id: i64) -> Result<Newsletter> {
        let sql = format!("SELECT {NEWSLETTER_COLS} FROM newsletters WHERE id = $1");
        let row: Option<NewsletterRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// Newsletters whose next scheduled edition is due (or not yet computed).
    pub async fn newsletter_schedule(&self) -> Result<Vec<(i64, Option<DateTime<Utc>>)>> {
        let rows = on_read!(self, pool => sqlx::query_as("SELECT id, next_run_at FROM newsletters WHERE active ORDER BY id").fetch_all(pool).await?);
        Ok(rows)
    }

    /// Moves the schedule on, only if nobody else did since `expected` was read.
    pub async fn set_next_run(&self, id: i64, expected: Option<DateTime<Utc>>, next: Option<DateTime<Utc>>) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query(
            "UPDATE newsletters SET next_run_at = $1 WHERE id = $2 AND (next_run_at = $3 OR (next_run_at IS NULL AND $3 IS NULL))",
        ).bind(next).bind(id).bind(expected).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// Adds an address to a newsletter, waiting for confirmation; an address
    /// already confirmed stays confirmed. Returns the status now held.
    pub async fn subscribe_pending(&self, newsletter_id: i64, email: &str, reader_id: Option<i64>, source: Source, now: DateTime<Utc>) -> Result<String> {
        let status: String = on_write!(self, pool => sqlx::query_scalar(
            "INSERT INTO newsletter_subscriptions (newsletter_id, email, reader_id, status, source, created_at) VALUES ($1, $2, $3, 'pending', $4, $5)
             ON CONFLICT (newsletter_id, email) DO UPDATE SET
                status = CASE WHEN newsletter_subscriptions.status = 'confirmed' THEN 'confirmed' ELSE 'pending' END,
                reader_id = COALESCE(excluded.reader_id, newsletter_subscriptions.reader_id)
             RETURNING status",
        ).bind(newsletter_id).bind(email.trim().to_lowercase()).bind(reader_id).bind(source.as_str()).bind(now).fetch_one(pool).await?);
        Ok(status)
    }

    /// Confirms pending sign-ups of an address to these newsletters (the
    /// link in the confirmation email). Returns how many were confirmed.
    pub async fn confirm_subscriptions(&self, email: &str, newsletter_ids: &[i64], now: DateTime<Utc>) -> Result<u64> {
        if newsletter_ids.is_empty() {
            return Ok(0);
        }
        let email = email.trim().to_lowercase();
        let sql = format!(
            "UPDATE newsletter_subscriptions SET status = 'confirmed', confirmed_at = $2, unsubscribed_at = NULL
             WHERE email = $1 AND status = 'pending' AND newsletter_id IN ({})",
            placeholders(2, newsletter_ids.len())
        );
        let n = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut q = sqlx::query(&sql).bind(&email).bind(now);
            for id in newsletter_ids {
                q = q.bind(id);
            }
            let n = q.execute(&mut *tx).await?.rows_affected();
            // Asking again, by a link only the address's owner has, lifts "unsubscribe from all".
            if n > 0 {
                sqlx::query("DELETE FROM mail_suppressions WHERE email = $1 AND reason = 'unsubscribe'").bind(&email).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// Puts an address on a newsletter directly, confirmed: for a signed-in
    /// reader whose address is already verified.
    pub async fn subscribe_confirmed(&self, newsletter_id: i64, email: &str, reader_id: Option<i64>, source: Source, now: DateTime<Utc>) -> Result<()> {
        let email = email.trim().to_lowercase();
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO newsletter_subscriptions (newsletter_id, email, reader_id, status, source, created_at, confirmed_at)
                 VALUES ($1, $2, $3, 'confirmed', $4, $5, $5)
                 ON CONFLICT (newsletter_id, email) DO UPDATE SET status = 'confirmed', unsubscribed_at = NULL,
                    confirmed_at = CASE WHEN newsletter_subscriptions.status = 'confirmed' THEN newsletter_subscriptions.confirmed_at ELSE excluded.confirmed_at END,
                    reader_id = COALESCE(excluded.reader_id, newsletter_subscriptions.reader_id)",
            ).bind(newsletter_id).bind(&email).bind(reader_id).bind(source.as_str()).bind(now).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM mail_suppressions WHERE email = $1 AND reason = 'unsubscribe'").bind(&email).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Puts many addresses on a newsletter, confirmed (an import from
    /// another system whose list was already opted in). Existing rows are kept.
    pub async fn import_signups(&self, newsletter_id: i64, emails: &[String], now: DateTime<Utc>) -> Result<u64> {
        let mut total = 0;
        for chunk in emails.chunks(300) {
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${}, 'confirmed', 'import', $2, $2)", i + 3)).collect();
            let sql = format!(
                "INSERT INTO newsletter_subscriptions (newsletter_id, email, status, source, created_at, confirmed_at) VALUES {}
                 ON CONFLICT (newsletter_id, email) DO NOTHING",
                values.join(", ")
            );
            total += on_write!(self, pool => {
                let mut q = sqlx::query(&sql).bind(newsletter_id).bind(now);
                for e in chunk {
                    q = q.bind(e.trim().to_lowercase());
                }
                q.execute(pool).await?.rows_affected()
            });
        }
        Ok(total)
    }

    /// Takes an address off a newsletter. True if it was on it.
    pub async fn unsubscribe(&self, newsletter_id: i64, email: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query(
            "UPDATE newsletter_subscriptions SET status = 'unsubscribed', unsubscribed_at = $3 WHERE newsletter_id = $1 AND email = $2 AND status <> 'unsubscribed'",
        ).bind(newsletter_id).bind(email.trim().to_lowercase()).bind(now).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// Every newsletter an address is on (in any status).
    pub async fn signups_of(&self, email: &str) -> Result<Vec<Signup>> {
        let rows = on_read!(self, pool => sqlx::query_as("SELECT * FROM newsletter_subscriptions WHERE email = $1 ORDER BY newsletter_id")
            .bind(email.trim().to_lowercase()).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Confirmed subscribers of a newsletter, for audiences filtered in the
    /// application (premium lists), `limit` at a time after `after_id`.
    pub async fn confirmed_signups(&self, newsletter_id: i64, after_id: i64, limit: i64) -> Result<Vec<Signup>> {
        let rows = on_read!(self, pool => sqlx::query_as(
            "SELECT * FROM newsletter_subscriptions WHERE newsletter_id = $1 AND status = 'confirmed' AND id > $2 ORDER BY id LIMIT $3",
        ).bind(newsletter_id).bind(after_id).bind(limit).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Subscribers, growth and departures of every newsletter since `since`.
    pub async fn list_totals(&self, since: DateTime<Utc>) -> Result<Vec<ListTotals>> {
        let rows = on_read!(self, pool => sqlx::query_as(
            "SELECT newsletter_id,
                    SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS subscribers,
                    SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
                    SUM(CASE WHEN confirmed_at >= $1 AND status = 'confirmed' THEN 1 ELSE 0 END) AS joined,
                    SUM(CASE WHEN unsubscribed_at >= $1 AND status = 'unsubscribed' THEN 1 ELSE 0 END) AS \"left\"
             FROM newsletter_subscriptions GROUP BY newsletter_id ORDER BY newsletter_id",
        ).bind(since).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Adds an address to the suppression list; an existing entry is kept.
    pub async fn suppress(&self, email: &str, reason: &str, detail: &str, now: DateTime<Utc>) -> Result<()> {
        let detail: String = detail.chars().take(500).collect();
        on_write!(self, pool => sqlx::query(
            "INSERT INTO mail_suppressions (email, reason, detail, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING",
        ).bind(email.trim().to_lowercase()).bind(reason).bind(detail).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Why an address is suppressed, if it is.
    pub async fn suppression(&self, email: &str) -> Result<Option<String>> {
        let r = on_read!(self, pool => sqlx::query_scalar("SELECT reason FROM mail_suppressions WHERE email = $1")
            .bind(email.trim().to_lowercase()).fetch_optional(pool).await?);
        Ok(r)
    }

    pub async fn count_suppressions(&self) -> Result<Vec<(String, i64)>> {
        let rows = on_read!(self, pool => sqlx::query_as("SELECT reason, COUNT(*) FROM mail_suppressions GROUP BY reason ORDER BY reason").fetch_all(pool).await?);
        Ok(rows)
    }

    /// Records a bounce or complaint notice by its id; false if it was seen before.
    pub async fn record_mail_event(&self, event_id: &str, kind: &str, email: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query(
            "INSERT INTO mail_events (event_id, kind, email, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
        ).bind(event_id).bind(kind).bind(email.trim().to_lowercase()).bind(now).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// Published articles in any of these topics or regions (any article
    /// when both are empty), published in `(since, until]`, newest first.
    pub async fn articles_for_edition(&self, topics: &[String], regions: &[String], since: DateTime<Utc>, until: DateTime<Utc>, limit: i64) -> Result<Vec<i64>> {
        let mut conds = Vec::new();
        // $1 and $2 are the time range; the slugs follow, then the limit.
        let mut next = 2;
        if !topics.is_empty() {
            conds.push(format!(
                "EXISTS (SELECT 1 FROM article_topics x JOIN topics t ON t.id = x.topic_id WHERE x.article_id = a.id AND t.slug IN ({}))",
                placeholders(next, topics.len())
            ));
            next += topics.len();
        }
        if !regions.is_empty() {
            conds.push(format!(
                "EXISTS (SELECT 1 FROM article_regions x JOIN regions r ON r.id = x.region_id WHERE x.article_id = a.id AND r.slug IN ({}))",
                placeholders(next, regions.len())
            ));
            next += regions.len();
        }
        let filter = if conds.is_empty() { String::new() } else { format!("AND ({})", conds.join(" OR ")) };
        let sql = format!(
            "SELECT a.id FROM articles a WHERE a.status = 'published' AND a.published_at > $1 AND a.published_at <= $2 {filter}
             ORDER BY a.published_at DESC, a.id DESC LIMIT ${}",
            next + 1
        );
        let ids: Vec<i64> = on_read!(self, pool => {
            let mut q = sqlx::query_scalar(&sql).bind(since).bind(until);
            for t in topics.iter().chain(regions) {
                q = q.bind(t);
            }
            q.bind(limit).fetch_all(pool).await?
        });
        Ok(ids)
    }

    /// The editor's draft for the next edition, if one is prepared.
    pub async fn draft_edition(&self, newsletter_id: i64) -> Result<Option<Edition>> {
        let sql = format!("SELECT {EDITION_COLS} FROM newsletter_editions WHERE newsletter_id = $1 AND status = 'draft' ORDER BY id LIMIT 1");
        let row: Option<EditionRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(newsletter_id).fetch_optional(pool).await?);
        Ok(row.map(Edition::from))
    }

    /// Saves the editor's intro, subject and article changes for the next edition.
    pub async fn save_draft_edition(&self, newsletter_id: i64, subject: &str, intro: &str, added: &[i64], removed: &[i64], now: DateTime<Utc>) -> Result<Edition> {
        let existing = self.draft_edition(newsletter_id).await?;
        let id: i64 = match existing {
            Some(e) => {
                on_write!(self, pool => sqlx::query("UPDATE newsletter_editions SET subject = $1, intro = $2, added = $3, removed = $4 WHERE id = $5 AND status = 'draft'")
                    .bind(subject).bind(intro).bind(join_ids(added)).bind(join_ids(removed)).bind(e.id).execute(pool).await?.rows_affected());
                e.id
            }
            None => on_write!(self, pool => sqlx::query_scalar(
                "INSERT INTO newsletter_editions (newsletter_id, status, subject, intro, added, removed, created_at) VALUES ($1, 'draft', $2, $3, $4, $5, $6) RETURNING id",
            ).bind(newsletter_id).bind(subject).bind(intro).bind(join_ids(added)).bind(join_ids(removed)).bind(now).fetch_one(pool).await?),
        };
        self.edition(id).await
    }

    pub async fn edition(&self, id: i64) -> Result<Edition> {
        let sql = format!("SELECT {EDITION_COLS} FROM newsletter_editions WHERE id = $1");
        let row: Option<EditionRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        Ok(row.ok_or(DbError::NotFound)?.into())
    }

    /// A newsletter's editions, newest first (drafts included).
    pub async fn editions(&self, newsletter_id: i64, limit: i64) -> Result<Vec<Edition>> {
        let sql = format!("SELECT {EDITION_COLS} FROM newsletter_editions WHERE newsletter_id = $1 ORDER BY id DESC LIMIT $2");
        let rows: Vec<EditionRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(newsletter_id).bind(limit).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Edition::from).collect())
    }

    /// When the newsletter's last edition fixed its articles: the next one
    /// covers what was published after.
    pub async fn last_edition_at(&self, newsletter_id: i64) -> Result<Option<DateTime<Utc>>> {
        let t: Option<DateTime<Utc>> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT MAX(sent_at) FROM newsletter_editions WHERE newsletter_id = $1 AND status IN ('composing', 'sending', 'sent')",
        ).bind(newsletter_id).fetch_one(pool).await?);
        Ok(t)
    }

    /// Fixes an edition's content and starts it: the editor's draft if there
    /// is one, else a new edition. With a `slot`, at most one edition per
    /// newsletter and slot ever starts (None: another node got there first).
    /// The edition is left `composing`, for `materialize_*` then `open_edition`.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_edition(
        &self,
        newsletter_id: i64,
        slot: Option<DateTime<Utc>>,
        subject: &str,
        articles: &[i64],
        since: DateTime<Utc>,
        draft_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let r: std::result::Result<Option<i64>, sqlx::Error> = on_write!(self, pool => {
            match draft_id {
                Some(id) => sqlx::query_scalar(
                    "UPDATE newsletter_editions SET status = 'composing', slot = $2, subject = CASE WHEN subject = '' THEN $3 ELSE subject END,
                        articles = $4, since = $5, sent_at = $6 WHERE id = $1 AND status = 'draft' RETURNING id",
                ).bind(id).bind(slot).bind(subject).bind(join_ids(articles)).bind(since).bind(now).fetch_optional(pool).await,
                None => sqlx::query_scalar(
                    "INSERT INTO newsletter_editions (newsletter_id, status, slot, subject, articles, since, created_at, sent_at)
                     VALUES ($1, 'composing', $2, $3, $4, $5, $6, $6) RETURNING id",
                ).bind(newsletter_id).bind(slot).bind(subject).bind(join_ids(articles)).bind(since).bind(now).fetch_optional(pool).await,
            }
        });
        match r {
            Ok(id) => Ok(id),
            Err(e) => {
                let e = DbError::from(e);
                if e.is_unique_violation() { Ok(None) } else { Err(e) }
            }
        }
    }

    /// Editions left `composing` by a crash, to finish.
    pub async fn composing_editions(&self) -> Result<Vec<Edition>> {
        let sql = format!("SELECT {EDITION_COLS} FROM newsletter_editions WHERE status = 'composing' ORDER BY id");
        let rows: Vec<EditionRow> = on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Edition::from).collect())
    }

    /// Makes a delivery row for every confirmed, unsuppressed subscriber of
    /// the edition's newsletter. Safe to repeat.
    pub async fn materialize_all(&self, edition_id: i64, newsletter_id: i64, now: DateTime<Utc>) -> Result<u64> {
        let n = on_write!(self, pool => sqlx::query(
            "INSERT INTO newsletter_deliveries (edition_id, subscription_id, email, name, status, attempts, run_at)
             SELECT $1, s.id, s.email, COALESCE(r.name, ''), 'queued', 0, $3
             FROM newsletter_subscriptions s LEFT JOIN readers r ON r.id = s.reader_id
             WHERE s.newsletter_id = $2 AND s.status = 'confirmed'
               AND NOT EXISTS (SELECT 1 FROM mail_suppressions m WHERE m.email = s.email)
             ON CONFLICT (edition_id, email) DO NOTHING",
        ).bind(edition_id).bind(newsletter_id).bind(now).execute(pool).await?.rows_affected());
        Ok(n)
    }

    /// Makes delivery rows for these subscriptions (an audience the
    /// application filtered). Safe to repeat.
    pub async fn materialize_some(&self, edition_id: i64, subscription_ids: &[i64], now: DateTime<Utc>) -> Result<u64> {
        let mut total = 0;
        for chunk in subscription_ids.chunks(500) {
            let sql = format!(
                "INSERT INTO newsletter_deliveries (edition_id, subscription_id, email, name, status, attempts, run_at)
                 SELECT $1, s.id, s.email, COALESCE(r.name, ''), 'queued', 0, $2
                 FROM newsletter_subscriptions s LEFT JOIN readers r ON r.id = s.reader_id
                 WHERE s.status = 'confirmed' AND s.id IN ({})
                   AND NOT EXISTS (SELECT 1 FROM mail_suppressions m WHERE m.email = s.email)
                 ON CONFLICT (edition_id, email) DO NOTHING",
                placeholders(2, chunk.len())
            );
            total += on_write!(self, pool => {
                let mut q = sqlx::query(&sql).bind(edition_id).bind(now);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(pool).await?.rows_affected()
            });
        }
        Ok(total)
    }

    /// Opens a composed edition to the workers (or closes an empty one).
    pub async fn open_edition(&self, edition_id: i64) -> Result<i64> {
        let recipients: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM newsletter_deliveries WHERE edition_id = $1")
            .bind(edition_id).fetch_one(pool).await?);
        let status = if recipients == 0 { "sent" } else { "sending" };
        on_write!(self, pool => sqlx::query("UPDATE newsletter_editions SET status = $2, recipients = $3 WHERE id = $1 AND status = 'composing'")
            .bind(edition_id).bind(status).bind(recipients).execute(pool).await?.rows_affected());
        Ok(recipients)
    }

    /// Marks an edition that had nothing to say; nothing is sent.
    pub async fn close_empty_edition(&self, edition_id: i64) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE newsletter_editions SET status = 'empty' WHERE id = $1 AND status = 'composing'")
            .bind(edition_id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Claims up to `limit` deliveries that are due (or whose worker's lease
    /// ran out) for `lease`. Only rows of editions that are sending.
    pub async fn claim_deliveries(&self, now: DateTime<Utc>, lease: Duration, limit: i64) -> Result<Vec<Delivery>> {
        let until = now + lease;
        let pick = "SELECT id FROM newsletter_deliveries
                    WHERE (status IN ('queued', 'deferred') AND run_at <= $1) OR (status = 'sending' AND locked_until < $1)
                    ORDER BY run_at, id LIMIT $3";
        let sql = match self.backend() {
            // Many workers on one PostgreSQL: skip rows another worker is claiming.
            Backend::Postgres => format!(
                "UPDATE newsletter_deliveries SET status = 'sending', attempts = attempts + 1, locked_until = $2
                 WHERE id IN ({pick} FOR UPDATE SKIP LOCKED)
                 RETURNING id, edition_id, subscription_id, email, name, attempts"
            ),
            // SQLite has one writer; the statement is atomic. Each kind of
            // ready row is picked on its own, in the (status, run_at) index's
            // order, so a claim reads `limit` rows of each instead of sorting
            // every queued row of the list (which made claims, and the memory
            // they sorted in, grow with the list's size).
            Backend::Sqlite => "UPDATE newsletter_deliveries SET status = 'sending', attempts = attempts + 1, locked_until = $2
                 WHERE id IN (
                   SELECT id FROM (
                     SELECT * FROM (SELECT id, run_at FROM newsletter_deliveries WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $3)
                     UNION ALL
                     SELECT * FROM (SELECT id, run_at FROM newsletter_deliveries WHERE status = 'deferred' AND run_at <= $1 ORDER BY run_at, id LIMIT $3)
                     UNION ALL
                     SELECT * FROM (SELECT id, run_at FROM newsletter_deliveries WHERE status = 'sending' AND locked_until < $1 ORDER BY run_at, id LIMIT $3)
                   ) ORDER BY run_at, id LIMIT $3)
                 RETURNING id, edition_id, subscription_id, email, name, attempts"
                .to_string(),
        };
        let mut rows: Vec<Delivery> = on_write!(self, pool => sqlx::query_as(&sql).bind(now).bind(until).bind(limit).fetch_all(pool).await?);
        rows.sort_by_key(|d| d.id);
        Ok(rows)
    }

    /// Of these deliveries, the ones that must not be sent: the address is
    /// suppressed or has left the list since the edition was composed.
    pub async fn undeliverable(&self, deliveries: &[Delivery]) -> Result<Vec<(i64, String)>> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT d.id, CASE WHEN m.email IS NOT NULL THEN 'suppressed: ' || m.reason ELSE 'unsubscribed' END
             FROM newsletter_deliveries d
             LEFT JOIN mail_suppressions m ON m.email = d.email
             LEFT JOIN newsletter_subscriptions s ON s.id = d.subscription_id
             WHERE d.id IN ({}) AND (m.email IS NOT NULL OR s.status IS NULL OR s.status <> 'confirmed')",
            placeholders(0, deliveries.len())
        );
        let rows: Vec<(i64, String)> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for d in deliveries {
                q = q.bind(d.id);
            }
            q.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Records how deliveries ended, in one transaction. A bounce also puts
    /// the address on the suppression list. Rows someone else reclaimed in
    /// the meantime (no longer `sending`) are left alone.
    pub async fn finish_deliveries(&self, outcomes: &[(i64, String, DeliveryOutcome)], now: DateTime<Utc>) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let sent: Vec<i64> = outcomes.iter().filter(|(_, _, o)| *o == DeliveryOutcome::Sent).map(|(id, _, _)| *id).collect();
        let sent_sql = format!(
            "UPDATE newsletter_deliveries SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL WHERE status = 'sending' AND id IN ({})",
            placeholders(1, sent.len())
        );
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            if !sent.is_empty() {
                let mut q = sqlx::query(&sent_sql).bind(now);
                for id in &sent {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await?;
            }
            for (id, email, outcome) in outcomes {
                match outcome {
                    DeliveryOutcome::Sent => {}
                    DeliveryOutcome::Deferred { retry_at, error } => {
                        sqlx::query("UPDATE newsletter_deliveries SET status = 'deferred', run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1 AND status = 'sending'")
                            .bind(id).bind(retry_at).bind(error).execute(&mut *tx).await?;
                    }
                    DeliveryOutcome::Bounced { error } => {
                        sqlx::query("UPDATE newsletter_deliveries SET status = 'bounced', locked_until = NULL, last_error = $2 WHERE id = $1 AND status = 'sending'")
                            .bind(id).bind(error).execute(&mut *tx).await?;
                        let detail: String = error.chars().take(500).collect();
                        sqlx::query("INSERT INTO mail_suppressions (email, reason, detail, created_at) VALUES ($1, 'hard_bounce', $2, $3) ON CONFLICT (email) DO NOTHING")
                            .bind(email).bind(detail).bind(now).execute(&mut *tx).await?;
                    }
                    DeliveryOutcome::Skipped { why } => {
                        sqlx::query("UPDATE newsletter_deliveries SET status = 'skipped', locked_until = NULL, last_error = $2 WHERE id = $1 AND status = 'sending'")
                            .bind(id).bind(why).execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks editions whose every delivery has ended as sent.
    pub async fn close_finished_editions(&self) -> Result<u64> {
        let n = on_write!(self, pool => sqlx::query(
            "UPDATE newsletter_editions SET status = 'sent' WHERE status = 'sending' AND NOT EXISTS
               (SELECT 1 FROM newsletter_deliveries d WHERE d.edition_id = newsletter_editions.id AND d.status IN ('queued', 'sending', 'deferred'))",
        ).execute(pool).await?.rows_affected());
        Ok(n)
    }

    /// Deliveries of an edition by status.
    pub async fn edition_progress(&self, edition_id: i64) -> Result<Progress> {
        let rows: Vec<(String, i64)> = on_read!(self, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM newsletter_deliveries WHERE edition_id = $1 GROUP BY status",
        ).bind(edition_id).fetch_all(pool).await?);
        let mut p = Progress::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => p.queued = n,
                "sending" => p.sending = n,
                "sent" => p.sent = n,
                "deferred" => p.deferred = n,
                "bounced" => p.bounced = n,
                _ => p.skipped += n,
            }
        }
        Ok(p)
    }

    /// A delivery row by edition and address, for tests and support.
    pub async fn delivery_status(&self, edition_id: i64, email: &str) -> Result<Option<(String, i64, Option<String>)>> {
        let r = on_read!(self, pool => sqlx::query_as(
            "SELECT status, attempts, last_error FROM newsletter_deliveries WHERE edition_id = $1 AND email = $2",
        ).bind(edition_id).bind(email.trim().to_lowercase()).fetch_optional(pool).await?);
        Ok(r)
    }
}
