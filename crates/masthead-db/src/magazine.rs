//! The weekly magazine's storage: issues and their articles in sections,
//! editors' picks, the week's most-read articles (from the meter), and the
//! record of each EPUB built for an issue. Every change to a published
//! issue bumps its revision and queues its EPUB rebuild in the same
//! transaction.

use chrono::{DateTime, Utc};
use masthead_core::magazine::{EditionProfile, Included, IssueSource, IssueStatus};
use masthead_core::{AccessLevel, ArticleStatus, Block};

use crate::{Db, DbError, Result};

/// The job that builds one EPUB of an issue.
pub const JOB_EPUB: &str = "magazine.epub";

/// The payload of a build job; also how duplicates are recognized.
pub fn epub_job_payload(issue_id: i64, profile: EditionProfile) -> String {
    format!(r#"{{"issue":{issue_id},"profile":"{}"}}"#, profile.key())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: i64,
    /// Given when the issue is published.
    pub number: Option<i64>,
    pub week_start: DateTime<Utc>,
    pub title: String,
    /// A picture from the media store, or none for a typographic cover.
    pub cover_media_key: Option<String>,
    /// A line of text on the cover.
    pub cover_line: String,
    pub letter_markdown: String,
    /// The editor's letter, rendered at save time like an article body.
    pub letter_blocks: Vec<Block>,
    pub status: IssueStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; an EPUB records the revision it was built from.
    pub revision: i64,
}

#[derive(sqlx::FromRow)]
struct IssueRow {
    id: i64,
    number: Option<i64>,
    week_start: DateTime<Utc>,
    title: String,
    cover_media_key: Option<String>,
    cover_line: String,
    letter_markdown: String,
    letter_blocks_json: String,
    status: String,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revision: i64,
}

impl TryFrom<IssueRow> for Issue {
    type Error = DbError;
    fn try_from(r: IssueRow) -> Result<Issue> {
        Ok(Issue {
            id: r.id,
            number: r.number,
            week_start: r.week_start,
            title: r.title,
            cover_media_key: r.cover_media_key,
            cover_line: r.cover_line,
            letter_markdown: r.letter_markdown,
            letter_blocks: serde_json::from_str(&r.letter_blocks_json).map_err(|e| DbError::corrupt("magazine_issues.letter_blocks_json", e))?,
            status: IssueStatus::parse(&r.status).ok_or_else(|| DbError::corrupt("magazine_issues.status", &r.status))?,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            revision: r.revision,
        })
    }
}

/// One article in an issue, with what the desk and the contents need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueArticle {
    pub article_id: i64,
    pub section: String,
    pub position: i64,
    pub source: IssueSource,
    /// Distinct readers in the issue's week, when it came from the meter.
    pub reads: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub access: AccessLevel,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct IssueArticleRow {
    article_id: i64,
    section: String,
    position: i64,
    source: String,
    reads: i64,
    slug: String,
    headline: String,
    standfirst: String,
    access: String,
    status: String,
    published_at: Option<DateTime<Utc>>,
}

/// An article proposed for an issue, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub article_id: i64,
    pub section: String,
    pub source: IssueSource,
    pub reads: i64,
}

/// How an automatic proposal is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposalRules {
    /// At most this many articles from the week's most read.
    pub most_read: i64,
    /// Filled up to this many with the week's newest when reads and picks are few.
    pub size: i64,
}

impl Default for ProposalRules {
    fn default() -> Self {
        ProposalRules { most_read: 8, size: 10 }
    }
}

/// An editor's pick waiting for an issue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pick {
    pub article_id: i64,
    pub slug: String,
    pub headline: String,
    pub picked_at: DateTime<Utc>,
}

/// The record of one EPUB of an issue: the file last built (kept and
/// served while a rebuild fails) and the last failure, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpubFile {
    pub issue_id: i64,
    pub profile: EditionProfile,
    /// Under DATA_DIR/magazine/; None until a build succeeds.
    pub file_name: Option<String>,
    /// What the file holds, checked against the decision at download.
    pub contents: Vec<Included>,
    pub bytes: i64,
    pub built_revision: i64,
    pub built_at: Option<DateTime<Utc>>,
    pub build_ms: i64,
    pub last_error: Option<String>,
    pub failed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct EpubRow {
    issue_id: i64,
    profile: String,
    file_name: Option<String>,
    contents_json: String,
    bytes: i64,
    built_revision: i64,
    built_at: Option<DateTime<Utc>>,
    build_ms: i64,
    last_error: Option<String>,
    failed_at: Option<DateTime<Utc>>,
}

impl TryFrom<EpubRow> for EpubFile {
    type Error = DbError;
    fn try_from(r: EpubRow) -> Result<EpubFile> {
        Ok(EpubFile {
            issue_id: r.issue_id,
            profile: EditionProfile::parse(&r.profile).ok_or_else(|| DbError::corrupt("magazine_epubs.profile", &r.profile))?,
            file_name: r.file_name,
            contents: serde_json::from_str(&r.contents_json).map_err(|e| DbError::corrupt("magazine_epubs.contents_json", e))?,
            bytes: r.bytes,
            built_revision: r.built_revision,
            built_at: r.built_at,
            build_ms: r.build_ms,
            last_error: r.last_error,
            failed_at: r.failed_at,
        })
    }
}

/// What a successful build stores.
#[derive(Debug, Clone)]
pub struct EpubBuilt<'a> {
    pub issue_id: i64,
    pub profile: EditionProfile,
    pub file_name: &'a str,
    pub contents: &'a [Included],
    pub bytes: i64,
    pub revision: i64,
    pub build_ms: i64,
}

/// A change to an issue's article list.
#[derive(Debug, Clone)]
pub enum Curation {
    Add { article_id: i64, section: String },
    Remove { article_id: i64 },
    /// Moves an article up (-1) or down (+1) one place.
    Move { article_id: i64, by: i64 },
    Section { article_id: i64, section: String },
}

/// The cover and letter, as the editor writes them.
#[derive(Debug, Clone)]
pub struct IssueText<'a> {
    pub title: &'a str,
    pub cover_media_key: Option<&'a str>,
    pub cover_line: &'a str,
    pub letter_markdown: &'a str,
    pub letter_blocks: &'a [Block],
}

const ISSUE_COLS: &str = "id, number, week_start, title, cover_media_key, cover_line, letter_markdown, letter_blocks_json, status, published_at, created_at, updated_at, revision";

/// Not in any published issue other than `$N`: an article appears in one issue only.
const NOT_IN_ANOTHER_ISSUE: &str = "NOT EXISTS (SELECT 1 FROM magazine_issue_articles x JOIN magazine_issues i ON i.id = x.issue_id
     WHERE x.article_id = a.id AND i.status = 'published' AND i.id <> $3)";

/// Bumps an issue's revision inside a transaction, and for a published
/// issue queues the rebuild of its EPUBs (the full profile and any other
/// already built or asked for), unless one is already waiting.
macro_rules! touch_issue {
    ($tx:expr, $issue:expr, $now:expr) => {{
        let issue: i64 = $issue;
        let status: Option<String> = sqlx::query_scalar("UPDATE magazine_issues SET revision = revision + 1, updated_at = $2 WHERE id = $1 RETURNING status")
            .bind(issue)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?;
        let Some(status) = status else { return Err(DbError::NotFound) };
        if status == IssueStatus::Published.as_str() {
            let mut profiles: Vec<String> = sqlx::query_scalar("SELECT profile FROM magazine_epubs WHERE issue_id = $1")
                .bind(issue)
                .fetch_all(&mut *$tx)
                .await?;
            let full = EditionProfile::ALL[0].key().to_string();
            if !profiles.contains(&full) {
                profiles.insert(0, full);
            }
            for key in profiles {
                let Some(p) = EditionProfile::parse(&key) else { continue };
                enqueue_once!($tx, epub_job_payload(issue, p), $now);
            }
        }
    }};
}

macro_rules! enqueue_once {
    ($tx:expr, $payload:expr, $now:expr) => {{
        let payload: String = $payload;
        sqlx::query(
            "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at)
             SELECT $1, $2, 'queued', 0, 8, $3, $3 WHERE NOT EXISTS
               (SELECT 1 FROM jobs WHERE kind = $1 AND payload = $2 AND status = 'queued')",
        )
        .bind(JOB_EPUB)
        .bind(&payload)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Db {
    /// Makes a draft issue for the week starting `week_start` from the
    /// candidates, grouped by section in the order their best article ranks.
    /// An issue for that week already existing is a conflict.
    pub async fn create_issue(&self, week_start: DateTime<Utc>, title: &str, candidates: &[Candidate], now: DateTime<Utc>) -> Result<Issue> {
        let mut sections: Vec<&str> = Vec::new();
        for c in candidates {
            if !sections.contains(&c.section.as_str()) {
                sections.push(&c.section);
            }
        }
        let mut ordered: Vec<&Candidate> = Vec::with_capacity(candidates.len());
        for s in &sections {
            ordered.extend(candidates.iter().filter(|c| c.section == *s));
        }
        let id = on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM magazine_issues WHERE week_start = $1").bind(week_start).fetch_one(&mut *tx).await?;
            if taken > 0 {
                return Err(DbError::Conflict("there is already an issue for that week".into()));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO magazine_issues (week_start, title, status, created_at, updated_at, revision)
                 VALUES ($1, $2, 'draft', $3, $3, 1) RETURNING id",
            ).bind(week_start).bind(title).bind(now).fetch_one(&mut *tx).await?;
            for (pos, c) in ordered.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO magazine_issue_articles (issue_id, article_id, section, position, source, reads)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                ).bind(id).bind(c.article_id).bind(&c.section).bind(pos as i64).bind(c.source.as_str()).bind(c.reads)
                .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        self.issue(id).await
    }

    /// The articles to propose for the week `[from, to)`: editors' picks
    /// first, then the most read (distinct readers whose counted read fell
    /// in the week), then the newest of the week until there are
    /// `rules.size`. Articles already in another published issue are left
    /// out. `issue_id` is the issue being proposed for, if it exists.
    pub async fn issue_candidates(&self, from: DateTime<Utc>, to: DateTime<Utc>, rules: ProposalRules, issue_id: Option<i64>) -> Result<Vec<Candidate>> {
        let me = issue_id.unwrap_or(0);
        let picks_sql = format!(
            "SELECT a.id, COALESCE(s.name, '') FROM magazine_picks p JOIN articles a ON a.id = p.article_id
             LEFT JOIN sections s ON s.id = a.section_id
             WHERE a.status = 'published' AND a.published_at < $1 AND p.picked_at < $2 AND {NOT_IN_ANOTHER_ISSUE}
             ORDER BY p.picked_at, a.id"
        );
        // Network keys (n:) count the same reads again; readers and
        // browsers (r:, a:) are one row per article each.
        let read_sql = format!(
            "SELECT a.id, COALESCE(s.name, ''), COUNT(*) AS reads FROM meter_reads m JOIN articles a ON a.id = m.article_id
             LEFT JOIN sections s ON s.id = a.section_id
             WHERE m.read_at >= $1 AND m.read_at < $2 AND m.meter_key NOT LIKE 'n:%'
               AND a.status = 'published' AND a.published_at < $2 AND {NOT_IN_ANOTHER_ISSUE}
             GROUP BY a.id, s.name ORDER BY reads DESC, a.id DESC LIMIT $4"
        );
        let latest_sql = format!(
            "SELECT a.id, COALESCE(s.name, '') FROM articles a LEFT JOIN sections s ON s.id = a.section_id
             WHERE a.status = 'published' AND a.published_at >= $1 AND a.published_at < $2 AND {NOT_IN_ANOTHER_ISSUE}
             ORDER BY a.published_at DESC, a.id DESC LIMIT $4"
        );
        let (picks, reads, latest): (Vec<(i64, String)>, Vec<(i64, String, i64)>, Vec<(i64, String)>) = on_read!(self, pool => (
            sqlx::query_as(&picks_sql).bind(to).bind(to).bind(me).fetch_all(pool).await?,
            sqlx::query_as(&read_sql).bind(from).bind(to).bind(me).bind(rules.most_read).fetch_all(pool).await?,
            sqlx::query_as(&latest_sql).bind(from).bind(to).bind(me).bind(rules.size).fetch_all(pool).await?,
        ));
        let mut out: Vec<Candidate> = Vec::new();
        let seen = |out: &Vec<Candidate>, id: i64| out.iter().any(|c| c.article_id == id);
        for (id, section) in picks {
            out.push(Candidate { article_id: id, section, source: IssueSource::Pick, reads: 0 });
        }
        for (id, section, n) in reads {
            if let Some(c) = out.iter_mut().find(|c| c.article_id == id) {
                c.reads = n;
            } else {
                out.push(Candidate { article_id: id, section, source: IssueSource::MostRead, reads: n });
            }
        }
        for (id, section) in latest {
            if out.len() as i64 >= rules.size {
                break;
            }
            if !seen(&out, id) {
                out.push(Candidate { article_id: id, section, source: IssueSource::Latest, reads: 0 });
            }
        }
        Ok(out)
    }

    pub async fn issue(&self, id: i64) -> Result<Issue> {
        let sql = format!("SELECT {ISSUE_COLS} FROM magazine_issues WHERE id = $1");
        let row: Option<IssueRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// The published issue with this number.
    pub async fn published_issue(&self, number: i64) -> Result<Option<Issue>> {
        let sql = format!("SELECT {ISSUE_COLS} FROM magazine_issues WHERE number = $1 AND status = 'published'");
        let row: Option<IssueRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(number).fetch_optional(pool).await?);
        row.map(Issue::try_from).transpose()
    }

    pub async fn issue_for_week(&self, week_start: DateTime<Utc>) -> Result<Option<Issue>> {
        let sql = format!("SELECT {ISSUE_COLS} FROM magazine_issues WHERE week_start = $1");
        let row: Option<IssueRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(week_start).fetch_optional(pool).await?);
        row.map(Issue::try_from).transpose()
    }

    /// Published issues, newest first (the back issues).
    pub async fn published_issues(&self, limit: i64, offset: i64) -> Result<crate::Page<Issue>> {
        let sql = format!("SELECT {ISSUE_COLS} FROM magazine_issues WHERE status = 'published' ORDER BY number DESC LIMIT $1 OFFSET $2");
        let (rows, total): (Vec<IssueRow>, i64) = on_read!(self, pool => (
            sqlx::query_as(&sql).bind(limit.clamp(1, 200)).bind(offset.max(0)).fetch_all(pool).await?,
            sqlx::query_scalar("SELECT COUNT(*) FROM magazine_issues WHERE status = 'published'").fetch_one(pool).await?,
        ));
        Ok(crate::Page { items: rows.into_iter().map(Issue::try_from).collect::<Result<_>>()?, total })
    }

    /// Every issue, drafts first, then newest (the desk's list).
    pub async fn all_issues(&self, limit: i64) -> Result<Vec<Issue>> {
        let sql = format!(
            "SELECT {ISSUE_COLS} FROM magazine_issues ORDER BY CASE WHEN status = 'draft' THEN 0 ELSE 1 END, week_start DESC LIMIT $1"
        );
        let rows: Vec<IssueRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(limit.clamp(1, 500)).fetch_all(pool).await?);
        rows.into_iter().map(Issue::try_from).collect()
    }

    /// The issue's articles in reading order.
    pub async fn issue_articles(&self, issue_id: i64) -> Result<Vec<IssueArticle>> {
        let rows: Vec<IssueArticleRow> = on_read!(self, pool => sqlx::query_as(
            "SELECT x.article_id, x.section, x.position, x.source, x.reads, a.slug, a.headline, a.standfirst, a.access, a.status, a.published_at
             FROM magazine_issue_articles x JOIN articles a ON a.id = x.article_id
             WHERE x.issue_id = $1 ORDER BY x.position, x.article_id",
        ).bind(issue_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok(IssueArticle {
                    article_id: r.article_id,
                    section: r.section,
                    position: r.position,
                    source: IssueSource::parse(&r.source).ok_or_else(|| DbError::corrupt("magazine_issue_articles.source", &r.source))?,
                    reads: r.reads,
                    slug: r.slug,
                    headline: r.headline,
                    standfirst: r.standfirst,
                    access: AccessLevel::parse(&r.access).ok_or_else(|| DbError::corrupt("articles.access", &r.access))?,
                    status: ArticleStatus::parse(&r.status).ok_or_else(|| DbError::corrupt("articles.status", &r.status))?,
                    published_at: r.published_at,
                })
            })
            .collect()
    }

    /// Adds, removes, moves or re-sections one article of an issue.
    pub async fn curate_issue(&self, issue_id: i64, change: &Curation, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            match change {
                Curation::Add { article_id, section } => {
                    let published: Option<String> = sqlx::query_scalar("SELECT status FROM articles WHERE id = $1")
                        .bind(article_id).fetch_optional(&mut *tx).await?;
                    match published.as_deref() {
                        None => return Err(DbError::NotFound),
                        Some("published") => {}
                        Some(_) => return Err(DbError::Conflict("only published articles can go in an issue".into())),
                    }
                    let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM magazine_issue_articles WHERE issue_id = $1")
                        .bind(issue_id).fetch_one(&mut *tx).await?;
                    let n = sqlx::query(
                        "INSERT INTO magazine_issue_articles (issue_id, article_id, section, position, source, reads)
                         VALUES ($1, $2, $3, $4, 'editor', 0) ON CONFLICT DO NOTHING",
                    ).bind(issue_id).bind(article_id).bind(section.trim()).bind(next).execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Err(DbError::Conflict("that article is already in this issue".into()));
                    }
                }
                Curation::Remove { article_id } => {
                    let n = sqlx::query("DELETE FROM magazine_issue_articles WHERE issue_id = $1 AND article_id = $2")
                        .bind(issue_id).bind(article_id).execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Err(DbError::NotFound);
                    }
                }
                Curation::Move { article_id, by } => {
                    let ids: Vec<i64> = sqlx::query_scalar("SELECT article_id FROM magazine_issue_articles WHERE issue_id = $1 ORDER BY position, article_id")
                        .bind(issue_id).fetch_all(&mut *tx).await?;
                    let Some(from) = ids.iter().position(|id| id == article_id) else { return Err(DbError::NotFound) };
                    let to = (from as i64 + by).clamp(0, ids.len() as i64 - 1) as usize;
                    let mut ids = ids;
                    let moved = ids.remove(from);
                    ids.insert(to, moved);
                    // Renumber all: positions stay dense whatever came before.
                    for (pos, id) in ids.iter().enumerate() {
                        sqlx::query("UPDATE magazine_issue_articles SET position = $3 WHERE issue_id = $1 AND article_id = $2")
                            .bind(issue_id).bind(id).bind(pos as i64).execute(&mut *tx).await?;
                    }
                }
                Curation::Section { article_id, section } => {
                    let n = sqlx::query("UPDATE magazine_issue_articles SET section = $3 WHERE issue_id = $1 AND article_id = $2")
                        .bind(issue_id).bind(article_id).bind(section.trim()).execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Err(DbError::NotFound);
                    }
                }
            }
            touch_issue!(tx, issue_id, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Saves the title, cover and editor's letter.
    pub async fn update_issue_text(&self, issue_id: i64, t: &IssueText<'_>, now: DateTime<Utc>) -> Result<Issue> {
        let blocks = serde_json::to_string(t.letter_blocks).map_err(|e| DbError::corrupt("letter blocks", e))?;
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE magazine_issues SET title = $2, cover_media_key = $3, cover_line = $4, letter_markdown = $5, letter_blocks_json = $6
                 WHERE id = $1",
            ).bind(issue_id).bind(t.title.trim()).bind(t.cover_media_key).bind(t.cover_line.trim()).bind(t.letter_markdown).bind(&blocks)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DbError::NotFound);
            }
            touch_issue!(tx, issue_id, now);
            tx.commit().await?;
        });
        self.issue(issue_id).await
    }

    /// Publishes an issue: gives it the next number (once; republishing
    /// keeps it) and queues its EPUB, in one transaction.
    pub async fn publish_issue(&self, issue_id: i64, now: DateTime<Utc>) -> Result<Issue> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(Option<i64>, String)> = sqlx::query_as("SELECT number, status FROM magazine_issues WHERE id = $1")
                .bind(issue_id).fetch_optional(&mut *tx).await?;
            let Some((number, _)) = current else { return Err(DbError::NotFound) };
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM magazine_issue_articles WHERE issue_id = $1")
                .bind(issue_id).fetch_one(&mut *tx).await?;
            if count == 0 {
                return Err(DbError::Conflict("an issue needs at least one article before it is published".into()));
            }
            let number = match number {
                Some(n) => n,
                None => sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM magazine_issues").fetch_one(&mut *tx).await?,
            };
            sqlx::query(
                "UPDATE magazine_issues SET number = $2, status = 'published', published_at = COALESCE(published_at, $3) WHERE id = $1",
            ).bind(issue_id).bind(number).bind(now).execute(&mut *tx).await?;
            touch_issue!(tx, issue_id, now);
            tx.commit().await?;
        });
        self.issue(issue_id).await
    }

    /// Deletes a draft issue; published ones stay (readers own them).
    pub async fn delete_draft_issue(&self, issue_id: i64) -> Result<()> {
        let n = on_write!(self, pool => sqlx::query("DELETE FROM magazine_issues WHERE id = $1 AND status = 'draft'")
            .bind(issue_id).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(DbError::Conflict("only a draft issue can be deleted".into()));
        }
        Ok(())
    }

    /// Whether any article was published in `[from, to)`; cheap enough for
    /// the scheduler to ask on every tick.
    pub async fn any_published_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<bool> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM articles WHERE status = 'published' AND published_at >= $1 AND published_at < $2 LIMIT 1) x",
        ).bind(from).bind(to).fetch_one(pool).await?);
        Ok(n > 0)
    }

    /// Marks an article as an editor's pick for the next issue.
    pub async fn pick_article(&self, article_id: i64, staff_id: Option<i64>, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO magazine_picks (article_id, picked_by, picked_at) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO NOTHING",
        ).bind(article_id).bind(staff_id).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn unpick_article(&self, article_id: i64) -> Result<()> {
        on_write!(self, pool => sqlx::query("DELETE FROM magazine_picks WHERE article_id = $1").bind(article_id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Picks not yet in a published issue, oldest first.
    pub async fn picks(&self) -> Result<Vec<Pick>> {
        let rows = on_read!(self, pool => sqlx::query_as(
            "SELECT a.id AS article_id, a.slug, a.headline, p.picked_at FROM magazine_picks p JOIN articles a ON a.id = p.article_id
             WHERE NOT EXISTS (SELECT 1 FROM magazine_issue_articles x JOIN magazine_issues i ON i.id = x.issue_id
                               WHERE x.article_id = a.id AND i.status = 'published')
             ORDER BY p.picked_at, a.id",
        ).fetch_all(pool).await?);
        Ok(rows)
    }

    /// The EPUBs of an issue, built or asked for.
    pub async fn epub_files(&self, issue_id: i64) -> Result<Vec<EpubFile>> {
        let rows: Vec<EpubRow> = on_read!(self, pool => sqlx::query_as("SELECT * FROM magazine_epubs WHERE issue_id = $1 ORDER BY profile")
            .bind(issue_id).fetch_all(pool).await?);
        rows.into_iter().map(EpubFile::try_from).collect()
    }

    /// Asks for an EPUB of a profile no file fits yet: records the wish and
    /// queues its build, once.
    pub async fn request_epub(&self, issue_id: i64, profile: EditionProfile, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO magazine_epubs (issue_id, profile) VALUES ($1, $2) ON CONFLICT (issue_id, profile) DO NOTHING")
                .bind(issue_id).bind(profile.key()).execute(&mut *tx).await?;
            enqueue_once!(tx, epub_job_payload(issue_id, profile), now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a successful build; the file replaces the previous one.
    pub async fn record_epub_built(&self, b: &EpubBuilt<'_>, now: DateTime<Utc>) -> Result<()> {
        let contents = serde_json::to_string(b.contents).map_err(|e| DbError::corrupt("epub contents", e))?;
        on_write!(self, pool => sqlx::query(
            "INSERT INTO magazine_epubs (issue_id, profile, file_name, contents_json, bytes, built_revision, built_at, build_ms, last_error, failed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)
             ON CONFLICT (issue_id, profile) DO UPDATE SET file_name = excluded.file_name, contents_json = excluded.contents_json,
               bytes = excluded.bytes, built_revision = excluded.built_revision, built_at = excluded.built_at,
               build_ms = excluded.build_ms, last_error = NULL, failed_at = NULL",
        ).bind(b.issue_id).bind(b.profile.key()).bind(b.file_name).bind(&contents).bind(b.bytes).bind(b.revision).bind(now).bind(b.build_ms)
        .execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Records a failed build. The last good file, if any, stays recorded
    /// (and served).
    pub async fn record_epub_failed(&self, issue_id: i64, profile: EditionProfile, error: &str, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(
            "INSERT INTO magazine_epubs (issue_id, profile, last_error, failed_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (issue_id, profile) DO UPDATE SET last_error = excluded.last_error, failed_at = excluded.failed_at",
        ).bind(issue_id).bind(profile.key()).bind(error).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }
}
