//! The public site: home, articles, lists by topic, region, section and
//! author, and the latest stories. Everything here is server-rendered and
//! works without JavaScript.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::Utc;
use masthead_core::{ArticleStatus, TagKind};
use masthead_db::ListFilter;
use serde::{Deserialize, Serialize};

use crate::views::{self, ArticleView, Link, Pagination, TeaserView};
use crate::{AppError, AppResult, AppState};

pub const PER_PAGE: i64 = 20;

/// How many blocks of the next article show before "keep reading".
pub const NEXT_TEASER_VISIBLE: usize = 2;
/// How many more "keep reading" reveals, before a link to the full piece.
pub const NEXT_TEASER_MORE: usize = 4;

/// The context every page shares.
#[derive(Serialize)]
pub struct Chrome {
    pub site: crate::Site,
    pub nav: Vec<Link>,
    pub base_url: String,
    pub canonical: String,
    pub year: i32,
}

pub fn chrome(state: &AppState, path: &str) -> Chrome {
    Chrome {
        site: state.site(),
        nav: state.nav.read().map(|n| n.clone()).unwrap_or_default(),
        base_url: state.config.base_url.clone(),
        canonical: format!("{}{}", state.config.base_url.trim_end_matches('/'), path),
        year: chrono::Datelike::year(&Utc::now()),
    }
}

/// An HTML response that a shared cache may keep briefly.
pub fn html(body: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        body,
    )
        .into_response()
}

/// Serves a page from the cache, or renders and caches it.
async fn cached<F, Fut>(state: &AppState, key: String, render: F) -> AppResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<String>>,
{
    if let Some(body) = state.pages.get(&key) {
        metrics::counter!("masthead_page_cache_hits_total").increment(1);
        return Ok(html(body));
    }
    let body = Bytes::from(render().await?);
    state.pages.put(key, body.clone());
    Ok(html(body))
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    fn page(&self) -> AppResult<i64> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(p) => match p.parse::<i64>() {
                Ok(n) if (1..=100_000).contains(&n) => Ok(n),
                _ => Err(AppError::BadRequest(format!("\"{p}\" is not a page number"))),
            },
        }
    }
}

pub async fn home(State(state): State<AppState>) -> AppResult<Response> {
    let s = state.clone();
    cached(&state, "/".into(), || async move {
        let now = Utc::now();
        let page = s.db.published(ListFilter::All, now, 25, 0).await?;
        let dims = s.dims();
        let mut teasers: Vec<TeaserView> = page.items.iter().map(|t| TeaserView::new(t, &dims)).collect();
        let rest = teasers.split_off(teasers.len().min(5));
        let (lead, secondary) = match teasers.split_first() {
            Some((lead, more)) => (Some(lead.clone()), more.to_vec()),
            None => (None, Vec::new()),
        };
        Ok(s.theme.render(
            "home.html",
            minijinja::context! { chrome => chrome(&s, "/"), lead, secondary, latest => rest },
        )?)
    })
    .await
}

pub async fn latest(State(state): State<AppState>, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let page = q.page()?;
    let s = state.clone();
    cached(&state, format!("/latest?{page}"), || async move {
        let list = s.db.published(ListFilter::All, Utc::now(), PER_PAGE, (page - 1) * PER_PAGE).await?;
        render_list(&s, "/latest", "Latest", "The newest stories, as they are published.", None, list, page)
    })
    .await
}

fn render_list(
    s: &AppState,
    base: &str,
    title: &str,
    description: &str,
    author: Option<views::AuthorView>,
    list: masthead_db::Page<masthead_core::Teaser>,
    page: i64,
) -> AppResult<String> {
    if page > 1 && list.items.is_empty() {
        return Err(AppError::NotFound);
    }
    let dims = s.dims();
    let items: Vec<TeaserView> = list.items.iter().map(|t| TeaserView::new(t, &dims)).collect();
    let pagination = Pagination::new(base, page, PER_PAGE, list.total);
    let path = if page > 1 { format!("{base}?page={page}") } else { base.to_string() };
    Ok(s.theme.render(
        "list.html",
        minijinja::context! { chrome => chrome(s, &path), title, description, author, items, pagination, total => list.total },
    )?)
}

async fn tag_page(state: AppState, kind: TagKind, slug: String, q: PageQuery) -> AppResult<Response> {
    let page = q.page()?;
    let s = state.clone();
    cached(&state, format!("/{}/{slug}?{page}", kind.path()), || async move {
        let tag = s.db.tag_by_slug(kind, &slug).await?.ok_or(AppError::NotFound)?;
        let filter = match kind {
            TagKind::Topic => ListFilter::Topic(tag.id),
            TagKind::Region => ListFilter::Region(tag.id),
            TagKind::Section => ListFilter::Section(tag.id),
        };
        let list = s.db.published(filter, Utc::now(), PER_PAGE, (page - 1) * PER_PAGE).await?;
        render_list(&s, &views::tag_url(kind, &slug), &tag.name, &tag.description, None, list, page)
    })
    .await
}

pub async fn topic(State(s): State<AppState>, Path(slug): Path<String>, Query(q): Query<PageQuery>) -> AppResult<Response> {
    tag_page(s, TagKind::Topic, slug, q).await
}

pub async fn region(State(s): State<AppState>, Path(slug): Path<String>, Query(q): Query<PageQuery>) -> AppResult<Response> {
    tag_page(s, TagKind::Region, slug, q).await
}

pub async fn section(State(s): State<AppState>, Path(slug): Path<String>, Query(q): Query<PageQuery>) -> AppResult<Response> {
    tag_page(s, TagKind::Section, slug, q).await
}

pub async fn author(State(state): State<AppState>, Path(slug): Path<String>, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let page = q.page()?;
    let s = state.clone();
    cached(&state, format!("/author/{slug}?{page}"), || async move {
        let author = s.db.author_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
        let list = s.db.published(ListFilter::Author(author.id), Utc::now(), PER_PAGE, (page - 1) * PER_PAGE).await?;
        let view = views::AuthorView::from(&author);
        render_list(&s, &views::author_url(&slug), &author.name, &author.title, Some(view), list, page)
    })
    .await
}

/// The next article, as a teaser folded under the one being read.
#[derive(Serialize)]
struct NextView {
    teaser: TeaserView,
    visible: Vec<views::BlockView>,
    more: Vec<views::BlockView>,
    continues: bool,
}

pub async fn article(State(state): State<AppState>, Path(slug): Path<String>) -> AppResult<Response> {
    let key = format!("/article/{slug}");
    if let Some(body) = state.pages.get(&key) {
        metrics::counter!("masthead_page_cache_hits_total").increment(1);
        return Ok(html(body));
    }
    let now = Utc::now();
    let Some(article) = state.db.article_by_slug(&slug).await? else {
        // An old link: send the reader to where the article lives now.
        if let Some(current) = state.db.current_slug_for(&slug).await? {
            return Ok(Redirect::permanent(&views::article_url(&current)).into_response());
        }
        return Err(AppError::NotFound);
    };
    let visible = article.status == ArticleStatus::Published && article.published_at.is_some_and(|t| t <= now);
    if !visible {
        return Err(AppError::NotFound);
    }
    let dims = state.dims();
    let view = ArticleView::new(&article, &dims);
    let next = state.db.next_article(&article, now).await?.map(|n| {
        let blocks = views::block_views(&n.blocks);
        let visible: Vec<_> = blocks.iter().take(NEXT_TEASER_VISIBLE).cloned().collect();
        let more: Vec<_> = blocks.iter().skip(NEXT_TEASER_VISIBLE).take(NEXT_TEASER_MORE).cloned().collect();
        let continues = blocks.len() > NEXT_TEASER_VISIBLE + NEXT_TEASER_MORE;
        let teaser = masthead_core::Teaser {
            id: n.id,
            slug: n.slug.clone(),
            headline: n.headline.clone(),
            standfirst: n.standfirst.clone(),
            dateline: n.dateline.clone(),
            hero: n.hero.clone(),
            access: n.access,
            section: n.section.clone(),
            authors: n.authors.clone(),
            original_language: n.provenance.as_ref().map(|p| p.language.clone()),
            reading_minutes: n.reading_minutes,
            published_at: n.published_at,
        };
        NextView { teaser: TeaserView::new(&teaser, &dims), visible, more, continues }
    });
    let body = Bytes::from(state.theme.render(
        "article.html",
        minijinja::context! { chrome => chrome(&state, &view.url), article => view, next },
    )?);
    state.pages.put(key, body.clone());
    Ok(html(body))
}

/// Anything no route matched.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Renders a marked error response with the theme's error page.
pub fn error_page(state: &AppState, info: &crate::error::ErrorInfo) -> Response {
    let title = match info.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::BAD_REQUEST => "That request didn't look right",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_server_error() => "Something went wrong",
        _ => "Something's not right",
    };
    let body = state
        .theme
        .render(
            "error.html",
            minijinja::context! { chrome => chrome(state, "/"), status => info.status.as_u16(), title, message => info.message },
        )
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the theme's error page failed to render");
            format!("<!doctype html><title>{}</title><h1>{}</h1>", info.status.as_u16(), title)
        });
    (
        info.status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}
