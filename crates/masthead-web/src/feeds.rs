//! Feeds: RSS 2.0, Atom and JSON Feed for the whole site and for each
//! topic, region, section and author, and each reader's private full-text
//! feed at a secret address. Every item's text goes through the one access
//! decision: a public feed is read by an anonymous reader whose meter is
//! used up (feed readers cannot carry a meter), so gated articles are cut to
//! the preview with a link to continue; a private feed is read with its
//! owner's entitlements.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use masthead_core::{decide, Access, Article, ArticleFacts, Entitlements, MeterCount, ReaderFacts, Reason, TagKind};
use masthead_db::ListFilter;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::reader::ReaderCtx;
use crate::views::{article_url, author_url, tag_url};
use crate::{AppError, AppResult, AppState};

/// How many of the newest articles a feed carries.
pub const FEED_ITEMS: i64 = 30;

/// The three formats every feed comes in, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub fn from_file(name: &str) -> Option<Format> {
        match name {
            "feed.xml" => Some(Format::Rss),
            "atom.xml" => Some(Format::Atom),
            "feed.json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn file(self) -> &'static str {
        match self {
            Format::Rss => "feed.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// Which articles a feed lists and what it is called.
struct Scope {
    /// The list page the feed mirrors, e.g. "/topic/war" ("" for the site).
    path: String,
    title: String,
    description: String,
    filter: ListFilter,
}

/// How much of an article an anonymous reader who cannot use the meter
/// may be sent: what every public feed shows.
pub fn public_access(state: &AppState, a: &Article, now: DateTime<Utc>) -> Access {
    access_for(state, a, &ReaderFacts::default(), now)
}

/// The decision for a feed's reader. Fetching a feed never counts on the
/// meter, so the meter is taken as used up: metered articles come whole
/// only to readers with full access, as subscribers-only ones do.
fn access_for(state: &AppState, a: &Article, reader: &ReaderFacts, now: DateTime<Utc>) -> Access {
    let facts = ArticleFacts { access: a.access, published_at: a.published_at.unwrap_or(a.created_at), block_count: a.blocks.len() };
    let spent = MeterCount { used: u32::MAX, already_read: false };
    decide(&facts, reader, spent, None, &state.policy().meter, now)
}

/// The newest articles of a list, whole, shared by the public and private
/// feeds of that list (cached like pages).
async fn articles(state: &AppState, key: &str, filter: ListFilter, now: DateTime<Utc>) -> AppResult<Arc<Vec<Article>>> {
    if let Some(list) = state.feed_articles.get(key) {
        return Ok(list);
    }
    let list = Arc::new(state.db.newest_articles(filter, now, FEED_ITEMS).await?);
    state.feed_articles.put(key.to_string(), list.clone());
    Ok(list)
}

async fn scope_for(state: &AppState, kind: &str, slug: &str) -> AppResult<Scope> {
    let site = state.site();
    let tag_kind = match kind {
        "topic" => Some(TagKind::Topic),
        "region" => Some(TagKind::Region),
        "section" => Some(TagKind::Section),
        _ => None,
    };
    if let Some(k) = tag_kind {
        let tag = state.db.tag_by_slug(k, slug).await?.ok_or(AppError::NotFound)?;
        let filter = match k {
            TagKind::Topic => ListFilter::Topic(tag.id),
            TagKind::Region => ListFilter::Region(tag.id),
            TagKind::Section => ListFilter::Section(tag.id),
        };
        return Ok(Scope {
            path: tag_url(k, &tag.slug),
            title: format!("{} — {}", tag.name, site.name),
            description: if tag.description.is_empty() { format!("{} from {}", tag.name, site.name) } else { tag.description },
            filter,
        });
    }
    let author = state.db.author_by_slug(slug).await?.ok_or(AppError::NotFound)?;
    Ok(Scope {
        path: author_url(&author.slug),
        title: format!("{} — {}", author.name, site.name),
        description: format!("Stories by {} in {}", author.name, site.name),
        filter: ListFilter::Author(author.id),
    })
}

fn site_scope(state: &AppState) -> Scope {
    let site = state.site();
    let description = if site.description.is_empty() { site.tagline.clone() } else { site.description.clone() };
    Scope { path: String::new(), title: site.name, description, filter: ListFilter::All }
}

/// `/feed.xml`, `/atom.xml`, `/feed.json`: the whole site.
pub async fn site_rss(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    public_feed(&state, &headers, None, Format::Rss).await
}

pub async fn site_atom(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    public_feed(&state, &headers, None, Format::Atom).await
}

pub async fn site_json(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    public_feed(&state, &headers, None, Format::Json).await
}

/// `/{topic|region|section|author}/{slug}/{feed.xml|atom.xml|feed.json}`.
async fn list_feed(state: AppState, headers: HeaderMap, kind: &str, slug: String, file: String) -> AppResult<Response> {
    let format = Format::from_file(&file).ok_or(AppError::NotFound)?;
    public_feed(&state, &headers, Some((kind, slug.as_str())), format).await
}

pub async fn topic_feed(State(s): State<AppState>, h: HeaderMap, Path((slug, file)): Path<(String, String)>) -> AppResult<Response> {
    list_feed(s, h, "topic", slug, file).await
}

pub async fn region_feed(State(s): State<AppState>, h: HeaderMap, Path((slug, file)): Path<(String, String)>) -> AppResult<Response> {
    list_feed(s, h, "region", slug, file).await
}

pub async fn section_feed(State(s): State<AppState>, h: HeaderMap, Path((slug, file)): Path<(String, String)>) -> AppResult<Response> {
    list_feed(s, h, "section", slug, file).await
}

pub async fn author_feed(State(s): State<AppState>, h: HeaderMap, Path((slug, file)): Path<(String, String)>) -> AppResult<Response> {
    list_feed(s, h, "author", slug, file).await
}

/// The kinds of list that have feeds of their own.
const LIST_KINDS: [&str; 4] = ["topic", "region", "section", "author"];

async fn public_feed(state: &AppState, headers: &HeaderMap, list: Option<(&str, &str)>, format: Format) -> AppResult<Response> {
    let key = match list {
        Some((kind, slug)) => format!("feed|/{kind}/{slug}|{}", format.file()),
        None => format!("feed||{}", format.file()),
    };
    let body = match state.pages.get(&key) {
        Some(b) => b,
        None => {
            let now = Utc::now();
            let scope = match list {
                Some((kind, slug)) => scope_for(state, kind, slug).await?,
                None => site_scope(state),
            };
            let list = articles(state, &scope.path, scope.filter, now).await?;
            let base = base_url(state);
            let meta = FeedMeta {
                title: scope.title,
                description: scope.description,
                home: format!("{base}{}", if scope.path.is_empty() { "/" } else { scope.path.as_str() }),
                self_url: format!("{base}{}/{}", scope.path, format.file()),
                id: format!("{base}{}/{}", scope.path, format.file()),
            };
            let items: Vec<Item> = list.iter().map(|a| item(state, a, &public_access(state, a, now))).collect();
            let b = Bytes::from(write_feed(state, &meta, &items, format));
            state.pages.put(key, b.clone());
            b
        }
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..8]));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if matches { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

/// `/feeds/private/{token}/{file}`: a reader's full-text feed. Unknown or
/// revoked addresses are simply not found.
pub async fn private_feed(State(state): State<AppState>, Path((token, file)): Path<(String, String)>) -> AppResult<Response> {
    let format = Format::from_file(&file).ok_or(AppError::NotFound)?;
    if token.len() > 100 {
        return Err(AppError::NotFound);
    }
    let reader_id = state.db.reader_for_feed_token(&hash_token(&token)).await?.ok_or(AppError::NotFound)?;
    // Benefits as of now: a lapsed subscription gets previews on the next fetch.
    let entitlements = crate::reader::entitlements_of(&state, reader_id).await?;
    let now = Utc::now();
    let list = articles(&state, "", ListFilter::All, now).await?;
    let site = state.site();
    let base = base_url(&state);
    let meta = FeedMeta {
        title: format!("{} — your full-text feed", site.name),
        description: format!("Every story from {} as your subscription allows. This address is yours alone: keep it private.", site.name),
        home: format!("{base}/"),
        self_url: format!("{base}/feeds/private/{token}/{}", format.file()),
        id: format!("{base}/feeds/private/{reader_id}"),
    };
    let reader = reader_facts(entitlements);
    let items: Vec<Item> = list.iter().map(|a| item(&state, a, &access_for(&state, a, &reader, now))).collect();
    let body = write_feed(&state, &meta, &items, format);
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    Ok(res)
}

fn reader_facts(entitlements: Entitlements) -> ReaderFacts {
    ReaderFacts { registered: true, entitlements, verified_crawler: false, gift_link: false }
}

fn base_url(state: &AppState) -> String {
    state.config.base_url.trim_end_matches('/').to_string()
}

/// The link tags a list page carries to its own feeds, for `/topic/x`
/// and the like; None for lists that have no feed of their own.
pub fn feed_for_list(path: &str) -> Option<String> {
    let kind = path.trim_start_matches('/').split('/').next()?;
    (LIST_KINDS.contains(&kind) && path.matches('/').count() == 2).then(|| format!("{path}/feed.xml"))
}

// ---- the private address ----------------------------------------------

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The address token for a reader and nonce: derived with the server's
/// secret, so the stored nonce alone does not give the address, and the
/// account page can show it again without storing it.
fn derive_token(secret: &str, reader_id: i64, nonce: &str) -> String {
    let mut m = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    m.update(b"private-feed\0");
    m.update(format!("{reader_id}:{nonce}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// A reader's private feed addresses, as the account page shows them.
#[derive(Debug, Clone, Serialize)]
pub struct PrivateFeedView {
    pub rss: String,
    pub atom: String,
    pub json: String,
    pub made: String,
}

pub async fn private_feed_view(state: &AppState, reader_id: i64) -> AppResult<Option<PrivateFeedView>> {
    let Some(t) = state.db.feed_token(reader_id).await? else { return Ok(None) };
    let token = derive_token(&state.config.secret_key, reader_id, &t.nonce);
    let base = format!("{}/feeds/private/{token}", base_url(state));
    Ok(Some(PrivateFeedView {
        rss: format!("{base}/feed.xml"),
        atom: format!("{base}/atom.xml"),
        json: format!("{base}/feed.json"),
        made: crate::views::human_date(t.created_at),
    }))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /account/feed`: makes the reader a new private feed address; the
/// old one stops working at once.
pub async fn new_private_feed(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> AppResult<Response> {
    let me = reader.signed_in.as_ref().ok_or(AppError::Unauthorized)?;
    crate::account::check_form(&state, &reader, &headers, &f.csrf)?;
    let nonce = crate::auth::random_token();
    let token = derive_token(&state.config.secret_key, me.id, &nonce);
    state.db.set_feed_token(me.id, &nonce, &hash_token(&token), Utc::now()).await?;
    tracing::info!(reader = me.id, "reader made a new private feed address");
    Ok(Redirect::to("/account?sent=feed#private-feed").into_response())
}

// ---- writing the formats ----------------------------------------------

struct FeedMeta {
    title: String,
    description: String,
    home: String,
    self_url: String,
    id: String,
}

/// One entry, as every format writes it.
struct Item {
    id: String,
    url: String,
    title: String,
    summary: String,
    content_html: String,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
    authors: Vec<(String, String)>,
    categories: Vec<String>,
    image: Option<String>,
}

fn item(state: &AppState, a: &Article, access: &Access) -> Item {
    let base = base_url(state);
    let url = format!("{base}{}", article_url(&a.slug));
    let visible = access.visible_blocks(a.blocks.len());
    let mut html = String::new();
    if let Some(h) = &a.hero {
        html.push_str(&masthead_render::render_figure(h, &state.dims(), "hero", true));
    }
    for (i, b) in a.blocks[..visible].iter().enumerate() {
        // The dateline opens the first paragraph, as on the page.
        match b.html.strip_prefix("<p>") {
            Some(rest) if i == 0 && !a.dateline.is_empty() => {
                html.push_str(&format!("<p><span class=\"dateline\">{} —</span> {rest}", escape(&a.dateline.to_uppercase())));
            }
            _ => html.push_str(&b.html),
        }
        html.push('\n');
    }
    if !access.is_full() {
        let why = match access.reason() {
            Some(Reason::SubscribersOnly) => "This story is for subscribers.",
            Some(Reason::ArchiveOnly) => "This story is in the archive, for subscribers.",
            _ => "The rest of this story is for subscribers.",
        };
        html.push_str(&format!(
            "<p class=\"continue\">{why} <a href=\"{}\">Continue reading “{}” on {}</a></p>",
            escape(&url),
            escape(&a.headline),
            escape(&state.site().name)
        ));
    }
    let published = a.published_at.unwrap_or(a.created_at);
    let mut categories: Vec<String> = a.section.iter().map(|s| s.name.clone()).collect();
    categories.extend(a.topics.iter().chain(&a.regions).map(|t| t.name.clone()));
    let image = a.hero.as_ref().and_then(|h| crate::seo::image_url(h, &base));
    Item {
        id: tag_uri(&base, a),
        title: a.headline.clone(),
        summary: a.standfirst.clone(),
        content_html: absolute_urls(&html, &base),
        published,
        updated: a.updated_at.max(published),
        authors: a.authors.iter().map(|x| (x.name.clone(), format!("{base}{}", author_url(&x.slug)))).collect(),
        categories,
        image,
        url,
    }
}

/// A stable id for an article that survives changes of slug or address:
/// `tag:HOST,DATE:article:ID` (RFC 4151), dated by the article's creation.
fn tag_uri(base: &str, a: &Article) -> String {
    let host = base.split("://").nth(1).unwrap_or(base).split(['/', ':']).next().unwrap_or("localhost");
    format!("tag:{host},{}:article:{}", a.created_at.format("%Y-%m-%d"), a.id)
}

fn write_feed(state: &AppState, meta: &FeedMeta, items: &[Item], format: Format) -> String {
    let site = state.site();
    // The feed changed when its newest-changed item did; not "now", so an
    // unchanged feed stays byte-for-byte the same.
    let updated = items.iter().map(|i| i.updated).max().unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    match format {
        Format::Rss => rss(meta, items, &site.language, updated),
        Format::Atom => atom(meta, items, &site.language, &site.name, updated),
        Format::Json => json_feed(meta, items, &site.language),
    }
}

fn rss(meta: &FeedMeta, items: &[Item], language: &str, updated: DateTime<Utc>) -> String {
    let mut x = String::with_capacity(4096 + items.len() * 4096);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n");
    x.push_str(&format!("<title>{}</title>\n<link>{}</link>\n", escape(&meta.title), escape(&meta.home)));
    x.push_str(&format!("<description>{}</description>\n<language>{}</language>\n", escape(&meta.description), escape(language)));
    x.push_str(&format!("<lastBuildDate>{}</lastBuildDate>\n", updated.to_rfc2822()));
    x.push_str(&format!("<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n", escape(&meta.self_url)));
    x.push_str("<generator>Masthead</generator>\n");
    for i in items {
        x.push_str("<item>\n");
        x.push_str(&format!("<title>{}</title>\n<link>{}</link>\n", escape(&i.title), escape(&i.url)));
        x.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>\n", escape(&i.id)));
        x.push_str(&format!("<pubDate>{}</pubDate>\n", i.published.to_rfc2822()));
        for (name, _) in &i.authors {
            x.push_str(&format!("<dc:creator>{}</dc:creator>\n", escape(name)));
        }
        for c in &i.categories {
            x.push_str(&format!("<category>{}</category>\n", escape(c)));
        }
        x.push_str(&format!("<description>{}</description>\n", escape(&i.summary)));
        x.push_str(&format!("<content:encoded>{}</content:encoded>\n", cdata(&i.content_html)));
        x.push_str("</item>\n");
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

fn atom(meta: &FeedMeta, items: &[Item], language: &str, site_name: &str, updated: DateTime<Utc>) -> String {
    let mut x = String::with_capacity(4096 + items.len() * 4096);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n", escape(language)));
    x.push_str(&format!("<id>{}</id>\n<title>{}</title>\n", escape(&meta.id), escape(&meta.title)));
    x.push_str(&format!("<subtitle>{}</subtitle>\n<updated>{}</updated>\n", escape(&meta.description), rfc3339(updated)));
    x.push_str(&format!("<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n", escape(&meta.self_url)));
    x.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&meta.home)));
    // The feed's own author stands in for entries without a byline.
    x.push_str(&format!("<author><name>{}</name></author>\n<generator>Masthead</generator>\n", escape(site_name)));
    for i in items {
        x.push_str("<entry>\n");
        x.push_str(&format!("<id>{}</id>\n<title>{}</title>\n", escape(&i.id), escape(&i.title)));
        x.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&i.url)));
        x.push_str(&format!("<published>{}</published>\n<updated>{}</updated>\n", rfc3339(i.published), rfc3339(i.updated)));
        for (name, uri) in &i.authors {
            x.push_str(&format!("<author><name>{}</name><uri>{}</uri></author>\n", escape(name), escape(uri)));
        }
        for c in &i.categories {
            x.push_str(&format!("<category term=\"{}\"/>\n", escape(c)));
        }
        if !i.summary.is_empty() {
            x.push_str(&format!("<summary type=\"text\">{}</summary>\n", escape(&i.summary)));
        }
        x.push_str(&format!("<content type=\"html\">{}</content>\n", escape(&i.content_html)));
        x.push_str("</entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

fn json_feed(meta: &FeedMeta, items: &[Item], language: &str) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            let mut v = serde_json::json!({
                "id": i.id,
                "url": i.url,
                "title": i.title,
                "content_html": i.content_html,
                "date_published": rfc3339(i.published),
                "date_modified": rfc3339(i.updated),
                "authors": i.authors.iter().map(|(name, url)| serde_json::json!({"name": name, "url": url})).collect::<Vec<_>>(),
                "tags": i.categories,
            });
            if !i.summary.is_empty() {
                v["summary"] = serde_json::json!(i.summary);
            }
            if let Some(img) = &i.image {
                v["image"] = serde_json::json!(img);
            }
            v
        })
        .collect();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": language,
        "items": items,
    });
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Characters XML 1.0 cannot carry at all, even escaped.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Escapes text for XML content or a quoted attribute, dropping characters
/// XML cannot carry.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// HTML in a CDATA section; a "]]>" inside is split across two sections.
fn cdata(html: &str) -> String {
    let clean: String = html.chars().filter(|c| xml_char(*c)).collect();
    format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"))
}

/// Makes the site-relative URLs of rendered HTML (`src`, `href`, `srcset`)
/// absolute: a feed is read away from the site.
pub fn absolute_urls(html: &str, base: &str) -> String {
    const ATTRS: [&str; 3] = [" src=\"", " href=\"", " srcset=\""];
    let absolute = |v: &str| if v.starts_with('/') && !v.starts_with("//") { format!("{base}{v}") } else { v.to_string() };
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    loop {
        let next = ATTRS.iter().filter_map(|p| rest.find(p).map(|i| (i, *p))).min_by_key(|(i, _)| *i);
        let Some((i, attr)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i + attr.len()]);
        rest = &rest[i + attr.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        let value = &rest[..end];
        if attr == " srcset=\"" {
            let parts: Vec<String> = value.split(',').map(|c| {
                let c = c.trim();
                absolute(c)
            }).collect();
            out.push_str(&parts.join(", "));
        } else {
            out.push_str(&absolute(value));
        }
        rest = &rest[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_become_absolute() {
        let html = r#"<p><a href="/article/x">x</a> <a href="https://e.org/">e</a> <a href="//evil">e</a></p><img src="/media/k/960.jpg" srcset="/media/k/480.jpg 480w, /media/k/960.jpg 960w">"#;
        let out = absolute_urls(html, "https://news.test");
        assert!(out.contains(r#"href="https://news.test/article/x""#));
        assert!(out.contains(r#"href="https://e.org/""#));
        assert!(out.contains(r#"href="//evil""#));
        assert!(out.contains(r#"src="https://news.test/media/k/960.jpg""#));
        assert!(out.contains(r#"srcset="https://news.test/media/k/480.jpg 480w, https://news.test/media/k/960.jpg 960w""#));
    }

    #[test]
    fn xml_text_is_escaped_and_cleaned() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(cdata("x]]>y"), "<![CDATA[x]]]]><![CDATA[>y]]>");
    }

    #[test]
    fn list_pages_know_their_feed() {
        assert_eq!(feed_for_list("/topic/war").as_deref(), Some("/topic/war/feed.xml"));
        assert_eq!(feed_for_list("/author/ana").as_deref(), Some("/author/ana/feed.xml"));
        assert_eq!(feed_for_list("/latest"), None);
        assert_eq!(feed_for_list("/archive/2026/11"), None);
    }

    #[test]
    fn tokens_are_derived_per_reader_and_nonce() {
        let a = derive_token("k", 1, "n");
        assert_eq!(a, derive_token("k", 1, "n"));
        assert_ne!(a, derive_token("k", 2, "n"));
        assert_ne!(a, derive_token("k", 1, "m"));
        assert_ne!(a, derive_token("other", 1, "n"));
        assert!(a.len() >= 43 && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
