//! Full-text search over the archive, behind one interface: FTS5 on SQLite,
//! tsvector + GIN on PostgreSQL. The reader's query arrives parsed
//! (`masthead_core::search::SearchQuery`) and each backend's syntax is
//! written from that structure, never from the raw text.
//!
//! Each indexed article has an "open" part (headline, standfirst, byline
//! and the blocks every reader may read, as `decide` cuts them) and a
//! "rest" (the blocks beyond). The rest is matched only for articles the
//! searcher may read whole (`Searcher::reach`, derived from `decide`), and
//! snippets are built from the blocks `decide` gives the searcher, so a
//! result never quotes, or is found by, text its reader may not read.
//!
//! Indexing runs off the request path, as `search.reindex` jobs queued in
//! the same transaction as the article change.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use masthead_core::search::{highlight, open_blocks, snippet, Fragment, SearchQuery, SearchReach, Searcher, Term};
use masthead_core::{language_name, AccessLevel, Article, ArticleStatus, MeterPolicy, Teaser};
use serde::{Deserialize, Serialize};

use crate::articles::{TeaserRow, TEASER_COLS};
use crate::{placeholders, Backend, Db, DbError, Inner, Result};

/// The job kind that brings one article's index entry (or all of them) up
/// to date. Idempotent: it indexes whatever the article is now.
pub const JOB_REINDEX: &str = "search.reindex";

/// Words around the best match in a snippet.
pub const SNIPPET_WORDS: usize = 36;

/// Articles reindexed per job when rebuilding the whole index; the job
/// queues its own continuation, so no job outlives its lease.
pub const REBUILD_BATCH: i64 = 500;

/// Indexed text per article is capped (a tsvector holds at most 1 MB);
/// a body longer than this is matched on its first part.
const MAX_INDEXED_BYTES: usize = 256 * 1024;

/// What a `search.reindex` job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Reindex {
    /// One article: index it as it is now, or drop it if it is gone or a draft.
    Article { article_id: i64 },
    /// Every article with an id above `after`, a batch at a time.
    All { after: i64 },
}

impl Reindex {
    pub fn payload(&self) -> String {
        // Serializing our own plain enum cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Queues a job unless the same one is already waiting. Shared with the
/// article writes, which run it inside their own transaction.
pub(crate) const QUEUE_ONCE_SQL: &str = "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at)
     SELECT $1, $2, 'queued', 0, 8, $3, $3
     WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND payload = $2 AND status = 'queued')";

/// The reindexing of one article, queued inside the transaction that
/// changed it (either backend).
pub(crate) fn queue_reindex_sql<'q, DB>(article_id: i64, now: DateTime<Utc>) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(QUEUE_ONCE_SQL).bind(JOB_REINDEX).bind(Reindex::Article { article_id }.payload()).bind(now)
}

/// Keeps an indexed article's copied facts (status, access, time, section)
/// in step with the article, inside the transaction that changed it, so
/// visibility and access never wait for the reindex job.
pub(crate) const SYNC_FACTS_SQL: &str = "UPDATE search_documents SET status = a.status, access = a.access, published_at = a.published_at,
         section_id = a.section_id FROM articles a WHERE a.id = search_documents.article_id AND search_documents.article_id = $1";

/// Narrows a search. Tags and authors by slug; year in UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchFilters {
    pub topic: Option<String>,
    pub region: Option<String>,
    pub section: Option<String>,
    pub author: Option<String>,
    /// The original publication a translated piece came from.
    pub publication: Option<String>,
    /// The original's language tag.
    pub language: Option<String>,
    pub year: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchOrder {
    #[default]
    Relevance,
    Newest,
}

/// One search, for one searcher.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub query: &'a SearchQuery,
    pub filters: &'a SearchFilters,
    pub order: SearchOrder,
    pub searcher: &'a Searcher,
    pub limit: i64,
    pub offset: i64,
}

/// One result: the article as a list shows it, its headline with the
/// query's words marked, and a snippet from text the searcher may read.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub teaser: Teaser,
    pub headline: Vec<Fragment>,
    pub snippet: Vec<Fragment>,
}

/// One value of a facet and how many results have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// What the filter takes (a slug, a name, a language tag, a year).
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// Counts of the results by topic, region, section, author, source
/// publication, original language and year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    pub topic: Vec<FacetValue>,
    pub region: Vec<FacetValue>,
    pub section: Vec<FacetValue>,
    pub author: Vec<FacetValue>,
    pub publication: Vec<FacetValue>,
    pub language: Vec<FacetValue>,
    pub year: Vec<FacetValue>,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: i64,
    pub facets: Facets,
}

/// Values shown per facet (years are all shown).
const FACET_VALUES: i64 = 20;

/// What one article contributes to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Document {
    article_id: i64,
    headline: String,
    standfirst: String,
    byline: String,
    lead: String,
    rest: String,
    publication: String,
    language: String,
    open_blocks: i64,
}

fn capped(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

impl Document {
    fn of(a: &Article, policy: &MeterPolicy, now: DateTime<Utc>) -> Document {
        let k = open_blocks(a.access, a.blocks.len(), policy, now);
        let join = |blocks: &[masthead_core::Block]| blocks.iter().map(|b| b.text.as_str()).collect::<Vec<_>>().join("\n");
        let mut byline: Vec<&str> = a.authors.iter().map(|x| x.name.as_str()).collect();
        if let Some(p) = &a.provenance {
            byline.push(&p.publication);
            if !p.translator.is_empty() {
                byline.push(&p.translator);
            }
        }
        let lead = capped(join(&a.blocks[..k]), MAX_INDEXED_BYTES);
        let rest = capped(join(&a.blocks[k..]), MAX_INDEXED_BYTES.saturating_sub(lead.len()));
        Document {
            article_id: a.id,
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            byline: byline.join(", "),
            lead,
            rest,
            publication: a.provenance.as_ref().map(|p| p.publication.trim().to_string()).unwrap_or_default(),
            language: a.provenance.as_ref().map(|p| p.language.trim().to_string()).unwrap_or_default(),
            open_blocks: k as i64,
        }
    }
}

/// A bound value of a dynamically written query.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// SQL text with its `$n` arguments, written once for both backends.
#[derive(Debug, Default)]
struct Sql {
    args: Vec<Arg>,
}

impl Sql {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// FTS5 query syntax. Every word is quoted, and holds only letters and
/// digits, so nothing in it can be read as an operator.
fn fts5_term(t: &Term) -> String {
    match t {
        Term::Word { text, prefix: true } => format!("\"{text}\"*"),
        Term::Word { text, prefix: false } => format!("\"{text}\""),
        Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
    }
}

fn fts5_expr(q: &SearchQuery) -> String {
    let group = |g: &Vec<Term>| match g.as_slice() {
        [one] => fts5_term(one),
        many => format!("({})", many.iter().map(fts5_term).collect::<Vec<_>>().join(" OR ")),
    };
    let positive = q.all.iter().map(group).collect::<Vec<_>>().join(" AND ");
    if q.none.is_empty() {
        positive
    } else {
        format!("({positive}) NOT ({})", q.none.iter().map(fts5_term).collect::<Vec<_>>().join(" OR "))
    }
}

/// The open columns only: what every reader may read.
fn fts5_open(q: &SearchQuery) -> String {
    format!("{{headline standfirst byline lead}} : ({})", fts5_expr(q))
}

/// tsquery syntax for `to_tsquery('english', ...)`; words are quoted
/// lexemes of letters and digits only.
fn tsquery_term(t: &Term) -> String {
    match t {
        Term::Word { text, prefix: true } => format!("'{text}':*"),
        Term::Word { text, prefix: false } => format!("'{text}'"),
        Term::Phrase(ws) => format!("({})", ws.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" <-> ")),
    }
}

fn tsquery(q: &SearchQuery) -> String {
    let group = |g: &Vec<Term>| match g.as_slice() {
        [one] => tsquery_term(one),
        many => format!("({})", many.iter().map(tsquery_term).collect::<Vec<_>>().join(" | ")),
    };
    let positive = q.all.iter().map(group).collect::<Vec<_>>().join(" & ");
    if q.none.is_empty() {
        positive
    } else {
        format!("({positive}) & !({})", q.none.iter().map(tsquery_term).collect::<Vec<_>>().join(" | "))
    }
}

/// Which articles a searcher may have matched in full, as SQL over `d`.
enum Readable {
    All,
    Nothing,
    When(String),
}

fn access_list(levels: &[AccessLevel]) -> String {
    // Constants of ours, never input.
    levels.iter().map(|l| format!("'{}'", l.as_str())).collect::<Vec<_>>().join(", ")
}

fn readable(reach: &SearchReach, sql: &mut Sql) -> Readable {
    if reach.everything() {
        return Readable::All;
    }
    if reach.nothing() {
        return Readable::Nothing;
    }
    let in_levels = |levels: &[AccessLevel]| {
        if levels.is_empty() {
            "1 = 0".to_string()
        } else {
            format!("d.access IN ({})", access_list(levels))
        }
    };
    match reach.archive_cutoff {
        None => Readable::When(in_levels(&reach.full_when_current)),
        Some(cutoff) => {
            let c = sql.arg(Arg::Time(cutoff));
            Readable::When(format!(
                "((d.published_at >= {c} AND {}) OR (d.published_at < {c} AND {}))",
                in_levels(&reach.full_when_current),
                in_levels(&reach.full_when_archived)
            ))
        }
    }
}

/// The first instant of a year, UTC; None outside chrono's range.
fn year_start(y: i32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single()
}

/// Published, visible now, and inside the filters; over `d`.
fn filter_sql(req: &SearchRequest<'_>, sql: &mut Sql) -> String {
    let f = req.filters;
    let now = sql.arg(Arg::Time(req.searcher.now));
    let mut w = format!("d.status = 'published' AND d.published_at <= {now}");
    for (value, link, table, col) in [
        (&f.topic, "article_topics", "topics", "topic_id"),
        (&f.region, "article_regions", "regions", "region_id"),
        (&f.author, "article_authors", "authors", "author_id"),
    ] {
        if let Some(slug) = value {
            let p = sql.arg(Arg::Text(slug.clone()));
            w.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM {link} x JOIN {table} t ON t.id = x.{col} WHERE x.article_id = d.article_id AND t.slug = {p})"
            ));
        }
    }
    if let Some(slug) = &f.section {
        let p = sql.arg(Arg::Text(slug.clone()));
        w.push_str(&format!(" AND d.section_id IN (SELECT id FROM sections WHERE slug = {p})"));
    }
    if let Some(p) = &f.publication {
        let p = sql.arg(Arg::Text(p.clone()));
        w.push_str(&format!(" AND d.publication = {p}"));
    }
    if let Some(l) = &f.language {
        let l = sql.arg(Arg::Text(l.clone()));
        w.push_str(&format!(" AND d.language = {l}"));
    }
    if let Some(y) = f.year {
        match (year_start(y), year_start(y + 1)) {
            (Some(from), Some(to)) => {
                let from = sql.arg(Arg::Time(from));
                let to = sql.arg(Arg::Time(to));
                w.push_str(&format!(" AND d.published_at >= {from} AND d.published_at < {to}"));
            }
            _ => w.push_str(" AND 1 = 0"),
        }
    }
    w
}

/// `WITH ... hits AS (id, section_id, published_at, score)`: the matching
/// articles, lower score first for relevance (0 for all when `ranked` is
/// false: counting needs no ranking, and ranking is most of the cost). The
/// one place where search SQL differs by backend.
fn hits_cte(backend: Backend, req: &SearchRequest<'_>, sql: &mut Sql, ranked: bool) -> String {
    let reach = req.searcher.reach();
    let can_read = readable(&reach, sql);
    match backend {
        Backend::Sqlite => {
            // bm25 weights per column: headline, standfirst, byline, lead, rest.
            let rank = if ranked { "bm25(search_fts, 10.0, 4.0, 2.0, 1.0, 1.0)" } else { "0.0" };
            let mut arms = Vec::new();
            if !matches!(can_read, Readable::Nothing) {
                let q = sql.arg(Arg::Text(fts5_expr(req.query)));
                arms.push(format!("SELECT rowid AS id, 1 AS whole, {rank} AS score FROM search_fts WHERE search_fts MATCH {q}"));
            }
            if !matches!(can_read, Readable::All) {
                let q = sql.arg(Arg::Text(fts5_open(req.query)));
                arms.push(format!("SELECT rowid AS id, 0 AS whole, {rank} AS score FROM search_fts WHERE search_fts MATCH {q}"));
            }
            let which = match &can_read {
                Readable::When(cond) => format!(" AND m.whole = (CASE WHEN {cond} THEN 1 ELSE 0 END)"),
                _ => String::new(),
            };
            let filters = filter_sql(req, sql);
            // The full-text match must drive the join (CROSS JOIN fixes the
            // order in SQLite): left to itself, the planner scans every
            // document and probes the matches, 100x slower for a rare word.
            // Materialized hits are computed once for all the facet counts.
            format!(
                "WITH m AS MATERIALIZED ({}),
                 hits AS MATERIALIZED (SELECT d.article_id AS id, d.section_id, d.published_at, m.score AS score
                          FROM m CROSS JOIN search_documents d ON d.article_id = m.id
                          WHERE {filters}{which})",
                arms.join(" UNION ALL ")
            )
        }
        Backend::Postgres => {
            let q = sql.arg(Arg::Text(tsquery(req.query)));
            let tsq = format!("to_tsquery('english', {q})");
            let (matches, mut score) = match &can_read {
                Readable::All => (format!("d.full_tsv @@ {tsq}"), format!("ts_rank_cd(d.full_tsv, {tsq})")),
                Readable::Nothing => (format!("d.open_tsv @@ {tsq}"), format!("ts_rank_cd(d.open_tsv, {tsq})")),
                // The first clause lets the planner use both GIN indexes.
                Readable::When(cond) => (
                    format!(
                        "(d.full_tsv @@ {tsq} OR d.open_tsv @@ {tsq}) AND CASE WHEN {cond} THEN d.full_tsv @@ {tsq} ELSE d.open_tsv @@ {tsq} END"
                    ),
                    format!("CASE WHEN {cond} THEN ts_rank_cd(d.full_tsv, {tsq}) ELSE ts_rank_cd(d.open_tsv, {tsq}) END"),
                ),
            };
            if !ranked {
                score = "0".into();
            }
            let filters = filter_sql(req, sql);
            format!(
                "WITH hits AS (SELECT d.article_id AS id, d.section_id, d.published_at, CAST(-({score}) AS DOUBLE PRECISION) AS score
                               FROM search_documents d
                               WHERE {matches} AND {filters})"
            )
        }
    }
}

fn year_of(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Sqlite => format!("strftime('%Y', {col})"),
        Backend::Postgres => format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY')"),
    }
}

fn facets_sql(backend: Backend) -> String {
    // SQLite: CROSS JOIN keeps the (few) hits as the outer loop; left to
    // itself the planner may scan a whole link table per facet.
    let join = match backend {
        Backend::Sqlite => "CROSS JOIN",
        Backend::Postgres => "JOIN",
    };
    let top = |facet: &str, from: &str, key: &str, label: &str| {
        let from = from.replace("JOIN ", &format!("{join} "));
        format!(
            "SELECT * FROM (SELECT '{facet}' AS facet, {key} AS fkey, {label} AS flabel, COUNT(*) AS n FROM hits h {from}
             GROUP BY {key}, {label} ORDER BY COUNT(*) DESC, {label} LIMIT {FACET_VALUES}) f_{facet}"
        )
    };
    let year = year_of(backend, "h.published_at");
    [
        "SELECT 'total' AS facet, '' AS fkey, '' AS flabel, COUNT(*) AS n FROM hits".to_string(),
        top("topic", "JOIN article_topics x ON x.article_id = h.id JOIN topics t ON t.id = x.topic_id", "t.slug", "t.name"),
        top("region", "JOIN article_regions x ON x.article_id = h.id JOIN regions t ON t.id = x.region_id", "t.slug", "t.name"),
        top("section", "JOIN sections t ON t.id = h.section_id", "t.slug", "t.name"),
        top("author", "JOIN article_authors x ON x.article_id = h.id JOIN authors t ON t.id = x.author_id", "t.slug", "t.name"),
        top("publication", "JOIN search_documents d ON d.article_id = h.id AND d.publication <> ''", "d.publication", "d.publication"),
        top("language", "JOIN search_documents d ON d.article_id = h.id AND d.language <> ''", "d.language", "d.language"),
        format!("SELECT 'year' AS facet, {year} AS fkey, {year} AS flabel, COUNT(*) AS n FROM hits h GROUP BY {year}"),
    ]
    .join("\nUNION ALL\n")
}

/// (facet, key, label, count), one row per facet value.
type FacetRow = (String, String, String, i64);

#[derive(sqlx::FromRow)]
struct HitRow {
    #[sqlx(flatten)]
    t: TeaserRow,
    blocks_json: String,
}

/// Only the text of a stored block; snippets need nothing else.
#[derive(Deserialize)]
struct BlockText {
    text: String,
}

impl Db {
    /// Searches the published archive for one searcher.
    pub async fn search(&self, req: &SearchRequest<'_>) -> Result<SearchResults> {
        if !req.query.is_searchable() {
            return Ok(SearchResults { hits: Vec::new(), total: 0, facets: Facets::default() });
        }
        let backend = self.backend();
        let limit = req.limit.clamp(1, 100);
        let offset = req.offset.clamp(0, 100_000);

        let mut page = Sql::default();
        let ranked = req.order == SearchOrder::Relevance;
        let cte = hits_cte(backend, req, &mut page, ranked);
        let order = match req.order {
            SearchOrder::Relevance => "score, published_at DESC, id DESC",
            SearchOrder::Newest => "published_at DESC, id DESC",
        };
        let l = page.arg(Arg::Int(limit));
        let o = page.arg(Arg::Int(offset));
        let page_sql = format!("{cte}\nSELECT id FROM hits ORDER BY {order} LIMIT {l} OFFSET {o}");

        let mut facet = Sql::default();
        let cte = hits_cte(backend, req, &mut facet, false);
        let facet_sql = format!("{cte}\n{}", facets_sql(backend));

        // The page and the counts are independent: run them side by side,
        // on two connections.
        let (ids, counts): (Vec<i64>, Vec<FacetRow>) = on_read!(self, pool => tokio::try_join!(
            bind_args!(sqlx::query_scalar(&page_sql), &page.args).fetch_all(pool),
            bind_args!(sqlx::query_as(&facet_sql), &facet.args).fetch_all(pool),
        )?);

        let mut total = 0;
        let mut facets = Facets::default();
        for (name, key, label, count) in counts {
            let v = |label: String| FacetValue { key: key.clone(), label, count };
            match name.as_str() {
                "total" => total = count,
                "topic" => facets.topic.push(v(label)),
                "region" => facets.region.push(v(label)),
                "section" => facets.section.push(v(label)),
                "author" => facets.author.push(v(label)),
                "publication" => facets.publication.push(v(label)),
                "language" => facets.language.push(v(language_name(&label).to_string())),
                "year" => facets.year.push(v(label)),
                _ => {}
            }
        }
        facets.year.sort_by(|a, b| b.key.cmp(&a.key));
        let hits = self.hits(&ids, req).await?;
        Ok(SearchResults { hits, total, facets })
    }

    /// Teasers and snippets for result ids, in their order. The snippet is
    /// cut from the blocks `decide` gives this searcher, and no others.
    async fn hits(&self, ids: &[i64], req: &SearchRequest<'_>) -> Result<Vec<SearchHit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {TEASER_COLS}, a.blocks_json FROM articles a WHERE a.id IN ({})", placeholders(0, ids.len()));
        let rows: Vec<HitRow> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        let mut texts: HashMap<i64, Vec<String>> = HashMap::new();
        let mut teaser_rows = Vec::with_capacity(rows.len());
        for r in rows {
            let blocks: Vec<BlockText> = serde_json::from_str(&r.blocks_json).map_err(|e| DbError::corrupt("articles.blocks_json", e))?;
            texts.insert(r.t.id, blocks.into_iter().map(|b| b.text).collect());
            teaser_rows.push(r.t);
        }
        let mut teasers: HashMap<i64, Teaser> = self.teasers(teaser_rows).await?.into_iter().map(|t| (t.id, t)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (Some(teaser), Some(blocks)) = (teasers.remove(id), texts.remove(id)) else { continue };
            let published_at = teaser.published_at.unwrap_or(req.searcher.now);
            let visible = req.searcher.visible_blocks(teaser.access, published_at, blocks.len());
            let allowed: Vec<&str> = blocks[..visible].iter().map(String::as_str).collect();
            out.push(SearchHit {
                headline: highlight(&teaser.headline, req.query),
                snippet: snippet(&allowed, req.query, SNIPPET_WORDS),
                teaser,
            });
        }
        Ok(out)
    }

    /// Brings one article's index entry up to date: indexes it as it is
    /// now (published or scheduled), or removes it (a draft, or gone).
    /// Returns whether it is in the index afterwards.
    pub async fn index_article(&self, id: i64, policy: &MeterPolicy, now: DateTime<Utc>) -> Result<bool> {
        let article = match self.article_by_id(id).await {
            Ok(a) => a,
            Err(DbError::NotFound) => {
                self.remove_from_index(id).await?;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        if article.status == ArticleStatus::Draft {
            self.remove_from_index(id).await?;
            return Ok(false);
        }
        let doc = Document::of(&article, policy, now);
        match &self.inner {
            Inner::Sqlite { write, .. } => {
                let mut tx = write.begin().await?;
                // Deleting from a contentless FTS5 table leaves a tombstone
                // that every later query skips over: only delete what is there.
                let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_documents WHERE article_id = $1")
                    .bind(doc.article_id)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO search_documents (article_id, publication, language, open_blocks, indexed_at, status, access, published_at, section_id)
                     SELECT $1, $2, $3, $4, $5, a.status, a.access, a.published_at, a.section_id FROM articles a WHERE a.id = $1
                     ON CONFLICT (article_id) DO UPDATE SET publication = excluded.publication, language = excluded.language,
                         open_blocks = excluded.open_blocks, indexed_at = excluded.indexed_at, status = excluded.status,
                         access = excluded.access, published_at = excluded.published_at, section_id = excluded.section_id",
                )
                .bind(doc.article_id)
                .bind(&doc.publication)
                .bind(&doc.language)
                .bind(doc.open_blocks)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if indexed > 0 {
                    sqlx::query("DELETE FROM search_fts WHERE rowid = $1").bind(doc.article_id).execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO search_fts (rowid, headline, standfirst, byline, lead, rest) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(doc.article_id)
                    .bind(&doc.headline)
                    .bind(&doc.standfirst)
                    .bind(&doc.byline)
                    .bind(&doc.lead)
                    .bind(&doc.rest)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Inner::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO search_documents (article_id, publication, language, open_blocks, indexed_at, open_tsv, full_tsv,
                         status, access, published_at, section_id)
                     SELECT $1, $2, $3, $4, $5, v.o, v.o || v.r, a.status, a.access, a.published_at, a.section_id FROM (SELECT
                         setweight(to_tsvector('english', $6), 'A') || setweight(to_tsvector('english', $7), 'B')
                           || setweight(to_tsvector('english', $8), 'D') || setweight(to_tsvector('english', $9), 'C') AS o,
                         setweight(to_tsvector('english', $10), 'C') AS r) v, articles a WHERE a.id = $1
                     ON CONFLICT (article_id) DO UPDATE SET publication = excluded.publication, language = excluded.language,
                         open_blocks = excluded.open_blocks, indexed_at = excluded.indexed_at,
                         open_tsv = excluded.open_tsv, full_tsv = excluded.full_tsv, status = excluded.status,
                         access = excluded.access, published_at = excluded.published_at, section_id = excluded.section_id",
                )
                .bind(doc.article_id)
                .bind(&doc.publication)
                .bind(&doc.language)
                .bind(doc.open_blocks)
                .bind(now)
                .bind(&doc.headline)
                .bind(&doc.standfirst)
                .bind(&doc.byline)
                .bind(&doc.lead)
                .bind(&doc.rest)
                .execute(pool)
                .await?;
            }
        }
        Ok(true)
    }

    /// Compacts the index after many changes (a rebuild): on SQLite, merges
    /// the FTS5 segments and drops deleted entries; on PostgreSQL, refreshes
    /// the planner's statistics (GIN indexes maintain themselves).
    pub async fn optimize_search_index(&self) -> Result<()> {
        match &self.inner {
            Inner::Sqlite { write, .. } => {
                sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('optimize')").execute(write).await?;
            }
            Inner::Postgres(pool) => {
                sqlx::query("ANALYZE search_documents").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Takes an article out of the index (a no-op if it is not there).
    pub async fn remove_from_index(&self, id: i64) -> Result<()> {
        match &self.inner {
            Inner::Sqlite { write, .. } => {
                let mut tx = write.begin().await?;
                sqlx::query("DELETE FROM search_documents WHERE article_id = $1").bind(id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM search_fts WHERE rowid = $1").bind(id).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            Inner::Postgres(pool) => {
                sqlx::query("DELETE FROM search_documents WHERE article_id = $1").bind(id).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Reindexes up to `limit` articles with ids above `after`. Returns the
    /// last id done, or None when there were none left.
    pub async fn reindex_batch(&self, after: i64, limit: i64, policy: &MeterPolicy, now: DateTime<Utc>) -> Result<Option<i64>> {
        let ids: Vec<i64> = on_read!(self, pool => sqlx::query_scalar("SELECT id FROM articles WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after).bind(limit.max(1)).fetch_all(pool).await?);
        for id in &ids {
            self.index_article(*id, policy, now).await?;
        }
        Ok(ids.last().copied())
    }

    /// Queues a reindex job unless the same one is already waiting.
    pub async fn queue_reindex(&self, what: Reindex, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query(QUEUE_ONCE_SQL).bind(JOB_REINDEX).bind(what.payload()).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Articles in the index.
    pub async fn indexed_count(&self) -> Result<i64> {
        let n: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM search_documents").fetch_one(pool).await?);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use masthead_core::search::parse_query;

    #[test]
    fn backend_syntax_is_written_from_the_structure() {
        let q = parse_query(r#"putin "grain deal" export* -wheat kyiv OR kiev"#);
        assert_eq!(fts5_expr(&q), r#"("putin" AND "grain deal" AND "export"* AND ("kyiv" OR "kiev")) NOT ("wheat")"#);
        assert_eq!(tsquery(&q), "('putin' & ('grain' <-> 'deal') & 'export':* & ('kyiv' | 'kiev')) & !('wheat')");
        assert!(fts5_open(&q).starts_with("{headline standfirst byline lead} : ("));
        let hostile = parse_query(r#"'; DROP TABLE articles; -- " ) ( NEAR/3 ^col: {x} \"#);
        for s in [fts5_expr(&hostile), tsquery(&hostile)] {
            assert!(!s.contains(';') && !s.contains("--") && !s.contains('\\') && !s.contains('{'), "{s}");
        }
    }

    #[test]
    fn payloads_are_stable() {
        assert_eq!(Reindex::Article { article_id: 7 }.payload(), r#"{"scope":"article","article_id":7}"#);
        assert_eq!(Reindex::All { after: 0 }.payload(), r#"{"scope":"all","after":0}"#);
    }
}
