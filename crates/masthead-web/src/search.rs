//! The search page (/search) and the reindex job. The page parses the
//! reader's words into a structured query (never passing them to a backend
//! as syntax), asks the database for one page of results with facet counts
//! for this reader, and renders snippets that the database cut from the
//! blocks `decide` lets this reader read. Any query gets a page: results,
//! or a message saying what was done with it.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use masthead_core::search::{parse_query, Fragment, Searcher};
use masthead_core::ReaderFacts;
use masthead_db::search::{FacetValue, Reindex, SearchFilters, SearchOrder, SearchRequest, REBUILD_BATCH};
use serde::{Deserialize, Serialize};

use crate::account::urlencode;
use crate::reader::ReaderCtx;
use crate::site::chrome;
use crate::views::TeaserView;
use crate::{AppError, AppResult, AppState};

pub const PER_PAGE: i64 = 20;
/// Results beyond this many pages are not offered; narrow the search.
pub const MAX_PAGE: i64 = 250;
/// Characters of `q` echoed back into the page and links.
const MAX_ECHO: usize = 300;

/// The search form and its filters, as they come in the address.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub topic: Option<String>,
    pub region: Option<String>,
    pub section: Option<String>,
    pub author: Option<String>,
    pub publication: Option<String>,
    pub language: Option<String>,
    pub year: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
}

/// The filter parameters, in the order links carry them.
const FILTERS: [&str; 7] = ["topic", "region", "section", "author", "publication", "language", "year"];

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect())
}

impl SearchParams {
    fn filter(&self, name: &str) -> Option<String> {
        match name {
            "topic" => nonempty(&self.topic),
            "region" => nonempty(&self.region),
            "section" => nonempty(&self.section),
            "author" => nonempty(&self.author),
            "publication" => nonempty(&self.publication),
            "language" => nonempty(&self.language),
            "year" => nonempty(&self.year),
            _ => None,
        }
    }

    fn order(&self) -> SearchOrder {
        match self.sort.as_deref() {
            Some("newest") => SearchOrder::Newest,
            _ => SearchOrder::Relevance,
        }
    }

    fn page(&self) -> AppResult<i64> {
        match self.page.as_deref().map(str::trim) {
            None | Some("") => Ok(1),
            Some(p) => match p.parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
                _ => Err(AppError::BadRequest(format!("\"{}\" is not a page number between 1 and {MAX_PAGE}", p.chars().take(20).collect::<String>()))),
            },
        }
    }

    fn filters(&self) -> AppResult<SearchFilters> {
        let year = match self.filter("year") {
            None => None,
            Some(y) => match y.parse::<i32>() {
                Ok(n) if (1000..=9999).contains(&n) => Some(n),
                _ => return Err(AppError::BadRequest(format!("\"{y}\" is not a year"))),
            },
        };
        Ok(SearchFilters {
            topic: self.filter("topic"),
            region: self.filter("region"),
            section: self.filter("section"),
            author: self.filter("author"),
            publication: self.filter("publication"),
            language: self.filter("language"),
            year,
        })
    }

    /// This search's address with some parameters changed (None removes);
    /// the page is dropped unless given.
    fn url_with(&self, changes: &[(&str, Option<&str>)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let q: String = self.q.chars().take(MAX_ECHO).collect();
        pairs.push(("q", q));
        for name in FILTERS {
            if let Some(v) = self.filter(name) {
                pairs.push((name, v));
            }
        }
        if self.order() == SearchOrder::Newest {
            pairs.push(("sort", "newest".into()));
        }
        for (name, value) in changes {
            pairs.retain(|(n, _)| n != name);
            if let Some(v) = value {
                pairs.push((name, v.to_string()));
            }
        }
        let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={}", urlencode(v).replace('/', "%2F"))).collect();
        format!("/search?{}", query.join("&"))
    }
}

#[derive(Serialize)]
struct HitView {
    teaser: TeaserView,
    headline: Vec<Fragment>,
    snippet: Vec<Fragment>,
}

#[derive(Serialize)]
struct FacetLink {
    label: String,
    count: i64,
    url: String,
    selected: bool,
}

#[derive(Serialize)]
struct FacetView {
    name: &'static str,
    title: &'static str,
    values: Vec<FacetLink>,
}

#[derive(Serialize)]
struct ActiveFilter {
    title: &'static str,
    value: String,
    remove_url: String,
}

#[derive(Serialize)]
struct Pager {
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

fn facet_title(name: &str) -> &'static str {
    match name {
        "topic" => "Topic",
        "region" => "Region",
        "section" => "Section",
        "author" => "Author",
        "publication" => "Source publication",
        "language" => "Original language",
        _ => "Year",
    }
}

fn facet_links(p: &SearchParams, name: &'static str, values: &[FacetValue]) -> FacetView {
    let current = p.filter(name);
    let values = values
        .iter()
        .map(|v| {
            let selected = current.as_deref() == Some(v.key.as_str());
            let url = if selected { p.url_with(&[(name, None)]) } else { p.url_with(&[(name, Some(&v.key))]) };
            FacetLink { label: v.label.clone(), count: v.count, url, selected }
        })
        .collect();
    FacetView { name, title: facet_title(name), values }
}

/// GET /search
pub async fn search(State(state): State<AppState>, reader: ReaderCtx, Query(p): Query<SearchParams>) -> AppResult<Response> {
    let page = p.page()?;
    let filters = p.filters()?;
    let query = parse_query(&p.q);
    let q_echo: String = p.q.chars().take(MAX_ECHO).collect();
    let mut notes = query.notes.clone();
    let searched = !p.q.trim().is_empty();
    if searched && !query.is_searchable() && notes.is_empty() {
        notes.push("Type a word to search for: letters or numbers.".into());
    }
    let now = Utc::now();
    let facts = ReaderFacts { registered: reader.registered(), entitlements: reader.entitlements(), ..Default::default() };
    let searcher = Searcher::new(&facts, &state.policy().meter, now);
    let req = SearchRequest {
        query: &query,
        filters: &filters,
        order: p.order(),
        searcher: &searcher,
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
    };
    let started = std::time::Instant::now();
    let results = state.db.search(&req).await?;
    metrics::histogram!("masthead_search_seconds").record(started.elapsed().as_secs_f64());

    let dims = state.dims();
    let hits: Vec<HitView> = results
        .hits
        .iter()
        .map(|h| HitView { teaser: TeaserView::new(&h.teaser, &dims), headline: h.headline.clone(), snippet: h.snippet.clone() })
        .collect();
    let f = &results.facets;
    let facets: Vec<FacetView> = [
        ("topic", &f.topic),
        ("region", &f.region),
        ("section", &f.section),
        ("author", &f.author),
        ("publication", &f.publication),
        ("language", &f.language),
        ("year", &f.year),
    ]
    .into_iter()
    .map(|(name, values)| facet_links(&p, name, values))
    .filter(|v| !v.values.is_empty())
    .collect();
    // Active filters, named as their facet names them.
    let active: Vec<ActiveFilter> = FILTERS
        .iter()
        .filter_map(|name| {
            let value = p.filter(name)?;
            let label = facets
                .iter()
                .find(|fv| fv.name == *name)
                .and_then(|fv| fv.values.iter().find(|v| v.selected))
                .map(|v| v.label.clone())
                .unwrap_or_else(|| value.clone());
            Some(ActiveFilter { title: facet_title(name), value: label, remove_url: p.url_with(&[(name, None)]) })
        })
        .collect();
    let pages = ((results.total + PER_PAGE - 1) / PER_PAGE).clamp(1, MAX_PAGE);
    let page_url = |n: i64| if n == 1 { p.url_with(&[]) } else { p.url_with(&[("page", Some(&n.to_string()))]) };
    let pager = Pager {
        page,
        pages,
        prev: (page > 1).then(|| page_url(page - 1)),
        next: (page < pages).then(|| page_url(page + 1)),
    };
    if searched && query.is_searchable() && results.hits.is_empty() && page > 1 && results.total > 0 {
        notes.push(format!("There are only {pages} pages of results."));
    }
    let path = if searched { p.url_with(&[]) } else { "/search".to_string() };
    let body = state.theme.render(
        "search.html",
        minijinja::context! {
            chrome => chrome(&state, &path),
            q => q_echo,
            searched => searched && query.is_searchable(),
            notes,
            total => results.total,
            hits,
            facets,
            active,
            pager,
            sort => if p.order() == SearchOrder::Newest { "newest" } else { "relevance" },
            relevance_url => p.url_with(&[("sort", None)]),
            newest_url => p.url_with(&[("sort", Some("newest"))]),
        },
    )?;
    let mut res = ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body).into_response();
    let h = res.headers_mut();
    // Results depend on who is searching (what they may read).
    let cache = if reader.signed_in.is_some() { "private, no-store" } else { "public, max-age=60" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, follow"));
    Ok(res)
}

/// Runs a `search.reindex` job. A rebuild does one batch and queues the
/// next, so each job stays well inside its lease.
pub async fn run_reindex(state: &AppState, payload: &str) -> Result<(), String> {
    let what: Reindex = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    let policy = state.policy().meter;
    let now = Utc::now();
    match what {
        Reindex::Article { article_id } => {
            state.db.index_article(article_id, &policy, now).await.map_err(|e| e.to_string())?;
        }
        Reindex::All { after } => {
            let last = state.db.reindex_batch(after, REBUILD_BATCH, &policy, now).await.map_err(|e| e.to_string())?;
            match last {
                Some(last) => state.db.queue_reindex(Reindex::All { after: last }, now).await.map_err(|e| e.to_string())?,
                // The rebuild is done: compact what it wrote.
                None => state.db.optimize_search_index().await.map_err(|e| e.to_string())?,
            }
        }
    }
    Ok(())
}

/// The settings key recording which paywall settings the index was built
/// with: the open part of each article depends on them.
const INDEXED_WITH: &str = "search.indexed_with";

/// Queues a rebuild of the index when the paywall settings it depends on
/// (the preview length, whether there is an archive age) differ from those
/// it was built with, and on a database whose index was never built.
pub async fn keep_index_in_step(state: &AppState, settings: &HashMap<String, String>) -> Result<(), masthead_db::DbError> {
    let m = state.policy().meter;
    let wanted = format!("preview_blocks={};archive={}", m.preview_blocks, m.archive_after_days.is_some());
    if settings.get(INDEXED_WITH) == Some(&wanted) {
        return Ok(());
    }
    state.db.queue_reindex(Reindex::All { after: 0 }, Utc::now()).await?;
    state.db.set_setting(INDEXED_WITH, &wanted).await?;
    tracing::info!(settings = %wanted, "queued a rebuild of the search index");
    Ok(())
}
