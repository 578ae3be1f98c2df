//! The article editor: every field of the content model in one form, a
//! preview rendered by the same code that renders articles for readers,
//! autosave, scheduling, revisions with compare and restore, a conflict
//! view when someone else saved first, and previews of the page as an
//! anonymous reader over quota and as a subscriber see it.
//!
//! The form works without JavaScript: preview is a submit button that
//! re-renders the editor with what was typed. `desk.js` adds a live
//! preview, toolbar shortcuts and autosave on top.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use masthead_core::diff::{diff_lines, LineChange};
use masthead_core::staff::{Action, Ownership};
use masthead_core::{
    decide, AccessLevel, Article, ArticleDraft, ArticleFacts, ArticleStatus, Benefit, Entitlements, FieldError, Figure,
    MeterCount, Provenance, ReaderFacts, TagKind,
};
use masthead_db::revisions::RevisionKind;
use serde::{Deserialize, Serialize};

use super::{audit, field_errors, page_with_status};
use crate::auth::Staff;
use crate::newsroom::{self, Publish};
use crate::{webhooks, AppError, AppResult, AppState};

/// What the form holds, as typed: strings, so nothing typed is lost when
/// the form comes back with errors.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EditorForm {
    pub headline: String,
    pub slug: String,
    pub standfirst: String,
    pub dateline: String,
    pub hero_src: String,
    pub hero_alt: String,
    pub hero_caption: String,
    pub hero_credit: String,
    pub hero_date: String,
    pub hero_place: String,
    pub body_markdown: String,
    pub access: String,
    pub section: String,
    pub authors: Vec<String>,
    pub topics: Vec<String>,
    pub regions: Vec<String>,
    pub prov_publication: String,
    pub prov_title: String,
    pub prov_url: String,
    pub prov_language: String,
    pub prov_published_on: String,
    pub prov_translator: String,
    pub seo_title: String,
    pub seo_description: String,
    /// "YYYY-MM-DDTHH:MM", UTC, for scheduling.
    pub publish_at: String,
    /// The revision the editor started from.
    pub revision: i64,
}

/// The form, plus what the submit button asked for.
pub struct Submitted {
    pub form: EditorForm,
    pub csrf: String,
    pub intent: String,
}

impl Submitted {
    /// Reads a urlencoded body; repeated names (authors, topics, regions)
    /// become lists.
    pub fn parse(body: &[u8]) -> AppResult<Submitted> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
        let mut f = EditorForm::default();
        let (mut csrf, mut intent) = (String::new(), String::from("save"));
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => csrf = v,
                "intent" => intent = v,
                "headline" => f.headline = v,
                "slug" => f.slug = v,
                "standfirst" => f.standfirst = v,
                "dateline" => f.dateline = v,
                "hero_src" => f.hero_src = v,
                "hero_alt" => f.hero_alt = v,
                "hero_caption" => f.hero_caption = v,
                "hero_credit" => f.hero_credit = v,
                "hero_date" => f.hero_date = v,
                "hero_place" => f.hero_place = v,
                "body_markdown" => f.body_markdown = v.replace("\r\n", "\n"),
                "access" => f.access = v,
                "section" => f.section = v,
                "authors" if !v.is_empty() => f.authors.push(v),
                "topics" if !v.is_empty() => f.topics.push(v),
                "regions" if !v.is_empty() => f.regions.push(v),
                "prov_publication" => f.prov_publication = v,
                "prov_title" => f.prov_title = v,
                "prov_url" => f.prov_url = v,
                "prov_language" => f.prov_language = v,
                "prov_published_on" => f.prov_published_on = v,
                "prov_translator" => f.prov_translator = v,
                "seo_title" => f.seo_title = v,
                "seo_description" => f.seo_description = v,
                "publish_at" => f.publish_at = v,
                "revision" => f.revision = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        Ok(Submitted { form: f, csrf, intent })
    }
}

fn parse_date(field: &str, s: &str, errs: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(FieldError::new(field, "use a date like 2026-03-02"));
            None
        }
    }
}

impl EditorForm {
    /// The draft this form describes, or every problem with it (the
    /// draft's own validation included).
    pub fn to_draft(&self) -> Result<ArticleDraft, Vec<FieldError>> {
        let mut errs = Vec::new();
        let access = match self.access.as_str() {
            "" => AccessLevel::Metered,
            a => AccessLevel::parse(a).unwrap_or_else(|| {
                errs.push(FieldError::new("access", "choose free, metered or subscribers only"));
                AccessLevel::Metered
            }),
        };
        let hero_date = parse_date("hero.date", &self.hero_date, &mut errs);
        let hero_used = [&self.hero_src, &self.hero_alt, &self.hero_caption, &self.hero_credit, &self.hero_date, &self.hero_place]
            .iter()
            .any(|s| !s.trim().is_empty());
        let hero = hero_used.then(|| Figure {
            src: self.hero_src.trim().to_string(),
            alt: self.hero_alt.trim().to_string(),
            caption: self.hero_caption.trim().to_string(),
            credit: self.hero_credit.trim().to_string(),
            date: hero_date,
            place: self.hero_place.trim().to_string(),
        });
        let published_on = parse_date("provenance.published_on", &self.prov_published_on, &mut errs);
        let prov_used = [&self.prov_publication, &self.prov_title, &self.prov_url, &self.prov_language, &self.prov_published_on, &self.prov_translator]
            .iter()
            .any(|s| !s.trim().is_empty());
        let provenance = prov_used.then(|| Provenance {
            publication: self.prov_publication.trim().to_string(),
            title: self.prov_title.trim().to_string(),
            url: self.prov_url.trim().to_string(),
            language: self.prov_language.trim().to_string(),
            published_on,
            translator: self.prov_translator.trim().to_string(),
        });
        let draft = ArticleDraft {
            headline: self.headline.trim().to_string(),
            slug: Some(self.slug.trim().to_string()).filter(|s| !s.is_empty()),
            standfirst: self.standfirst.trim().to_string(),
            dateline: self.dateline.trim().to_string(),
            hero,
            body_markdown: self.body_markdown.clone(),
            access,
            section: Some(self.section.trim().to_string()).filter(|s| !s.is_empty()),
            authors: self.authors.clone(),
            topics: self.topics.clone(),
            regions: self.regions.clone(),
            provenance,
            seo_title: self.seo_title.trim().to_string(),
            seo_description: self.seo_description.trim().to_string(),
        };
        if let Err(masthead_core::DomainError::Invalid(mut e)) = draft.validate() {
            errs.append(&mut e);
        }
        if errs.is_empty() {
            Ok(draft)
        } else {
            Err(errs)
        }
    }

    pub fn from_draft(d: &ArticleDraft, revision: i64) -> Self {
        let hero = d.hero.clone().unwrap_or_default();
        let prov = d.provenance.clone().unwrap_or_default();
        EditorForm {
            headline: d.headline.clone(),
            slug: d.slug.clone().unwrap_or_default(),
            standfirst: d.standfirst.clone(),
            dateline: d.dateline.clone(),
            hero_src: hero.src,
            hero_alt: hero.alt,
            hero_caption: hero.caption,
            hero_credit: hero.credit,
            hero_date: hero.date.map(|d| d.to_string()).unwrap_or_default(),
            hero_place: hero.place,
            body_markdown: d.body_markdown.clone(),
            access: d.access.as_str().to_string(),
            section: d.section.clone().unwrap_or_default(),
            authors: d.authors.clone(),
            topics: d.topics.clone(),
            regions: d.regions.clone(),
            prov_publication: prov.publication,
            prov_title: prov.title,
            prov_url: prov.url,
            prov_language: prov.language,
            prov_published_on: prov.published_on.map(|d| d.to_string()).unwrap_or_default(),
            prov_translator: prov.translator,
            seo_title: d.seo_title.clone(),
            seo_description: d.seo_description.clone(),
            publish_at: String::new(),
            revision,
        }
    }
}

/// An article as the draft that would recreate it.
pub fn draft_of(a: &Article) -> ArticleDraft {
    ArticleDraft {
        headline: a.headline.clone(),
        slug: Some(a.slug.clone()),
        standfirst: a.standfirst.clone(),
        dateline: a.dateline.clone(),
        hero: a.hero.clone(),
        body_markdown: a.body_markdown.clone(),
        access: a.access,
        section: a.section.as_ref().map(|s| s.slug.clone()),
        authors: a.authors.iter().map(|x| x.slug.clone()).collect(),
        topics: a.topics.iter().map(|x| x.slug.clone()).collect(),
        regions: a.regions.iter().map(|x| x.slug.clone()).collect(),
        provenance: a.provenance.clone(),
        seo_title: a.seo_title.clone(),
        seo_description: a.seo_description.clone(),
    }
}

/// The choices for the form's lists.
#[derive(Serialize)]
struct Choices {
    sections: Vec<Choice>,
    topics: Vec<Choice>,
    regions: Vec<Choice>,
    authors: Vec<Choice>,
}

#[derive(Serialize)]
struct Choice {
    slug: String,
    name: String,
}

async fn choices(state: &AppState) -> AppResult<Choices> {
    let tags = |v: Vec<masthead_core::Tag>| v.into_iter().map(|t| Choice { slug: t.slug, name: t.name }).collect();
    Ok(Choices {
        sections: tags(state.db.tags(TagKind::Section).await?),
        topics: tags(state.db.tags(TagKind::Topic).await?),
        regions: tags(state.db.tags(TagKind::Region).await?),
        authors: state.db.authors().await?.into_iter().map(|a| Choice { slug: a.slug, name: a.name }).collect(),
    })
}

/// The body rendered as readers would get it, with any problems.
#[derive(Serialize)]
struct Preview {
    blocks: Vec<crate::views::BlockView>,
    problems: Vec<String>,
    words: u32,
}

fn preview_of(state: &AppState, markdown: &str) -> Preview {
    let r = masthead_render::render_body(markdown, &state.dims());
    Preview {
        blocks: crate::views::block_views(&r.blocks),
        problems: r.problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect(),
        words: r.word_count,
    }
}

/// What the editor knows about a stored article.
#[derive(Serialize)]
struct Stored {
    id: i64,
    slug: String,
    url: String,
    status: &'static str,
    published: Option<String>,
    scheduled: Option<String>,
    updated: String,
    problems: Vec<String>,
}

impl Stored {
    fn of(a: &Article) -> Self {
        let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        Stored {
            id: a.id,
            slug: a.slug.clone(),
            url: crate::views::article_url(&a.slug),
            status: a.status.as_str(),
            published: a.published_at.map(fmt),
            scheduled: a.scheduled_for.map(fmt),
            updated: fmt(a.updated_at),
            problems: a.render_problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect(),
        }
    }
}

/// What the editor page may offer this staff member for this article.
#[derive(Serialize)]
struct Abilities {
    publish: bool,
    delete: bool,
    edit: bool,
}

fn abilities(staff: &Staff, article: Option<(&Article, Option<i64>)>) -> Abilities {
    match article {
        None => Abilities {
            publish: staff.may(Action::Publish, Ownership::Own),
            delete: false,
            edit: staff.may(Action::CreateArticle, Ownership::NotApplicable),
        },
        Some((a, owner)) => {
            let o = staff.ownership(owner);
            let edit_action = if a.status == ArticleStatus::Draft { Action::EditDraft } else { Action::EditLive };
            Abilities { publish: staff.may(Action::Publish, o), delete: staff.may(Action::DeleteArticle, o), edit: staff.may(edit_action, o) }
        }
    }
}

/// A conflict: someone saved since the editor opened the article.
#[derive(Serialize)]
struct ConflictView {
    theirs: EditorForm,
    saved_by: String,
    saved_at: String,
    body_diff: Vec<masthead_core::diff::DiffLine>,
    changed_fields: Vec<&'static str>,
}

#[derive(Default)]
struct EditorExtras {
    errors: Vec<FieldError>,
    notice: Option<String>,
    preview: Option<Preview>,
    conflict: Option<ConflictView>,
    autosave: Option<(i64, String)>,
}

async fn editor_page(
    state: &AppState,
    staff: &Staff,
    article: Option<(&Article, Option<i64>)>,
    form: &EditorForm,
    extras: EditorExtras,
    status: StatusCode,
) -> AppResult<Response> {
    let path = match article {
        Some((a, _)) => format!("/admin/articles/{}", a.id),
        None => "/admin/articles/new".to_string(),
    };
    let errors: BTreeMap<String, String> = field_errors(&extras.errors);
    page_with_status(
        state,
        staff,
        "admin/editor.html",
        &path,
        status,
        minijinja::context! {
            form, errors, error_list => extras.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>(),
            notice => extras.notice, preview => extras.preview, conflict => extras.conflict,
            autosave => extras.autosave.map(|(id, at)| minijinja::context! { id, at }),
            article => article.map(|(a, _)| Stored::of(a)), can => abilities(staff, article),
            choices => choices(state).await?, action => path,
            access_levels => [("free", "Free"), ("metered", "Metered"), ("subscribers_only", "Subscribers only")],
        },
    )
}

#[derive(Deserialize)]
pub struct EditQuery {
    /// Load this staff member's autosave into the form.
    autosave: Option<String>,
    saved: Option<String>,
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::CreateArticle, Ownership::NotApplicable)?;
    let form = EditorForm { access: "metered".into(), ..Default::default() };
    editor_page(&state, &staff, None, &form, EditorExtras::default(), StatusCode::OK).await
}

pub async fn edit_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Query(q): Query<EditQuery>) -> AppResult<Response> {
    let a = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    staff.require(Action::ViewArticle, staff.ownership(owner))?;
    let revision = state.db.article_revision(id).await?;
    let pending = state.db.pending_autosave(id, staff.id, a.updated_at).await?;
    let mut extras = EditorExtras::default();
    let mut form = EditorForm::from_draft(&draft_of(&a), revision);
    match (&pending, q.autosave.is_some()) {
        (Some(p), true) => {
            form = EditorForm::from_draft(&p.draft, revision);
            extras.notice = Some(format!("Loaded your autosave from {}. Save to keep it.", p.created_at.format("%H:%M UTC")));
        }
        (Some(p), false) => extras.autosave = Some((p.id, p.created_at.format("%Y-%m-%d %H:%M UTC").to_string())),
        _ => {}
    }
    if q.saved.is_some() && extras.notice.is_none() {
        extras.notice = Some("Saved.".into());
    }
    if let Some(t) = a.scheduled_for {
        form.publish_at = t.format("%Y-%m-%dT%H:%M").to_string();
    }
    editor_page(&state, &staff, Some((&a, owner)), &form, extras, StatusCode::OK).await
}

/// What a submit asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    /// Save, keeping the article's status.
    Save,
    Publish,
    Schedule,
    /// Take it off the site (back to draft).
    Unpublish,
    Preview,
}

fn intent(s: &str) -> AppResult<Intent> {
    match s {
        "save" | "" => Ok(Intent::Save),
        "publish" => Ok(Intent::Publish),
        "schedule" => Ok(Intent::Schedule),
        "unpublish" => Ok(Intent::Unpublish),
        "preview" => Ok(Intent::Preview),
        other => Err(AppError::BadRequest(format!("unknown action \"{other}\""))),
    }
}

fn publish_time(form: &EditorForm) -> Result<DateTime<Utc>, FieldError> {
    NaiveDateTime::parse_from_str(form.publish_at.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(form.publish_at.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map(|t| t.and_utc())
        .map_err(|_| FieldError::new("publish_at", "choose a date and time to publish at (UTC)"))
}

/// A store-side conflict as a field error where it belongs.
fn conflict_field(message: &str) -> FieldError {
    let field = if message.contains("slug") {
        "slug"
    } else if message.contains("no author") {
        "authors"
    } else if message.contains("no topic") {
        "topics"
    } else if message.contains("no region") {
        "regions"
    } else if message.contains("no section") {
        "section"
    } else {
        "form"
    };
    FieldError::new(field, message)
}

/// Creates an article from the form (a draft, or published/scheduled by
/// those who may publish).
pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::CreateArticle, Ownership::NotApplicable)?;
    let sub = Submitted::parse(&body)?;
    staff.check_csrf(&state, &sub.csrf)?;
    let intent = intent(&sub.intent)?;
    let form = sub.form;
    if intent == Intent::Preview {
        let extras = EditorExtras { preview: Some(preview_of(&state, &form.body_markdown)), ..Default::default() };
        return editor_page(&state, &staff, None, &form, extras, StatusCode::OK).await;
    }
    let publish = match intent {
        Intent::Save | Intent::Unpublish | Intent::Preview => Publish::Draft,
        Intent::Publish => Publish::Now,
        Intent::Schedule => match publish_time(&form) {
            Ok(t) => Publish::At(t),
            Err(e) => return form_errors(&state, &staff, None, &form, vec![e]).await,
        },
    };
    if !matches!(publish, Publish::Draft) {
        staff.require(Action::Publish, Ownership::Own)?;
    }
    let draft = match form.to_draft() {
        Ok(d) => d,
        Err(errs) => return form_errors(&state, &staff, None, &form, errs).await,
    };
    let now = Utc::now();
    let a = match newsroom::create_article(&state, &draft, publish, now).await {
        Ok(a) => a,
        Err(AppError::Conflict(m)) => return form_errors(&state, &staff, None, &form, vec![conflict_field(&m)]).await,
        Err(AppError::Invalid(errs)) => return form_errors(&state, &staff, None, &form, errs).await,
        Err(e) => return Err(e),
    };
    state.db.set_article_owner(a.id, staff.id).await?;
    let revision = state.db.article_revision(a.id).await?;
    state.db.add_revision(a.id, revision, RevisionKind::Save, Some(staff.id), &draft_of(&a), now).await?;
    audit(&state, &staff, "article.create", &format!("article:{}", a.id), &format!("created \"{}\" ({})", a.headline, a.status.as_str())).await?;
    if a.status == ArticleStatus::Published {
        webhooks::emit(&state, webhooks::ARTICLE_PUBLISHED, crate::api::dto::ArticleEvent::of(&a).json()).await?;
    }
    Ok(Redirect::to(&format!("/admin/articles/{}?saved=1", a.id)).into_response())
}

async fn form_errors(state: &AppState, staff: &Staff, article: Option<(&Article, Option<i64>)>, form: &EditorForm, errs: Vec<FieldError>) -> AppResult<Response> {
    let extras = EditorExtras { errors: errs, preview: Some(preview_of(state, &form.body_markdown)), ..Default::default() };
    editor_page(state, staff, article, form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// What saving an article may need: the permissions for the change.
pub fn authorize_save(staff_role: masthead_core::staff::Role, ownership: Ownership, current: ArticleStatus, publish_change: bool) -> bool {
    use masthead_core::staff::can;
    let edit = if current == ArticleStatus::Draft { Action::EditDraft } else { Action::EditLive };
    can(staff_role, edit, ownership) && (!publish_change || can(staff_role, Action::Publish, ownership))
}

/// Saves the form over an article: keeps its status, or publishes,
/// schedules or unpublishes it. A save based on an older revision shows
/// the conflict, with both versions, and keeps what was typed.
pub async fn update(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, body: Bytes) -> AppResult<Response> {
    let current = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    let ownership = staff.ownership(owner);
    staff.require(Action::ViewArticle, ownership)?;
    let sub = Submitted::parse(&body)?;
    staff.check_csrf(&state, &sub.csrf)?;
    let intent = intent(&sub.intent)?;
    let mut form = sub.form;
    let article = Some((&current, owner));
    if intent == Intent::Preview {
        let extras = EditorExtras { preview: Some(preview_of(&state, &form.body_markdown)), ..Default::default() };
        return editor_page(&state, &staff, article, &form, extras, StatusCode::OK).await;
    }
    let publish = match intent {
        Intent::Save | Intent::Preview => match current.status {
            ArticleStatus::Draft => Publish::Draft,
            ArticleStatus::Published => Publish::Now,
            ArticleStatus::Scheduled => current.scheduled_for.map(Publish::At).unwrap_or(Publish::Draft),
        },
        Intent::Publish => Publish::Now,
        Intent::Unpublish => Publish::Draft,
        Intent::Schedule => match publish_time(&form) {
            Ok(t) => Publish::At(t),
            Err(e) => return form_errors(&state, &staff, article, &form, vec![e]).await,
        },
    };
    if !authorize_save(staff.role, ownership, current.status, intent != Intent::Save) {
        return Err(AppError::Forbidden);
    }
    let draft = match form.to_draft() {
        Ok(d) => d,
        Err(errs) => return form_errors(&state, &staff, article, &form, errs).await,
    };
    let now = Utc::now();
    let revision_now = state.db.article_revision(id).await?;
    if form.revision != revision_now {
        return conflict(&state, &staff, &current, owner, &mut form, revision_now).await;
    }
    let saved = match newsroom::update_article(&state, id, Some(form.revision), &draft, publish, now).await {
        Ok(a) => a,
        Err(AppError::Conflict(m)) => {
            // Someone saved between our check and our write.
            let revision_now = state.db.article_revision(id).await?;
            if revision_now != form.revision {
                let current = state.db.article_by_id(id).await?;
                return conflict(&state, &staff, &current, owner, &mut form, revision_now).await;
            }
            return form_errors(&state, &staff, article, &form, vec![conflict_field(&m)]).await;
        }
        Err(AppError::Invalid(errs)) => return form_errors(&state, &staff, article, &form, errs).await,
        Err(e) => return Err(e),
    };
    after_save(&state, &staff, &current, &saved, RevisionKind::Save, now).await?;
    Ok(Redirect::to(&format!("/admin/articles/{id}?saved=1"), ).into_response())
}

/// What follows every save: the revision, the audit log, the webhooks.
async fn after_save(state: &AppState, staff: &Staff, before: &Article, saved: &Article, kind: RevisionKind, now: DateTime<Utc>) -> AppResult<()> {
    let revision = state.db.article_revision(saved.id).await?;
    state.db.add_revision(saved.id, revision, kind, Some(staff.id), &draft_of(saved), now).await?;
    let what = match (before.status, saved.status) {
        (ArticleStatus::Published, ArticleStatus::Published) => "article.update",
        (_, ArticleStatus::Published) => "article.publish",
        (_, ArticleStatus::Scheduled) => "article.schedule",
        (ArticleStatus::Draft, ArticleStatus::Draft) => "article.update",
        (_, ArticleStatus::Draft) => "article.unpublish",
    };
    let what = if kind == RevisionKind::Restore { "article.restore" } else { what };
    audit(state, staff, what, &format!("article:{}", saved.id), &format!("\"{}\" is {} (revision {revision})", saved.headline, saved.status.as_str())).await?;
    let event = crate::api::dto::ArticleEvent::of(saved).json();
    match (before.status, saved.status) {
        (ArticleStatus::Published, ArticleStatus::Published) => webhooks::emit(state, webhooks::ARTICLE_UPDATED, event).await?,
        (_, ArticleStatus::Published) => webhooks::emit(state, webhooks::ARTICLE_PUBLISHED, event).await?,
        (ArticleStatus::Published, _) => webhooks::emit(state, webhooks::ARTICLE_DELETED, event).await?,
        _ => {}
    }
    Ok(())
}

async fn conflict(state: &AppState, staff: &Staff, current: &Article, owner: Option<i64>, form: &mut EditorForm, revision_now: i64) -> AppResult<Response> {
    let theirs = EditorForm::from_draft(&draft_of(current), revision_now);
    let last = state.db.revisions(current.id).await?.into_iter().find(|r| r.kind != RevisionKind::Autosave);
    let mut changed = Vec::new();
    for (name, a, b) in [
        ("headline", &form.headline, &theirs.headline),
        ("standfirst", &form.standfirst, &theirs.standfirst),
        ("dateline", &form.dateline, &theirs.dateline),
        ("body", &form.body_markdown, &theirs.body_markdown),
        ("slug", &form.slug, &theirs.slug),
        ("access", &form.access, &theirs.access),
        ("section", &form.section, &theirs.section),
        ("hero", &form.hero_src, &theirs.hero_src),
        ("SEO title", &form.seo_title, &theirs.seo_title),
        ("SEO description", &form.seo_description, &theirs.seo_description),
    ] {
        if a.trim() != b.trim() {
            changed.push(name);
        }
    }
    if form.authors != theirs.authors || form.topics != theirs.topics || form.regions != theirs.regions {
        changed.push("byline and tags");
    }
    let view = ConflictView {
        body_diff: diff_lines(&theirs.body_markdown, &form.body_markdown),
        saved_by: last.as_ref().and_then(|r| r.staff_name.clone()).unwrap_or_else(|| "someone".into()),
        saved_at: current.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        changed_fields: changed,
        theirs,
    };
    // Saving again after seeing the conflict overwrites deliberately.
    form.revision = revision_now;
    let extras = EditorExtras { conflict: Some(view), ..Default::default() };
    editor_page(state, staff, Some((current, owner)), form, extras, StatusCode::CONFLICT).await
}

/// The live preview's fragment, for desk.js: the body as readers get it.
pub async fn preview_fragment(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::CreateArticle, Ownership::NotApplicable)?;
    let sub = Submitted::parse(&body)?;
    staff.check_csrf(&state, &sub.csrf)?;
    let preview = preview_of(&state, &sub.form.body_markdown);
    let html = state.theme.render("admin/preview.html", minijinja::context! { preview })?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "no-store")], html).into_response())
}

/// Keeps what the editor typed as this staff member's autosave.
pub async fn autosave(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, body: Bytes) -> AppResult<Response> {
    let current = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    if !authorize_save(staff.role, staff.ownership(owner), current.status, false) {
        return Err(AppError::Forbidden);
    }
    let sub = Submitted::parse(&body)?;
    staff.check_csrf(&state, &sub.csrf)?;
    // An autosave keeps what was typed even when it would not validate.
    let f = &sub.form;
    let draft = f.to_draft().unwrap_or_else(|_| ArticleDraft {
        headline: f.headline.clone(),
        standfirst: f.standfirst.clone(),
        dateline: f.dateline.clone(),
        body_markdown: f.body_markdown.clone(),
        authors: f.authors.clone(),
        topics: f.topics.clone(),
        regions: f.regions.clone(),
        section: Some(f.section.clone()).filter(|s| !s.is_empty()),
        ..Default::default()
    });
    let now = Utc::now();
    let rev = state.db.add_revision(id, f.revision, RevisionKind::Autosave, Some(staff.id), &draft, now).await?;
    Ok(axum::Json(serde_json::json!({ "autosave": rev, "saved_at": now.to_rfc3339(), "stale": f.revision != current_revision(&state, id).await? })).into_response())
}

async fn current_revision(state: &AppState, id: i64) -> AppResult<i64> {
    Ok(state.db.article_revision(id).await?)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
}

pub async fn delete(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, axum::Form(f): axum::Form<DeleteForm>) -> AppResult<Response> {
    let a = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    staff.require(Action::DeleteArticle, staff.ownership(owner))?;
    staff.check_csrf(&state, &f.csrf)?;
    delete_article(&state, &staff, &a).await?;
    Ok(Redirect::to("/admin?deleted=1").into_response())
}

/// Deletes an article, with its audit record and webhook.
pub async fn delete_article(state: &AppState, staff: &Staff, a: &Article) -> AppResult<()> {
    state.db.delete_article(a.id).await?;
    state.invalidate();
    audit(state, staff, "article.delete", &format!("article:{}", a.id), &format!("deleted \"{}\"", a.headline)).await?;
    webhooks::emit(state, webhooks::ARTICLE_DELETED, crate::api::dto::ArticleEvent::of(a).json()).await?;
    Ok(())
}

/// The revision history.
pub async fn revisions(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> AppResult<Response> {
    let a = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    staff.require(Action::ViewArticle, staff.ownership(owner))?;
    let revs = state.db.revisions(id).await?;
    let items: Vec<_> = revs
        .iter()
        .map(|r| {
            minijinja::context! {
                id => r.id, revision => r.revision, kind => r.kind.as_str(), by => r.staff_name.clone().unwrap_or_default(),
                at => r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(), headline => r.draft.headline,
                words => masthead_core::count_words(&r.draft.body_markdown),
            }
        })
        .collect();
    let can_restore = authorize_save(staff.role, staff.ownership(owner), a.status, false);
    super::page(
        &state,
        &staff,
        "admin/revisions.html",
        &format!("/admin/articles/{id}/revisions"),
        minijinja::context! { article => Stored::of(&a), headline => a.headline, items, can_restore },
    )
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: i64,
    b: i64,
}

/// Two revisions side by side: changed fields and a line diff of the body.
pub async fn compare(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Query(q): Query<CompareQuery>) -> AppResult<Response> {
    let a = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    staff.require(Action::ViewArticle, staff.ownership(owner))?;
    let (old, new) = (state.db.revision(q.a).await?, state.db.revision(q.b).await?);
    if old.article_id != id || new.article_id != id {
        return Err(AppError::NotFound);
    }
    let (of, nf) = (EditorForm::from_draft(&old.draft, old.revision), EditorForm::from_draft(&new.draft, new.revision));
    let fields: Vec<_> = [
        ("Headline", &of.headline, &nf.headline),
        ("Slug", &of.slug, &nf.slug),
        ("Standfirst", &of.standfirst, &nf.standfirst),
        ("Dateline", &of.dateline, &nf.dateline),
        ("Access", &of.access, &nf.access),
        ("Section", &of.section, &nf.section),
        ("Hero image", &of.hero_src, &nf.hero_src),
        ("Hero caption", &of.hero_caption, &nf.hero_caption),
        ("Original publication", &of.prov_publication, &nf.prov_publication),
        ("Translator", &of.prov_translator, &nf.prov_translator),
        ("SEO title", &of.seo_title, &nf.seo_title),
        ("SEO description", &of.seo_description, &nf.seo_description),
    ]
    .into_iter()
    .filter(|(_, x, y)| x != y)
    .map(|(name, x, y)| minijinja::context! { name, old => x, new => y })
    .collect();
    let lists: Vec<_> = [("Authors", &of.authors, &nf.authors), ("Topics", &of.topics, &nf.topics), ("Regions", &of.regions, &nf.regions)]
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(name, x, y)| minijinja::context! { name, old => x.join(", "), new => y.join(", ") })
        .collect();
    let diff = diff_lines(&old.draft.body_markdown, &new.draft.body_markdown);
    let (added, removed) = (
        diff.iter().filter(|l| l.change == LineChange::Added).count(),
        diff.iter().filter(|l| l.change == LineChange::Removed).count(),
    );
    let label = |r: &masthead_db::revisions::Revision| format!("{} {} by {}", r.kind.as_str(), r.created_at.format("%Y-%m-%d %H:%M"), r.staff_name.clone().unwrap_or_default());
    super::page(
        &state,
        &staff,
        "admin/compare.html",
        &format!("/admin/articles/{id}/revisions"),
        minijinja::context! { article => Stored::of(&a), headline => a.headline, old => label(&old), new => label(&new), fields, lists, diff, added, removed },
    )
}

#[derive(Deserialize)]
pub struct RestoreForm {
    csrf: String,
}

/// Brings an old revision back as a new save (keeping the status).
pub async fn restore(State(state): State<AppState>, staff: Staff, Path((id, rid)): Path<(i64, i64)>, axum::Form(f): axum::Form<RestoreForm>) -> AppResult<Response> {
    let current = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    if !authorize_save(staff.role, staff.ownership(owner), current.status, false) {
        return Err(AppError::Forbidden);
    }
    staff.check_csrf(&state, &f.csrf)?;
    let rev = state.db.revision(rid).await?;
    if rev.article_id != id {
        return Err(AppError::NotFound);
    }
    let publish = match current.status {
        ArticleStatus::Draft => Publish::Draft,
        ArticleStatus::Published => Publish::Now,
        ArticleStatus::Scheduled => current.scheduled_for.map(Publish::At).unwrap_or(Publish::Draft),
    };
    let mut draft = rev.draft.clone();
    // The slug stays: restoring text must not move the page.
    draft.slug = Some(current.slug.clone());
    let now = Utc::now();
    let saved = newsroom::update_article(&state, id, None, &draft, publish, now).await?;
    after_save(&state, &staff, &current, &saved, RevisionKind::Restore, now).await?;
    Ok(Redirect::to(&format!("/admin/articles/{id}?saved=1")).into_response())
}

#[derive(Deserialize)]
pub struct ReaderPreviewQuery {
    /// "anonymous_over_quota", "anonymous", "registered" or "subscriber".
    #[serde(rename = "as")]
    as_reader: String,
}

/// The article page as a given kind of reader would get it, decided by
/// the same function that decides for real readers.
pub async fn reader_preview(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Query(q): Query<ReaderPreviewQuery>) -> AppResult<Response> {
    let a = state.db.article_by_id(id).await?;
    let owner = state.db.article_owner(id).await?;
    staff.require(Action::ViewArticle, staff.ownership(owner))?;
    let policy = state.policy().meter;
    let (reader, meter, label) = match q.as_reader.as_str() {
        "anonymous_over_quota" => (
            ReaderFacts::default(),
            MeterCount { used: policy.anonymous_quota, already_read: false },
            "an anonymous reader who has used their free articles",
        ),
        "anonymous" => (ReaderFacts::default(), MeterCount::default(), "an anonymous reader with free articles left"),
        "registered" => (
            ReaderFacts { registered: true, ..Default::default() },
            MeterCount { used: policy.registered_quota, already_read: false },
            "a registered reader who has used their free articles",
        ),
        "subscriber" => (
            ReaderFacts { registered: true, entitlements: Entitlements::all(), ..Default::default() },
            MeterCount::default(),
            "a subscriber",
        ),
        other => return Err(AppError::BadRequest(format!("unknown reader \"{other}\""))),
    };
    let now = Utc::now();
    let facts = ArticleFacts { access: a.access, published_at: a.published_at.unwrap_or(now), block_count: a.blocks.len() };
    let network = policy.network_quota.filter(|_| !reader.registered).map(|_| MeterCount::default());
    let access = decide(&facts, &reader, meter, network, &policy, now);
    debug_assert!(!reader.entitlements.has(Benefit::FullAccess) || access.is_full());
    let html = crate::site::render_article(&state, &a, &access, None, false)?;
    let banner = format!(
        "<p class=\"desk-preview-banner\" role=\"status\">Desk preview: this is the page as {label} sees it ({} of {} blocks). <a href=\"/admin/articles/{id}\">Back to the editor</a></p>",
        access.visible_blocks(a.blocks.len()),
        a.blocks.len()
    );
    let body = crate::site::personalize(html.as_bytes(), "", &banner);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "no-store")],
        [("x-robots-tag", "noindex")],
        body,
    )
        .into_response())
}
