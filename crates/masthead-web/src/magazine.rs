//! The weekly digital magazine: the automatic proposal of each week's
//! issue, the desk pages where an editor curates and publishes it, the web
//! edition and the EPUB download for readers with the Magazine benefit, the
//! back issues, and the job that builds each EPUB off the request path.
//!
//! Access: the Magazine benefit opens the edition; inside it, every
//! article shows what `decide_edition` (which is `decide`, never spending
//! the meter) allows this reader, in the web edition and in the EPUB alike.
//! An EPUB is built per access profile and records what it holds; at
//! download a file is sent only if all it holds is within what the reader
//! may read now.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use masthead_core::magazine::{decide_edition, file_fits, week_start, EditionProfile, Included, IssueStatus};
use masthead_core::{Access, Article, ArticleFacts, ArticleStatus, Benefit, Entitlements};
use masthead_db::magazine::{Curation, EpubBuilt, EpubFile, Issue, IssueArticle, IssueText, ProposalRules};
use masthead_render::epub;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Staff;
use crate::reader::ReaderCtx;
use crate::site::chrome;
use crate::views::{self, ArticleView};
use crate::{paywall, AppError, AppResult, AppState};

/// Where built EPUBs live, under the data directory.
pub const EPUB_DIR: &str = "magazine";

/// The magazine's routes, merged into the site's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/magazine", get(back_issues))
        .route("/magazine/{number}", get(issue_page))
        .route("/magazine/{number}/cover.svg", get(cover_svg))
        .route("/admin/magazine", get(desk_index))
        .route("/admin/magazine/propose", post(desk_propose))
        .route("/admin/magazine/picks", post(desk_picks))
        .route("/admin/magazine/{id}", get(desk_issue))
        .route("/admin/magazine/{id}/text", post(desk_text))
        .route("/admin/magazine/{id}/articles", post(desk_articles))
        .route("/admin/magazine/{id}/publish", post(desk_publish))
        .route("/admin/magazine/{id}/rebuild", post(desk_rebuild))
        .route("/admin/magazine/{id}/delete", post(desk_delete))
}

// ---------------------------------------------------------------- proposal

/// Proposes the issue for the week starting `week`: picks, the most read,
/// then the week's newest. Returns the draft for the editor.
pub async fn propose(state: &AppState, week: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<Issue> {
    let week = week_start(week);
    let candidates = state.db.issue_candidates(week, week + Duration::days(7), ProposalRules::default(), None).await?;
    let title = format!("The week of {}", views::human_date(week));
    Ok(state.db.create_issue(week, &title, &candidates, now).await?)
}

/// Called by the scheduler: once the week is over, its issue is proposed,
/// if anything was published in it and there is no issue for it yet.
pub async fn weekly_tick(state: &AppState, now: DateTime<Utc>) -> AppResult<Option<Issue>> {
    let last = week_start(now) - Duration::days(7);
    if state.db.issue_for_week(last).await?.is_some() {
        return Ok(None);
    }
    if !state.db.any_published_between(last, last + Duration::days(7)).await? {
        return Ok(None);
    }
    match propose(state, last, now).await {
        Ok(issue) => {
            tracing::info!(issue = issue.id, week = %last, "proposed the week's magazine issue");
            Ok(Some(issue))
        }
        // Another node proposed it first.
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

// ----------------------------------------------------------------- edition

fn facts(a: &Article) -> ArticleFacts {
    ArticleFacts { access: a.access, published_at: a.published_at.unwrap_or(a.created_at), block_count: a.blocks.len() }
}

/// The issue's published articles in order, with their issue section.
async fn edition_articles(state: &AppState, issue: &Issue) -> AppResult<Vec<(IssueArticle, Article)>> {
    let mut out = Vec::new();
    for item in state.db.issue_articles(issue.id).await? {
        if item.status != ArticleStatus::Published {
            continue;
        }
        let a = state.db.article_by_id(item.article_id).await?;
        out.push((item, a));
    }
    Ok(out)
}

/// What one issue looks like on a page.
#[derive(Debug, Clone, Serialize)]
pub struct IssueView {
    pub number: i64,
    pub title: String,
    pub url: String,
    pub epub_url: String,
    pub week: String,
    pub published: String,
    pub published_iso: String,
    pub cover_url: String,
    pub cover_alt: String,
    pub cover_line: String,
}

impl IssueView {
    fn new(i: &Issue) -> IssueView {
        let number = i.number.unwrap_or(0);
        let published = i.published_at.unwrap_or(i.updated_at);
        IssueView {
            number,
            title: i.title.clone(),
            url: format!("/magazine/{number}"),
            epub_url: format!("/magazine/{number}.epub"),
            week: format!("Week of {}", views::human_date(i.week_start)),
            published: views::human_date(published),
            published_iso: published.to_rfc3339(),
            cover_url: match &i.cover_media_key {
                Some(k) => masthead_render::media_url(k, "960.jpg"),
                None => format!("/magazine/{number}/cover.svg"),
            },
            cover_alt: format!("Cover of issue {number}: {}", i.title),
            cover_line: i.cover_line.clone(),
        }
    }
}

#[derive(Serialize)]
struct EntryView {
    anchor: String,
    article: ArticleView,
    /// Why the article is cut here, if it is.
    cut: Option<&'static str>,
}

#[derive(Serialize)]
struct SectionView<T> {
    title: String,
    entries: Vec<T>,
}

/// Groups consecutive items with the same section; an item without one
/// joins the section before it.
fn sections<T>(items: Vec<(String, T)>) -> Vec<SectionView<T>> {
    let mut out: Vec<SectionView<T>> = Vec::new();
    for (section, item) in items {
        match out.last_mut() {
            Some(last) if last.title == section || section.is_empty() => last.entries.push(item),
            _ => out.push(SectionView { title: section, entries: vec![item] }),
        }
    }
    out
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

/// The back issues: every published issue, newest first.
pub async fn back_issues(State(state): State<AppState>, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let page = q.page.unwrap_or(1);
    if !(1..=10_000).contains(&page) {
        return Err(AppError::BadRequest("that is not a page number".into()));
    }
    let key = format!("/magazine?{page}");
    if let Some(b) = state.pages.get(&key) {
        return Ok(crate::site::html(b));
    }
    let per = 24;
    let list = state.db.published_issues(per, (page - 1) * per).await?;
    if page > 1 && list.items.is_empty() {
        return Err(AppError::NotFound);
    }
    let issues: Vec<IssueView> = list.items.iter().map(IssueView::new).collect();
    let pagination = views::Pagination::new("/magazine", page, per, list.total);
    let body = Bytes::from(state.theme.render(
        "magazine/index.html",
        minijinja::context! { chrome => chrome(&state, "/magazine"), issues, pagination, total => list.total },
    )?);
    state.pages.put(key, body.clone());
    Ok(crate::site::html(body))
}

/// `/magazine/{number}` (the web edition, or the offer) and
/// `/magazine/{number}.epub` (the download).
pub async fn issue_page(State(state): State<AppState>, reader: ReaderCtx, Path(number): Path<String>) -> AppResult<Response> {
    let (digits, epub) = match number.strip_suffix(".epub") {
        Some(d) => (d, true),
        None => (number.as_str(), false),
    };
    let n: i64 = digits.parse().ok().filter(|n| *n > 0).ok_or(AppError::NotFound)?;
    let issue = state.db.published_issue(n).await?.ok_or(AppError::NotFound)?;
    let ent = reader.entitlements();
    if !ent.has(Benefit::Magazine) {
        if epub {
            return Ok(Redirect::to(&format!("/magazine/{n}")).into_response());
        }
        return offer(&state, &reader, &issue).await;
    }
    if epub {
        download(&state, &issue, &ent).await
    } else {
        web_edition(&state, &reader, &issue, &ent).await
    }
}

fn private_html(body: Bytes) -> Response {
    let mut res = ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("Cookie"));
    res
}

async fn web_edition(state: &AppState, reader: &ReaderCtx, issue: &Issue, ent: &Entitlements) -> AppResult<Response> {
    let number = issue.number.unwrap_or(0);
    let profile = EditionProfile::of(ent);
    let key = format!("/magazine/{number}|{}", profile.key());
    let body = match state.pages.get(&key) {
        Some(b) => b,
        None => {
            let now = Utc::now();
            let policy = state.policy().meter;
            let dims = state.dims();
            let mut items = Vec::new();
            for (item, a) in edition_articles(state, issue).await? {
                let access = decide_edition(&facts(&a), ent, &policy, now).ok_or(AppError::Forbidden)?;
                let visible = access.visible_blocks(a.blocks.len());
                let cut = match access {
                    Access::Full { .. } => None,
                    other => Some(other.reason().map(paywall::reason_name).unwrap_or("subscribers_only")),
                };
                let view = ArticleView::new(&a, &a.blocks[..visible], visible, &dims);
                items.push((item.section.clone(), EntryView { anchor: format!("a-{}", a.id), article: view, cut }));
            }
            let letter = views::block_views(&issue.letter_blocks);
            let view = IssueView::new(issue);
            let html = state.theme.render(
                "magazine/edition.html",
                minijinja::context! { chrome => chrome(state, &view.url), issue => view, letter, sections => sections(items) },
            )?;
            let b = Bytes::from(html);
            state.pages.put(key, b.clone());
            b
        }
    };
    let body = crate::site::personalize(&body, &crate::site::account_links(reader.signed_in.as_ref()), "");
    Ok(private_html(body))
}

#[derive(Serialize)]
struct ContentsEntry {
    headline: String,
    standfirst: String,
}

/// The offer in place of the edition: the cover and the contents
/// (headlines only, no article text), and the plans with the magazine.
async fn offer(state: &AppState, reader: &ReaderCtx, issue: &Issue) -> AppResult<Response> {
    let items: Vec<(String, ContentsEntry)> = state
        .db
        .issue_articles(issue.id)
        .await?
        .into_iter()
        .filter(|i| i.status == ArticleStatus::Published)
        .map(|i| (i.section, ContentsEntry { headline: i.headline, standfirst: i.standfirst }))
        .collect();
    let plans: Vec<_> = state.plans().into_iter().filter(|p| p.benefits.contains(&Benefit::Magazine)).collect();
    let view = IssueView::new(issue);
    let body = state.theme.render(
        "magazine/offer.html",
        minijinja::context! {
            chrome => chrome(state, &view.url), issue => view, contents => sections(items),
            plans => paywall::plan_views(&plans), signed_in => reader.signed_in.is_some(),
        },
    )?;
    let body = crate::site::personalize(body.as_bytes(), &crate::site::account_links(reader.signed_in.as_ref()), "");
    Ok(private_html(body))
}

/// The cover as SVG, for issues without a cover picture (and in the EPUB).
pub async fn cover_svg(State(state): State<AppState>, Path(number): Path<i64>) -> AppResult<Response> {
    let issue = state.db.published_issue(number).await?.ok_or(AppError::NotFound)?;
    let headlines: Vec<String> = state.db.issue_articles(issue.id).await?.into_iter().map(|i| i.headline).collect();
    let svg = cover_document(&state, &issue, &headlines);
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=300")],
        svg,
    )
        .into_response())
}

fn cover_document(state: &AppState, issue: &Issue, headlines: &[String]) -> String {
    let mut lines = Vec::new();
    if !issue.cover_line.is_empty() {
        lines.push(issue.cover_line.clone());
    }
    lines.extend(headlines.iter().take(3).cloned());
    let issue_line = format!("Issue {} · {}", issue.number.unwrap_or(0), views::human_date(issue.published_at.unwrap_or(issue.week_start)));
    epub::typographic_cover(&state.site().name, &issue_line, &issue.title, &lines)
}

// ---------------------------------------------------------------- download

fn epub_dir(state: &AppState) -> std::path::PathBuf {
    state.config.data_dir.join(EPUB_DIR)
}

/// How many blocks of each article this reader may be sent now.
fn allowance(articles: &HashMap<i64, Article>, ent: &Entitlements, now: DateTime<Utc>, state: &AppState) -> impl Fn(i64) -> Option<usize> {
    let policy = state.policy().meter;
    let allowed: HashMap<i64, usize> = articles
        .iter()
        .filter(|(_, a)| a.status == ArticleStatus::Published)
        .filter_map(|(id, a)| decide_edition(&facts(a), ent, &policy, now).map(|d| (*id, d.visible_blocks(a.blocks.len()))))
        .collect();
    move |id| allowed.get(&id).copied()
}

/// Picks the file to send: the reader's own profile's if it fits,
/// otherwise the fitting file that holds the most.
fn choose<'f>(files: &'f [EpubFile], profile: EditionProfile, fits: impl Fn(&EpubFile) -> bool) -> Option<&'f EpubFile> {
    let usable: Vec<&EpubFile> = files.iter().filter(|f| f.file_name.is_some() && fits(f)).collect();
    usable
        .iter()
        .find(|f| f.profile == profile)
        .or_else(|| usable.iter().max_by_key(|f| f.contents.iter().map(|c| c.blocks).sum::<usize>()))
        .copied()
}

async fn download(state: &AppState, issue: &Issue, ent: &Entitlements) -> AppResult<Response> {
    let now = Utc::now();
    let profile = EditionProfile::of(ent);
    let files = state.db.epub_files(issue.id).await?;
    let mut ids: Vec<i64> = files.iter().flat_map(|f| f.contents.iter().map(|c| c.article)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut articles = HashMap::new();
    for id in ids {
        match state.db.article_by_id(id).await {
            Ok(a) => {
                articles.insert(id, a);
            }
            Err(masthead_db::DbError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let allowed = allowance(&articles, ent, now, state);
    let chosen = choose(&files, profile, |f| file_fits(&f.contents, &allowed));
    if let Some(f) = chosen {
        let name = f.file_name.clone().unwrap_or_default();
        match tokio::fs::read(epub_dir(state).join(&name)).await {
            Ok(bytes) => {
                let number = issue.number.unwrap_or(0);
                let site = crate::account::urlencode(&masthead_core::slug::slugify(&state.site().name));
                let disposition = format!("attachment; filename=\"{site}-issue-{number}.epub\"");
                let mut res = Bytes::from(bytes).into_response();
                let h = res.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/epub+zip"));
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
                if let Ok(v) = HeaderValue::from_str(&disposition) {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                metrics::counter!("masthead_magazine_downloads_total").increment(1);
                return Ok(res);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(issue = issue.id, file = %name, "a recorded EPUB is missing from disk; rebuilding");
            }
            Err(e) => return Err(AppError::internal(e)),
        }
    }
    // Nothing built fits this reader (yet): build theirs, and say so.
    state.db.request_epub(issue.id, profile, now).await?;
    let view = IssueView::new(issue);
    let body = state.theme.render("magazine/preparing.html", minijinja::context! { chrome => chrome(state, &view.url), issue => view })?;
    let mut res = private_html(Bytes::from(body));
    *res.status_mut() = StatusCode::ACCEPTED;
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    Ok(res)
}

// -------------------------------------------------------------------- job

#[derive(Deserialize)]
struct EpubJob {
    issue: i64,
    profile: String,
}

/// Runs a `magazine.epub` job. A failure is recorded on the issue's EPUB
/// record (the desk shows it) and the job is retried; the last good file
/// stays where it is and is still served.
pub async fn run_epub_job(state: &AppState, payload: &str) -> Result<(), String> {
    let p: EpubJob = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    let profile = EditionProfile::parse(&p.profile).ok_or_else(|| format!("unknown profile {:?}", p.profile))?;
    match build_epub(state, p.issue, profile).await {
        Ok(_) => Ok(()),
        Err(BuildError::Gone) => Ok(()),
        Err(BuildError::Failed(e)) => {
            if let Err(db) = state.db.record_epub_failed(p.issue, profile, &e, Utc::now()).await {
                tracing::error!(error = %db, "could not record an EPUB build failure");
            }
            Err(e)
        }
    }
}

#[derive(Debug)]
pub enum BuildError {
    /// The issue was deleted or unpublished: nothing to build.
    Gone,
    Failed(String),
}

impl From<AppError> for BuildError {
    fn from(e: AppError) -> Self {
        BuildError::Failed(e.to_string())
    }
}

impl From<masthead_db::DbError> for BuildError {
    fn from(e: masthead_db::DbError) -> Self {
        BuildError::Failed(e.to_string())
    }
}

/// Builds one EPUB of an issue and records it. Returns the file name.
pub async fn build_epub(state: &AppState, issue_id: i64, profile: EditionProfile) -> Result<String, BuildError> {
    let started = Instant::now();
    let issue = match state.db.issue(issue_id).await {
        Ok(i) if i.status == IssueStatus::Published => i,
        Ok(_) | Err(masthead_db::DbError::NotFound) => return Err(BuildError::Gone),
        Err(e) => return Err(e.into()),
    };
    let number = issue.number.unwrap_or(0);
    let now = Utc::now();
    let ent = profile.entitlements();
    let policy = state.policy().meter;
    let site = state.site();
    let base = state.config.base_url.trim_end_matches('/').to_string();
    let dims = state.dims();
    let articles = edition_articles(state, &issue).await?;

    let link = |h: &str| if h.starts_with('/') && !h.starts_with("//") { format!("{base}{h}") } else { h.to_string() };
    let mut keys: Vec<String> = Vec::new();
    let mut image = |src: &str| -> Option<String> {
        let key = src.strip_prefix("/media/")?.split('/').next()?.to_string();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return None;
        }
        let name = format!("{key}.jpg");
        if !keys.contains(&key) {
            keys.push(key);
        }
        Some(format!("images/{name}"))
    };
    let mut chapters = Vec::new();
    if !issue.letter_blocks.is_empty() {
        let mut body = String::from("<article>\n<h1>From the editor</h1>\n");
        for b in &issue.letter_blocks {
            body.push_str(&epub::to_xhtml(&b.html, &link, &mut image));
            body.push('\n');
        }
        body.push_str("</article>");
        chapters.push(epub::Chapter { title: "From the editor".into(), section: None, body });
    }
    let mut contents = Vec::new();
    let mut section = String::new();
    for (item, a) in &articles {
        let access = decide_edition(&facts(a), &ent, &policy, now).ok_or_else(|| BuildError::Failed("profile without the magazine".into()))?;
        let visible = access.visible_blocks(a.blocks.len());
        contents.push(Included { article: a.id, blocks: visible });
        if !item.section.is_empty() {
            section = item.section.clone();
        }
        let body = article_xhtml(a, &a.blocks[..visible], !access.is_full(), &site.name, &base, &dims, &link, &mut image);
        chapters.push(epub::Chapter { title: a.headline.clone(), section: (!section.is_empty()).then(|| section.clone()), body });
    }
    let headlines: Vec<String> = articles.iter().map(|(_, a)| a.headline.clone()).collect();
    let svg_cover = cover_document(state, &issue, &headlines);
    // Pictures come from the media store as JPEG renditions (made now if
    // the worker has not yet): a picture missing from the store fails the
    // build, to be retried, rather than ship an edition with holes.
    let load = |key: String, width: u32| async move {
        state.media.make_renditions(&key).await.map_err(|e| format!("picture {key}: {e}"))?;
        match state.media.get(&key, &format!("{width}.jpg")).await {
            Ok(Some(bytes)) => Ok(bytes.to_vec()),
            Ok(None) => Err(format!("picture {key}: not a media key")),
            Err(e) => Err(format!("picture {key}: {e}")),
        }
    };
    let cover = match issue.cover_media_key.clone() {
        Some(k) => epub::Cover::Jpeg(load(k, 1600).await.map_err(BuildError::Failed)?),
        None => epub::Cover::Svg(svg_cover),
    };
    let mut images = Vec::new();
    for k in keys {
        images.push(epub::Image { name: format!("{k}.jpg"), media_type: "image/jpeg", bytes: load(k, 960).await.map_err(BuildError::Failed)? });
    }

    let book = epub::Book {
        identifier: format!("{base}/magazine/{number}"),
        title: format!("{} — Issue {number}: {}", site.name, issue.title),
        language: site.language.clone(),
        publisher: site.name.clone(),
        description: issue.cover_line.clone(),
        date: issue.published_at.unwrap_or(now),
        modified: issue.updated_at,
        cover,
        cover_alt: format!("Cover of issue {number}: {}", issue.title),
        chapters,
        images,
    };
    let bytes = tokio::task::spawn_blocking(move || epub::build(&book))
        .await
        .map_err(|e| BuildError::Failed(e.to_string()))?
        .map_err(|e| BuildError::Failed(e.to_string()))?;
    // A new name for new content: the record and the file change together
    // (record after the file is in place; the old file goes after the
    // record), so a download never gets a file its record does not describe.
    let hash = hex::encode(&Sha256::digest(&bytes)[..6]);
    let name = format!("issue-{number}-{}-{hash}.epub", profile.key());
    let dir = epub_dir(state);
    let len = bytes.len() as i64;
    let target = dir.clone();
    let file = name.clone();
    tokio::task::spawn_blocking(move || write_atomically(&target, &file, &bytes))
        .await
        .map_err(|e| BuildError::Failed(e.to_string()))?
        .map_err(|e| BuildError::Failed(format!("writing {}: {e}", dir.join(&name).display())))?;
    let previous = state.db.epub_files(issue.id).await?.into_iter().find(|f| f.profile == profile).and_then(|f| f.file_name);
    let built = EpubBuilt {
        issue_id: issue.id,
        profile,
        file_name: &name,
        contents: &contents,
        bytes: len,
        revision: issue.revision,
        build_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    state.db.record_epub_built(&built, Utc::now()).await?;
    if let Some(old) = previous.filter(|o| *o != name) {
        if let Err(e) = std::fs::remove_file(epub_dir(state).join(&old)) {
            tracing::warn!(file = %old, error = %e, "could not remove a replaced EPUB");
        }
    }
    tracing::info!(issue = issue.id, profile = profile.key(), bytes = len, ms = built.build_ms, "built the magazine EPUB");
    Ok(name)
}

#[expect(clippy::too_many_arguments, reason = "one chapter needs each of these; a struct would only rename them")]
fn article_xhtml(
    a: &Article,
    blocks: &[masthead_core::Block],
    cut: bool,
    site: &str,
    base: &str,
    dims: &HashMap<String, (u32, u32)>,
    link: &dyn Fn(&str) -> String,
    image: &mut dyn FnMut(&str) -> Option<String>,
) -> String {
    use epub::xml_escape as x;
    let mut b = String::from("<article>\n");
    if let Some(s) = &a.section {
        b.push_str(&format!("<p class=\"kicker\">{}</p>\n", x(&s.name)));
    }
    b.push_str(&format!("<h1>{}</h1>\n", x(&a.headline)));
    if !a.standfirst.is_empty() {
        b.push_str(&format!("<p class=\"standfirst\">{}</p>\n", x(&a.standfirst)));
    }
    let byline = views::byline(&a.authors);
    if !byline.is_empty() {
        b.push_str(&format!("<p class=\"byline\">By {}</p>\n", x(&byline)));
    }
    if let Some(t) = a.published_at {
        b.push_str(&format!("<p class=\"meta\">{}</p>\n", x(&views::human_date(t))));
    }
    if let Some(p) = &a.provenance {
        let v = views::ProvenanceView::from(p);
        let translator = if v.translator.is_empty() { String::new() } else { format!(" by {}", x(&v.translator)) };
        b.push_str(&format!(
            "<p class=\"provenance\">Translated from {}{translator}. First published in <cite>{}</cite>.</p>\n",
            x(&v.language),
            x(&v.publication)
        ));
    }
    if let Some(h) = &a.hero {
        b.push_str(&epub::to_xhtml(&masthead_render::render_figure(h, dims, "hero", false), link, image));
        b.push('\n');
    }
    for (i, block) in blocks.iter().enumerate() {
        let mut xhtml = epub::to_xhtml(&block.html, link, image);
        if i == 0 && !a.dateline.is_empty() && xhtml.starts_with("<p>") {
            xhtml = format!("<p><span class=\"dateline\">{} —</span> {}", x(&a.dateline.to_uppercase()), &xhtml[3..]);
        }
        b.push_str(&xhtml);
        b.push('\n');
    }
    if cut {
        b.push_str(&format!(
            "<p class=\"note\">The rest of this article is for subscribers. Read it on <a href=\"{}\">{}</a>.</p>\n",
            x(&format!("{base}{}", views::article_url(&a.slug))),
            x(site)
        ));
    }
    b.push_str("</article>");
    b
}

/// Writes `dir/name` through a temporary file and a rename, so the file is
/// whole or absent, even to another node reading a shared directory.
fn write_atomically(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", crate::auth::random_token()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

// ------------------------------------------------------------------- desk

/// Editors and above (the one permission rule, `masthead_core::staff::can`).
fn editor(staff: &Staff) -> AppResult<()> {
    staff.require(masthead_core::staff::Action::ManageMagazine, masthead_core::staff::Ownership::NotApplicable)
}

#[derive(Serialize)]
struct DeskIssue {
    id: i64,
    number: Option<i64>,
    title: String,
    week: String,
    status: &'static str,
    url: String,
}

fn desk_issue_view(i: &Issue) -> DeskIssue {
    DeskIssue {
        id: i.id,
        number: i.number,
        title: i.title.clone(),
        week: views::human_date(i.week_start),
        status: i.status.as_str(),
        url: format!("/admin/magazine/{}", i.id),
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    error: Option<String>,
}

pub async fn desk_index(State(state): State<AppState>, staff: Staff, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    editor(&staff)?;
    let issues: Vec<DeskIssue> = state.db.all_issues(100).await?.iter().map(desk_issue_view).collect();
    let picks = state.db.picks().await?;
    let picks: Vec<_> = picks
        .iter()
        .map(|p| minijinja::context! { article_id => p.article_id, headline => p.headline, url => views::article_url(&p.slug), picked => views::human_date(p.picked_at) })
        .collect();
    let this_week = week_start(Utc::now()).date_naive().to_string();
    crate::desk::page(
        &state,
        &staff,
        "admin/magazine.html",
        "/admin/magazine",
        minijinja::context! {
            issues, picks, this_week, notice => q.notice, error => q.error,
        },
    )
}

#[derive(Deserialize)]
pub struct ProposeForm {
    csrf: String,
    /// Any day of the week to propose for (YYYY-MM-DD).
    week: String,
}

pub async fn desk_propose(State(state): State<AppState>, staff: Staff, Form(f): Form<ProposeForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    let day = NaiveDate::parse_from_str(f.week.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("\"{}\" is not a date like 2026-03-02", f.week.trim())))?;
    let week = week_start(day.and_time(chrono::NaiveTime::MIN).and_utc());
    if let Some(existing) = state.db.issue_for_week(week).await? {
        return Ok(Redirect::to(&format!("/admin/magazine/{}?notice=There+is+already+an+issue+for+that+week.", existing.id)).into_response());
    }
    let issue = propose(&state, week, Utc::now()).await?;
    Ok(Redirect::to(&format!("/admin/magazine/{}", issue.id)).into_response())
}

#[derive(Deserialize)]
pub struct PickForm {
    csrf: String,
    action: String,
    /// A slug or an article URL.
    article: String,
}

/// The article an editor names by slug or by its address on the site.
async fn named_article(state: &AppState, text: &str) -> AppResult<Article> {
    let t = text.trim().trim_end_matches('/');
    let slug = t.rsplit("/article/").next().unwrap_or(t).split(['?', '#']).next().unwrap_or("");
    if slug.is_empty() {
        return Err(AppError::BadRequest("name an article by its address or slug".into()));
    }
    let a = match state.db.article_by_slug(slug).await? {
        Some(a) => a,
        None => match state.db.current_slug_for(slug).await? {
            Some(current) => state.db.article_by_slug(&current).await?.ok_or(AppError::NotFound)?,
            None => return Err(AppError::BadRequest(format!("there is no article \"{slug}\""))),
        },
    };
    Ok(a)
}

pub async fn desk_picks(State(state): State<AppState>, staff: Staff, Form(f): Form<PickForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    match f.action.as_str() {
        "add" => {
            let a = named_article(&state, &f.article).await?;
            if a.status != ArticleStatus::Published {
                return Err(AppError::BadRequest("only a published article can be picked".into()));
            }
            state.db.pick_article(a.id, Some(staff.id), Utc::now()).await?;
        }
        "remove" => {
            let id: i64 = f.article.trim().parse().map_err(|_| AppError::BadRequest("which pick?".into()))?;
            state.db.unpick_article(id).await?;
        }
        other => return Err(AppError::BadRequest(format!("unknown action {other:?}"))),
    }
    Ok(Redirect::to("/admin/magazine").into_response())
}

pub async fn desk_issue(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    editor(&staff)?;
    let issue = state.db.issue(id).await?;
    let items: Vec<_> = state
        .db
        .issue_articles(id)
        .await?
        .into_iter()
        .map(|i| {
            minijinja::context! {
                article_id => i.article_id, headline => i.headline, url => views::article_url(&i.slug), section => i.section,
                source => i.source.label(), reads => i.reads, access => i.access.label(),
                unpublished => i.status != ArticleStatus::Published,
            }
        })
        .collect();
    let epubs: Vec<_> = state
        .db
        .epub_files(id)
        .await?
        .into_iter()
        .map(|f| {
            minijinja::context! {
                profile => f.profile.key(), file => f.file_name, bytes => f.bytes, kb => f.bytes / 1024, revision => f.built_revision,
                current => f.built_revision == issue.revision,
                built => f.built_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()), build_ms => f.build_ms,
                error => f.last_error, failed => f.failed_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            }
        })
        .collect();
    let view = desk_issue_view(&issue);
    crate::desk::page(
        &state,
        &staff,
        "admin/magazine_issue.html",
        &view.url.clone(),
        minijinja::context! {
            issue => view, revision => issue.revision, cover_media_key => issue.cover_media_key, cover_line => issue.cover_line,
            letter => issue.letter_markdown, items, epubs, notice => q.notice, error => q.error,
            public_url => issue.number.map(|n| format!("/magazine/{n}")),
        },
    )
}

#[derive(Deserialize)]
pub struct TextForm {
    csrf: String,
    title: String,
    #[serde(default)]
    cover_media_key: String,
    #[serde(default)]
    cover_line: String,
    #[serde(default)]
    letter: String,
}

pub async fn desk_text(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<TextForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    if f.title.trim().is_empty() || f.title.chars().count() > 200 {
        return Err(AppError::BadRequest("an issue needs a title of at most 200 characters".into()));
    }
    let key = f.cover_media_key.trim().trim_start_matches("media:");
    let cover = if key.is_empty() {
        None
    } else if state.db.media(key).await?.is_some() {
        Some(key)
    } else {
        return Err(AppError::BadRequest(format!("there is no image media:{key}; upload it first")));
    };
    let rendered = masthead_render::render_body(&f.letter, &state.dims());
    let text = IssueText { title: &f.title, cover_media_key: cover, cover_line: &f.cover_line, letter_markdown: &f.letter, letter_blocks: &rendered.blocks };
    state.db.update_issue_text(id, &text, Utc::now()).await?;
    state.invalidate();
    let notice = if rendered.problems.is_empty() {
        "Saved.".to_string()
    } else {
        format!("Saved, with {} problem(s) in the letter: {}", rendered.problems.len(), rendered.problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect::<Vec<_>>().join("; "))
    };
    Ok(Redirect::to(&format!("/admin/magazine/{id}?notice={}", crate::account::urlencode(&notice))).into_response())
}

#[derive(Deserialize)]
pub struct ArticlesForm {
    csrf: String,
    action: String,
    /// An article id (for remove, up, down, section) or a slug or address (for add).
    article: String,
    #[serde(default)]
    section: String,
}

pub async fn desk_articles(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<ArticlesForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    let article_id = || f.article.trim().parse::<i64>().map_err(|_| AppError::BadRequest("which article?".into()));
    let change = match f.action.as_str() {
        "add" => {
            let a = named_article(&state, &f.article).await?;
            let section = if f.section.trim().is_empty() { a.section.as_ref().map(|s| s.name.clone()).unwrap_or_default() } else { f.section.clone() };
            Curation::Add { article_id: a.id, section }
        }
        "remove" => Curation::Remove { article_id: article_id()? },
        "up" => Curation::Move { article_id: article_id()?, by: -1 },
        "down" => Curation::Move { article_id: article_id()?, by: 1 },
        "section" => Curation::Section { article_id: article_id()?, section: f.section.chars().take(100).collect() },
        other => return Err(AppError::BadRequest(format!("unknown action {other:?}"))),
    };
    state.db.curate_issue(id, &change, Utc::now()).await?;
    state.invalidate();
    Ok(Redirect::to(&format!("/admin/magazine/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn desk_publish(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    let issue = state.db.publish_issue(id, Utc::now()).await?;
    state.invalidate();
    let n = issue.number.unwrap_or(0);
    Ok(Redirect::to(&format!("/admin/magazine/{id}?notice=Published+as+issue+{n}.+Its+EPUB+is+being+built.")).into_response())
}

pub async fn desk_rebuild(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    let issue = state.db.issue(id).await?;
    if issue.status != IssueStatus::Published {
        return Err(AppError::Conflict("only a published issue has an EPUB".into()));
    }
    let mut profiles: Vec<EditionProfile> = state.db.epub_files(id).await?.into_iter().map(|f| f.profile).collect();
    if !profiles.contains(&EditionProfile::ALL[0]) {
        profiles.push(EditionProfile::ALL[0]);
    }
    for p in profiles {
        state.db.request_epub(id, p, Utc::now()).await?;
    }
    Ok(Redirect::to(&format!("/admin/magazine/{id}?notice=The+EPUB+will+be+rebuilt+shortly.")).into_response())
}

pub async fn desk_delete(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    editor(&staff)?;
    state.db.delete_draft_issue(id).await?;
    Ok(Redirect::to("/admin/magazine?notice=The+draft+was+deleted.").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_group_neighbours() {
        let s = sections(vec![("A".to_string(), 1), (String::new(), 2), ("B".to_string(), 3), ("A".to_string(), 4)]);
        let got: Vec<(String, Vec<i32>)> = s.into_iter().map(|s| (s.title, s.entries)).collect();
        assert_eq!(got, vec![("A".into(), vec![1, 2]), ("B".into(), vec![3]), ("A".into(), vec![4])]);
    }
}
