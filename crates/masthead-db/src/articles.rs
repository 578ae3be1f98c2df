//! Articles: saving drafts with their byline and tags, slug history so old
//! links keep working, and the lists the public site shows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use masthead_core::{
    AccessLevel, Article, ArticleDraft, ArticleStatus, Author, Block, Figure, Provenance, RenderProblem, Tag, TagKind,
    Teaser,
};

use crate::search::{queue_reindex_sql, SYNC_FACTS_SQL};
use crate::{placeholders, Db, DbError, Result};

/// Looks up a tag's id by slug inside a transaction; a missing one is a
/// conflict the editor can fix.
macro_rules! tag_id {
    ($exec:expr, $kind:expr, $slug:expr) => {{
        let kind: TagKind = $kind;
        let slug: &str = $slug;
        let sql = format!("SELECT id FROM {} WHERE slug = $1", kind.table());
        let row: Option<(i64,)> = sqlx::query_as(&sql).bind(slug).fetch_optional($exec).await?;
        match row {
            Some(r) => r.0,
            None => return Err(DbError::Conflict(format!("there is no {} \"{slug}\"", kind.path()))),
        }
    }};
}

/// Everything needed to store an article: the editor's draft, plus what
/// the renderer made of its body at save time.
#[derive(Debug, Clone)]
pub struct ArticleWrite<'a> {
    pub draft: &'a ArticleDraft,
    pub slug: String,
    pub blocks: &'a [Block],
    pub problems: &'a [RenderProblem],
    pub word_count: u32,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// Which published articles a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListFilter {
    #[default]
    All,
    Topic(i64),
    Region(i64),
    Section(i64),
    Author(i64),
}

/// One page of a list, with the total for pagination.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ArticleRow {
    id: i64,
    slug: String,
    headline: String,
    standfirst: String,
    dateline: String,
    hero_json: Option<String>,
    body_markdown: String,
    blocks_json: String,
    problems_json: String,
    access: String,
    status: String,
    section_id: Option<i64>,
    provenance_json: Option<String>,
    seo_title: String,
    seo_description: String,
    word_count: i64,
    reading_minutes: i64,
    published_at: Option<DateTime<Utc>>,
    scheduled_for: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revision: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TeaserRow {
    pub(crate) id: i64,
    slug: String,
    headline: String,
    standfirst: String,
    dateline: String,
    hero_json: Option<String>,
    access: String,
    section_id: Option<i64>,
    provenance_json: Option<String>,
    reading_minutes: i64,
    published_at: Option<DateTime<Utc>>,
}

pub(crate) const TEASER_COLS: &str = "a.id, a.slug, a.headline, a.standfirst, a.dateline, a.hero_json, a.access, a.section_id, a.provenance_json, a.reading_minutes, a.published_at";

#[derive(sqlx::FromRow)]
struct LinkedAuthor {
    article_id: i64,
    id: i64,
    slug: String,
    name: String,
    title: String,
    bio: String,
}

#[derive(sqlx::FromRow)]
struct LinkedTag {
    article_id: i64,
    id: i64,
    slug: String,
    name: String,
    description: String,
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| DbError::corrupt(what, e))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain structs cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

fn access(s: &str) -> Result<AccessLevel> {
    AccessLevel::parse(s).ok_or_else(|| DbError::corrupt("articles.access", s))
}

/// A page of results from LIMIT/OFFSET, clamped to sane bounds.
fn bounds(limit: i64, offset: i64) -> (i64, i64) {
    (limit.clamp(1, 200), offset.max(0))
}

impl Db {
    /// Stores a new article. A slug already taken (now or in another
    /// article's history) is a conflict.
    pub async fn create_article(&self, w: &ArticleWrite<'_>, now: DateTime<Utc>) -> Result<Article> {
        let id = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let taken: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM articles WHERE slug = $1) + (SELECT COUNT(*) FROM slug_history WHERE old_slug = $1)",
            )
            .bind(&w.slug)
            .fetch_one(&mut *tx)
            .await?;
            if taken > 0 {
                return Err(DbError::Conflict(format!("the slug \"{}\" is already used by another article", w.slug)));
            }
            let section_id = match &w.draft.section {
                Some(s) => Some(tag_id!(&mut *tx, TagKind::Section, s)),
                None => None,
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO articles (slug, headline, standfirst, dateline, hero_json, body_markdown, blocks_json, problems_json,
                    access, status, section_id, provenance_json, seo_title, seo_description, word_count, reading_minutes,
                    published_at, scheduled_for, created_at, updated_at, revision)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, 1)
                 RETURNING id",
            )
            .bind(&w.slug)
            .bind(w.draft.headline.trim())
            .bind(w.draft.standfirst.trim())
            .bind(w.draft.dateline.trim())
            .bind(w.draft.hero.as_ref().map(to_json))
            .bind(&w.draft.body_markdown)
            .bind(to_json(&w.blocks))
            .bind(to_json(&w.problems))
            .bind(w.draft.access.as_str())
            .bind(w.status.as_str())
            .bind(section_id)
            .bind(w.draft.provenance.as_ref().map(to_json))
            .bind(&w.draft.seo_title)
            .bind(&w.draft.seo_description)
            .bind(i64::from(w.word_count))
            .bind(i64::from(masthead_core::reading_minutes(w.word_count)))
            .bind(w.published_at)
            .bind(w.scheduled_for)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            link_all(&mut tx, id, w.draft).await?;
            queue_reindex_sql(id, now).execute(&mut *tx).await?;
            tx.commit().await?;
            id
        });
        self.article_by_id(id).await
    }

    /// Replaces an article's content. With `expected_revision`, refuses to
    /// overwrite a newer save by someone else. A changed slug leaves the
    /// old one in the history, so old links redirect.
    pub async fn update_article(
        &self,
        id: i64,
        expected_revision: Option<i64>,
        w: &ArticleWrite<'_>,
        now: DateTime<Utc>,
    ) -> Result<Article> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(String, i64)> = sqlx::query_as("SELECT slug, revision FROM articles WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((old_slug, revision)) = current else { return Err(DbError::NotFound) };
            if let Some(expected) = expected_revision {
                if expected != revision {
                    return Err(DbError::Conflict(format!(
                        "this article was saved by someone else since you opened it (revision {revision}, yours {expected})"
                    )));
                }
            }
            if old_slug != w.slug {
                let taken: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM articles WHERE slug = $1 AND id <> $2)
                          + (SELECT COUNT(*) FROM slug_history WHERE old_slug = $1 AND article_id <> $2)",
                )
                .bind(&w.slug)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if taken > 0 {
                    return Err(DbError::Conflict(format!("the slug \"{}\" is already used by another article", w.slug)));
                }
                sqlx::query("DELETE FROM slug_history WHERE old_slug = $1").bind(&w.slug).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO slug_history (old_slug, article_id, created_at) VALUES ($1, $2, $3)")
                    .bind(&old_slug)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            let section_id = match &w.draft.section {
                Some(s) => Some(tag_id!(&mut *tx, TagKind::Section, s)),
                None => None,
            };
            sqlx::query(
                "UPDATE articles SET slug = $1, headline = $2, standfirst = $3, dateline = $4, hero_json = $5, body_markdown = $6,
                    blocks_json = $7, problems_json = $8, access = $9, status = $10, section_id = $11, provenance_json = $12,
                    seo_title = $13, seo_description = $14, word_count = $15, reading_minutes = $16, published_at = $17,
                    scheduled_for = $18, updated_at = $19, revision = revision + 1
                 WHERE id = $20",
            )
            .bind(&w.slug)
            .bind(w.draft.headline.trim())
            .bind(w.draft.standfirst.trim())
            .bind(w.draft.dateline.trim())
            .bind(w.draft.hero.as_ref().map(to_json))
            .bind(&w.draft.body_markdown)
            .bind(to_json(&w.blocks))
            .bind(to_json(&w.problems))
            .bind(w.draft.access.as_str())
            .bind(w.status.as_str())
            .bind(section_id)
            .bind(w.draft.provenance.as_ref().map(to_json))
            .bind(&w.draft.seo_title)
            .bind(&w.draft.seo_description)
            .bind(i64::from(w.word_count))
            .bind(i64::from(masthead_core::reading_minutes(w.word_count)))
            .bind(w.published_at)
            .bind(w.scheduled_for)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            for table in ["article_authors", "article_topics", "article_regions"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE article_id = $1")).bind(id).execute(&mut *tx).await?;
            }
            link_all(&mut tx, id, w.draft).await?;
            sqlx::query(SYNC_FACTS_SQL).bind(id).execute(&mut *tx).await?;
            queue_reindex_sql(id, now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        self.article_by_id(id).await
    }

    /// The revision counter, for optimistic concurrency.
    pub async fn article_revision(&self, id: i64) -> Result<i64> {
        let r: Option<i64> = on_read!(self, pool => sqlx::query_scalar("SELECT revision FROM articles WHERE id = $1").bind(id).fetch_optional(pool).await?);
        r.ok_or(DbError::NotFound)
    }

    pub async fn delete_article(&self, id: i64) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("DELETE FROM articles WHERE id = $1").bind(id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    pub async fn article_by_id(&self, id: i64) -> Result<Article> {
        let row: Option<ArticleRow> = on_read!(self, pool => sqlx::query_as("SELECT * FROM articles WHERE id = $1").bind(id).fetch_optional(pool).await?);
        let row = row.ok_or(DbError::NotFound)?;
        self.hydrate(row).await
    }

    /// The article at a slug, whatever its status; callers decide what a
    /// reader may see.
    pub async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>> {
        let row: Option<ArticleRow> = on_read!(self, pool => sqlx::query_as("SELECT * FROM articles WHERE slug = $1").bind(slug).fetch_optional(pool).await?);
        match row {
            Some(r) => Ok(Some(self.hydrate(r).await?)),
            None => Ok(None),
        }
    }

    /// Where an old slug now points, if it was ever an article's.
    pub async fn current_slug_for(&self, old_slug: &str) -> Result<Option<String>> {
        let s: Option<String> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT a.slug FROM slug_history h JOIN articles a ON a.id = h.article_id WHERE h.old_slug = $1",
        ).bind(old_slug).fetch_optional(pool).await?);
        Ok(s)
    }

    pub async fn slug_history(&self, article_id: i64) -> Result<Vec<String>> {
        let s: Vec<String> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT old_slug FROM slug_history WHERE article_id = $1 ORDER BY created_at, old_slug",
        ).bind(article_id).fetch_all(pool).await?);
        Ok(s)
    }

    /// True if a slug is free for a new article.
    pub async fn slug_is_free(&self, slug: &str) -> Result<bool> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM articles WHERE slug = $1) + (SELECT COUNT(*) FROM slug_history WHERE old_slug = $1)",
        ).bind(slug).fetch_one(pool).await?);
        Ok(n == 0)
    }

    /// Published articles, newest first, as teasers.
    pub async fn published(&self, filter: ListFilter, now: DateTime<Utc>, limit: i64, offset: i64) -> Result<Page<Teaser>> {
        let (limit, offset) = bounds(limit, offset);
        let (join, cond, key) = match filter {
            ListFilter::All => ("", "", None),
            ListFilter::Topic(id) => ("JOIN article_topics x ON x.article_id = a.id", "AND x.topic_id = $2", Some(id)),
            ListFilter::Region(id) => ("JOIN article_regions x ON x.article_id = a.id", "AND x.region_id = $2", Some(id)),
            ListFilter::Section(id) => ("", "AND a.section_id = $2", Some(id)),
            ListFilter::Author(id) => ("JOIN article_authors x ON x.article_id = a.id", "AND x.author_id = $2", Some(id)),
        };
        let n = if key.is_some() { 3 } else { 2 };
        let list_sql = format!(
            "SELECT {TEASER_COLS} FROM articles a {join} WHERE a.status = 'published' AND a.published_at <= $1 {cond}
             ORDER BY a.published_at DESC, a.id DESC LIMIT ${n} OFFSET ${}",
            n + 1
        );
        let count_sql = format!("SELECT COUNT(*) FROM articles a {join} WHERE a.status = 'published' AND a.published_at <= $1 {cond}");
        let (rows, total): (Vec<TeaserRow>, i64) = on_read!(self, pool => {
            let mut q = sqlx::query_as(&list_sql).bind(now);
            let mut c = sqlx::query_scalar(&count_sql).bind(now);
            if let Some(k) = key {
                q = q.bind(k);
                c = c.bind(k);
            }
            (q.bind(limit).bind(offset).fetch_all(pool).await?, c.fetch_one(pool).await?)
        });
        Ok(Page { items: self.teasers(rows).await?, total })
    }

    /// The published article that follows `article` in the reading order
    /// (the next older one), for the teaser after an article.
    pub async fn next_article(&self, article: &Article, now: DateTime<Utc>) -> Result<Option<Article>> {
        let Some(at) = article.published_at else { return Ok(None) };
        // `published_at <= bound` lets the (status, published_at) index seek
        // straight to this article instead of walking down from the newest
        // (tens of thousands of rows in a big archive); the tie on the same
        // instant is broken by id.
        let bound = at.min(now);
        let id: Option<i64> = on_read!(self, pool => sqlx::query_scalar(
            "SELECT id FROM articles WHERE status = 'published' AND published_at <= $1
               AND (published_at < $2 OR id < $3)
             ORDER BY published_at DESC, id DESC LIMIT 1",
        ).bind(bound).bind(at).bind(article.id).fetch_optional(pool).await?);
        match id {
            Some(id) => Ok(Some(self.article_by_id(id).await?)),
            None => Ok(None),
        }
    }

    /// Every article, any status, newest change first (the desk's list).
    pub async fn all_articles(&self, limit: i64, offset: i64) -> Result<Page<(Teaser, ArticleStatus)>> {
        let (limit, offset) = bounds(limit, offset);
        let sql = format!("SELECT {TEASER_COLS}, a.status FROM articles a ORDER BY a.updated_at DESC, a.id DESC LIMIT $1 OFFSET $2");
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            t: TeaserRow,
            status: String,
        }
        let (rows, total): (Vec<Row>, i64) = on_read!(self, pool => (
            sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(pool).await?,
            sqlx::query_scalar("SELECT COUNT(*) FROM articles").fetch_one(pool).await?,
        ));
        let statuses = rows
            .iter()
            .map(|r| ArticleStatus::parse(&r.status).ok_or_else(|| DbError::corrupt("articles.status", &r.status)))
            .collect::<Result<Vec<_>>>()?;
        let teasers = self.teasers(rows.into_iter().map(|r| r.t).collect()).await?;
        Ok(Page { items: teasers.into_iter().zip(statuses).collect(), total })
    }

    /// Publishes scheduled articles whose time has come; returns their ids.
    pub async fn publish_due(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let ids: Vec<i64> = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let ids: Vec<i64> = sqlx::query_scalar(
                "UPDATE articles SET status = 'published', published_at = scheduled_for, updated_at = $1, revision = revision + 1
                 WHERE status = 'scheduled' AND scheduled_for <= $1 RETURNING id",
            ).bind(now).fetch_all(&mut *tx).await?;
            for id in &ids {
                sqlx::query(SYNC_FACTS_SQL).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            ids
        });
        Ok(ids)
    }

    pub async fn count_articles(&self) -> Result<i64> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM articles").fetch_one(pool).await?);
        Ok(n)
    }

    async fn hydrate(&self, row: ArticleRow) -> Result<Article> {
        self.hydrate_many(vec![row]).await?.pop().ok_or(DbError::NotFound)
    }

    /// Whole articles for rows, with their bylines and tags looked up once
    /// for all of them (five queries, however many articles).
    pub(crate) async fn hydrate_many(&self, rows: Vec<ArticleRow>) -> Result<Vec<Article>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        let mut topics = self.tags_of(TagKind::Topic, &ids).await?;
        let mut regions = self.tags_of(TagKind::Region, &ids).await?;
        let mut section_ids: Vec<i64> = rows.iter().filter_map(|r| r.section_id).collect();
        section_ids.sort_unstable();
        section_ids.dedup();
        let sections = self.tags_by_ids(TagKind::Section, &section_ids).await?;
        rows.into_iter()
            .map(|row| {
                let _ = row.revision;
                Ok(Article {
                    id: row.id,
                    section: row.section_id.and_then(|id| sections.get(&id).cloned()),
                    authors: authors.remove(&row.id).unwrap_or_default(),
                    topics: topics.remove(&row.id).unwrap_or_default(),
                    regions: regions.remove(&row.id).unwrap_or_default(),
                    slug: row.slug,
                    headline: row.headline,
                    standfirst: row.standfirst,
                    dateline: row.dateline,
                    hero: row.hero_json.as_deref().map(|s| parse_json::<Figure>("articles.hero_json", s)).transpose()?,
                    body_markdown: row.body_markdown,
                    blocks: parse_json("articles.blocks_json", &row.blocks_json)?,
                    render_problems: parse_json("articles.problems_json", &row.problems_json)?,
                    access: access(&row.access)?,
                    status: ArticleStatus::parse(&row.status).ok_or_else(|| DbError::corrupt("articles.status", &row.status))?,
                    provenance: row
                        .provenance_json
                        .as_deref()
                        .map(|s| parse_json::<Provenance>("articles.provenance_json", s))
                        .transpose()?,
                    seo_title: row.seo_title,
                    seo_description: row.seo_description,
                    word_count: u32::try_from(row.word_count).unwrap_or(0),
                    reading_minutes: u32::try_from(row.reading_minutes).unwrap_or(1),
                    published_at: row.published_at,
                    scheduled_for: row.scheduled_for,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    pub(crate) async fn teasers(&self, rows: Vec<TeaserRow>) -> Result<Vec<Teaser>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        let mut section_ids: Vec<i64> = rows.iter().filter_map(|r| r.section_id).collect();
        section_ids.sort_unstable();
        section_ids.dedup();
        let sections = self.tags_by_ids(TagKind::Section, &section_ids).await?;
        rows.into_iter()
            .map(|r| {
                let provenance = r
                    .provenance_json
                    .as_deref()
                    .map(|s| parse_json::<Provenance>("articles.provenance_json", s))
                    .transpose()?;
                Ok(Teaser {
                    id: r.id,
                    authors: authors.remove(&r.id).unwrap_or_default(),
                    section: r.section_id.and_then(|id| sections.get(&id).cloned()),
                    slug: r.slug,
                    headline: r.headline,
                    standfirst: r.standfirst,
                    dateline: r.dateline,
                    hero: r.hero_json.as_deref().map(|s| parse_json::<Figure>("articles.hero_json", s)).transpose()?,
                    access: access(&r.access)?,
                    original_language: provenance.map(|p| p.language),
                    reading_minutes: u32::try_from(r.reading_minutes).unwrap_or(1),
                    published_at: r.published_at,
                })
            })
            .collect()
    }

    pub(crate) async fn authors_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Author>>> {
        let mut out: HashMap<i64, Vec<Author>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT aa.article_id, au.id, au.slug, au.name, au.title, au.bio FROM article_authors aa
             JOIN authors au ON au.id = aa.author_id WHERE aa.article_id IN ({}) ORDER BY aa.article_id, aa.position",
            placeholders(0, ids.len())
        );
        let rows: Vec<LinkedAuthor> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        for r in rows {
            out.entry(r.article_id).or_default().push(Author { id: r.id, slug: r.slug, name: r.name, title: r.title, bio: r.bio });
        }
        Ok(out)
    }

    async fn tags_of(&self, kind: TagKind, ids: &[i64]) -> Result<HashMap<i64, Vec<Tag>>> {
        let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let (link, col) = match kind {
            TagKind::Topic => ("article_topics", "topic_id"),
            TagKind::Region => ("article_regions", "region_id"),
            TagKind::Section => return Ok(out),
        };
        let sql = format!(
            "SELECT l.article_id, t.id, t.slug, t.name, t.description FROM {link} l JOIN {} t ON t.id = l.{col}
             WHERE l.article_id IN ({}) ORDER BY l.article_id, l.position",
            kind.table(),
            placeholders(0, ids.len())
        );
        let rows: Vec<LinkedTag> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        for r in rows {
            out.entry(r.article_id).or_default().push(Tag { id: r.id, slug: r.slug, name: r.name, description: r.description });
        }
        Ok(out)
    }
}

macro_rules! link_all_body {
    ($tx:expr, $id:expr, $draft:expr) => {{
        for (pos, slug) in $draft.authors.iter().enumerate() {
            let author: Option<(i64,)> = sqlx::query_as("SELECT id FROM authors WHERE slug = $1").bind(slug).fetch_optional(&mut **$tx).await?;
            let Some((author,)) = author else { return Err(DbError::Conflict(format!("there is no author \"{slug}\""))) };
            sqlx::query("INSERT INTO article_authors (article_id, author_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind($id).bind(author).bind(pos as i64).execute(&mut **$tx).await?;
        }
        for (kind, slugs, link, col) in [
            (TagKind::Topic, &$draft.topics, "article_topics", "topic_id"),
            (TagKind::Region, &$draft.regions, "article_regions", "region_id"),
        ] {
            for (pos, slug) in slugs.iter().enumerate() {
                let tag = tag_id!(&mut **$tx, kind, slug);
                sqlx::query(&format!("INSERT INTO {link} (article_id, {col}, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
                    .bind($id).bind(tag).bind(pos as i64).execute(&mut **$tx).await?;
            }
        }
        Ok(())
    }};
}

trait LinkAll {
    async fn link(&mut self, id: i64, draft: &ArticleDraft) -> Result<()>;
}

impl LinkAll for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn link(&mut self, id: i64, draft: &ArticleDraft) -> Result<()> {
        let tx = self;
        link_all_body!(tx, id, draft)
    }
}

impl LinkAll for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn link(&mut self, id: i64, draft: &ArticleDraft) -> Result<()> {
        let tx = self;
        link_all_body!(tx, id, draft)
    }
}

async fn link_all<T: LinkAll>(tx: &mut T, id: i64, draft: &ArticleDraft) -> Result<()> {
    tx.link(id, draft).await
}
