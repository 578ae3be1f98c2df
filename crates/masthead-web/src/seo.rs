//! What search engines and sharing need: robots.txt, the sitemap index with
//! article sitemaps by month, a Google News sitemap of the last two days,
//! topic, region, section and author sitemaps, the Open Graph and Twitter
//! card tags and NewsArticle structured data of an article, hreflang links
//! to a translation's original, and noindex on pages that are nobody's
//! business but the reader's. None of it carries body text.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use masthead_core::{AccessLevel, Article, Figure, TagKind};
use serde::Serialize;

use crate::feeds::{escape, rfc3339};
use crate::views::{article_url, author_url, tag_url};
use crate::{AppError, AppResult, AppState};

/// How far back the news sitemap reaches, in hours (Google News reads two days).
pub const NEWS_WINDOW_HOURS: i64 = 48;
/// The most articles a news sitemap may list.
const NEWS_MAX: usize = 1000;

/// Paths no search engine should index or crawl: a reader's own pages,
/// the desk, sign-in, and private feeds.
const PRIVATE_PREFIXES: [&str; 6] = ["/admin", "/account", "/login", "/signup", "/logout", "/feeds/private/"];

fn base_url(state: &AppState) -> String {
    state.config.base_url.trim_end_matches('/').to_string()
}

fn xml(body: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        ],
        body,
    )
        .into_response()
}

/// Serves a generated document from the page cache, or makes and keeps it.
async fn cached<F, Fut>(state: &AppState, key: String, make: F) -> AppResult<Bytes>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<String>>,
{
    if let Some(b) = state.pages.get(&key) {
        return Ok(b);
    }
    let b = Bytes::from(make().await?);
    state.pages.put(key, b.clone());
    Ok(b)
}

/// `/robots.txt`.
pub async fn robots(State(state): State<AppState>) -> Response {
    let mut t = String::from("User-agent: *\n");
    for p in PRIVATE_PREFIXES {
        t.push_str(&format!("Disallow: {p}\n"));
    }
    // Print views and gift links show whole articles to one reader; the
    // article's own page is the one to index.
    t.push_str("Disallow: /article/*/print\nDisallow: /*?gift=\nDisallow: /*&gift=\n");
    t.push_str(&format!("\nSitemap: {}/sitemap.xml\n", base_url(&state)));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        t,
    )
        .into_response()
}

/// Whether a path is under a private prefix: every response there gets
/// `X-Robots-Tag: noindex, nofollow` (see the router's last layer).
pub fn is_private(path: &str) -> bool {
    PRIVATE_PREFIXES
        .iter()
        .any(|p| path == p.trim_end_matches('/') || path.starts_with(p) && (p.ends_with('/') || path[p.len()..].starts_with('/')))
}

/// `/sitemap.xml`: the index of every other sitemap.
pub async fn sitemap_index(State(state): State<AppState>) -> AppResult<Response> {
    let s = state.clone();
    let body = cached(&state, "sitemap|index".into(), || async move {
        let base = base_url(&s);
        let now = Utc::now();
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        let entry = |x: &mut String, loc: String, lastmod: Option<DateTime<Utc>>| {
            x.push_str(&format!("<sitemap><loc>{}</loc>", escape(&loc)));
            if let Some(t) = lastmod {
                x.push_str(&format!("<lastmod>{}</lastmod>", rfc3339(t)));
            }
            x.push_str("</sitemap>\n");
        };
        entry(&mut x, format!("{base}/sitemaps/news.xml"), None);
        for m in s.db.archive_months(now).await? {
            entry(&mut x, format!("{base}/sitemaps/articles-{:04}-{:02}.xml", m.year, m.month), Some(m.last_modified));
        }
        for name in ["topics", "regions", "sections", "authors"] {
            entry(&mut x, format!("{base}/sitemaps/{name}.xml"), None);
        }
        x.push_str("</sitemapindex>\n");
        Ok(x)
    })
    .await?;
    Ok(xml(body))
}

/// `/sitemaps/{file}`: `news.xml`, `articles-YYYY-MM.xml`, `topics.xml`,
/// `regions.xml`, `sections.xml` or `authors.xml`.
pub async fn sitemap(State(state): State<AppState>, Path(file): Path<String>) -> AppResult<Response> {
    let name = file.strip_suffix(".xml").ok_or(AppError::NotFound)?.to_string();
    let s = state.clone();
    let body = cached(&state, format!("sitemap|{name}"), || async move {
        let base = base_url(&s);
        let now = Utc::now();
        match name.as_str() {
            "news" => news_sitemap(&s, &base, now).await,
            "topics" | "regions" | "sections" => {
                let kind = match name.as_str() {
                    "topics" => TagKind::Topic,
                    "regions" => TagKind::Region,
                    _ => TagKind::Section,
                };
                let urls = s.db.tags(kind).await?.iter().map(|t| format!("{base}{}", tag_url(kind, &t.slug))).collect();
                Ok(url_set(urls))
            }
            "authors" => Ok(url_set(s.db.authors().await?.iter().map(|a| format!("{base}{}", author_url(&a.slug))).collect())),
            other => {
                let (from, to) = month_range(other).ok_or(AppError::NotFound)?;
                month_sitemap(&s, &base, from, to, now).await
            }
        }
    })
    .await?;
    Ok(xml(body))
}

/// `articles-2026-11` → [Nov 1, Dec 1).
fn month_range(name: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let ym = name.strip_prefix("articles-")?;
    let (y, m) = ym.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let start = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if start.month() == 12 { NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)? } else { NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)? };
    let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
    Some((at(start), at(next)))
}

fn url_set(urls: Vec<String>) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for u in urls {
        x.push_str(&format!("<url><loc>{}</loc></url>\n", escape(&u)));
    }
    x.push_str("</urlset>\n");
    x
}

async fn month_sitemap(s: &AppState, base: &str, from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<String> {
    let articles = s.db.published_between(from, to, now).await?;
    if articles.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n",
    );
    for a in articles {
        x.push_str(&format!("<url><loc>{}</loc><lastmod>{}</lastmod>", escape(&format!("{base}{}", article_url(&a.slug))), rfc3339(a.updated_at)));
        if let Some(img) = a.hero.as_ref().and_then(|h| image_url(h, base)) {
            x.push_str(&format!("<image:image><image:loc>{}</image:loc></image:image>", escape(&img)));
        }
        x.push_str("</url>\n");
    }
    x.push_str("</urlset>\n");
    Ok(x)
}

async fn news_sitemap(s: &AppState, base: &str, now: DateTime<Utc>) -> AppResult<String> {
    let site = s.site();
    let articles = s.db.published_between(now - Duration::hours(NEWS_WINDOW_HOURS), now + Duration::seconds(1), now).await?;
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for a in articles.iter().take(NEWS_MAX) {
        x.push_str(&format!("<url><loc>{}</loc><news:news>", escape(&format!("{base}{}", article_url(&a.slug)))));
        x.push_str(&format!(
            "<news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication>",
            escape(&site.name),
            escape(&site.language)
        ));
        x.push_str(&format!("<news:publication_date>{}</news:publication_date><news:title>{}</news:title>", rfc3339(a.published_at), escape(&a.headline)));
        x.push_str("</news:news></url>\n");
    }
    x.push_str("</urlset>\n");
    Ok(x)
}

// ---- sharing and structured data ---------------------------------------

/// The absolute address of a figure's picture (the largest rendition of
/// one of ours), if it has one that can be linked.
pub fn image_url(f: &Figure, base: &str) -> Option<String> {
    if let Some(key) = f.src.strip_prefix("media:") {
        Some(format!("{base}{}", masthead_render::media_url(key, "1600.jpg")))
    } else if f.src.starts_with('/') && !f.src.starts_with("//") {
        Some(format!("{base}{}", f.src))
    } else if f.src.starts_with("https://") {
        Some(f.src.clone())
    } else {
        None
    }
}

/// A picture as Open Graph and structured data describe it.
#[derive(Debug, Clone, Serialize)]
pub struct ShareImage {
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt: String,
}

/// The size of the largest rendition of a stored picture: 1600 pixels wide
/// at most, never upscaled.
fn rendition_size(f: &Figure, dims: &HashMap<String, (u32, u32)>) -> Option<(u32, u32)> {
    let key = f.src.strip_prefix("media:")?;
    let &(w, h) = dims.get(key)?;
    if w == 0 || h == 0 {
        return None;
    }
    let width = w.min(1600);
    let height = (u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w);
    Some((width, u32::try_from(height.max(1)).unwrap_or(u32::MAX)))
}

pub fn share_image(f: &Figure, base: &str, dims: &HashMap<String, (u32, u32)>) -> Option<ShareImage> {
    let url = image_url(f, base)?;
    let size = rendition_size(f, dims);
    Some(ShareImage { url, width: size.map(|s| s.0), height: size.map(|s| s.1), alt: f.alt.clone() })
}

/// Another language version of an article.
#[derive(Debug, Clone, Serialize)]
pub struct Alternate {
    pub hreflang: String,
    pub href: String,
}

/// What the head of an article page tells sharing services and search
/// engines beyond the basics.
#[derive(Debug, Clone, Serialize)]
pub struct ShareMeta {
    pub site_name: String,
    pub locale: String,
    pub image: Option<ShareImage>,
    pub authors: Vec<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub published_iso: String,
    pub modified_iso: String,
    /// The translation and its original, when the original's address is known.
    pub alternates: Vec<Alternate>,
}

pub fn share_meta(state: &AppState, a: &Article) -> ShareMeta {
    let base = base_url(state);
    let site = state.site();
    let dims = state.dims();
    let mut alternates = Vec::new();
    if let Some(p) = &a.provenance {
        let other_language = !p.language.eq_ignore_ascii_case(&site.language);
        if !p.url.is_empty() && other_language {
            alternates.push(Alternate { hreflang: site.language.clone(), href: format!("{base}{}", article_url(&a.slug)) });
            alternates.push(Alternate { hreflang: p.language.clone(), href: p.url.clone() });
        }
    }
    let published = a.published_at.unwrap_or(a.created_at);
    ShareMeta {
        locale: site.language.replace('-', "_"),
        site_name: site.name,
        image: a.hero.as_ref().and_then(|h| share_image(h, &base, &dims)),
        authors: a.authors.iter().map(|x| format!("{base}{}", author_url(&x.slug))).collect(),
        section: a.section.as_ref().map(|s| s.name.clone()),
        tags: a.topics.iter().chain(&a.regions).map(|t| t.name.clone()).collect(),
        published_iso: rfc3339(published),
        modified_iso: rfc3339(a.updated_at.max(published)),
        alternates,
    }
}

/// The publisher's logo: the theme's `logo.png` when it has one, else its icon.
fn logo_url(state: &AppState, base: &str) -> String {
    for name in ["logo.png", "favicon.svg"] {
        if let Some(asset) = state.theme.asset(name) {
            return format!("{base}/static/{name}?v={}", asset.hash);
        }
    }
    format!("{base}/")
}

/// NewsArticle structured data. Carries no body text: for gated articles
/// it says so (isAccessibleForFree false) and names the gated part by its
/// CSS class, as search engines require. A translation names its original
/// and the original's language.
pub fn news_article_jsonld(state: &AppState, a: &Article) -> String {
    let base = base_url(state);
    let site = state.site();
    let dims = state.dims();
    let url = format!("{base}{}", article_url(&a.slug));
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": a.headline,
        "description": if a.seo_description.is_empty() { &a.standfirst } else { &a.seo_description },
        "datePublished": rfc3339(a.published_at.unwrap_or(a.created_at)),
        "dateModified": rfc3339(a.updated_at),
        "inLanguage": site.language,
        "author": a.authors.iter().map(|x| serde_json::json!({"@type": "Person", "name": x.name, "url": format!("{base}{}", author_url(&x.slug))})).collect::<Vec<_>>(),
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": site.name,
            "url": format!("{base}/"),
            "logo": {"@type": "ImageObject", "url": logo_url(state, &base)},
        },
        "isAccessibleForFree": a.access == AccessLevel::Free,
        "wordCount": a.word_count,
    });
    if let Some(img) = a.hero.as_ref().and_then(|h| share_image(h, &base, &dims)) {
        let mut o = serde_json::json!({"@type": "ImageObject", "url": img.url});
        if let (Some(w), Some(h)) = (img.width, img.height) {
            o["width"] = serde_json::json!(w);
            o["height"] = serde_json::json!(h);
        }
        if let Some(h) = &a.hero {
            if !h.caption.is_empty() {
                o["caption"] = serde_json::json!(h.caption);
            }
            if !h.credit.is_empty() {
                o["creditText"] = serde_json::json!(h.credit);
            }
        }
        v["image"] = serde_json::json!([o]);
    }
    if let Some(s) = &a.section {
        v["articleSection"] = serde_json::json!(s.name);
    }
    let keywords: Vec<&str> = a.topics.iter().chain(&a.regions).map(|t| t.name.as_str()).collect();
    if !keywords.is_empty() {
        v["keywords"] = serde_json::json!(keywords);
    }
    if a.access != AccessLevel::Free {
        v["hasPart"] = serde_json::json!({"@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": ".paywalled"});
    }
    if let Some(p) = &a.provenance {
        let mut orig = serde_json::json!({"@type": "CreativeWork", "inLanguage": p.language, "publisher": {"@type": "Organization", "name": p.publication}});
        if !p.title.is_empty() {
            orig["name"] = serde_json::json!(p.title);
        }
        if !p.url.is_empty() {
            orig["url"] = serde_json::json!(p.url);
        }
        if let Some(d) = p.published_on {
            orig["datePublished"] = serde_json::json!(d.format("%Y-%m-%d").to_string());
        }
        v["translationOfWork"] = orig;
        if !p.translator.is_empty() {
            v["translator"] = serde_json::json!({"@type": "Person", "name": p.translator});
        }
    }
    // Safe inside <script type="application/ld+json">: no "</" can close it.
    serde_json::to_string(&v).unwrap_or_default().replace("</", "<\\/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names() {
        let (a, b) = month_range("articles-2026-12").unwrap();
        assert_eq!((a.to_rfc3339(), b.to_rfc3339()), ("2026-12-01T00:00:00+00:00".into(), "2027-01-01T00:00:00+00:00".into()));
        assert!(month_range("articles-2026-13").is_none());
        assert!(month_range("articles-26-1").is_none());
        assert!(month_range("other").is_none());
    }

    #[test]
    fn rendition_sizes_never_upscale() {
        let f = Figure { src: "media:k".into(), ..Default::default() };
        let dims: HashMap<String, (u32, u32)> = [("k".to_string(), (3200, 1800))].into();
        assert_eq!(rendition_size(&f, &dims), Some((1600, 900)));
        let small: HashMap<String, (u32, u32)> = [("k".to_string(), (800, 600))].into();
        assert_eq!(rendition_size(&f, &small), Some((800, 600)));
        assert_eq!(image_url(&Figure { src: "javascript:x".into(), ..Default::default() }, "https://n"), None);
    }
}
