//! API keys and webhooks, for administrators. A token's secret is shown
//! once, when it is made, and only its hash is kept; a webhook's signing
//! secret likewise is shown once. Deliveries are listed with their
//! attempts, so a failing endpoint is visible.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use chrono::Utc;
use masthead_core::staff::{can_assign, Action, Ownership, Scope};
use masthead_core::FieldError;
use masthead_db::tokens::TokenKind;
use serde::Deserialize;

use super::{audit, field_errors, page_with_status};
use crate::auth::Staff;
use crate::{AppError, AppResult, AppState};

#[derive(Default)]
struct Shown {
    token: Option<String>,
    webhook_secret: Option<String>,
    errors: Vec<FieldError>,
}

async fn integrations_page(state: &AppState, staff: &Staff, shown: Shown) -> AppResult<Response> {
    let members = state.db.staff().await?;
    let name_of = |id: Option<i64>| id.and_then(|id| members.iter().find(|m| m.id == id)).map(|m| m.name.clone()).unwrap_or_default();
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let tokens: Vec<_> = state
        .db
        .api_tokens()
        .await?
        .iter()
        .map(|t| {
            minijinja::context! {
                id => t.id, kind => t.kind.as_str(), name => t.name, prefix => t.prefix, acts_as => name_of(t.staff_id),
                scopes => Scope::join(&t.scopes), created => fmt(t.created_at), used => t.last_used_at.map(fmt), revoked => t.revoked_at.is_some(),
            }
        })
        .collect();
    let mut hooks = Vec::new();
    for h in state.db.webhooks().await? {
        let deliveries: Vec<_> = state
            .db
            .deliveries(h.id, 10)
            .await?
            .iter()
            .map(|d| {
                minijinja::context! {
                    event => d.event, status => d.status, attempts => d.attempts, code => d.response_status,
                    error => d.last_error, at => fmt(d.created_at),
                }
            })
            .collect();
        hooks.push(minijinja::context! { id => h.id, url => h.url, events => h.events, active => h.active, deliveries });
    }
    let acts_as: Vec<_> = members
        .iter()
        .filter(|m| m.disabled_at.is_none() && (m.id == staff.id || can_assign(staff.role, Some(m.role), m.role)))
        .map(|m| minijinja::context! { id => m.id, name => m.name, role => m.role.as_str() })
        .collect();
    let status = if shown.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page_with_status(
        state,
        staff,
        "admin/integrations.html",
        "/admin/integrations",
        status,
        minijinja::context! {
            tokens, hooks, acts_as, scopes => Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            events => crate::webhooks::EVENTS, new_token => shown.token, new_secret => shown.webhook_secret,
            errors => field_errors(&shown.errors), base_url => state.config.base_url.clone(),
        },
    )
}

pub async fn page(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::ManageIntegrations, Ownership::NotApplicable)?;
    integrations_page(&state, &staff, Shown::default()).await
}

fn pairs(body: &[u8]) -> AppResult<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))
}

/// Makes a content key, or a staff token acting as a chosen member.
pub async fn create_token(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManageIntegrations, Ownership::NotApplicable)?;
    let p = pairs(&body)?;
    let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    staff.check_csrf(&state, &get("csrf"))?;
    let name = get("name");
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "name it after what uses it (at most 100 characters)"));
    }
    let kind = match get("kind").as_str() {
        "content" => TokenKind::Content,
        "admin" => TokenKind::Admin,
        _ => {
            errors.push(FieldError::new("kind", "a content key or a staff token"));
            TokenKind::Content
        }
    };
    let scopes: Vec<Scope> = p.iter().filter(|(k, _)| k == "scopes").filter_map(|(_, v)| Scope::parse(v)).collect();
    let mut acts_as = None;
    if kind == TokenKind::Admin {
        if scopes.is_empty() {
            errors.push(FieldError::new("scopes", "choose at least one scope"));
        }
        let id: i64 = get("staff_id").parse().unwrap_or(staff.id);
        let member = state.db.staff_by_id(id).await?.ok_or_else(|| AppError::BadRequest("no such staff member".into()))?;
        // A token may act only as oneself or as someone whose role one may give.
        if member.id != staff.id && !can_assign(staff.role, Some(member.role), member.role) {
            return Err(AppError::Forbidden);
        }
        acts_as = Some(member);
    }
    if !errors.is_empty() {
        return integrations_page(&state, &staff, Shown { errors, ..Default::default() }).await;
    }
    let (hash, prefix, secret) = crate::api::new_token(kind);
    let scopes = if kind == TokenKind::Content { Vec::new() } else { scopes };
    let t = state.db.create_api_token(kind, &name, &hash, &prefix, acts_as.as_ref().map(|m| m.id), &scopes, Utc::now()).await?;
    let who = acts_as.map(|m| format!(", acting as {}", m.email)).unwrap_or_default();
    audit(&state, &staff, "token.create", &format!("token:{}", t.id), &format!("{} \"{name}\" {prefix}…{who} [{}]", kind.as_str(), Scope::join(&scopes))).await?;
    integrations_page(&state, &staff, Shown { token: Some(secret), ..Default::default() }).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn revoke_token(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, axum::Form(f): axum::Form<CsrfForm>) -> AppResult<Response> {
    staff.require(Action::ManageIntegrations, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    state.db.revoke_api_token(id, Utc::now()).await?;
    audit(&state, &staff, "token.revoke", &format!("token:{id}"), "revoked").await?;
    Ok(Redirect::to("/admin/integrations").into_response())
}

pub async fn create_webhook(State(state): State<AppState>, staff: Staff, body: Bytes) -> AppResult<Response> {
    staff.require(Action::ManageIntegrations, Ownership::NotApplicable)?;
    let p = pairs(&body)?;
    let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    staff.check_csrf(&state, &get("csrf"))?;
    let url = get("url");
    let events: Vec<String> = p.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).filter(|e| e == "*" || crate::webhooks::EVENTS.contains(&e.as_str())).collect();
    let mut errors = Vec::new();
    let parsed = url::Url::parse(&url).ok().filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    if parsed.is_none() {
        errors.push(FieldError::new("url", "an http:// or https:// address"));
    }
    if events.is_empty() {
        errors.push(FieldError::new("events", "choose at least one event"));
    }
    if !errors.is_empty() {
        return integrations_page(&state, &staff, Shown { errors, ..Default::default() }).await;
    }
    let secret = format!("whsec_{}", crate::auth::random_token());
    let h = state.db.create_webhook(&url, &secret, &events.join(" "), Utc::now()).await?;
    audit(&state, &staff, "webhook.create", &format!("webhook:{}", h.id), &format!("{url} for {}", events.join(", "))).await?;
    integrations_page(&state, &staff, Shown { webhook_secret: Some(secret), ..Default::default() }).await
}

pub async fn delete_webhook(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>, axum::Form(f): axum::Form<CsrfForm>) -> AppResult<Response> {
    staff.require(Action::ManageIntegrations, Ownership::NotApplicable)?;
    staff.check_csrf(&state, &f.csrf)?;
    state.db.delete_webhook(id).await?;
    audit(&state, &staff, "webhook.delete", &format!("webhook:{id}"), "deleted").await?;
    Ok(Redirect::to("/admin/integrations").into_response())
}
