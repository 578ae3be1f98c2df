//! The JSON API under /api: the Content API (public, read-only, a content
//! key) and the Admin API (a staff token with scopes), documented by the
//! OpenAPI 3.1 document at /api/openapi.json, generated from this code.
//!
//! Every answer is JSON, errors included (`{"error": {"code", "message",
//! "fields"}}`), whatever failed: a handler, an extractor, or the router.
//! Tokens are looked up by their SHA-256 hash; they are never stored or
//! logged in the clear.

pub mod admin;
pub mod content;
pub mod dto;
pub mod openapi;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use masthead_core::staff::{can, Action, Ownership, Role, Scope};
use masthead_db::tokens::TokenKind;
use serde::de::DeserializeOwned;

use crate::error::ErrorInfo;
use crate::{AppError, AppResult, AppState};

pub const CONTENT_PREFIX: &str = "mh_content_";
pub const ADMIN_PREFIX: &str = "mh_admin_";

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/content/articles", get(content::list_articles))
        .route("/content/articles/{slug}", get(content::get_article))
        .route("/content/authors", get(content::list_authors))
        .route("/content/{kind}", get(content::list_tags))
        .route("/admin/articles", get(admin::list_articles).post(admin::create_article))
        .route("/admin/articles/{id}", get(admin::get_article).put(admin::update_article).delete(admin::delete_article))
        .route("/admin/articles/{id}/publish", post(admin::publish_article))
        .route("/admin/articles/{id}/unpublish", post(admin::unpublish_article))
        .route("/admin/authors", get(admin::list_authors))
        .route("/admin/authors/{slug}", get(admin::get_author).put(admin::put_author).delete(admin::delete_author))
        .route("/admin/members", get(admin::list_members))
        .route("/admin/members/{id}", get(admin::get_member))
        .route("/admin/{kind}", get(admin::list_tags))
        .route("/admin/{kind}/{slug}", get(admin::get_tag).put(admin::put_tag).delete(admin::delete_tag))
        .fallback(not_found)
        .layer(middleware::from_fn(json_errors))
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Makes every error JSON: marked errors from handlers, and the plain
/// rejections axum answers with (bad JSON, wrong method, bad query).
async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if let Some(info) = res.extensions().get::<ErrorInfo>() {
        let mut out = info.json();
        out.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return out;
    }
    let status = res.status();
    let is_json = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_input",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::REQUEST_TIMEOUT => "timeout",
            s if s.is_server_error() => "internal",
            _ => "bad_request",
        };
        let (parts, body) = res.into_parts();
        let text = axum::body::to_bytes(body, 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let message = if status.is_server_error() || text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
        let mut out = (status, axum::Json(serde_json::json!({ "error": { "code": code, "message": message } }))).into_response();
        if let Some(allow) = parts.headers.get(header::ALLOW) {
            out.headers_mut().insert(header::ALLOW, allow.clone());
        }
        return out;
    }
    res
}

/// A JSON body whose rejection is an `AppError` (so, JSON too).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::BadRequest("send JSON, with Content-Type: application/json".into()));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
        // NUL has no place in any of our text, and PostgreSQL refuses it.
        if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
            return Err(AppError::BadRequest("text may not contain NUL characters".into()));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| AppError::BadRequest(format!("the body is not what this operation takes: {e}")))
    }
}

/// A query string whose rejection is an `AppError`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(|q| q.to_ascii_lowercase().contains("%00")) {
            return Err(AppError::BadRequest("the query may not contain NUL characters".into()));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

/// A path whose rejection is an `AppError` (a bad id is a 400 in JSON,
/// not axum's plain text).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.path().to_ascii_lowercase().contains("%00") {
            return Err(AppError::BadRequest("the path may not contain NUL characters".into()));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

/// SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    crate::desk::people::hash_token(token)
}

/// A new token of a kind: the secret to show once, its hash and prefix.
pub fn new_token(kind: TokenKind) -> (String, String, String) {
    let prefix = match kind {
        TokenKind::Content => CONTENT_PREFIX,
        TokenKind::Admin => ADMIN_PREFIX,
    };
    let secret = format!("{prefix}{}", crate::auth::random_token());
    let shown = secret.chars().take(prefix.len() + 6).collect();
    (token_hash(&secret), shown, secret)
}

fn bearer(parts: &Parts) -> Option<String> {
    let h = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn query_key(parts: &Parts) -> Option<String> {
    let q = parts.uri.query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()?.into_iter().find(|(k, _)| k == "key").map(|(_, v)| v)
}

async fn token_of(state: &AppState, secret: &str, kind: TokenKind) -> AppResult<masthead_db::tokens::ApiToken> {
    let token = state.db.api_token(&token_hash(secret)).await?.filter(|t| t.kind == kind).ok_or(AppError::Unauthorized)?;
    // "Last used" to the minute: a write per request would put every API
    // call behind SQLite's one writer.
    static TOUCHED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<i64, i64>>> = std::sync::LazyLock::new(Default::default);
    let now = Utc::now();
    let due = TOUCHED.lock().map(|mut m| {
        let last = m.entry(token.id).or_insert(i64::MIN);
        let due = now.timestamp().saturating_sub(*last) >= 60;
        if due {
            *last = now.timestamp();
        }
        due
    });
    if due.unwrap_or(true) {
        state.db.touch_api_token(token.id, now).await?;
    }
    Ok(token)
}

/// A valid content key (`Authorization: Bearer KEY` or `?key=KEY`).
pub struct ContentKey;

impl FromRequestParts<AppState> for ContentKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secret = bearer(parts).or_else(|| query_key(parts)).ok_or(AppError::Unauthorized)?;
        token_of(state, &secret, TokenKind::Content).await?;
        Ok(ContentKey)
    }
}

/// A staff member acting through an Admin API token, within its scopes.
#[derive(Debug, Clone)]
pub struct ApiStaff {
    pub id: i64,
    pub role: Role,
    pub name: String,
    pub email: String,
    pub scopes: Vec<Scope>,
}

impl ApiStaff {
    /// Forbidden unless both the token's scopes and the member's role
    /// allow the action. The `admin` scope covers every scope.
    pub fn require(&self, action: Action, ownership: Ownership) -> AppResult<()> {
        let scoped = self.scopes.contains(&Scope::Admin) || self.scopes.contains(&action.scope());
        if scoped && can(self.role, action, ownership) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn ownership(&self, owner: Option<i64>) -> Ownership {
        if owner == Some(self.id) {
            Ownership::Own
        } else {
            Ownership::Others
        }
    }

    /// As the desk's `Staff`, for the shared newsroom paths (audit log).
    pub fn as_staff(&self) -> crate::auth::Staff {
        crate::auth::Staff { id: self.id, role: self.role, email: self.email.clone(), name: format!("{} (API)", self.name), session: String::new() }
    }
}

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secret = bearer(parts).ok_or(AppError::Unauthorized)?;
        let token = token_of(state, &secret, TokenKind::Admin).await?;
        let staff_id = token.staff_id.ok_or(AppError::Unauthorized)?;
        let member = state.db.staff_by_id(staff_id).await?.filter(|m| m.disabled_at.is_none()).ok_or(AppError::Unauthorized)?;
        Ok(ApiStaff { id: member.id, role: member.role, name: member.name, email: member.email, scopes: token.scopes })
    }
}
