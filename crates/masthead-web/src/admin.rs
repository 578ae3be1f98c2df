//! The desk, as far as this release goes: staff sign-in, the article list
//! and image upload. Every route checks the session and, for changes, a
//! CSRF token bound to it.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Multipart, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::auth::{self, Staff};
use crate::site::chrome;
use masthead_core::staff::{Action, Ownership};
use crate::{AppError, AppResult, AppState};

fn page(state: &AppState, name: &str, ctx: minijinja::Value) -> AppResult<Response> {
    let body = state.theme.render(name, ctx)?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only same-site paths may be a post-login destination.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/admin".to_string(),
    }
}

pub async fn login_form(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> AppResult<Response> {
    login_page(&state, q.next.as_deref(), None, "", StatusCode::OK)
}

fn login_page(state: &AppState, next: Option<&str>, error: Option<&str>, email: &str, status: StatusCode) -> AppResult<Response> {
    let token = auth::random_token();
    let mut res = page(
        state,
        "admin/login.html",
        minijinja::context! { chrome => chrome(state, "/admin/login"), csrf => token, next => safe_next(next), error, email },
    )?;
    *res.status_mut() = status;
    let c = auth::set_cookie(auth::CSRF_COOKIE, &token, Some(3600), state.config.secure_cookies);
    if let Ok(v) = c.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let cookie_token = auth::cookie(&headers, auth::CSRF_COOKIE).unwrap_or_default();
    if cookie_token.is_empty() || !auth::constant_time_eq(cookie_token.as_bytes(), f.csrf.as_bytes()) {
        return login_page(&state, f.next.as_deref(), Some("Your session expired. Please try again."), &f.email, StatusCode::FORBIDDEN);
    }
    let window = Duration::from_secs(300);
    let email = f.email.trim().to_lowercase();
    if !state.limits.allow(&format!("login-ip:{}", addr.ip()), 20, window).await
        || !state.limits.allow(&format!("login-email:{email}"), 8, window).await
    {
        return login_page(
            &state,
            f.next.as_deref(),
            Some("Too many attempts. Please wait a few minutes and try again."),
            &f.email,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let member = state.db.staff_by_email(&email).await?;
    // Check a hash either way, so timing does not tell who is on staff.
    let ok = auth::check_password(f.password, member.as_ref().map(|m| m.password_hash.clone())).await && member.is_some();
    let Some(member) = member.filter(|m| ok && m.disabled_at.is_none()) else {
        tracing::info!(ip = %addr.ip(), "staff sign-in refused");
        return login_page(&state, f.next.as_deref(), Some("That email and password don't match."), &f.email, StatusCode::UNAUTHORIZED);
    };
    crate::desk::people::after_password(&state, &member, &safe_next(f.next.as_deref()))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, staff: Staff, Form(f): Form<CsrfForm>) -> AppResult<Response> {
    staff.check_csrf(&state, &f.csrf)?;
    let mut res = Redirect::to("/admin/login").into_response();
    let c = auth::set_cookie(auth::STAFF_COOKIE, "", Some(0), state.config.secure_cookies);
    if let Ok(v) = c.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

pub async fn media_form(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    staff.require(Action::UploadMedia, Ownership::NotApplicable)?;
    crate::desk::page(&state, &staff, "admin/media.html", "/admin/media", minijinja::context! {})
}

/// Takes an upload from the desk's form (or a script): answers with the
/// media key, or a clear reason it was refused.
pub async fn media_upload(State(state): State<AppState>, staff: Staff, headers: HeaderMap, mut form: Multipart) -> AppResult<Response> {
    staff.require(Action::UploadMedia, Ownership::NotApplicable)?;
    let wants_json = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    let mut csrf = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(|e| AppError::BadRequest(format!("the upload was cut short: {e}")))? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.map_err(|e| AppError::BadRequest(e.to_string()))?),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        AppError::PayloadTooLarge(format!(
                            "that file is larger than the {} MB limit",
                            state.config.media_max_bytes / (1024 * 1024)
                        ))
                    } else {
                        AppError::BadRequest(format!("the upload was cut short: {e}"))
                    }
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    staff.check_csrf(&state, csrf.as_deref().unwrap_or(""))?;
    let (name, bytes) = file.filter(|(_, b)| !b.is_empty()).ok_or_else(|| AppError::BadRequest("choose an image to upload".into()))?;
    let result = crate::newsroom::ingest_image(&state, bytes, &name).await;
    if wants_json {
        let key = result?;
        return Ok(axum::Json(serde_json::json!({ "key": key, "markdown_src": format!("media:{key}") })).into_response());
    }
    let (key, error) = match result {
        Ok(k) => (Some(k), None),
        Err(e @ (AppError::BadRequest(_) | AppError::PayloadTooLarge(_))) => (None, Some(e.public_message())),
        Err(e) => return Err(e),
    };
    let mut res = crate::desk::page(
        &state,
        &staff,
        "admin/media.html",
        "/admin/media",
        minijinja::context! { key, error, name, preview => key.as_ref().map(|k| masthead_render::media_url(k, "480.jpg")) },
    )?;
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

