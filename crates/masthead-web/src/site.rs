//! The public site: home, articles, lists by topic, region, section and
//! author, and the latest stories. Everything here is server-rendered and
//! works without JavaScript.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::Utc;
use std::sync::Arc;

use masthead_core::{Access, AccessLevel, Article, ArticleStatus, Benefit, Reason, TagKind};
use masthead_db::ListFilter;
use serde::{Deserialize, Serialize};

use crate::reader::ReaderCtx;
use crate::views::{self, ArticleView, Link, Pagination, TeaserView};
use crate::{auth, paywall, AppError, AppResult, AppState};

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
    /// The site-wide newsletter sign-up.
    pub newsletter: Option<crate::newsletters::SignupView>,
}

pub fn chrome(state: &AppState, path: &str) -> Chrome {
    Chrome {
        site: state.site(),
        nav: state.nav.read().map(|n| n.clone()).unwrap_or_default(),
        base_url: state.config.base_url.clone(),
        canonical: format!("{}{}", state.config.base_url.trim_end_matches('/'), path),
        year: chrono::Datelike::year(&Utc::now()),
        newsletter: crate::newsletters::site_signup(state),
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
pub(crate) async fn cached<F, Fut>(state: &AppState, key: String, render: F) -> AppResult<Response>
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
    let feed = crate::feeds::feed_for_list(base);
    Ok(s.theme.render(
        "list.html",
        minijinja::context! { chrome => chrome(s, &path), title, description, author, items, pagination, total => list.total, feed },
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

/// A published article and the one that follows it, cached by slug.
pub struct ArticleEntry {
    pub article: Article,
    pub next: Option<Article>,
}

/// The published article at `slug`, from the cache or the database.
/// `Err(Some(slug))` means the article moved: redirect there.
pub async fn published_article(state: &AppState, slug: &str, now: chrono::DateTime<Utc>) -> AppResult<Result<Arc<ArticleEntry>, Option<String>>> {
    if let Some(e) = state.articles.get(slug) {
        return Ok(Ok(e));
    }
    let Some(article) = state.db.article_by_slug(slug).await? else {
        return Ok(Err(state.db.current_slug_for(slug).await?));
    };
    let visible = article.status == ArticleStatus::Published && article.published_at.is_some_and(|t| t <= now);
    if !visible {
        return Ok(Err(None));
    }
    let next = state.db.next_article(&article, now).await?;
    let entry = Arc::new(ArticleEntry { article, next });
    state.articles.put(slug.to_string(), entry.clone());
    Ok(Ok(entry))
}

#[derive(Deserialize)]
pub struct ArticleQuery {
    gift: Option<String>,
}

/// Marks a response whose handler filled the reader's slots itself.
#[derive(Clone, Copy, Debug)]
pub struct Filled;

/// The placeholders a cached page carries for what differs per reader.
pub const ACCOUNT_SLOT: &str = "<!--mh:account-->";
pub const BANNER_SLOT: &str = "<!--mh:banner-->";

/// The header's account links for this reader.
pub fn account_links(reader: Option<&crate::reader::SignedIn>) -> String {
    match reader {
        Some(r) if r.entitlements.has(Benefit::FullAccess) => "<a href=\"/account\">Account</a>".to_string(),
        Some(_) => "<a href=\"/account\">Account</a> <a class=\"button-subscribe\" href=\"/subscribe\">Subscribe</a>".to_string(),
        None => "<a href=\"/login\">Sign in</a> <a class=\"button-subscribe\" href=\"/subscribe\">Subscribe</a>".to_string(),
    }
}

/// Fills a cached page's slots for this reader.
pub fn personalize(body: &[u8], account: &str, banner: &str) -> Bytes {
    crate::slots::fill(&Bytes::copy_from_slice(body), &[(ACCOUNT_SLOT, account), (BANNER_SLOT, banner)])
}

/// Builds an article page's cacheable part for one access variant.
pub(crate) fn render_article(
    state: &AppState,
    a: &Article,
    access: &Access,
    next: Option<(&Article, usize)>,
    gift: bool,
) -> AppResult<String> {
    let dims = state.dims();
    let policy = state.policy().meter;
    let total = a.blocks.len();
    let visible = access.visible_blocks(total);
    // In a full page of a gated article, the part beyond the free preview is
    // marked, as search engines ask (isAccessibleForFree + hasPart).
    let gated_from = if a.access == AccessLevel::Free { total } else { (policy.preview_blocks as usize).min(total) };
    let view = ArticleView::new(a, &a.blocks[..visible], gated_from.min(visible), &dims);
    let cut = match access {
        Access::Full { .. } => None,
        Access::Preview { reason, .. } | Access::Denied { reason } => Some(minijinja::context! {
            reason => paywall::reason_name(*reason),
            plans => paywall::plan_views(&state.plans()),
            hidden_blocks => total - visible,
        }),
    };
    let next = next.map(|(n, allowed)| {
        let blocks = views::block_views(&n.blocks[..allowed.min(n.blocks.len())]);
        let visible: Vec<_> = blocks.iter().take(NEXT_TEASER_VISIBLE).cloned().collect();
        let more: Vec<_> = blocks.iter().skip(NEXT_TEASER_VISIBLE).take(NEXT_TEASER_MORE).cloned().collect();
        let continues = n.blocks.len() > visible.len() + more.len();
        NextView { teaser: TeaserView::new(&n.teaser(), &dims), visible, more, continues }
    });
    let jsonld = crate::seo::news_article_jsonld(state, a);
    let share = crate::seo::share_meta(state, a);
    let ad_at = state.ads().in_article_at(&a.blocks[..visible]);
    Ok(state.theme.render(
        "article.html",
        minijinja::context! { chrome => chrome(state, &view.url), article => view, next, cut, jsonld, gift, share, ad_at,
            newsletter_box => crate::newsletters::article_box(state, a) },
    )?)
}

pub async fn article(
    State(state): State<AppState>,
    reader: ReaderCtx,
    Path(slug): Path<String>,
    Query(q): Query<ArticleQuery>,
) -> AppResult<Response> {
    article_page(state, reader, slug, q, false).await
}

pub async fn article_print(
    State(state): State<AppState>,
    reader: ReaderCtx,
    Path(slug): Path<String>,
    Query(q): Query<ArticleQuery>,
) -> AppResult<Response> {
    article_page(state, reader, slug, q, true).await
}

async fn article_page(state: AppState, reader: ReaderCtx, slug: String, q: ArticleQuery, print: bool) -> AppResult<Response> {
    let now = Utc::now();
    let entry = match published_article(&state, &slug, now).await? {
        Ok(e) => e,
        Err(Some(current)) => {
            let suffix = if print { "/print" } else { "" };
            return Ok(Redirect::permanent(&format!("{}{suffix}", views::article_url(&current))).into_response());
        }
        Err(None) => return Err(AppError::NotFound),
    };
    let a = &entry.article;
    let gift = match q.gift.as_deref() {
        Some(token) => crate::account::gift_valid(&state, token, a.id, now).await?,
        None => false,
    };
    let decision = paywall::decide_for(&state, &reader, a, gift, now).await?;
    let access = decision.access;
    // The teaser of the next article never shows more than a cut would,
    // unless this reader may read that article without using the meter.
    let next = match &entry.next {
        Some(n) => {
            let d = paywall::decide_for(&state, &reader, n, false, now).await?.access;
            let free_to_reader = matches!(d, Access::Full { meter: None });
            let cap = NEXT_TEASER_VISIBLE + NEXT_TEASER_MORE;
            let allowed = if free_to_reader { cap } else { cap.min(d.visible_blocks(n.blocks.len())).min(state.policy().meter.preview_blocks as usize) };
            Some((n, allowed))
        }
        None => None,
    };
    let variant = match access {
        Access::Full { .. } => "full".to_string(),
        Access::Preview { cut_after_block, reason } => format!("cut{cut_after_block}-{}", paywall::reason_name(reason)),
        Access::Denied { reason } => format!("denied-{}", paywall::reason_name(reason)),
    };
    let key = format!("/article/{slug}|{variant}|{}|{print}|{gift}", next.map(|n| n.1).unwrap_or(0));
    let body = match state.pages.get(&key) {
        Some(b) => b,
        None => {
            let html = if print {
                render_print(&state, a, &access)?
            } else {
                render_article(&state, a, &access, next.map(|(n, k)| (n, k)), gift)?
            };
            let b = Bytes::from(html);
            state.pages.put(key, b.clone());
            b
        }
    };
    // The banner differs only by what it says ("n of N left"), so each
    // wording is rendered once and kept with the pages.
    let banner = match access.reason() {
        Some(Reason::Metered { remaining }) if access.counts() => {
            let registered = reader.registered();
            let key = format!("banner|{remaining}|{}|{registered}", decision.quota);
            match state.pages.get(&key) {
                Some(b) => b,
                None => {
                    let b = Bytes::from(state.theme.render(
                        "meter_banner.html",
                        minijinja::context! { remaining, quota => decision.quota, registered },
                    )?);
                    state.pages.put(key, b.clone());
                    b
                }
            }
        }
        _ => Bytes::new(),
    };
    let banner = std::str::from_utf8(&banner).unwrap_or("");
    // The reader's parts, spliced into the shared page in one pass: ads (or
    // none for the ad-free), the account links and the meter banner.
    let ads = state.ads();
    let ad_free = reader.entitlements().has(Benefit::AdFree);
    let links = account_links(reader.signed_in.as_ref());
    let mut fills = ads.fills(ad_free);
    fills.push((ACCOUNT_SLOT, &links));
    fills.push((BANNER_SLOT, banner));
    let body = crate::slots::fill(&body, &fills);
    let new_anon = if access.counts() { paywall::record_read(&state, &reader, a.id, now) } else { None };
    if !print && !reader.verified_crawler {
        if access.counts() {
            state.counters.bump(crate::counters::METER_VIEW, "");
        }
        if access.is_full() {
            state.counters.bump(crate::counters::ARTICLE_READ, a.id.to_string());
        } else {
            state.counters.bump(crate::counters::OFFER_SHOWN, "");
        }
    }
    let mut res = (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        body,
    )
        .into_response();
    res.extensions_mut().insert(Filled);
    let h = res.headers_mut();
    // What a shared cache may keep: only a page that is the same for every
    // anonymous reader who gets it (free articles, and the cut variant), and
    // never one that sets a cookie or belongs to a signed-in reader.
    let shareable = reader.signed_in.is_none() && new_anon.is_none() && !gift && !access.counts() && !reader.verified_crawler;
    let cache = if shareable { "public, max-age=0, s-maxage=60" } else { "private, no-store" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    if gift || print {
        h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    }
    if let Some((_, cookie)) = new_anon {
        let c = auth::set_cookie(crate::reader::ANON_COOKIE, &cookie, Some(crate::reader::ANON_DAYS * 86400), state.config.secure_cookies);
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    metrics::counter!("masthead_article_views_total", "variant" => if access.is_full() { "full" } else { "cut" }).increment(1);
    Ok(res)
}

fn render_print(state: &AppState, a: &Article, access: &Access) -> AppResult<String> {
    let dims = state.dims();
    let visible = access.visible_blocks(a.blocks.len());
    let view = ArticleView::new(a, &a.blocks[..visible], visible, &dims);
    let cut = (!access.is_full()).then(|| access.reason().map(paywall::reason_name).unwrap_or("limit_reached"));
    Ok(state.theme.render("print.html", minijinja::context! { chrome => chrome(state, &view.url), article => view, cut })?)
}

#[derive(Deserialize)]
pub struct NextOnly {
    next: Option<String>,
}

/// The offer on a page of its own.
pub async fn subscribe(State(state): State<AppState>, Query(q): Query<NextOnly>) -> AppResult<Response> {
    let next = crate::account::safe_next(q.next.as_deref());
    let body = state.theme.render(
        "subscribe.html",
        minijinja::context! { chrome => chrome(&state, "/subscribe"), plans => paywall::plan_views(&state.plans()), next },
    )?;
    Ok(html(Bytes::from(body)))
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
