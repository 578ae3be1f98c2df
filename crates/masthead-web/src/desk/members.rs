//! Members: readers as administrators see them. Search, a profile with
//! subscription and meter state, complimentary access with an end date,
//! a CSV export, and erasure on request (the reader's row and everything
//! hanging off it).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use masthead_core::staff::{Action, Ownership};
use masthead_core::{Benefit, FieldError};
use serde::Deserialize;

use super::{audit, field_errors, page, page_number, page_with_status};
use crate::auth::Staff;
use crate::views::Pagination;
use crate::{webhooks, AppError, AppResult, AppState};

pub const PER_PAGE: i64 = 50;
/// The most rows one export holds.
pub const EXPORT_MAX: i64 = 10_000;

#[derive(Deserialize)]
pub struct MembersQuery {
    #[serde(default)]
    q: String,
    page: Option<String>,
    erased: Option<String>,
}

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<MembersQuery>) -> AppResult<Response> {
    staff.require(Action::ManageMembers, Ownership::NotApplicable)?;
    let n = page_number(q.page.as_deref())?;
    let result = state.db.members(Some(&q.q), PER_PAGE, (n - 1) * PER_PAGE).await?;
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    let items: Vec<_> = result
        .items
        .iter()
        .map(|m| {
            minijinja::context! {
                id => m.id, email => m.email, name => m.name, joined => fmt(m.created_at), seen => m.last_seen_at.map(fmt),
                status => m.subscription_status, plan => m.plan_name,
            }
        })
        .collect();
    let base = if q.q.is_empty() { "/admin/members".to_string() } else { format!("/admin/members?q={}", crate::account::urlencode(&q.q)) };
    let mut pagination = Pagination::new(&base, n, PER_PAGE, result.total);
    if !q.q.is_empty() {
        pagination.prev = pagination.prev.map(|p| p.replace("?page=", "&page="));
        pagination.next = pagination.next.map(|p| p.replace("?page=", "&page="));
    }
    let export = if q.q.is_empty() { "/admin/members.csv".to_string() } else { format!("/admin/members.csv?q={}", crate::account::urlencode(&q.q)) };
    page(
        &state,
        &staff,
        "admin/members.html",
        "/admin/members",
        minijinja::context! { items, total => result.total, pagination, q => q.q, export, erased => q.erased },
    )
}

/// A CSV field: quoted when needed, and never read as a formula by a
/// spreadsheet.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub async fn export(State(state): State<AppState>, staff: Staff, Query(q): Query<MembersQuery>) -> AppResult<Response> {
    staff.require(Action::ManageMembers, Ownership::NotApplicable)?;
    let result = state.db.members(Some(&q.q), EXPORT_MAX, 0).await?;
    let mut out = String::from("id,email,name,joined,last_seen,subscription_status,plan\r\n");
    for m in &result.items {
        let row = [
            m.id.to_string(),
            m.email.clone(),
            m.name.clone(),
            m.created_at.to_rfc3339(),
            m.last_seen_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            m.subscription_status.clone().unwrap_or_default(),
            m.plan_name.clone().unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    audit(&state, &staff, "members.export", "members", &format!("exported {} members{}", result.items.len(), if q.q.is_empty() { String::new() } else { format!(" matching \"{}\"", q.q) })).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"members.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response())
}

async fn profile_page(state: &AppState, staff: &Staff, id: i64, errors: Vec<FieldError>, notice: Option<&str>) -> AppResult<Response> {
    let m = crate::api::admin::member_detail(state, id).await?;
    let comps = state.db.complimentary_of(id).await?;
    let now = Utc::now();
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    let comps: Vec<_> = comps
        .iter()
        .map(|c| {
            minijinja::context! {
                id => c.id, benefits => c.benefits.replace(',', ", "), starts => fmt(c.starts_at), ends => fmt(c.ends_at),
                note => c.note, current => c.starts_at <= now && c.ends_at > now,
            }
        })
        .collect();
    let subs: Vec<_> = m
        .subscriptions
        .iter()
        .map(|s| {
            minijinja::context! {
                plan => s.plan, status => s.status, period_end => fmt(s.current_period_end), cancel_at_period_end => s.cancel_at_period_end,
                trial_end => s.trial_end.map(fmt), since => fmt(s.created_at),
            }
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page_with_status(
        state,
        staff,
        "admin/member.html",
        &format!("/admin/members/{id}"),
        status,
        minijinja::context! {
            member => minijinja::context! {
                id => m.id, email => m.email, name => m.name, verified => m.email_verified, joined => fmt(m.created_at),
                seen => m.last_seen_at.map(fmt), benefits => m.benefits, meter_used => m.meter_used, meter_quota => m.meter_quota,
            },
            subs, comps, errors => field_errors(&errors), notice,
            default_end => (now + chrono::Duration::days(30)).format("%Y-%m-%d").to_string(),
            benefit_names => Benefit::ALL.iter().map(|b| b.as_str()).collect::<Vec<_>>(),
        },
    )
}

pub async fn profile(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> AppResult<Response> {
    staff.require(Action::ManageMembers, Ownership::NotApplicable)?;
    profile_page(&state, &staff, id, Vec::new(), None).await
}

/// Gives complimentary access until a date.
pub async fn grant(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManageMembers, Ownership::NotApplicable)?;
    let p: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
    let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    staff.check_csrf(&state, &get("csrf"))?;
    let reader = state.db.reader_by_id(id).await?.ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let now = Utc::now();
    let ends = match NaiveDate::parse_from_str(&get("ends_on"), "%Y-%m-%d") {
        Ok(d) => match d.and_hms_opt(23, 59, 59).map(|t| t.and_utc()) {
            Some(t) if t > now => Some(t),
            _ => {
                errors.push(FieldError::new("ends_on", "the end must be in the future"));
                None
            }
        },
        Err(_) => {
            errors.push(FieldError::new("ends_on", "choose the date it ends"));
            None
        }
    };
    let mut benefits = Vec::new();
    for (_, v) in p.iter().filter(|(k, _)| k == "benefits") {
        match Benefit::parse(v) {
            Some(b) => benefits.push(b),
            None => errors.push(FieldError::new("benefits", format!("unknown benefit \"{v}\""))),
        }
    }
    if benefits.is_empty() && errors.iter().all(|e| e.field != "benefits") {
        errors.push(FieldError::new("benefits", "choose at least one benefit"));
    }
    let note = get("note");
    let Some(ends) = ends.filter(|_| errors.is_empty()) else {
        return profile_page(&state, &staff, id, errors, None).await;
    };
    state.db.grant_complimentary(id, &benefits, now, ends, &note, now).await?;
    crate::reader_cache::reader_changed(&state, id).await;
    audit(
        &state,
        &staff,
        "member.complimentary",
        &format!("member:{id}"),
        &format!("{} gets {} until {}", reader.email, benefits.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", "), ends.format("%Y-%m-%d")),
    )
    .await?;
    webhooks::emit(&state, webhooks::MEMBER_UPDATED, serde_json::json!({ "id": id, "email": reader.email, "change": "complimentary_access" })).await?;
    Ok(Redirect::to(&format!("/admin/members/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn end_grant(State(state): State<AppState>, staff: Staff, Path((id, cid)): Path<(i64, i64)>, axum::Form(f): axum::Form<CsrfForm>) -> AppResult<Response> {
    staff.require(Action::ManageMembers, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    state.db.end_complimentary(id, cid, Utc::now()).await?;
    crate::reader_cache::reader_changed(&state, id).await;
    audit(&state, &staff, "member.complimentary_end", &format!("member:{id}"), "ended complimentary access").await?;
    Ok(Redirect::to(&format!("/admin/members/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct EraseForm {
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// Erases a reader on request: the account, its meter, sign-in links,
/// subscriptions records and gifts go with it (the database cascades).
pub async fn erase(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, axum::Form(f): axum::Form<EraseForm>) -> AppResult<Response> {
    staff.require(Action::ManageMembers, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    let reader = state.db.reader_by_id(id).await?.ok_or(AppError::NotFound)?;
    if !f.confirm.trim().eq_ignore_ascii_case(&reader.email) {
        return profile_page(&state, &staff, id, vec![FieldError::new("confirm", "type the member's email address to confirm")], None).await;
    }
    state.db.delete_reader(id).await?;
    crate::reader_cache::reader_changed(&state, id).await;
    // The log keeps that it happened, not who it was.
    audit(&state, &staff, "member.erase", &format!("member:{id}"), "erased on request").await?;
    webhooks::emit(&state, webhooks::MEMBER_DELETED, serde_json::json!({ "id": id })).await?;
    Ok(Redirect::to("/admin/members?erased=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
    }
}
