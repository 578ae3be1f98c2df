//! Authors, topics, regions and sections: the records articles point to.
//! Editors keep them; the desk's pages and the Admin API share the save
//! and delete functions here, so both validate and audit the same way.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use masthead_core::staff::{Action, Ownership};
use masthead_core::{Author, FieldError, Tag, TagKind};
use serde::{Deserialize, Serialize};

use super::{audit, field_errors, page_with_status};
use crate::auth::Staff;
use crate::{AppError, AppResult, AppState};

fn check(slug: &str, name: &str) -> AppResult<()> {
    let mut errs = Vec::new();
    if let Err(masthead_core::DomainError::Invalid(mut e)) = masthead_core::slug::validate_slug(slug) {
        errs.append(&mut e);
    }
    if name.trim().is_empty() {
        errs.push(FieldError::new("name", "give it a name"));
    } else if name.chars().count() > 200 {
        errs.push(FieldError::new("name", "at most 200 characters"));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errs))
    }
}

pub async fn save_author(state: &AppState, staff: &Staff, slug: &str, name: &str, title: &str, bio: &str) -> AppResult<Author> {
    check(slug, name)?;
    let existed = state.db.author_by_slug(slug).await?.is_some();
    let a = state.db.upsert_author(slug, name.trim(), title.trim(), bio.trim()).await?;
    state.invalidate();
    let verb = if existed { "author.update" } else { "author.create" };
    audit(state, staff, verb, &format!("author:{slug}"), &format!("{} ({})", a.name, a.title)).await?;
    Ok(a)
}

pub async fn remove_author(state: &AppState, staff: &Staff, slug: &str) -> AppResult<()> {
    state.db.delete_author(slug).await?;
    state.invalidate();
    audit(state, staff, "author.delete", &format!("author:{slug}"), "deleted").await
}

pub async fn save_tag(state: &AppState, staff: &Staff, kind: TagKind, slug: &str, name: &str, description: &str) -> AppResult<Tag> {
    check(slug, name)?;
    let existed = state.db.tag_by_slug(kind, slug).await?.is_some();
    let t = state.db.upsert_tag(kind, slug, name.trim(), description.trim()).await?;
    state.reload().await.map_err(AppError::internal)?;
    let verb = if existed { "update" } else { "create" };
    audit(state, staff, &format!("{}.{verb}", kind.path()), &format!("{}:{slug}", kind.path()), &t.name).await?;
    Ok(t)
}

pub async fn remove_tag(state: &AppState, staff: &Staff, kind: TagKind, slug: &str) -> AppResult<()> {
    state.db.delete_tag(kind, slug).await?;
    state.reload().await.map_err(AppError::internal)?;
    audit(state, staff, &format!("{}.delete", kind.path()), &format!("{}:{slug}", kind.path()), "deleted").await
}

#[derive(Default, Serialize, Deserialize, Clone)]
pub struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    position: String,
}

#[derive(Deserialize)]
pub struct EditQuery {
    edit: Option<String>,
}

/// Which list a page shows: authors, or one kind of tag.
#[derive(Clone, Copy)]
enum Records {
    Authors,
    Tags(TagKind),
}

impl Records {
    fn path(self) -> String {
        match self {
            Records::Authors => "/admin/authors".into(),
            Records::Tags(k) => format!("/admin/tags/{}", k.table()),
        }
    }
    fn title(self) -> &'static str {
        match self {
            Records::Authors => "Authors",
            Records::Tags(TagKind::Topic) => "Topics",
            Records::Tags(TagKind::Region) => "Regions",
            Records::Tags(TagKind::Section) => "Sections",
        }
    }
}

fn kind_of(s: &str) -> AppResult<TagKind> {
    crate::api::content::tag_kind(s)
}

async fn records_page(state: &AppState, staff: &Staff, which: Records, form: RecordForm, errors: Vec<FieldError>) -> AppResult<Response> {
    let items: Vec<_> = match which {
        Records::Authors => state
            .db
            .authors()
            .await?
            .into_iter()
            .map(|a| minijinja::context! { slug => a.slug.clone(), name => a.name, detail => a.title, url => crate::views::author_url(&a.slug) })
            .collect(),
        Records::Tags(k) => state
            .db
            .tags(k)
            .await?
            .into_iter()
            .map(|t| minijinja::context! { slug => t.slug.clone(), name => t.name, detail => t.description, url => crate::views::tag_url(k, &t.slug) })
            .collect(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page_with_status(
        state,
        staff,
        "admin/taxonomy.html",
        &which.path(),
        status,
        minijinja::context! {
            title => which.title(), path => which.path(), items, form, errors => field_errors(&errors),
            authors => matches!(which, Records::Authors), sections => matches!(which, Records::Tags(TagKind::Section)),
        },
    )
}

async fn prefill(state: &AppState, which: Records, edit: Option<&str>) -> AppResult<RecordForm> {
    let Some(slug) = edit else { return Ok(RecordForm::default()) };
    Ok(match which {
        Records::Authors => {
            let a = state.db.author_by_slug(slug).await?.ok_or(AppError::NotFound)?;
            RecordForm { slug: a.slug, name: a.name, title: a.title, description: a.bio, ..Default::default() }
        }
        Records::Tags(k) => {
            let t = state.db.tag_by_slug(k, slug).await?.ok_or(AppError::NotFound)?;
            RecordForm { slug: t.slug, name: t.name, description: t.description, ..Default::default() }
        }
    })
}

pub async fn authors(State(state): State<AppState>, staff: Staff, Query(q): Query<EditQuery>) -> AppResult<Response> {
    staff.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    let form = prefill(&state, Records::Authors, q.edit.as_deref()).await?;
    records_page(&state, &staff, Records::Authors, form, Vec::new()).await
}

pub async fn tags(State(state): State<AppState>, staff: Staff, Path(kind): Path<String>, Query(q): Query<EditQuery>) -> AppResult<Response> {
    staff.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    let which = Records::Tags(kind_of(&kind)?);
    let form = prefill(&state, which, q.edit.as_deref()).await?;
    records_page(&state, &staff, which, form, Vec::new()).await
}

async fn save(state: &AppState, staff: &Staff, which: Records, f: RecordForm) -> AppResult<Response> {
    staff.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    staff.check_csrf(state, &f.csrf)?;
    let slug = if f.slug.trim().is_empty() { masthead_core::slug::slugify(&f.name) } else { f.slug.trim().to_string() };
    let result = match which {
        Records::Authors => save_author(state, staff, &slug, &f.name, &f.title, &f.description).await.map(|_| ()),
        Records::Tags(k) => match save_tag(state, staff, k, &slug, &f.name, &f.description).await {
            Ok(_) if k == TagKind::Section && !f.position.trim().is_empty() => match f.position.trim().parse::<i64>() {
                Ok(p) => {
                    state.db.set_section_position(&slug, p).await?;
                    state.reload().await.map_err(AppError::internal)?;
                    Ok(())
                }
                Err(_) => Err(AppError::Invalid(vec![FieldError::new("position", "a whole number")])),
            },
            other => other.map(|_| ()),
        },
    };
    match result {
        Ok(()) => Ok(Redirect::to(&which.path()).into_response()),
        Err(AppError::Invalid(errs)) => records_page(state, staff, which, f, errs).await,
        Err(AppError::Conflict(m)) => records_page(state, staff, which, f, vec![FieldError::new("slug", m)]).await,
        Err(e) => Err(e),
    }
}

pub async fn save_author_form(State(state): State<AppState>, staff: Staff, Form(f): Form<RecordForm>) -> AppResult<Response> {
    save(&state, &staff, Records::Authors, f).await
}

pub async fn save_tag_form(State(state): State<AppState>, staff: Staff, Path(kind): Path<String>, Form(f): Form<RecordForm>) -> AppResult<Response> {
    let which = Records::Tags(kind_of(&kind)?);
    save(&state, &staff, which, f).await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete_author_form(State(state): State<AppState>, staff: Staff, Path(slug): Path<String>, Form(f): Form<CsrfOnly>) -> AppResult<Response> {
    staff.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    remove_author(&state, &staff, &slug).await?;
    Ok(Redirect::to("/admin/authors").into_response())
}

pub async fn delete_tag_form(State(state): State<AppState>, staff: Staff, Path((kind, slug)): Path<(String, String)>, Form(f): Form<CsrfOnly>) -> AppResult<Response> {
    staff.require(Action::ManageTaxonomy, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    let k = kind_of(&kind)?;
    remove_tag(&state, &staff, k, &slug).await?;
    Ok(Redirect::to(&Records::Tags(k).path()).into_response())
}
