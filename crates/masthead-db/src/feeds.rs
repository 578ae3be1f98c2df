//! What feeds and sitemaps read: the newest whole articles of a list, the
//! months that have articles, the articles published in a time range, and
//! the secret addresses of readers' private full-text feeds (stored as
//! hashes, so a leaked table gives nobody a feed).

use chrono::{DateTime, Utc};
use masthead_core::{Article, Figure};

use crate::articles::ArticleRow;
use crate::{Backend, Db, DbError, ListFilter, Result};

/// A reader's private feed address, as stored: the nonce it is derived
/// from (with the server's secret) and when it was made.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedToken {
    pub reader_id: i64,
    pub nonce: String,
    pub created_at: DateTime<Utc>,
}

/// One month that has published articles, for the sitemap index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveMonth {
    pub year: i32,
    pub month: u32,
    pub articles: i64,
    /// The newest change to any article of the month.
    pub last_modified: DateTime<Utc>,
}

/// What a sitemap says about one article.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapArticle {
    pub slug: String,
    pub headline: String,
    pub hero: Option<Figure>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SitemapRow {
    slug: String,
    headline: String,
    hero_json: Option<String>,
    published_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MonthRow {
    month: String,
    articles: i64,
    last_modified: DateTime<Utc>,
}

/// The join and condition that restrict a list to one topic, region,
/// section or author; the key binds as `$2`.
fn filter_sql(filter: ListFilter) -> (&'static str, &'static str, Option<i64>) {
    match filter {
        ListFilter::All => ("", "", None),
        ListFilter::Topic(id) => ("JOIN article_topics x ON x.article_id = a.id", "AND x.topic_id = $2", Some(id)),
        ListFilter::Region(id) => ("JOIN article_regions x ON x.article_id = a.id", "AND x.region_id = $2", Some(id)),
        ListFilter::Section(id) => ("", "AND a.section_id = $2", Some(id)),
        ListFilter::Author(id) => ("JOIN article_authors x ON x.article_id = a.id", "AND x.author_id = $2", Some(id)),
    }
}

/// Most URLs one sitemap file may list (the protocol's limit).
pub const SITEMAP_MAX_URLS: i64 = 50_000;

impl Db {
    /// The newest published articles of a list, whole (blocks included),
    /// newest first: what a feed is made of.
    pub async fn newest_articles(&self, filter: ListFilter, now: DateTime<Utc>, limit: i64) -> Result<Vec<Article>> {
        let (join, cond, key) = filter_sql(filter);
        let n = if key.is_some() { 3 } else { 2 };
        let sql = format!(
            "SELECT a.* FROM articles a {join} WHERE a.status = 'published' AND a.published_at <= $1 {cond}
             ORDER BY a.published_at DESC, a.id DESC LIMIT ${n}"
        );
        let rows: Vec<ArticleRow> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(now);
            if let Some(k) = key {
                q = q.bind(k);
            }
            q.bind(limit.clamp(1, 200)).fetch_all(pool).await?
        });
        self.hydrate_many(rows).await
    }

    /// Every month with published articles, newest first.
    pub async fn archive_months(&self, now: DateTime<Utc>) -> Result<Vec<ArchiveMonth>> {
        // Formatting a timestamp as a month is the one thing here the two
        // databases spell differently.
        let month = match self.backend() {
            Backend::Sqlite => "strftime('%Y-%m', published_at)",
            Backend::Postgres => "to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        };
        let sql = format!(
            "SELECT {month} AS month, COUNT(*) AS articles, MAX(updated_at) AS last_modified FROM articles
             WHERE status = 'published' AND published_at <= $1 GROUP BY 1 ORDER BY 1 DESC"
        );
        let rows: Vec<MonthRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(now).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                let (y, m) = r.month.split_once('-').ok_or_else(|| DbError::corrupt("articles.published_at", &r.month))?;
                let year = y.parse().map_err(|_| DbError::corrupt("articles.published_at", &r.month))?;
                let month = m.parse().map_err(|_| DbError::corrupt("articles.published_at", &r.month))?;
                Ok(ArchiveMonth { year, month, articles: r.articles, last_modified: r.last_modified })
            })
            .collect()
    }

    /// Articles published in `[from, to)` (and not after `now`), newest
    /// first, at most [`SITEMAP_MAX_URLS`].
    pub async fn published_between(&self, from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<SitemapArticle>> {
        let rows: Vec<SitemapRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT slug, headline, hero_json, published_at, updated_at FROM articles
             WHERE status = 'published' AND published_at >= $1 AND published_at < $2 AND published_at <= $3
             ORDER BY published_at DESC, id DESC LIMIT $4",
        ).bind(from).bind(to).bind(now).bind(SITEMAP_MAX_URLS).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                let hero = match r.hero_json.as_deref() {
                    Some(s) => Some(serde_json::from_str(s).map_err(|e| DbError::corrupt("articles.hero_json", e))?),
                    None => None,
                };
                Ok(SitemapArticle { slug: r.slug, headline: r.headline, hero, published_at: r.published_at, updated_at: r.updated_at })
            })
            .collect()
    }

    /// Gives a reader a new private feed address, replacing (and so
    /// revoking) any earlier one.
    pub async fn set_feed_token(&self, reader_id: i64, nonce: &str, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO feed_tokens (reader_id, token_hash, nonce, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (reader_id) DO UPDATE SET token_hash = excluded.token_hash, nonce = excluded.nonce, created_at = excluded.created_at",
        ).bind(reader_id).bind(token_hash).bind(nonce).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// The reader's current private feed address, if they made one.
    pub async fn feed_token(&self, reader_id: i64) -> Result<Option<FeedToken>> {
        let t = on_read!(self, pool => sqlx::query_as("SELECT reader_id, nonce, created_at FROM feed_tokens WHERE reader_id = $1")
            .bind(reader_id).fetch_optional(pool).await?);
        Ok(t)
    }

    /// Whose private feed an address (by its hash) is.
    pub async fn reader_for_feed_token(&self, token_hash: &str) -> Result<Option<i64>> {
        let id = on_read!(self, pool => sqlx::query_scalar("SELECT reader_id FROM feed_tokens WHERE token_hash = $1")
            .bind(token_hash).fetch_optional(pool).await?);
        Ok(id)
    }

    /// Turns a reader's private feed off; true if there was one.
    pub async fn delete_feed_token(&self, reader_id: i64) -> Result<bool> {
        let n = on_write!(self, pool => sqlx::query("DELETE FROM feed_tokens WHERE reader_id = $1").bind(reader_id).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }
}
