//! The desk's newsletter pages: the lists with their numbers, a form per
//! newsletter, the editor's next edition (intro, additions, removals), a
//! preview, a test send to oneself, "send now", and each edition's progress.
//! Staff only; every change carries the staff CSRF token.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Duration, NaiveTime, Utc, Weekday};
use masthead_core::newsletter::{Audience, Cadence, Newsletter, NewsletterDraft};
use masthead_core::{DomainError, FieldError};
use serde::Serialize;

use crate::auth::Staff;
use masthead_core::staff::{Action, Ownership};
use crate::site::chrome;
use crate::{AppError, AppResult, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/newsletters", get(index).post(create))
        .route("/admin/newsletters/new", get(new_form))
        .route("/admin/newsletters/{id}", get(show).post(update))
        .route("/admin/newsletters/{id}/draft", post(save_draft))
        .route("/admin/newsletters/{id}/preview", get(preview))
        .route("/admin/newsletters/{id}/test", post(test_send))
        .route("/admin/newsletters/{id}/send", post(send_now))
}

fn page(state: &AppState, name: &str, ctx: minijinja::Value) -> AppResult<Response> {
    let body = state.theme.render(name, ctx)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response())
}

#[derive(Serialize)]
struct Row {
    id: i64,
    slug: String,
    name: String,
    cadence: String,
    audience: &'static str,
    active: bool,
    subscribers: i64,
    pending: i64,
    joined: i64,
    left: i64,
    next_run: String,
}

pub async fn index(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    let now = Utc::now();
    let totals: HashMap<i64, masthead_db::newsletters::ListTotals> =
        state.db.list_totals(now - Duration::days(30)).await?.into_iter().map(|t| (t.newsletter_id, t)).collect();
    let schedule: HashMap<i64, Option<chrono::DateTime<Utc>>> = state.db.newsletter_schedule().await?.into_iter().collect();
    let rows: Vec<Row> = state
        .db
        .newsletters()
        .await?
        .into_iter()
        .map(|n| {
            let t = totals.get(&n.id).cloned().unwrap_or_default();
            let next_run = schedule
                .get(&n.id)
                .copied()
                .flatten()
                .map(|t| t.with_timezone(&n.tz()).format("%a %-d %b %H:%M %Z").to_string())
                .unwrap_or_default();
            Row {
                id: n.id,
                cadence: n.cadence.describe(),
                audience: n.audience.as_str(),
                active: n.active,
                subscribers: t.subscribers,
                pending: t.pending,
                joined: t.joined,
                left: t.left,
                next_run,
                slug: n.slug,
                name: n.name,
            }
        })
        .collect();
    let suppressions = state.db.count_suppressions().await?;
    page(
        &state,
        "admin/newsletters.html",
        minijinja::context! { chrome => chrome(&state, "/admin/newsletters"), staff => staff.name, csrf => staff.csrf(&state), desk => crate::desk::DeskNav::for_staff(&staff), rows, suppressions },
    )
}

/// The form's values, as strings, so a refused form comes back as typed.
#[derive(Serialize, Default)]
struct FormValues {
    slug: String,
    name: String,
    description: String,
    cadence: String,
    at: String,
    weekday: String,
    time_zone: String,
    from_name: String,
    from_email: String,
    reply_to: String,
    audience: String,
    topics: String,
    regions: String,
    template: String,
    box_after_paragraph: String,
    position: String,
    active: bool,
}

impl FormValues {
    fn of(n: &Newsletter) -> Self {
        let (cadence, at, weekday) = match n.cadence {
            Cadence::Daily { at } => ("daily", at.format("%H:%M").to_string(), String::new()),
            Cadence::Weekly { on, at } => ("weekly", at.format("%H:%M").to_string(), weekday_slug(on).to_string()),
            Cadence::Manual => ("manual", String::new(), String::new()),
        };
        FormValues {
            slug: n.slug.clone(),
            name: n.name.clone(),
            description: n.description.clone(),
            cadence: cadence.into(),
            at,
            weekday,
            time_zone: n.time_zone.clone(),
            from_name: n.from_name.clone(),
            from_email: n.from_email.clone(),
            reply_to: n.reply_to.clone(),
            audience: n.audience.as_str().into(),
            topics: n.topics.join(", "),
            regions: n.regions.join(", "),
            template: n.template.clone(),
            box_after_paragraph: n.box_after_paragraph.to_string(),
            position: n.position.to_string(),
            active: n.active,
        }
    }

    fn from_form(f: &HashMap<String, String>) -> Self {
        let g = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        FormValues {
            slug: g("slug"),
            name: g("name"),
            description: g("description"),
            cadence: g("cadence"),
            at: g("at"),
            weekday: g("weekday"),
            time_zone: g("time_zone"),
            from_name: g("from_name"),
            from_email: g("from_email"),
            reply_to: g("reply_to"),
            audience: g("audience"),
            topics: g("topics"),
            regions: g("regions"),
            template: g("template"),
            box_after_paragraph: g("box_after_paragraph"),
            position: g("position"),
            active: f.contains_key("active"),
        }
    }

    fn draft(&self) -> Result<NewsletterDraft, DomainError> {
        let mut errs = Vec::new();
        let at = NaiveTime::parse_from_str(&self.at, "%H:%M");
        let cadence = match self.cadence.as_str() {
            "manual" => Cadence::Manual,
            "daily" | "weekly" => match at {
                Ok(at) if self.cadence == "daily" => Cadence::Daily { at },
                Ok(at) => match parse_weekday(&self.weekday) {
                    Some(on) => Cadence::Weekly { on, at },
                    None => {
                        errs.push(FieldError::new("weekday", "choose a day of the week"));
                        Cadence::Manual
                    }
                },
                Err(_) => {
                    errs.push(FieldError::new("at", "give a time such as 07:00"));
                    Cadence::Manual
                }
            },
            _ => {
                errs.push(FieldError::new("cadence", "daily, weekly or manual"));
                Cadence::Manual
            }
        };
        let audience = Audience::parse(&self.audience).unwrap_or_else(|| {
            errs.push(FieldError::new("audience", "everyone or subscribers"));
            Audience::Everyone
        });
        let list = |s: &str| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
        let box_after_paragraph = self.box_after_paragraph.parse().unwrap_or_else(|_| {
            errs.push(FieldError::new("box_after_paragraph", "a number of paragraphs"));
            2
        });
        let position = if self.position.is_empty() { 0 } else { self.position.parse().unwrap_or(0) };
        let d = NewsletterDraft {
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            cadence,
            time_zone: self.time_zone.clone(),
            from_name: self.from_name.clone(),
            from_email: self.from_email.clone(),
            reply_to: self.reply_to.clone(),
            audience,
            topics: list(&self.topics),
            regions: list(&self.regions),
            template: if self.template.is_empty() { "newsletter".into() } else { self.template.clone() },
            box_after_paragraph,
            position,
            active: self.active,
        };
        if let Err(DomainError::Invalid(mut e)) = d.validate() {
            errs.append(&mut e);
        }
        if errs.is_empty() {
            Ok(d)
        } else {
            Err(DomainError::Invalid(errs))
        }
    }
}

fn weekday_slug(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun].into_iter().find(|w| weekday_slug(*w) == s)
}

fn form_page(state: &AppState, staff: &Staff, id: Option<i64>, values: &FormValues, errors: &[FieldError]) -> AppResult<Response> {
    page(
        state,
        "admin/newsletter_form.html",
        minijinja::context! { chrome => chrome(state, "/admin/newsletters"), staff => staff.name, csrf => staff.csrf(state), desk => crate::desk::DeskNav::for_staff(staff), id, v => values,
            errors => errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>(),
            templates => masthead_core::newsletter::TEMPLATES },
    )
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    let v = FormValues {
        cadence: "daily".into(),
        at: "07:00".into(),
        time_zone: "UTC".into(),
        audience: "everyone".into(),
        template: "newsletter".into(),
        box_after_paragraph: "2".into(),
        from_name: state.site().name,
        active: true,
        ..Default::default()
    };
    form_page(&state, &staff, None, &v, &[])
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<HashMap<String, String>>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    staff.check_csrf(&state, f.get("csrf").map(String::as_str).unwrap_or(""))?;
    let v = FormValues::from_form(&f);
    let d = match v.draft() {
        Ok(d) => d,
        Err(DomainError::Invalid(errs)) => return form_page(&state, &staff, None, &v, &errs),
    };
    let n = state.db.create_newsletter(&d, Utc::now()).await?;
    state.reload().await.map_err(AppError::internal)?;
    tracing::info!(staff = staff.id, newsletter = %n.slug, "newsletter created");
    Ok(Redirect::to(&format!("/admin/newsletters/{}", n.id)).into_response())
}

pub async fn update(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<HashMap<String, String>>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    staff.check_csrf(&state, f.get("csrf").map(String::as_str).unwrap_or(""))?;
    let v = FormValues::from_form(&f);
    let d = match v.draft() {
        Ok(d) => d,
        Err(DomainError::Invalid(errs)) => return form_page(&state, &staff, Some(id), &v, &errs),
    };
    state.db.update_newsletter(id, &d).await?;
    state.reload().await.map_err(AppError::internal)?;
    Ok(Redirect::to(&format!("/admin/newsletters/{id}?saved=1")).into_response())
}

#[derive(Serialize)]
struct EditionRow {
    id: i64,
    status: String,
    subject: String,
    when: String,
    recipients: i64,
    progress: masthead_db::newsletters::Progress,
}

#[derive(Serialize)]
struct Candidate {
    id: i64,
    headline: String,
    slug: String,
    access: &'static str,
    added: bool,
    removed: bool,
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    let n = state.db.newsletter(id).await?;
    let now = Utc::now();
    let tz = n.tz();
    let mut editions = Vec::new();
    for e in state.db.editions(id, 20).await? {
        if e.status == "draft" {
            continue;
        }
        let progress = state.db.edition_progress(e.id).await?;
        editions.push(EditionRow {
            when: e.sent_at.unwrap_or(e.created_at).with_timezone(&tz).format("%a %-d %b %Y %H:%M %Z").to_string(),
            id: e.id,
            status: e.status,
            subject: e.subject,
            recipients: e.recipients,
            progress,
        });
    }
    let draft = state.db.draft_edition(id).await?;
    let since = state.db.last_edition_at(id).await?.unwrap_or(now - Duration::days(7));
    let auto = state.db.articles_for_edition(&n.topics, &n.regions, since, now, 30).await?;
    let (added, removed) = draft.as_ref().map(|d| (d.added.clone(), d.removed.clone())).unwrap_or_default();
    let mut candidates = Vec::new();
    for aid in added.iter().chain(auto.iter().filter(|a| !added.contains(a))) {
        if let Ok(a) = state.db.article_by_id(*aid).await {
            candidates.push(Candidate { id: a.id, headline: a.headline, slug: a.slug, access: a.access.as_str(), added: added.contains(aid), removed: removed.contains(aid) });
        }
    }
    let totals = state.db.list_totals(now - Duration::days(30)).await?.into_iter().find(|t| t.newsletter_id == id).unwrap_or_default();
    page(
        &state,
        "admin/newsletter.html",
        minijinja::context! {
            chrome => chrome(&state, "/admin/newsletters"), staff => staff.name, staff_email => staff.email, csrf => staff.csrf(&state), desk => crate::desk::DeskNav::for_staff(&staff),
            n => minijinja::context! { id => n.id, name => n.name, slug => n.slug, cadence => n.cadence.describe(), audience => n.audience.as_str(), time_zone => n.time_zone },
            v => FormValues::of(&n), templates => masthead_core::newsletter::TEMPLATES, editions, candidates, totals,
            draft => draft.map(|d| minijinja::context! { subject => d.subject, intro => d.intro }),
        },
    )
}

pub async fn save_draft(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    staff.check_csrf(&state, &get("csrf"))?;
    let n = state.db.newsletter(id).await?;
    let mut added = Vec::new();
    for slug in get("add").split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let slug = slug.rsplit('/').next().unwrap_or(slug);
        match state.db.article_by_slug(slug).await? {
            Some(a) => added.push(a.id),
            None => return Err(AppError::Invalid(vec![FieldError::new("add", format!("there is no article \"{slug}\""))])),
        }
    }
    // Additions kept from before stay unless unticked.
    for (k, v) in &f {
        if k == "keep" {
            if let Ok(aid) = v.parse::<i64>() {
                if !added.contains(&aid) {
                    added.push(aid);
                }
            }
        }
    }
    let removed: Vec<i64> = f.iter().filter(|(k, _)| k == "remove").filter_map(|(_, v)| v.parse().ok()).collect();
    let subject: String = get("subject").chars().filter(|c| !c.is_control()).take(200).collect();
    let intro: String = get("intro").chars().take(5000).collect();
    state.db.save_draft_edition(n.id, &subject, &intro, &added, &removed, Utc::now()).await?;
    Ok(Redirect::to(&format!("/admin/newsletters/{id}?draft=saved")).into_response())
}

/// The next edition as the staff member would receive it. Served with a
/// policy of its own: email HTML styles inline and must not run scripts.
pub async fn preview(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    let n = state.db.newsletter(id).await?;
    let frame = crate::delivery::preview_frame(&state, &n, Utc::now()).await?;
    let email = frame.personalize(&state, 0, &staff.email, &staff.name);
    let mut res = ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], email.html.unwrap_or_default()).into_response();
    res.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'; form-action 'none'"),
    );
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn test_send(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    let n = state.db.newsletter(id).await?;
    crate::delivery::send_test(&state, &n, &staff.email, &staff.name, Utc::now()).await?;
    Ok(Redirect::to(&format!("/admin/newsletters/{id}?test=sent")).into_response())
}

pub async fn send_now(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> AppResult<Response> {
    staff.require(Action::ManageNewsletters, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    let n = state.db.newsletter(id).await?;
    let result = crate::delivery::compose_and_send(&state, &n, None, Utc::now()).await?;
    tracing::info!(staff = staff.id, newsletter = %n.slug, ?result, "edition sent from the desk");
    let note = if result.is_some() { "queued" } else { "empty" };
    Ok(Redirect::to(&format!("/admin/newsletters/{id}?send={note}")).into_response())
}
