//! Readers' accounts: sign up and sign in by emailed link or password, sign
//! out, change address, set a password, delete the account, and send gift
//! links. Answers never reveal whether an address has an account; tokens
//! are single use, short-lived and stored only as hashes.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use masthead_core::Benefit;
use masthead_db::readers::TokenPurpose;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::{self, constant_time_eq, cookie, set_cookie};
use crate::reader::{self, ReaderCtx, SignedIn};
use crate::site::{account_links, chrome, personalize};
use crate::{AppError, AppResult, AppState};

/// How long an emailed sign-in link works.
pub const LINK_MINUTES: i64 = 20;

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn page(state: &AppState, reader: &ReaderCtx, name: &str, ctx: minijinja::Value, status: StatusCode) -> AppResult<Response> {
    let html = state.theme.render(name, ctx)?;
    let body = personalize(html.as_bytes(), &account_links(reader.signed_in.as_ref()), "");
    let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "private, no-store")], body).into_response();
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("Cookie"));
    Ok(res)
}

fn add_cookie(res: &mut Response, c: &str) {
    if let Ok(v) = HeaderValue::from_str(c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A CSRF token for a form. Signed-in readers' tokens are bound to their
/// session; anonymous forms use a random cookie echoed in the form.
pub struct FormToken {
    pub token: String,
    /// A cookie to set, for anonymous forms.
    pub cookie: Option<String>,
}

pub fn form_token(state: &AppState, reader: &ReaderCtx, headers: &HeaderMap) -> FormToken {
    if let Some(s) = &reader.signed_in {
        return FormToken { token: signed_in_csrf(state, s), cookie: None };
    }
    match cookie(headers, auth::CSRF_COOKIE).filter(|c| c.len() >= 20) {
        Some(t) => FormToken { token: t, cookie: None },
        None => {
            let t = auth::random_token();
            FormToken { cookie: Some(set_cookie(auth::CSRF_COOKIE, &t, Some(7200), state.config.secure_cookies)), token: t }
        }
    }
}

fn signed_in_csrf(state: &AppState, s: &SignedIn) -> String {
    auth::sign(&state.config.secret_key, "reader-csrf", &s.session).rsplit('.').next().unwrap_or("").to_string()
}

pub fn check_form(state: &AppState, reader: &ReaderCtx, headers: &HeaderMap, token: &str) -> AppResult<()> {
    let expected = match &reader.signed_in {
        Some(s) => signed_in_csrf(state, s),
        None => cookie(headers, auth::CSRF_COOKIE).unwrap_or_default(),
    };
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::BadRequest("This form expired. Please go back, reload the page and try again.".into()))
    }
}

fn with_token(mut res: Response, t: &FormToken) -> Response {
    if let Some(c) = &t.cookie {
        add_cookie(&mut res, c);
    }
    res
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    #[serde(default)]
    sent: Option<String>,
}

/// Only paths on this site may be a destination after signing in.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.contains("://") => n.to_string(),
        _ => "/account".to_string(),
    }
}

pub async fn login_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<NextQuery>) -> AppResult<Response> {
    if reader.signed_in.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let t = form_token(&state, &reader, &headers);
    let res = page(
        &state,
        &reader,
        "account/login.html",
        minijinja::context! { chrome => chrome(&state, "/login"), csrf => t.token, next => safe_next(q.next.as_deref()), mode => "login" },
        StatusCode::OK,
    )?;
    Ok(with_token(res, &t))
}

pub async fn signup_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<NextQuery>) -> AppResult<Response> {
    let t = form_token(&state, &reader, &headers);
    let res = page(
        &state,
        &reader,
        "account/login.html",
        minijinja::context! { chrome => chrome(&state, "/signup"), csrf => t.token, next => safe_next(q.next.as_deref()), mode => "signup" },
        StatusCode::OK,
    )?;
    Ok(with_token(res, &t))
}

#[derive(Deserialize)]
pub struct LinkForm {
    email: String,
    csrf: String,
    next: Option<String>,
}

pub fn valid_email(e: &str) -> bool {
    let e = e.trim();
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
}

/// Sends a sign-in link (which also creates the account on first use).
/// The answer is the same whether or not the address has an account.
pub async fn send_link(
    State(state): State<AppState>,
    reader: ReaderCtx,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> AppResult<Response> {
    check_form(&state, &reader, &headers, &f.csrf)?;
    let email = f.email.trim().to_lowercase();
    let next = safe_next(f.next.as_deref());
    if !valid_email(&email) {
        let t = form_token(&state, &reader, &headers);
        return page(
            &state,
            &reader,
            "account/login.html",
            minijinja::context! { chrome => chrome(&state, "/login"), csrf => t.token, next, mode => "login", email => f.email,
                error => "That doesn't look like an email address. Please check it and try again." },
            StatusCode::BAD_REQUEST,
        );
    }
    let window = Duration::from_secs(600);
    if !state.limits.allow(&format!("link-ip:{}", reader.ip), 10, window).await || !state.limits.allow(&format!("link-email:{email}"), 3, window).await {
        return Err(AppError::TooMany);
    }
    let now = Utc::now();
    // Across nodes, the database is the judge of how much mail one address gets.
    if state.db.login_tokens_since(&email, now - chrono::Duration::hours(1)).await? >= 6 {
        return Err(AppError::TooMany);
    }
    let token = auth::random_token();
    state
        .db
        .create_login_token(&hash_token(&token), TokenPurpose::Login, &email, None, None, now + chrono::Duration::minutes(LINK_MINUTES), now)
        .await?;
    let existing = state.db.reader_by_email(&email).await?.is_some();
    let link = format!(
        "{}/login/verify?token={}&next={}",
        state.config.base_url,
        token,
        urlencode(&next)
    );
    let site = state.site();
    let ctx = minijinja::context! { site, link, existing, minutes => LINK_MINUTES };
    let subject = if existing { format!("Sign in to {}", site.name) } else { format!("Welcome to {}: confirm your address", site.name) };
    send_mail(&state, &email, &subject, "email/login", ctx).await;
    Ok(Redirect::to(&format!("/login/sent?next={}", urlencode(&next))).into_response())
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Renders a mail from the theme (NAME.txt and NAME.html) and sends it.
/// A failure is logged, never shown: the page must not reveal anything.
pub async fn send_mail(state: &AppState, to: &str, subject: &str, template: &str, ctx: minijinja::Value) {
    let text = state.theme.render(&format!("{template}.txt"), &ctx);
    let html = state.theme.render(&format!("{template}.html"), &ctx);
    let (text, html) = match (text, html) {
        (Ok(t), Ok(h)) => (t, h),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, template, "a mail template failed to render");
            return;
        }
    };
    let email = masthead_mail::Email {
        from: state.config.mail_from.clone(),
        to: to.to_string(),
        subject: subject.to_string(),
        text,
        html: Some(html),
        headers: Vec::new(),
        message_id: None,
    };
    match state.mailer.send(&email).await {
        Ok(_) => metrics::counter!("masthead_mail_sent_total", "template" => template.to_string()).increment(1),
        Err(e) => {
            metrics::counter!("masthead_mail_failed_total", "template" => template.to_string()).increment(1);
            tracing::warn!(error = %e, template, "could not send mail");
        }
    }
}

pub async fn link_sent(State(state): State<AppState>, reader: ReaderCtx) -> AppResult<Response> {
    page(&state, &reader, "account/sent.html", minijinja::context! { chrome => chrome(&state, "/login/sent"), minutes => LINK_MINUTES }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    token: String,
    next: Option<String>,
}

/// The link in the mail opens a page with one button: mail scanners that
/// fetch links must not use up the single-use token.
pub async fn verify_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<VerifyQuery>) -> AppResult<Response> {
    let t = form_token(&state, &reader, &headers);
    let res = page(
        &state,
        &reader,
        "account/verify.html",
        minijinja::context! { chrome => chrome(&state, "/login/verify"), csrf => t.token, token => q.token, next => safe_next(q.next.as_deref()) },
        StatusCode::OK,
    )?;
    Ok(with_token(res, &t))
}

#[derive(Deserialize)]
pub struct VerifyForm {
    token: String,
    csrf: String,
    next: Option<String>,
}

pub async fn verify(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<VerifyForm>) -> AppResult<Response> {
    check_form(&state, &reader, &headers, &f.csrf)?;
    let now = Utc::now();
    let Some(used) = state.db.use_login_token(&hash_token(&f.token), TokenPurpose::Login, now).await? else {
        return page(
            &state,
            &reader,
            "account/link_invalid.html",
            minijinja::context! { chrome => chrome(&state, "/login/verify") },
            StatusCode::BAD_REQUEST,
        );
    };
    let r = state.db.reader_for_verified_email(&used.email, now).await?;
    sign_in(&state, &reader, r.id, r.session_epoch, &safe_next(f.next.as_deref())).await
}

/// Starts a session and brings the browser's meter along.
async fn sign_in(state: &AppState, reader: &ReaderCtx, id: i64, epoch: i64, next: &str) -> AppResult<Response> {
    if let Some(anon) = &reader.anon_id {
        state.flush_meter().await;
        state.db.merge_meter(&format!("a:{anon}"), &format!("r:{id}")).await?;
        state.meter.forget(&format!("a:{anon}"));
    }
    let session = reader::session_value(&state.config.secret_key, id, epoch);
    let mut res = Redirect::to(next).into_response();
    add_cookie(&mut res, &set_cookie(reader::SESSION_COOKIE, &session, Some(reader::SESSION_DAYS * 86400), state.config.secure_cookies));
    tracing::info!(reader = id, "reader signed in");
    Ok(res)
}

#[derive(Deserialize)]
pub struct PasswordLogin {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn password_login(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<PasswordLogin>) -> AppResult<Response> {
    check_form(&state, &reader, &headers, &f.csrf)?;
    let email = f.email.trim().to_lowercase();
    let window = Duration::from_secs(300);
    if !state.limits.allow(&format!("pw-ip:{}", reader.ip), 20, window).await || !state.limits.allow(&format!("pw-email:{email}"), 8, window).await {
        return Err(AppError::TooMany);
    }
    let found = state.db.reader_by_email(&email).await?;
    let hash = found.as_ref().and_then(|r| r.password_hash.clone());
    let ok = auth::check_password(f.password, hash).await;
    match found.filter(|_| ok) {
        Some(r) => sign_in(&state, &reader, r.id, r.session_epoch, &safe_next(f.next.as_deref())).await,
        None => {
            let t = form_token(&state, &reader, &headers);
            page(
                &state,
                &reader,
                "account/login.html",
                minijinja::context! { chrome => chrome(&state, "/login"), csrf => t.token, next => safe_next(f.next.as_deref()), mode => "login",
                    email => f.email, error => "That email and password don't match. You can also sign in with a link by email." },
                StatusCode::UNAUTHORIZED,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> AppResult<Response> {
    check_form(&state, &reader, &headers, &f.csrf)?;
    let mut res = Redirect::to("/").into_response();
    add_cookie(&mut res, &set_cookie(reader::SESSION_COOKIE, "", Some(0), state.config.secure_cookies));
    Ok(res)
}

fn require(reader: &ReaderCtx) -> AppResult<&SignedIn> {
    reader.signed_in.as_ref().ok_or(AppError::Unauthorized)
}

pub async fn account(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<NextQuery>) -> AppResult<Response> {
    let Some(me) = reader.signed_in.as_ref() else {
        return Ok(Redirect::to("/login?next=/account").into_response());
    };
    let now = Utc::now();
    let policy = state.policy();
    let reads = state.db.meter_reads(&format!("r:{}", me.id), policy.meter.window.start(now)).await?.len();
    let benefits: Vec<&str> = me.entitlements.0.iter().map(|b| b.as_str()).collect();
    let r = state.db.reader_by_id(me.id).await?.ok_or(AppError::Unauthorized)?;
    let t = form_token(&state, &reader, &headers);
    let subscription = crate::billing::subscription_view(&state, me.id).await?;
    let test_mode = matches!(state.payments, crate::billing::Payments::Demo);
    let private_feed = crate::feeds::private_feed_view(&state, me.id).await?;
    page(
        &state,
        &reader,
        "account/account.html",
        minijinja::context! {
            chrome => chrome(&state, "/account"), csrf => t.token, email => me.email, name => me.name, subscription, test_mode, private_feed,
            has_password => r.password_hash.is_some(), benefits, full_access => me.entitlements.has(Benefit::FullAccess),
            reads, quota => policy.meter.registered_quota, notice => q.sent,
            newsletters => crate::newsletters::account_choices(&state, me).await?,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
    csrf: String,
}

pub async fn set_name(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<NameForm>) -> AppResult<Response> {
    let me = require(&reader)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    let name: String = f.name.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    state.db.set_reader_name(me.id, &name).await?;
    crate::reader_cache::reader_changed(&state, me.id).await;
    Ok(Redirect::to("/account?sent=name").into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
    csrf: String,
}

pub async fn set_password(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<PasswordForm>) -> AppResult<Response> {
    let me = require(&reader)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    if f.password.chars().count() < auth::masthead_password::MIN_LEN {
        return Err(AppError::Invalid(vec![masthead_core::FieldError::new(
            "password",
            format!("use at least {} characters", auth::masthead_password::MIN_LEN),
        )]));
    }
    let hash = auth::hash_password(f.password).await?;
    state.db.set_reader_password(me.id, &hash).await?;
    crate::reader_cache::reader_changed(&state, me.id).await;
    // Other sessions end; this one starts afresh with the new epoch.
    let r = state.db.reader_by_id(me.id).await?.ok_or(AppError::Unauthorized)?;
    sign_in(&state, &reader, r.id, r.session_epoch, "/account?sent=password").await
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    csrf: String,
}

/// Sends a confirmation link to the new address; nothing changes until it is used.
pub async fn change_email(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<EmailForm>) -> AppResult<Response> {
    let me = require(&reader)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    let new = f.email.trim().to_lowercase();
    if !valid_email(&new) {
        return Err(AppError::Invalid(vec![masthead_core::FieldError::new("email", "that doesn't look like an email address")]));
    }
    if !state.limits.allow(&format!("email-change:{}", me.id), 3, Duration::from_secs(600)).await {
        return Err(AppError::TooMany);
    }
    let now = Utc::now();
    let token = auth::random_token();
    state
        .db
        .create_login_token(&hash_token(&token), TokenPurpose::EmailChange, &new, Some(me.id), Some(&new), now + chrono::Duration::minutes(LINK_MINUTES), now)
        .await?;
    let link = format!("{}/account/email/confirm?token={token}", state.config.base_url);
    let site = state.site();
    send_mail(&state, &new, &format!("Confirm your new address for {}", site.name), "email/email_change", minijinja::context! { site, link, minutes => LINK_MINUTES }).await;
    Ok(Redirect::to("/account?sent=email").into_response())
}

pub async fn confirm_email_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<VerifyQuery>) -> AppResult<Response> {
    let t = form_token(&state, &reader, &headers);
    let res = page(
        &state,
        &reader,
        "account/verify.html",
        minijinja::context! { chrome => chrome(&state, "/account/email/confirm"), csrf => t.token, token => q.token, action => "/account/email/confirm", next => "/account" },
        StatusCode::OK,
    )?;
    Ok(with_token(res, &t))
}

pub async fn confirm_email(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<VerifyForm>) -> AppResult<Response> {
    check_form(&state, &reader, &headers, &f.csrf)?;
    let now = Utc::now();
    let used = state.db.use_login_token(&hash_token(&f.token), TokenPurpose::EmailChange, now).await?;
    let Some((id, new)) = used.and_then(|u| Some((u.reader_id?, u.new_email?))) else {
        return page(&state, &reader, "account/link_invalid.html", minijinja::context! { chrome => chrome(&state, "/account") }, StatusCode::BAD_REQUEST);
    };
    state.db.set_reader_email(id, &new, now).await?;
    crate::reader_cache::reader_changed(&state, id).await;
    Ok(Redirect::to("/account?sent=email_changed").into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    confirm: String,
    csrf: String,
}

pub async fn delete(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<DeleteForm>) -> AppResult<Response> {
    let me = require(&reader)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    if f.confirm.trim().to_lowercase() != me.email {
        return Err(AppError::Invalid(vec![masthead_core::FieldError::new("confirm", "type your email address to confirm")]));
    }
    state.db.delete_reader(me.id).await?;
    crate::reader_cache::reader_changed(&state, me.id).await;
    tracing::info!(reader = me.id, "reader deleted their account");
    crate::webhooks::emit_logged(&state, crate::webhooks::MEMBER_DELETED, serde_json::json!({ "id": me.id })).await;
    let mut res = page(&state, &ReaderCtx { signed_in: None, ..reader.clone() }, "account/deleted.html", minijinja::context! { chrome => chrome(&state, "/") }, StatusCode::OK)?;
    add_cookie(&mut res, &set_cookie(reader::SESSION_COOKIE, "", Some(0), state.config.secure_cookies));
    Ok(res)
}

pub async fn sign_out_everywhere(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> AppResult<Response> {
    let me = require(&reader)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    state.db.bump_session_epoch(me.id).await?;
    crate::reader_cache::reader_changed(&state, me.id).await;
    let mut res = Redirect::to("/").into_response();
    add_cookie(&mut res, &set_cookie(reader::SESSION_COOKIE, "", Some(0), state.config.secure_cookies));
    Ok(res)
}

/// A subscriber makes a gift link for one article.
pub async fn make_gift(
    State(state): State<AppState>,
    reader: ReaderCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> AppResult<Response> {
    let me = require(&reader)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    if !me.entitlements.has(Benefit::FullAccess) {
        return Err(AppError::Forbidden);
    }
    let now = Utc::now();
    let a = state.db.article_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    let policy = state.policy();
    let month_start = masthead_core::MeterWindow::CalendarMonth.start(now);
    let used = state.db.gift_links_since(me.id, month_start).await?;
    if used >= i64::from(policy.gift_links_per_month) {
        return Err(AppError::Conflict(format!(
            "You have sent all {} gift links for this month. More become available on the first of next month.",
            policy.gift_links_per_month
        )));
    }
    let expires = now + chrono::Duration::days(i64::from(policy.gift_link_days));
    let id = state.db.create_gift_link(me.id, a.id, expires, now).await?;
    let token = auth::sign(&state.config.secret_key, "gift", &format!("{id}-{}", a.id));
    let link = format!("{}/article/{}?gift={}", state.config.base_url, a.slug, token);
    page(
        &state,
        &reader,
        "account/gift.html",
        minijinja::context! { chrome => chrome(&state, "/account"), link, headline => a.headline, expires => crate::views::human_date(expires),
            left => i64::from(policy.gift_links_per_month) - used - 1 },
        StatusCode::OK,
    )
}

/// True when `token` is a valid, unexpired gift link for this article.
pub async fn gift_valid(state: &AppState, token: &str, article_id: i64, now: chrono::DateTime<Utc>) -> AppResult<bool> {
    let Some(value) = auth::verify(&state.config.secret_key, "gift", token) else { return Ok(false) };
    let Some((id, aid)) = value.split_once('-') else { return Ok(false) };
    let (Ok(id), Ok(aid)) = (id.parse::<i64>(), aid.parse::<i64>()) else { return Ok(false) };
    if aid != article_id {
        return Ok(false);
    }
    Ok(state.db.gift_link_valid(id, article_id, now).await?)
}
