//! The Content API: published articles and the records around them, for
//! apps and partners holding a content key. Bodies go through the one
//! access decision as an anonymous reader whose free articles are used
//! up, so a gated article is cut exactly where the web page cuts it, and
//! the text beyond the cut is never in the response.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use masthead_core::{decide, Access, Article, ArticleFacts, ArticleStatus, MeterCount, ReaderFacts, TagKind};
use masthead_db::desk::{DeskQuery, DeskSort};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{ArticleList, ArticleSummary, AuthorDto, BlockDto, BodyAccess, ContentArticle, ErrorBody, FigureDto, ProvenanceDto, TagDto, TagKindDto};
use super::{ApiPath, ApiQuery, ContentKey};
use crate::{paywall, AppError, AppResult, AppState};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentListQuery {
    /// Items per page (1 to 100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
    /// Only articles with this topic (slug).
    pub topic: Option<String>,
    /// Only articles in this section (slug).
    pub section: Option<String>,
    /// Only articles by this author (slug).
    pub author: Option<String>,
    /// Words the headline contains.
    pub q: Option<String>,
    /// The content key, when not sent as a bearer token.
    pub key: Option<String>,
}

/// Limit and offset from a query, checked.
pub fn paging(limit: Option<i64>, offset: Option<i64>) -> AppResult<(i64, i64)> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    if !(0..=1_000_000).contains(&offset) {
        return Err(AppError::BadRequest("offset must be between 0 and 1000000".into()));
    }
    Ok((limit, offset))
}

/// Published articles, newest first.
#[utoipa::path(
    get, path = "/api/content/articles", tag = "content",
    params(ContentListQuery),
    security(("content_key" = []), ("content_key_query" = [])),
    responses(
        (status = 200, description = "A page of published articles (no bodies)", body = ArticleList),
        (status = 400, description = "Bad paging or filter", body = ErrorBody),
        (status = 401, description = "No valid content key", body = ErrorBody),
    )
)]
pub async fn list_articles(State(state): State<AppState>, _key: ContentKey, ApiQuery(q): ApiQuery<ContentListQuery>) -> AppResult<Response> {
    let (limit, offset) = paging(q.limit, q.offset)?;
    // The same listing for every key: kept with the pages, and dropped with
    // them whenever content changes (on every node).
    let cache_key = format!(
        "api:content:articles|{limit}|{offset}|{}|{}|{}|{}",
        q.topic.as_deref().unwrap_or(""),
        q.section.as_deref().unwrap_or(""),
        q.author.as_deref().unwrap_or(""),
        q.q.as_deref().unwrap_or("")
    );
    if let Some(body) = state.pages.get(&cache_key) {
        return Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    let query = DeskQuery {
        search: q.q,
        topic: q.topic,
        section: q.section,
        author: q.author,
        status: Some(ArticleStatus::Published),
        live_at: Some(Utc::now()),
        sort: DeskSort::Published,
        limit,
        offset,
        ..Default::default()
    };
    let page = state.db.desk_articles(&query).await?;
    let items = page.items.iter().map(ArticleSummary::of_desk).collect();
    let body = bytes::Bytes::from(serde_json::to_vec(&ArticleList { items, total: page.total, limit, offset }).map_err(AppError::internal)?);
    state.pages.put(cache_key, body.clone());
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// The content key, when not sent as a bearer token.
    pub key: Option<String>,
}

/// How much of an article the Content API may send: the decision for an
/// anonymous reader who has no free articles left.
pub fn api_access(state: &AppState, a: &Article) -> Access {
    let policy = state.policy().meter;
    let now = Utc::now();
    let facts = ArticleFacts { access: a.access, published_at: a.published_at.unwrap_or(a.created_at), block_count: a.blocks.len() };
    let spent = MeterCount { used: policy.anonymous_quota, already_read: false };
    let network = policy.network_quota.map(|q| MeterCount { used: q, already_read: false });
    decide(&facts, &ReaderFacts::default(), spent, network, &policy, now)
}

/// One published article, its body cut as the web cuts it.
#[utoipa::path(
    get, path = "/api/content/articles/{slug}", tag = "content",
    params(("slug" = String, Path, description = "The article's slug"), KeyQuery),
    security(("content_key" = []), ("content_key_query" = [])),
    responses(
        (status = 200, description = "The article", body = ContentArticle),
        (status = 401, description = "No valid content key", body = ErrorBody),
        (status = 404, description = "No published article at that slug", body = ErrorBody),
    )
)]
pub async fn get_article(State(state): State<AppState>, _key: ContentKey, ApiPath(slug): ApiPath<String>) -> AppResult<Response> {
    let now = Utc::now();
    let a = state
        .db
        .article_by_slug(&slug)
        .await?
        .filter(|a| a.status == ArticleStatus::Published && a.published_at.is_some_and(|t| t <= now))
        .ok_or(AppError::NotFound)?;
    let access = api_access(&state, &a);
    let total = a.blocks.len();
    let visible = access.visible_blocks(total);
    let body = ContentArticle {
        summary: ArticleSummary::of(&a),
        hero: a.hero.as_ref().map(FigureDto::from),
        topics: a.topics.iter().map(TagDto::from).collect(),
        regions: a.regions.iter().map(TagDto::from).collect(),
        provenance: a.provenance.as_ref().map(ProvenanceDto::from),
        reading_minutes: a.reading_minutes,
        word_count: a.word_count,
        updated_at: a.updated_at,
        body: a.blocks[..visible].iter().map(BlockDto::from).collect(),
        body_access: BodyAccess {
            full: access.is_full(),
            visible_blocks: visible,
            total_blocks: total,
            reason: if access.is_full() { None } else { access.reason().map(|r| paywall::reason_name(r).to_string()) },
        },
    };
    Ok(axum::Json(body).into_response())
}

/// Every author.
#[utoipa::path(
    get, path = "/api/content/authors", tag = "content",
    params(KeyQuery),
    security(("content_key" = []), ("content_key_query" = [])),
    responses(
        (status = 200, description = "Authors by name", body = Vec<AuthorDto>),
        (status = 401, description = "No valid content key", body = ErrorBody),
    )
)]
pub async fn list_authors(State(state): State<AppState>, _key: ContentKey) -> AppResult<Response> {
    let authors: Vec<AuthorDto> = state.db.authors().await?.iter().map(AuthorDto::from).collect();
    Ok(axum::Json(authors).into_response())
}

/// Which kind of tag a path names.
pub fn tag_kind(kind: &str) -> AppResult<TagKind> {
    match kind {
        "topics" => Ok(TagKind::Topic),
        "regions" => Ok(TagKind::Region),
        "sections" => Ok(TagKind::Section),
        _ => Err(AppError::NotFound),
    }
}

/// Every topic, region or section.
#[utoipa::path(
    get, path = "/api/content/{kind}", tag = "content",
    params(("kind" = inline(TagKindDto), Path, description = "topics, regions or sections", example = "topics"), KeyQuery),
    security(("content_key" = []), ("content_key_query" = [])),
    responses(
        (status = 200, description = "The tags (sections in their set order, the rest by name)", body = Vec<TagDto>),
        (status = 401, description = "No valid content key", body = ErrorBody),
        (status = 404, description = "Not a kind of tag", body = ErrorBody),
    )
)]
pub async fn list_tags(State(state): State<AppState>, _key: ContentKey, ApiPath(kind): ApiPath<String>) -> AppResult<Response> {
    let kind = tag_kind(&kind)?;
    let tags: Vec<TagDto> = state.db.tags(kind).await?.iter().map(TagDto::from).collect();
    Ok(axum::Json(tags).into_response())
}
