//! Newsletters as readers meet them: sign-up from the page chrome, the box
//! inside articles, the account page and the JSON API; double opt-in by an
//! emailed link; a preference page and one-click unsubscribe reached from
//! every email by signed links, without signing in; and the bounce and
//! complaint webhook. Sending lives in `delivery`, the desk in `newsletter_desk`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine;
use chrono::Utc;
use masthead_core::newsletter::{is_address, Audience, Newsletter};
use masthead_core::{Article, Benefit, BlockKind};
use masthead_db::newsletters::Source;
use serde::{Deserialize, Serialize};

use crate::account::{check_form, form_token, FormToken};
use crate::auth::{self, constant_time_eq};
use crate::reader::ReaderCtx;
use crate::site::{account_links, chrome, personalize};
use crate::{AppError, AppResult, AppState};

/// The newsletter routes, merged into the site's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/newsletters", get(list))
        .route("/newsletters/subscribe", post(subscribe_form))
        .route("/newsletters/sent", get(sent))
        .route("/newsletters/confirm", get(confirm_form).post(confirm))
        .route("/newsletters/preferences", get(preferences).post(save_preferences))
        .route("/newsletters/unsubscribe/{token}", get(unsubscribe_page).post(one_click))
        .route("/api/newsletters/subscribe", post(api_subscribe))
        .route("/account/newsletters", post(account_save))
        .route("/hooks/mail", post(mail_webhook))
        .merge(crate::newsletter_desk::routes())
}

/// How long a confirmation link works.
pub const CONFIRM_DAYS: i64 = 7;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s.as_bytes())
}

fn unb64(s: &str) -> Option<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok().and_then(|b| String::from_utf8(b).ok())
}

fn base(state: &AppState) -> &str {
    state.config.base_url.trim_end_matches('/')
}

/// The preference page's address for an email: signed, no expiry, so that
/// every email ever sent keeps a working link.
pub fn prefs_url(state: &AppState, email: &str) -> String {
    format!("{}/newsletters/preferences?t={}", base(state), auth::sign(&state.config.secret_key, "nl-prefs", &b64(email)))
}

/// The one-click unsubscribe address (RFC 8058) for one newsletter and email.
pub fn unsubscribe_url(state: &AppState, newsletter_id: i64, email: &str) -> String {
    let value = format!("{newsletter_id}:{}", b64(email));
    format!("{}/newsletters/unsubscribe/{}", base(state), auth::sign(&state.config.secret_key, "nl-unsub", &value))
}

fn confirm_token(state: &AppState, email: &str, ids: &[i64]) -> String {
    let expires = (Utc::now() + chrono::Duration::days(CONFIRM_DAYS)).timestamp();
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    auth::sign(&state.config.secret_key, "nl-confirm", &format!("{}:{}:{expires}", b64(email), ids.join("-")))
}

fn read_confirm_token(state: &AppState, token: &str) -> Option<(String, Vec<i64>)> {
    let value = auth::verify(&state.config.secret_key, "nl-confirm", token)?;
    let mut it = value.split(':');
    let email = unb64(it.next()?)?;
    let ids = it.next()?.split('-').map(|s| s.parse().ok()).collect::<Option<Vec<i64>>>()?;
    let expires: i64 = it.next()?.parse().ok()?;
    (expires > Utc::now().timestamp()).then_some((email, ids))
}

fn read_prefs_token(state: &AppState, token: &str) -> Option<String> {
    unb64(&auth::verify(&state.config.secret_key, "nl-prefs", token)?)
}

fn read_unsub_token(state: &AppState, token: &str) -> Option<(i64, String)> {
    let value = auth::verify(&state.config.secret_key, "nl-unsub", token)?;
    let (id, email) = value.split_once(':')?;
    Some((id.parse().ok()?, unb64(email)?))
}

/// A newsletter as sign-up forms show it.
#[derive(Debug, Clone, Serialize)]
pub struct SignupView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub cadence: String,
    pub premium: bool,
    pub checked: bool,
}

impl SignupView {
    fn new(n: &Newsletter, checked: bool) -> Self {
        SignupView {
            slug: n.slug.clone(),
            name: n.name.clone(),
            description: n.description.clone(),
            cadence: n.cadence.describe(),
            premium: n.audience == Audience::Subscribers,
            checked,
        }
    }
}

/// The newsletter the site-wide form offers: the first open daily.
pub fn site_signup(state: &AppState) -> Option<SignupView> {
    let all = state.newsletters.all();
    let open = || all.iter().filter(|n| n.active && n.audience == Audience::Everyone);
    open()
        .find(|n| n.cadence.kind() == "daily")
        .or_else(|| open().next())
        .map(|n| SignupView::new(n, true))
}

/// The box inside an article: which newsletter, and the block it follows.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleBox {
    pub newsletter: SignupView,
    /// Index of the body block the box goes after.
    pub after_block: usize,
}

/// The in-article box for this article, chosen by its topics (then regions),
/// placed after the newsletter's configured paragraph; None if no newsletter
/// covers it or the body is too short.
pub fn article_box(state: &AppState, a: &Article) -> Option<ArticleBox> {
    let all = state.newsletters.all();
    let topics: Vec<String> = a.topics.iter().map(|t| t.slug.clone()).collect();
    let regions: Vec<String> = a.regions.iter().map(|t| t.slug.clone()).collect();
    let n = masthead_core::newsletter::box_for_article(&all, &topics, &regions)?;
    let wanted = n.box_after_paragraph.max(1) as usize;
    let after_block = a.blocks.iter().enumerate().filter(|(_, b)| b.kind == BlockKind::Paragraph).nth(wanted - 1).map(|(i, _)| i)?;
    // Never as the last thing in the body.
    (after_block + 1 < a.blocks.len()).then(|| ArticleBox { newsletter: SignupView::new(n, true), after_block })
}

fn page(state: &AppState, reader: &ReaderCtx, name: &str, ctx: minijinja::Value, status: StatusCode) -> AppResult<Response> {
    let html = state.theme.render(name, ctx)?;
    let body = personalize(html.as_bytes(), &account_links(reader.signed_in.as_ref()), "");
    let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "private, no-store")], body).into_response();
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("Cookie"));
    Ok(res)
}

fn with_token(mut res: Response, t: &FormToken) -> Response {
    if let Some(c) = &t.cookie {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Newsletters a reader may choose: open ones, and premium ones when they
/// hold the benefit (or are already on them, so they can leave).
fn choosable(state: &AppState, premium: bool, on: &BTreeSet<i64>) -> Vec<Newsletter> {
    state.newsletters.all().into_iter().filter(|n| n.active && (n.audience == Audience::Everyone || premium || on.contains(&n.id))).collect()
}

/// The checked newsletters of a form: `newsletter=SLUG` fields or `nl_SLUG=on`.
fn chosen_slugs(form: &[(String, String)]) -> BTreeSet<String> {
    form.iter()
        .filter_map(|(k, v)| match k.as_str() {
            "newsletter" => Some(v.clone()),
            k => k.strip_prefix("nl_").filter(|_| !v.is_empty()).map(String::from),
        })
        .collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The public list of newsletters with one sign-up form.
pub async fn list(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap) -> AppResult<Response> {
    let premium = reader.entitlements().has(Benefit::PremiumNewsletters);
    let items: Vec<SignupView> = choosable(&state, premium, &BTreeSet::new()).iter().map(|n| SignupView::new(n, false)).collect();
    let t = form_token(&state, &reader, &headers);
    let email = reader.signed_in.as_ref().map(|s| s.email.clone()).unwrap_or_default();
    let res = page(&state, &reader, "newsletter/list.html", minijinja::context! { chrome => chrome(&state, "/newsletters"), items, csrf => t.token, email }, StatusCode::OK)?;
    Ok(with_token(res, &t))
}

/// True when the request comes from a page of this site: forms on cached
/// pages (the chrome, the article box) cannot carry a per-reader token, so
/// their CSRF check is the browser's own Origin (or Sec-Fetch-Site) header.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if h("sec-fetch-site") == "same-origin" {
        return true;
    }
    let origin = h("origin");
    !origin.is_empty() && origin != "null" && origin.trim_end_matches('/') == base(state)
}

/// The outcome of a sign-up request, the same whatever the address's history.
enum SignupResult {
    /// A confirmation email went out (or nothing was needed).
    Done,
    BadEmail,
    Unknown(Vec<String>),
    SubscribersOnly(Vec<String>),
    NoneChosen,
    TooMany,
}

/// Signs an address up to newsletters by slug: pending with a confirmation
/// email, or confirmed at once for a signed-in reader's verified address.
async fn sign_up(state: &AppState, reader: &ReaderCtx, email: &str, slugs: &BTreeSet<String>, source: Source) -> AppResult<SignupResult> {
    let email = email.trim().to_lowercase();
    if !is_address(&email) {
        return Ok(SignupResult::BadEmail);
    }
    if slugs.is_empty() {
        return Ok(SignupResult::NoneChosen);
    }
    let all = state.newsletters.all();
    let unknown: Vec<String> = slugs.iter().filter(|s| !all.iter().any(|n| n.active && &n.slug == *s)).cloned().collect();
    if !unknown.is_empty() {
        return Ok(SignupResult::Unknown(unknown));
    }
    let chosen: Vec<&Newsletter> = all.iter().filter(|n| slugs.contains(&n.slug)).collect();
    let me = reader.signed_in.as_ref().filter(|s| s.email == email);
    let premium = me.is_some_and(|s| s.entitlements.has(Benefit::PremiumNewsletters));
    let gated: Vec<String> = chosen.iter().filter(|n| n.audience == Audience::Subscribers && !premium).map(|n| n.slug.clone()).collect();
    if !gated.is_empty() {
        return Ok(SignupResult::SubscribersOnly(gated));
    }
    // Every sign-up may send mail: limit per client and per address.
    let window = Duration::from_secs(600);
    if !state.limits.allow(&format!("nl-ip:{}", reader.ip), 10, window).await || !state.limits.allow(&format!("nl-email:{email}"), 3, window).await {
        return Ok(SignupResult::TooMany);
    }
    let now = Utc::now();
    let verified = match me {
        Some(s) => state.db.reader_by_id(s.id).await?.is_some_and(|r| r.email_verified_at.is_some()),
        None => false,
    };
    if verified {
        for n in &chosen {
            state.db.subscribe_confirmed(n.id, &email, me.map(|s| s.id), source, now).await?;
        }
        return Ok(SignupResult::Done);
    }
    let mut pending = Vec::new();
    for n in &chosen {
        if state.db.subscribe_pending(n.id, &email, me.map(|s| s.id), source, now).await? == "pending" {
            pending.push(*n);
        }
    }
    if !pending.is_empty() {
        send_confirmation(state, &email, &pending).await;
    }
    Ok(SignupResult::Done)
}

async fn send_confirmation(state: &AppState, email: &str, pending: &[&Newsletter]) {
    let ids: Vec<i64> = pending.iter().map(|n| n.id).collect();
    let link = format!("{}/newsletters/confirm?t={}", base(state), confirm_token(state, email, &ids));
    let names: Vec<String> = pending.iter().map(|n| n.name.clone()).collect();
    let site = state.site();
    let subject = match names.as_slice() {
        [one] => format!("Confirm your subscription to {one}"),
        _ => format!("Confirm your {} newsletter subscriptions", site.name),
    };
    let ctx = minijinja::context! { site, link, names, days => CONFIRM_DAYS };
    crate::account::send_mail(state, email, &subject, "email/newsletter_confirm", ctx).await;
}

/// The site-wide form, the in-article box and the newsletters page post here.
pub async fn subscribe_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> AppResult<Response> {
    let email = field(&form, "email").unwrap_or("").to_string();
    let slugs = chosen_slugs(&form);
    let token_ok = field(&form, "csrf").is_some_and(|t| check_form(&state, &reader, &headers, t).is_ok());
    if !token_ok && !same_origin(&state, &headers) {
        // Not provably from our page: ask once more on a page with a token.
        return interstitial(&state, &reader, &headers, &email, &slugs, None, StatusCode::OK);
    }
    let source = match field(&form, "source") {
        Some("article") => Source::Article,
        Some("account") => Source::Account,
        _ => Source::Site,
    };
    match sign_up(&state, &reader, &email, &slugs, source).await? {
        SignupResult::Done => Ok(Redirect::to("/newsletters/sent").into_response()),
        SignupResult::TooMany => Err(AppError::TooMany),
        SignupResult::BadEmail => interstitial(&state, &reader, &headers, &email, &slugs, Some("That doesn't look like an email address. Please check it."), StatusCode::BAD_REQUEST),
        SignupResult::NoneChosen => interstitial(&state, &reader, &headers, &email, &slugs, Some("Choose at least one newsletter."), StatusCode::BAD_REQUEST),
        SignupResult::Unknown(_) => interstitial(&state, &reader, &headers, &email, &slugs, Some("That newsletter is no longer available."), StatusCode::BAD_REQUEST),
        SignupResult::SubscribersOnly(_) => {
            interstitial(&state, &reader, &headers, &email, &slugs, Some("That newsletter is for subscribers. Sign in with your subscriber account to add it."), StatusCode::FORBIDDEN)
        }
    }
}

fn interstitial(state: &AppState, reader: &ReaderCtx, headers: &HeaderMap, email: &str, slugs: &BTreeSet<String>, error: Option<&str>, status: StatusCode) -> AppResult<Response> {
    let premium = reader.entitlements().has(Benefit::PremiumNewsletters);
    let items: Vec<SignupView> = choosable(state, premium, &BTreeSet::new()).iter().map(|n| SignupView::new(n, slugs.contains(&n.slug))).collect();
    let t = form_token(state, reader, headers);
    let res = page(state, reader, "newsletter/list.html", minijinja::context! { chrome => chrome(state, "/newsletters"), items, csrf => t.token, email, error, confirming => error.is_none() }, status)?;
    Ok(with_token(res, &t))
}

pub async fn sent(State(state): State<AppState>, reader: ReaderCtx) -> AppResult<Response> {
    page(&state, &reader, "newsletter/sent.html", minijinja::context! { chrome => chrome(&state, "/newsletters/sent"), days => CONFIRM_DAYS }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    t: String,
}

fn link_invalid(state: &AppState, reader: &ReaderCtx) -> AppResult<Response> {
    page(state, reader, "account/link_invalid.html", minijinja::context! { chrome => chrome(state, "/newsletters") }, StatusCode::BAD_REQUEST)
}

/// The confirmation link opens a page with one button: mail scanners that
/// fetch links must not confirm on the reader's behalf.
pub async fn confirm_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<TokenQuery>) -> AppResult<Response> {
    let Some((email, ids)) = read_confirm_token(&state, &q.t) else { return link_invalid(&state, &reader) };
    let names: Vec<String> = state.newsletters.all().into_iter().filter(|n| ids.contains(&n.id)).map(|n| n.name).collect();
    let t = form_token(&state, &reader, &headers);
    let res = page(
        &state,
        &reader,
        "newsletter/confirm.html",
        minijinja::context! { chrome => chrome(&state, "/newsletters/confirm"), csrf => t.token, token => q.t, email, names },
        StatusCode::OK,
    )?;
    Ok(with_token(res, &t))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    t: String,
    csrf: String,
}

pub async fn confirm(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<ConfirmForm>) -> AppResult<Response> {
    check_form(&state, &reader, &headers, &f.csrf)?;
    let Some((email, ids)) = read_confirm_token(&state, &f.t) else { return link_invalid(&state, &reader) };
    state.db.confirm_subscriptions(&email, &ids, Utc::now()).await?;
    let names: Vec<String> = state.newsletters.all().into_iter().filter(|n| ids.contains(&n.id)).map(|n| n.name).collect();
    page(
        &state,
        &reader,
        "newsletter/confirmed.html",
        minijinja::context! { chrome => chrome(&state, "/newsletters/confirm"), names, prefs => prefs_url(&state, &email) },
        StatusCode::OK,
    )
}

async fn premium_by_email(state: &AppState, email: &str) -> AppResult<bool> {
    match state.db.reader_by_email(email).await? {
        Some(r) => Ok(crate::reader::entitlements_of(state, r.id).await?.has(Benefit::PremiumNewsletters)),
        None => Ok(false),
    }
}

async fn preference_page(state: &AppState, reader: &ReaderCtx, headers: &HeaderMap, token: &str, email: &str, notice: Option<&str>) -> AppResult<Response> {
    let on: BTreeSet<i64> = state.db.signups_of(email).await?.into_iter().filter(|s| s.status == "confirmed").map(|s| s.newsletter_id).collect();
    let premium = premium_by_email(state, email).await?;
    let items: Vec<SignupView> = choosable(state, premium, &on).iter().map(|n| SignupView::new(n, on.contains(&n.id))).collect();
    let suppressed = state.db.suppression(email).await?;
    let t = form_token(state, reader, headers);
    let res = page(
        state,
        reader,
        "newsletter/preferences.html",
        minijinja::context! { chrome => chrome(state, "/newsletters/preferences"), csrf => t.token, token, email, items, notice, suppressed },
        StatusCode::OK,
    )?;
    Ok(with_token(res, &t))
}

/// The preference page, reached from every email by a signed link.
pub async fn preferences(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Query(q): Query<TokenQuery>) -> AppResult<Response> {
    let Some(email) = read_prefs_token(&state, &q.t) else { return link_invalid(&state, &reader) };
    preference_page(&state, &reader, &headers, &q.t, &email, None).await
}

pub async fn save_preferences(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> AppResult<Response> {
    check_form(&state, &reader, &headers, field(&form, "csrf").unwrap_or(""))?;
    let token = field(&form, "t").unwrap_or("").to_string();
    let Some(email) = read_prefs_token(&state, &token) else { return link_invalid(&state, &reader) };
    let now = Utc::now();
    let on: BTreeSet<i64> = state.db.signups_of(&email).await?.into_iter().filter(|s| s.status == "confirmed").map(|s| s.newsletter_id).collect();
    if field(&form, "all") == Some("off") {
        for id in &on {
            state.db.unsubscribe(*id, &email, now).await?;
        }
        state.db.suppress(&email, "unsubscribe", "unsubscribed from all on the preference page", now).await?;
        return preference_page(&state, &reader, &headers, &token, &email, Some("all_off")).await;
    }
    // The link was mailed to this address, so ticking a box needs no second confirmation.
    let wanted = chosen_slugs(&form);
    let premium = premium_by_email(&state, &email).await?;
    let reader_id = state.db.reader_by_email(&email).await?.map(|r| r.id);
    for n in choosable(&state, premium, &on) {
        let want = wanted.contains(&n.slug);
        if want && !on.contains(&n.id) && (n.audience == Audience::Everyone || premium) {
            state.db.subscribe_confirmed(n.id, &email, reader_id, Source::Site, now).await?;
        } else if !want && on.contains(&n.id) {
            state.db.unsubscribe(n.id, &email, now).await?;
        }
    }
    preference_page(&state, &reader, &headers, &token, &email, Some("saved")).await
}

/// The page behind the link in an email's footer: one button, which posts
/// to the same one-click address.
pub async fn unsubscribe_page(State(state): State<AppState>, reader: ReaderCtx, Path(token): Path<String>) -> AppResult<Response> {
    let Some((id, email)) = read_unsub_token(&state, &token) else { return link_invalid(&state, &reader) };
    let name = state.db.newsletter(id).await.map(|n| n.name).unwrap_or_default();
    page(
        &state,
        &reader,
        "newsletter/unsubscribe.html",
        minijinja::context! { chrome => chrome(&state, "/newsletters"), name, email, action => unsubscribe_url(&state, id, &email), prefs => prefs_url(&state, &email) },
        StatusCode::OK,
    )
}

/// RFC 8058 one-click unsubscribe: authorized by the signed address alone,
/// so it works without cookies or a CSRF token, and answers 200 (no
/// redirect, which mail providers do not follow).
pub async fn one_click(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<Response> {
    let Some((id, email)) = read_unsub_token(&state, &token) else {
        return Err(AppError::BadRequest("This unsubscribe link is not valid.".into()));
    };
    let n = state.db.newsletter(id).await?;
    if state.db.unsubscribe(id, &email, Utc::now()).await? {
        tracing::info!(newsletter = %n.slug, "one-click unsubscribe");
        metrics::counter!("masthead_newsletter_unsubscribes_total").increment(1);
    }
    let body = state.theme.render(
        "newsletter/unsubscribed.html",
        minijinja::context! { chrome => chrome(&state, "/newsletters"), name => n.name, prefs => prefs_url(&state, &email) },
    )?;
    let body = personalize(body.as_bytes(), &account_links(None), "");
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response())
}

/// An API error with a stable code.
fn api_error(status: StatusCode, code: &str, message: &str, extra: Option<serde_json::Value>) -> Response {
    let mut body = serde_json::json!({ "error": { "code": code, "message": message } });
    if let Some(x) = extra {
        body["error"]["detail"] = x;
    }
    (status, axum::Json(body)).into_response()
}

#[derive(Deserialize)]
struct ApiSignup {
    email: String,
    newsletters: Vec<String>,
}

/// `POST /api/newsletters/subscribe` with `{"email": "...", "newsletters": ["slug", ...]}`.
/// Answers 202 `{"status": "confirmation_sent"}` whatever the address's history;
/// errors carry a stable `error.code`: unsupported_media_type, invalid_json,
/// invalid_email, no_newsletters, unknown_newsletter, subscribers_only, rate_limited.
/// Only JSON is accepted, which a cross-site form cannot send.
pub async fn api_subscribe(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return api_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send Content-Type: application/json", None);
    }
    let req: ApiSignup = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, "invalid_json", &format!("the body is not a sign-up: {e}"), None),
    };
    let slugs: BTreeSet<String> = req.newsletters.into_iter().collect();
    let result = match sign_up(&state, &reader, &req.email, &slugs, Source::Api).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match result {
        SignupResult::Done => (StatusCode::ACCEPTED, axum::Json(serde_json::json!({ "status": "confirmation_sent", "newsletters": slugs }))).into_response(),
        SignupResult::BadEmail => api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_email", "that is not an email address", None),
        SignupResult::NoneChosen => api_error(StatusCode::UNPROCESSABLE_ENTITY, "no_newsletters", "name at least one newsletter", None),
        SignupResult::Unknown(u) => api_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_newsletter", "no such newsletter", Some(serde_json::json!({ "unknown": u }))),
        SignupResult::SubscribersOnly(s) => {
            api_error(StatusCode::FORBIDDEN, "subscribers_only", "these newsletters are for subscribers; sign up from your account", Some(serde_json::json!({ "newsletters": s })))
        }
        SignupResult::TooMany => api_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many sign-ups; wait a few minutes", None),
    }
}

/// The account page's newsletter checkboxes.
pub async fn account_choices(state: &AppState, me: &crate::reader::SignedIn) -> AppResult<Vec<SignupView>> {
    let signups = state.db.signups_of(&me.email).await?;
    let on: BTreeSet<i64> = signups.iter().filter(|s| s.status == "confirmed").map(|s| s.newsletter_id).collect();
    let premium = me.entitlements.has(Benefit::PremiumNewsletters);
    Ok(choosable(state, premium, &on).iter().map(|n| SignupView::new(n, on.contains(&n.id))).collect())
}

pub async fn account_save(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> AppResult<Response> {
    let me = reader.signed_in.as_ref().ok_or(AppError::Unauthorized)?;
    check_form(&state, &reader, &headers, field(&form, "csrf").unwrap_or(""))?;
    let wanted = chosen_slugs(&form);
    let now = Utc::now();
    let signups = state.db.signups_of(&me.email).await?;
    let on: BTreeSet<i64> = signups.iter().filter(|s| s.status == "confirmed").map(|s| s.newsletter_id).collect();
    let premium = me.entitlements.has(Benefit::PremiumNewsletters);
    let mut add = BTreeSet::new();
    for n in choosable(&state, premium, &on) {
        if wanted.contains(&n.slug) && !on.contains(&n.id) {
            add.insert(n.slug.clone());
        } else if !wanted.contains(&n.slug) && on.contains(&n.id) {
            state.db.unsubscribe(n.id, &me.email, now).await?;
        }
    }
    if !add.is_empty() {
        if let SignupResult::TooMany = sign_up(&state, &reader, &me.email, &add, Source::Account).await? {
            return Err(AppError::TooMany);
        }
    }
    Ok(Redirect::to("/account?sent=newsletters").into_response())
}

#[derive(Deserialize)]
struct MailEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    email: String,
    #[serde(default = "yes")]
    permanent: bool,
    #[serde(default)]
    detail: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MailEvents {
    Many { events: Vec<MailEvent> },
    One(MailEvent),
}

/// Bounce and complaint notices from the mail provider (or a local MTA's
/// script): `Authorization: Bearer SECRET`, and a JSON body
/// `{"id", "type": "bounce"|"complaint", "email", "permanent"}` or
/// `{"events": [...]}`. Each event id is applied once. Hard bounces and
/// complaints suppress the address for every later send.
pub async fn mail_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.newsletters.config.webhook_secret.as_deref().filter(|s| !s.is_empty()) else {
        return api_error(StatusCode::NOT_FOUND, "not_found", "the mail webhook is not configured", None);
    };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    if !constant_time_eq(given.as_bytes(), secret.as_bytes()) {
        tracing::warn!("mail webhook refused: wrong or missing secret");
        return api_error(StatusCode::UNAUTHORIZED, "unauthorized", "wrong or missing secret", None);
    }
    let events = match serde_json::from_slice::<MailEvents>(&body) {
        Ok(MailEvents::Many { events }) => events,
        Ok(MailEvents::One(e)) => vec![e],
        Err(e) => return api_error(StatusCode::BAD_REQUEST, "invalid_json", &format!("not a mail event: {e}"), None),
    };
    let now = Utc::now();
    let (mut applied, mut duplicates) = (0, 0);
    let mut ignored: HashMap<&'static str, usize> = HashMap::new();
    for e in &events {
        let reason = match (e.kind.as_str(), e.permanent) {
            ("bounce", true) => Some("hard_bounce"),
            ("bounce", false) => None,
            ("complaint", _) => Some("complaint"),
            ("unsubscribe", _) => Some("unsubscribe"),
            _ => {
                *ignored.entry("unknown_type").or_default() += 1;
                continue;
            }
        };
        match state.db.record_mail_event(&e.id, &e.kind, &e.email, now).await {
            Ok(true) => {}
            Ok(false) => {
                duplicates += 1;
                continue;
            }
            Err(err) => return AppError::from(err).into_response(),
        }
        if let Some(reason) = reason {
            if let Err(err) = state.db.suppress(&e.email, reason, &e.detail, now).await {
                return AppError::from(err).into_response();
            }
        }
        applied += 1;
    }
    (StatusCode::OK, axum::Json(serde_json::json!({ "applied": applied, "duplicates": duplicates, "ignored": ignored }))).into_response()
}
