//! The newsroom's operations that span more than one store: saving an
//! article (render at save time, then store), taking in an image (validate,
//! store, queue its renditions). The desk, the API and the CLI all call
//! these, so the rules live in one place.

use chrono::{DateTime, Utc};
use masthead_core::{slug::slugify, Article, ArticleDraft, ArticleStatus};
use masthead_db::ArticleWrite;
use masthead_media::{intake, Limits};

use crate::{AppError, AppResult, AppState};

pub const JOB_RENDITIONS: &str = "media.renditions";

/// When an article should appear.
#[derive(Debug, Clone, Copy)]
pub enum Publish {
    Draft,
    Now,
    At(DateTime<Utc>),
}

fn status_for(p: Publish, now: DateTime<Utc>) -> (ArticleStatus, Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    match p {
        Publish::Draft => (ArticleStatus::Draft, None, None),
        Publish::Now => (ArticleStatus::Published, Some(now), None),
        Publish::At(t) if t <= now => (ArticleStatus::Published, Some(t), None),
        Publish::At(t) => (ArticleStatus::Scheduled, None, Some(t)),
    }
}

/// Renders and stores a new article. Returns it with any problems the
/// renderer found in its body (what was valid is saved regardless).
pub async fn create_article(state: &AppState, draft: &ArticleDraft, publish: Publish, now: DateTime<Utc>) -> AppResult<Article> {
    draft.validate()?;
    let dims = state.dims();
    let rendered = masthead_render::render_body(&draft.body_markdown, &dims);
    let slug = match &draft.slug {
        Some(s) => s.clone(),
        None => free_slug(state, &slugify(&draft.headline)).await?,
    };
    let (status, published_at, scheduled_for) = status_for(publish, now);
    let w = ArticleWrite {
        draft,
        slug,
        blocks: &rendered.blocks,
        problems: &rendered.problems,
        word_count: rendered.word_count,
        status,
        published_at,
        scheduled_for,
    };
    let a = state.db.create_article(&w, now).await?;
    state.invalidate();
    Ok(a)
}

/// Re-renders and replaces an article; `expected_revision` guards against
/// overwriting someone else's save.
pub async fn update_article(
    state: &AppState,
    id: i64,
    expected_revision: Option<i64>,
    draft: &ArticleDraft,
    publish: Publish,
    now: DateTime<Utc>,
) -> AppResult<Article> {
    draft.validate()?;
    let current = state.db.article_by_id(id).await?;
    let dims = state.dims();
    let rendered = masthead_render::render_body(&draft.body_markdown, &dims);
    let slug = draft.slug.clone().unwrap_or(current.slug.clone());
    let (status, mut published_at, scheduled_for) = status_for(publish, now);
    // Re-saving a published piece keeps its original publication time.
    if status == ArticleStatus::Published && current.status == ArticleStatus::Published && matches!(publish, Publish::Now) {
        published_at = current.published_at;
    }
    let w = ArticleWrite {
        draft,
        slug,
        blocks: &rendered.blocks,
        problems: &rendered.problems,
        word_count: rendered.word_count,
        status,
        published_at,
        scheduled_for,
    };
    let a = state.db.update_article(id, expected_revision, &w, now).await?;
    state.invalidate();
    Ok(a)
}

/// A slug not yet used by any article or old link: `base`, `base-2`, ...
async fn free_slug(state: &AppState, base: &str) -> AppResult<String> {
    if state.db.slug_is_free(base).await? {
        return Ok(base.to_string());
    }
    for n in 2..1000 {
        // A long headline's slug is shortened so the numbered one still
        // fits the limit an editor's slug is held to.
        let suffix = format!("-{n}");
        let room = masthead_core::slug::MAX_SLUG_LEN - suffix.len();
        let stem = base.get(..room.min(base.len())).unwrap_or(base).trim_end_matches('-');
        let candidate = format!("{stem}{suffix}");
        if state.db.slug_is_free(&candidate).await? {
            return Ok(candidate);
        }
    }
    Err(AppError::Conflict(format!("no free slug near \"{base}\"")))
}

/// Validates and stores an uploaded image, and queues its renditions.
/// Returns the media key.
pub async fn ingest_image(state: &AppState, bytes: Vec<u8>, original_name: &str) -> AppResult<String> {
    let limits = Limits { max_bytes: state.config.media_max_bytes, ..Limits::default() };
    let taken = tokio::task::spawn_blocking(move || intake(&bytes, &limits))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| match e {
            masthead_media::MediaError::TooLarge { .. } => AppError::PayloadTooLarge(e.to_string()),
            other => AppError::BadRequest(other.to_string()),
        })?;
    // A store that cannot take the picture is the server's problem, not the uploader's:
    // logged in full, answered with a plain 500.
    let key = state.media.put_original(&taken).await.map_err(AppError::internal)?;
    let now = Utc::now();
    let record = masthead_db::media::MediaRecord {
        key: key.clone(),
        kind: taken.kind.extension().to_string(),
        width: i64::from(taken.width),
        height: i64::from(taken.height),
        bytes: taken.bytes.len() as i64,
        original_name: original_name.chars().take(200).collect(),
        renditions_ready: false,
        created_at: now,
    };
    state.db.insert_media(&record).await?;
    let payload = serde_json::json!({ "key": key }).to_string();
    state.db.enqueue_job(JOB_RENDITIONS, &payload, now, now).await?;
    if let Ok(mut d) = state.media_dims.write() {
        d.insert(key.clone(), (taken.width, taken.height));
    }
    Ok(key)
}
