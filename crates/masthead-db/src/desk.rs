//! What the desk lists: articles of every status with search, filters and
//! sorting; readers with their subscription state; every plan, on offer or
//! not. The public site's lists live in `articles`.

use chrono::{DateTime, Utc};
use masthead_core::billing::Plan;
use masthead_core::{AccessLevel, ArticleStatus, Author, Tag, TagKind};

use crate::articles::Page;
use crate::plans::benefits_from_text;
use crate::{Db, DbError, Result};

/// How the desk's article list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeskSort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// Newest publication first (unpublished last).
    Published,
    /// A to Z.
    Headline,
    /// Oldest change first.
    Oldest,
}

impl DeskSort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "updated" => Some(Self::Updated),
            "published" => Some(Self::Published),
            "headline" => Some(Self::Headline),
            "oldest" => Some(Self::Oldest),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Updated => "updated",
            Self::Published => "published",
            Self::Headline => "headline",
            Self::Oldest => "oldest",
        }
    }
    fn order_by(self) -> &'static str {
        match self {
            Self::Updated => "a.updated_at DESC, a.id DESC",
            Self::Published => "a.published_at IS NULL, a.published_at DESC, a.id DESC",
            Self::Headline => "LOWER(a.headline), a.id",
            Self::Oldest => "a.updated_at, a.id",
        }
    }
}

/// The desk's article list query; every part optional.
#[derive(Debug, Clone, Default)]
pub struct DeskQuery {
    /// Words the headline must contain (case-insensitive).
    pub search: Option<String>,
    pub status: Option<ArticleStatus>,
    pub access: Option<AccessLevel>,
    /// Author slug.
    pub author: Option<String>,
    /// Topic slug.
    pub topic: Option<String>,
    /// Section slug.
    pub section: Option<String>,
    /// Only articles this staff member started.
    pub created_by: Option<i64>,
    /// Only published articles whose time has come (the Content API).
    pub live_at: Option<DateTime<Utc>>,
    pub sort: DeskSort,
    pub limit: i64,
    pub offset: i64,
}

/// One row of the desk's list.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskArticle {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub dateline: String,
    pub status: ArticleStatus,
    pub access: AccessLevel,
    pub section: Option<Tag>,
    pub authors: Vec<Author>,
    pub created_by: Option<i64>,
    pub revision: i64,
    pub word_count: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DeskRow {
    id: i64,
    slug: String,
    headline: String,
    standfirst: String,
    dateline: String,
    status: String,
    access: String,
    section_id: Option<i64>,
    created_by: Option<i64>,
    revision: i64,
    word_count: i64,
    published_at: Option<DateTime<Utc>>,
    scheduled_for: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// A reader as the desk's member list shows them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The newest subscription's status, if any.
    pub subscription_status: Option<String>,
    pub plan_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ComplimentaryRow {
    pub id: i64,
    pub benefits: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Articles of any status for the desk (or, with `live_at`, published
    /// ones for the Content API), filtered, sorted and paged.
    pub async fn desk_articles(&self, q: &DeskQuery) -> Result<Page<DeskArticle>> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        let mut push = |cond: &str, arg: Arg, conds: &mut Vec<String>| {
            args.push(arg);
            conds.push(cond.replace('?', &format!("${}", args.len())));
        };
        if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let escaped = s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            push("LOWER(a.headline) LIKE ? ESCAPE '\\'", Arg::Text(format!("%{escaped}%")), &mut conds);
        }
        if let Some(st) = q.status {
            push("a.status = ?", Arg::Text(st.as_str().into()), &mut conds);
        }
        if let Some(ac) = q.access {
            push("a.access = ?", Arg::Text(ac.as_str().into()), &mut conds);
        }
        if let Some(author) = &q.author {
            push(
                "EXISTS (SELECT 1 FROM article_authors x JOIN authors au ON au.id = x.author_id WHERE x.article_id = a.id AND au.slug = ?)",
                Arg::Text(author.clone()),
                &mut conds,
            );
        }
        if let Some(topic) = &q.topic {
            push(
                "EXISTS (SELECT 1 FROM article_topics x JOIN topics t ON t.id = x.topic_id WHERE x.article_id = a.id AND t.slug = ?)",
                Arg::Text(topic.clone()),
                &mut conds,
            );
        }
        if let Some(section) = &q.section {
            push("a.section_id IN (SELECT id FROM sections WHERE slug = ?)", Arg::Text(section.clone()), &mut conds);
        }
        if let Some(id) = q.created_by {
            push("a.created_by = ?", Arg::Int(id), &mut conds);
        }
        if let Some(now) = q.live_at {
            push("a.status = 'published' AND a.published_at <= ?", Arg::Time(now), &mut conds);
        }
        let filter = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let n = args.len();
        let list_sql = format!(
            "SELECT a.id, a.slug, a.headline, a.standfirst, a.dateline, a.status, a.access, a.section_id, a.created_by, a.revision, a.word_count,
                    a.published_at, a.scheduled_for, a.updated_at
             FROM articles a {filter} ORDER BY {} LIMIT ${} OFFSET ${}",
            q.sort.order_by(),
            n + 1,
            n + 2
        );
        let count_sql = format!("SELECT COUNT(*) FROM articles a {filter}");
        let (limit, offset) = (q.limit.clamp(1, 200), q.offset.max(0));
        let (rows, total): (Vec<DeskRow>, i64) = on_read!(self, pool => {
            let mut list = sqlx::query_as(&list_sql);
            let mut count = sqlx::query_scalar(&count_sql);
            for a in &args {
                match a {
                    Arg::Text(s) => { list = list.bind(s.clone()); count = count.bind(s.clone()); }
                    Arg::Int(i) => { list = list.bind(*i); count = count.bind(*i); }
                    Arg::Time(t) => { list = list.bind(*t); count = count.bind(*t); }
                }
            }
            (list.bind(limit).bind(offset).fetch_all(pool).await?, count.fetch_one(pool).await?)
        });
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        let mut section_ids: Vec<i64> = rows.iter().filter_map(|r| r.section_id).collect();
        section_ids.sort_unstable();
        section_ids.dedup();
        let sections = self.tags_by_ids(TagKind::Section, &section_ids).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(DeskArticle {
                    status: ArticleStatus::parse(&r.status).ok_or_else(|| DbError::corrupt("articles.status", &r.status))?,
                    access: AccessLevel::parse(&r.access).ok_or_else(|| DbError::corrupt("articles.access", &r.access))?,
                    section: r.section_id.and_then(|id| sections.get(&id).cloned()),
                    authors: authors.remove(&r.id).unwrap_or_default(),
                    id: r.id,
                    slug: r.slug,
                    headline: r.headline,
                    standfirst: r.standfirst,
                    dateline: r.dateline,
                    created_by: r.created_by,
                    revision: r.revision,
                    word_count: r.word_count,
                    published_at: r.published_at,
                    scheduled_for: r.scheduled_for,
                    updated_at: r.updated_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    /// Readers whose address or name contains `search`, newest first, with
    /// their latest subscription.
    pub async fn members(&self, search: Option<&str>, limit: i64, offset: i64) -> Result<Page<MemberRow>> {
        let (limit, offset) = (limit.clamp(1, 10_000), offset.max(0));
        let pattern = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        let cond = if pattern.is_some() { "WHERE (LOWER(r.email) LIKE $3 ESCAPE '\\' OR LOWER(r.name) LIKE $3 ESCAPE '\\')" } else { "" };
        let list_sql = format!(
            "SELECT r.id, r.email, r.name, r.created_at, r.last_seen_at,
                    (SELECT s.status FROM subscriptions s WHERE s.reader_id = r.id ORDER BY s.updated_at DESC, s.id DESC LIMIT 1) AS subscription_status,
                    (SELECT p.name FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.reader_id = r.id ORDER BY s.updated_at DESC, s.id DESC LIMIT 1) AS plan_name
             FROM readers r {cond} ORDER BY r.created_at DESC, r.id DESC LIMIT $1 OFFSET $2"
        );
        let count_sql = format!("SELECT COUNT(*) FROM readers r {}", cond.replace("$3", "$1"));
        let (items, total): (Vec<MemberRow>, i64) = on_read!(self, pool => {
            let mut list = sqlx::query_as(&list_sql).bind(limit).bind(offset);
            let mut count = sqlx::query_scalar(&count_sql);
            if let Some(p) = &pattern {
                list = list.bind(p.clone());
                count = count.bind(p.clone());
            }
            (list.fetch_all(pool).await?, count.fetch_one(pool).await?)
        });
        Ok(Page { items, total })
    }

    /// Complimentary access a reader was given, newest first.
    pub async fn complimentary_of(&self, reader_id: i64) -> Result<Vec<ComplimentaryRow>> {
        let rows = on_read!(self, pool => sqlx::query_as(
            "SELECT id, benefits, starts_at, ends_at, note, created_at FROM complimentary_access WHERE reader_id = $1 ORDER BY id DESC",
        ).bind(reader_id).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Ends complimentary access now.
    pub async fn end_complimentary(&self, reader_id: i64, id: i64, now: DateTime<Utc>) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("UPDATE complimentary_access SET ends_at = $3 WHERE id = $1 AND reader_id = $2 AND ends_at > $3")
            .bind(id).bind(reader_id).bind(now).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Every plan, on offer or not, in the publisher's order.
    pub async fn all_plans(&self) -> Result<Vec<(Plan, i64)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
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
            position: i64,
        }
        let rows: Vec<Row> = on_read!(self, pool => sqlx::query_as(
            "SELECT id, slug, name, price_minor, currency, interval, trial_days, badge, benefits, active, provider_price_id, position
             FROM plans ORDER BY position, id",
        ).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok((
                    Plan {
                        interval: masthead_core::billing::Interval::parse(&r.interval).ok_or_else(|| DbError::corrupt("plans.interval", &r.interval))?,
                        benefits: benefits_from_text(&r.benefits)?,
                        trial_days: u32::try_from(r.trial_days).unwrap_or(0),
                        id: r.id,
                        slug: r.slug,
                        name: r.name,
                        price_minor: r.price_minor,
                        currency: r.currency,
                        badge: r.badge,
                        active: r.active,
                        provider_price_id: r.provider_price_id,
                    },
                    r.position,
                ))
            })
            .collect()
    }

    /// Takes an article off the site (back to draft); it keeps its
    /// publication time for when it returns.
    pub async fn unpublish_article(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query(
            "UPDATE articles SET status = 'draft', scheduled_for = NULL, updated_at = $2, revision = revision + 1 WHERE id = $1",
        ).bind(id).bind(now).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_tag(&self, kind: TagKind, slug: &str) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE slug = $1", kind.table());
        let n = on_write!(self, pool => sqlx::query(&sql).bind(slug).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_author(&self, slug: &str) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("DELETE FROM authors WHERE slug = $1").bind(slug).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }
}
