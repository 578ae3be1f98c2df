//! The Admin API: what the desk does, for scripts and integrations. A staff
//! token acts as its staff member within its scopes; every operation asks
//! the same permission rule as the desk (`ApiStaff::require`), goes through
//! the same newsroom functions, and lands in the same audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use masthead_core::staff::{Action, Ownership};
use masthead_core::ArticleStatus;
use masthead_db::desk::{DeskQuery, DeskSort};
use serde::Deserialize;
use utoipa::IntoParams;

use super::content::{paging, tag_kind};
use super::dto::{
    AdminArticle, AdminArticleList, AdminArticleSummary, ArticleEvent, ArticleInput, AuthorDto, AuthorInput, ComplimentaryDto, ErrorBody,
    MemberDetail, MemberDto, MemberList, PublishInput, SubscriptionDto, TagDto, TagInput,
};
// Named only in the OpenAPI annotations: what the string parameters may be.
use super::dto::{AccessDto, ArticleSortDto, StatusDto, TagKindDto};
use super::{ApiJson, ApiPath, ApiQuery, ApiStaff};
use crate::desk::audit;
use crate::newsroom::{self, Publish};
use crate::{webhooks, AppError, AppResult, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminListQuery {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
    /// Words the headline contains.
    pub q: Option<String>,
    /// draft, scheduled or published.
    #[param(value_type = Option<StatusDto>, inline)]
    pub status: Option<String>,
    /// free, metered or subscribers_only.
    #[param(value_type = Option<AccessDto>, inline)]
    pub access: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Topic slug.
    pub topic: Option<String>,
    /// Section slug.
    pub section: Option<String>,
    /// updated (default), published, headline or oldest.
    #[param(value_type = Option<ArticleSortDto>, inline)]
    pub sort: Option<String>,
}

async fn admin_article(state: &AppState, id: i64) -> AppResult<AdminArticle> {
    let a = state.db.article_by_id(id).await?;
    let revision = state.db.article_revision(id).await?;
    Ok(AdminArticle::of(&a, revision))
}

/// Articles of every status.
#[utoipa::path(
    get, path = "/api/admin/articles", tag = "admin",
    params(AdminListQuery),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "A page of articles", body = AdminArticleList),
        (status = 400, description = "Bad paging or filter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not read articles", body = ErrorBody),
    )
)]
pub async fn list_articles(State(state): State<AppState>, who: ApiStaff, ApiQuery(q): ApiQuery<AdminListQuery>) -> AppResult<Response> {
    who.require(Action::ViewDesk, Ownership::NotApplicable)?;
    let (limit, offset) = paging(q.limit, q.offset)?;
    let list = crate::desk::articles::ListQuery {
        q: q.q.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        access: q.access.unwrap_or_default(),
        author: q.author.unwrap_or_default(),
        topic: q.topic.unwrap_or_default(),
        section: q.section.unwrap_or_default(),
        sort: q.sort.unwrap_or_default(),
        ..Default::default()
    };
    let mut query: DeskQuery = list.to_desk(who.id, 1)?;
    query.limit = limit;
    query.offset = offset;
    if query.sort == DeskSort::default() {
        query.sort = DeskSort::Updated;
    }
    let page = state.db.desk_articles(&query).await?;
    let items = page.items.iter().map(AdminArticleSummary::from).collect();
    Ok(axum::Json(AdminArticleList { items, total: page.total, limit, offset }).into_response())
}

/// Creates an article, always as a draft (publish it with /publish).
#[utoipa::path(
    post, path = "/api/admin/articles", tag = "admin",
    request_body = ArticleInput,
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created", body = AdminArticle),
        (status = 400, description = "Invalid input, field by field", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Slug taken, or an unknown author, topic, region or section", body = ErrorBody),
    )
)]
pub async fn create_article(State(state): State<AppState>, who: ApiStaff, ApiJson(input): ApiJson<ArticleInput>) -> AppResult<Response> {
    who.require(Action::CreateArticle, Ownership::NotApplicable)?;
    let draft = input.draft();
    let now = Utc::now();
    let a = newsroom::create_article(&state, &draft, Publish::Draft, now).await?;
    state.db.set_article_owner(a.id, who.id).await?;
    let revision = state.db.article_revision(a.id).await?;
    state
        .db
        .add_revision(a.id, revision, masthead_db::revisions::RevisionKind::Save, Some(who.id), &crate::desk::editor::draft_of(&a), now)
        .await?;
    audit(&state, &who.as_staff(), "article.create", &format!("article:{}", a.id), &format!("created \"{}\" (draft)", a.headline)).await?;
    Ok((StatusCode::CREATED, axum::Json(AdminArticle::of(&a, revision))).into_response())
}

/// One article, any status.
#[utoipa::path(
    get, path = "/api/admin/articles/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The article", body = AdminArticle),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
    )
)]
pub async fn get_article(State(state): State<AppState>, who: ApiStaff, ApiPath(id): ApiPath<i64>) -> AppResult<Response> {
    let owner = state.db.article_owner(id).await?;
    who.require(Action::ViewArticle, who.ownership(owner))?;
    Ok(axum::Json(admin_article(&state, id).await?).into_response())
}

/// Replaces an article's content, keeping its status. `revision` must be
/// the one the change is based on.
#[utoipa::path(
    put, path = "/api/admin/articles/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    request_body = ArticleInput,
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Saved", body = AdminArticle),
        (status = 400, description = "Invalid input, or no revision", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 409, description = "Someone saved a newer revision, or a slug or reference problem", body = ErrorBody),
    )
)]
pub async fn update_article(State(state): State<AppState>, who: ApiStaff, ApiPath(id): ApiPath<i64>, ApiJson(input): ApiJson<ArticleInput>) -> AppResult<Response> {
    let current = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    let edit = if current.status == ArticleStatus::Draft { Action::EditDraft } else { Action::EditLive };
    who.require(edit, who.ownership(owner))?;
    let revision = input.revision.ok_or_else(|| AppError::Invalid(vec![masthead_core::FieldError::new("revision", "send the revision this change is based on")]))?;
    let publish = match current.status {
        ArticleStatus::Draft => Publish::Draft,
        ArticleStatus::Published => Publish::Now,
        ArticleStatus::Scheduled => current.scheduled_for.map(Publish::At).unwrap_or(Publish::Draft),
    };
    let draft = input.draft();
    let now = Utc::now();
    let saved = newsroom::update_article(&state, id, Some(revision), &draft, publish, now).await?;
    after_change(&state, &who, &current, &saved, now).await?;
    Ok(axum::Json(admin_article(&state, id).await?).into_response())
}

/// The revision, audit record and webhook every change leaves.
async fn after_change(state: &AppState, who: &ApiStaff, before: &masthead_core::Article, saved: &masthead_core::Article, now: chrono::DateTime<Utc>) -> AppResult<()> {
    let revision = state.db.article_revision(saved.id).await?;
    state
        .db
        .add_revision(saved.id, revision, masthead_db::revisions::RevisionKind::Save, Some(who.id), &crate::desk::editor::draft_of(saved), now)
        .await?;
    let what = match (before.status, saved.status) {
        (ArticleStatus::Published, ArticleStatus::Published) => "article.update",
        (_, ArticleStatus::Published) => "article.publish",
        (_, ArticleStatus::Scheduled) => "article.schedule",
        (ArticleStatus::Draft, ArticleStatus::Draft) => "article.update",
        (_, ArticleStatus::Draft) => "article.unpublish",
    };
    audit(state, &who.as_staff(), what, &format!("article:{}", saved.id), &format!("\"{}\" is {} (revision {revision})", saved.headline, saved.status.as_str())).await?;
    let event = ArticleEvent::of(saved).json();
    match (before.status, saved.status) {
        (ArticleStatus::Published, ArticleStatus::Published) => webhooks::emit(state, webhooks::ARTICLE_UPDATED, event).await?,
        (_, ArticleStatus::Published) => webhooks::emit(state, webhooks::ARTICLE_PUBLISHED, event).await?,
        (ArticleStatus::Published, _) => webhooks::emit(state, webhooks::ARTICLE_DELETED, event).await?,
        _ => {}
    }
    Ok(())
}

/// Publishes now, or schedules for `at`.
#[utoipa::path(
    post, path = "/api/admin/articles/{id}/publish", tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    request_body(content = Option<PublishInput>, description = "Optional: when to publish"),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Published or scheduled", body = AdminArticle),
        (status = 400, description = "Bad input", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed to publish this article", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 409, description = "A conflict while saving", body = ErrorBody),
    )
)]
pub async fn publish_article(State(state): State<AppState>, who: ApiStaff, ApiPath(id): ApiPath<i64>, body: axum::body::Bytes) -> AppResult<Response> {
    let current = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    who.require(Action::Publish, who.ownership(owner))?;
    let input: PublishInput = if body.iter().all(u8::is_ascii_whitespace) {
        PublishInput::default()
    } else {
        serde_json::from_slice::<Option<PublishInput>>(&body)
            .map_err(|e| AppError::BadRequest(format!("the body is not a publish request: {e}")))?
            .unwrap_or_default()
    };
    let publish = match input.at {
        Some(t) => Publish::At(t),
        None => Publish::Now,
    };
    let now = Utc::now();
    let saved = newsroom::update_article(&state, id, None, &crate::desk::editor::draft_of(&current), publish, now).await?;
    after_change(&state, &who, &current, &saved, now).await?;
    Ok(axum::Json(admin_article(&state, id).await?).into_response())
}

/// Takes an article off the site, back to draft.
#[utoipa::path(
    post, path = "/api/admin/articles/{id}/unpublish", tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Now a draft", body = AdminArticle),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed to unpublish this article", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
    )
)]
pub async fn unpublish_article(State(state): State<AppState>, who: ApiStaff, ApiPath(id): ApiPath<i64>) -> AppResult<Response> {
    let current = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    who.require(Action::Publish, who.ownership(owner))?;
    let now = Utc::now();
    let saved = newsroom::update_article(&state, id, None, &crate::desk::editor::draft_of(&current), Publish::Draft, now).await?;
    after_change(&state, &who, &current, &saved, now).await?;
    Ok(axum::Json(admin_article(&state, id).await?).into_response())
}

/// Deletes an article for good.
#[utoipa::path(
    delete, path = "/api/admin/articles/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed to delete this article", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
    )
)]
pub async fn delete_article(State(state): State<AppState>, who: ApiStaff, ApiPath(id): ApiPath<i64>) -> AppResult<Response> {
    let a = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    who.require(Action::DeleteArticle, who.ownership(owner))?;
    crate::desk::editor::delete_article(&state, &who.as_staff(), &a).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Every author.
#[utoipa::path(
    get, path = "/api/admin/authors", tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Authors by name", body = Vec<AuthorDto>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn list_authors(State(state): State<AppState>, who: ApiStaff) -> AppResult<Response> {
    who.require(Action::ViewDesk, Ownership::NotApplicable)?;
    let authors: Vec<AuthorDto> = state.db.authors().await?.iter().map(AuthorDto::from).collect();
    Ok(axum::Json(authors).into_response())
}

/// One author.
#[utoipa::path(
    get, path = "/api/admin/authors/{slug}", tag = "admin",
    params(("slug" = String, Path, description = "Author slug")),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The author", body = AuthorDto),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such author", body = ErrorBody),
    )
)]
pub async fn get_author(State(state): State<AppState>, who: ApiStaff, ApiPath(slug): ApiPath<String>) -> AppResult<Response> {
    who.require(Action::ViewDesk, Ownership::NotApplicable)?;
    let a = state.db.author_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(AuthorDto::from(&a)).into_response())
}

/// Creates or updates the author at a slug.
#[utoipa::path(
    put, path = "/api/admin/authors/{slug}", tag = "admin",
    params(("slug" = String, Path, description = "Author slug: lowercase letters, digits and single hyphens", pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 80)),
    request_body = AuthorInput,
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Saved", body = AuthorDto),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn put_author(State(state): State<AppState>, who: ApiStaff, ApiPath(slug): ApiPath<String>, ApiJson(input): ApiJson<AuthorInput>) -> AppResult<Response> {
    who.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    let a = crate::desk::taxonomy::save_author(&state, &who.as_staff(), &slug, &input.name, &input.title, &input.bio).await?;
    Ok(axum::Json(AuthorDto::from(&a)).into_response())
}

/// Deletes an author (their articles stay, without them in the byline).
#[utoipa::path(
    delete, path = "/api/admin/authors/{slug}", tag = "admin",
    params(("slug" = String, Path, description = "Author slug")),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such author", body = ErrorBody),
    )
)]
pub async fn delete_author(State(state): State<AppState>, who: ApiStaff, ApiPath(slug): ApiPath<String>) -> AppResult<Response> {
    who.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    crate::desk::taxonomy::remove_author(&state, &who.as_staff(), &slug).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Every topic, region or section.
#[utoipa::path(
    get, path = "/api/admin/{kind}", tag = "admin",
    params(("kind" = inline(TagKindDto), Path, description = "topics, regions or sections", example = "topics")),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The tags", body = Vec<TagDto>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Not a kind of tag", body = ErrorBody),
    )
)]
pub async fn list_tags(State(state): State<AppState>, who: ApiStaff, ApiPath(kind): ApiPath<String>) -> AppResult<Response> {
    who.require(Action::ViewDesk, Ownership::NotApplicable)?;
    let kind = tag_kind(&kind)?;
    let tags: Vec<TagDto> = state.db.tags(kind).await?.iter().map(TagDto::from).collect();
    Ok(axum::Json(tags).into_response())
}

/// One topic, region or section.
#[utoipa::path(
    get, path = "/api/admin/{kind}/{slug}", tag = "admin",
    params(("kind" = inline(TagKindDto), Path, description = "topics, regions or sections", example = "topics"), ("slug" = String, Path, description = "Slug")),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The tag", body = TagDto),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such tag", body = ErrorBody),
    )
)]
pub async fn get_tag(State(state): State<AppState>, who: ApiStaff, ApiPath((kind, slug)): ApiPath<(String, String)>) -> AppResult<Response> {
    who.require(Action::ViewDesk, Ownership::NotApplicable)?;
    let kind = tag_kind(&kind)?;
    let t = state.db.tag_by_slug(kind, &slug).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(TagDto::from(&t)).into_response())
}

/// Creates or updates a topic, region or section.
#[utoipa::path(
    put, path = "/api/admin/{kind}/{slug}", tag = "admin",
    params(("kind" = inline(TagKindDto), Path, description = "topics, regions or sections", example = "topics"), ("slug" = String, Path, description = "Slug: lowercase letters, digits and single hyphens", pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 80)),
    request_body = TagInput,
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Saved", body = TagDto),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Not a kind of tag", body = ErrorBody),
    )
)]
pub async fn put_tag(
    State(state): State<AppState>,
    who: ApiStaff,
    ApiPath((kind, slug)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<TagInput>,
) -> AppResult<Response> {
    who.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    let kind = tag_kind(&kind)?;
    let t = crate::desk::taxonomy::save_tag(&state, &who.as_staff(), kind, &slug, &input.name, &input.description).await?;
    Ok(axum::Json(TagDto::from(&t)).into_response())
}

/// Deletes a topic, region or section (articles keep the rest of their tags).
#[utoipa::path(
    delete, path = "/api/admin/{kind}/{slug}", tag = "admin",
    params(("kind" = inline(TagKindDto), Path, description = "topics, regions or sections", example = "topics"), ("slug" = String, Path, description = "Slug")),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such tag", body = ErrorBody),
    )
)]
pub async fn delete_tag(State(state): State<AppState>, who: ApiStaff, ApiPath((kind, slug)): ApiPath<(String, String)>) -> AppResult<Response> {
    who.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    let kind = tag_kind(&kind)?;
    crate::desk::taxonomy::remove_tag(&state, &who.as_staff(), kind, &slug).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
    /// Part of an address or name.
    pub q: Option<String>,
}

/// Readers, newest first.
#[utoipa::path(
    get, path = "/api/admin/members", tag = "admin",
    params(MemberQuery),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "A page of readers", body = MemberList),
        (status = 400, description = "Bad paging", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    )
)]
pub async fn list_members(State(state): State<AppState>, who: ApiStaff, ApiQuery(q): ApiQuery<MemberQuery>) -> AppResult<Response> {
    who.require(Action::ManageMembers, Ownership::NotApplicable)?;
    let (limit, offset) = paging(q.limit, q.offset)?;
    let page = state.db.members(q.q.as_deref(), limit, offset).await?;
    Ok(axum::Json(MemberList { items: page.items.iter().map(MemberDto::from).collect(), total: page.total, limit, offset }).into_response())
}

/// One reader with subscriptions, complimentary access and meter.
#[utoipa::path(
    get, path = "/api/admin/members/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Reader id")),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The reader", body = MemberDetail),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such reader", body = ErrorBody),
    )
)]
pub async fn get_member(State(state): State<AppState>, who: ApiStaff, ApiPath(id): ApiPath<i64>) -> AppResult<Response> {
    who.require(Action::ManageMembers, Ownership::NotApplicable)?;
    Ok(axum::Json(member_detail(&state, id).await?).into_response())
}

/// A reader as the desk and the API show them.
pub async fn member_detail(state: &AppState, id: i64) -> AppResult<MemberDetail> {
    let r = state.db.reader_by_id(id).await?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let plans = state.db.all_plans().await?;
    let plan_name = |pid: i64| plans.iter().find(|(p, _)| p.id == pid).map(|(p, _)| p.name.clone()).unwrap_or_default();
    let subscriptions = state
        .db
        .subscriptions_of(id)
        .await?
        .iter()
        .map(|s| SubscriptionDto {
            plan: plan_name(s.plan_id),
            status: s.status.clone(),
            current_period_end: s.current_period_end,
            cancel_at_period_end: s.cancel_at_period_end,
            trial_end: s.trial_end,
            created_at: s.created_at,
        })
        .collect();
    let complimentary = state
        .db
        .complimentary_of(id)
        .await?
        .iter()
        .map(|c| ComplimentaryDto {
            benefits: c.benefits.split(',').filter(|b| !b.is_empty()).map(str::to_string).collect(),
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            note: c.note.clone(),
        })
        .collect();
    let entitlements = crate::reader::entitlements_of(state, id).await?;
    let policy = state.policy().meter;
    let used = state.db.meter_reads(&format!("r:{id}"), policy.window.start(now)).await?.len();
    Ok(MemberDetail {
        id: r.id,
        email: r.email,
        name: r.name,
        email_verified: r.email_verified_at.is_some(),
        created_at: r.created_at,
        last_seen_at: r.last_seen_at,
        benefits: entitlements.0.iter().map(|b| b.as_str().to_string()).collect(),
        subscriptions,
        complimentary,
        meter_used: u32::try_from(used).unwrap_or(u32::MAX),
        meter_quota: policy.registered_quota,
    })
}
