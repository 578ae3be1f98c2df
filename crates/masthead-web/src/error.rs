//! The one error type handlers return. Readers get the theme's error page,
//! API clients a JSON body with a stable code; unexpected errors are logged
//! once, here, and answered with a plain 500 that reveals nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use masthead_core::{DomainError, FieldError};
use masthead_db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("sign in required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    TooMany,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error(transparent)]
    Internal(#[from] anyhow_like::Internal),
}

/// A boxed unexpected error, so handlers can `?` anything.
pub mod anyhow_like {
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Internal(pub String);
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow_like::Internal(e.to_string()))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code API clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Invalid(_) => "invalid_input",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::TooMany => "rate_limited",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::Internal(_) => "internal",
        }
    }

    /// What a person may be told.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound => "We couldn't find that page.".into(),
            AppError::BadRequest(m) | AppError::Conflict(m) | AppError::PayloadTooLarge(m) => m.clone(),
            AppError::Invalid(errs) => errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "),
            AppError::Unauthorized => "Please sign in first.".into(),
            AppError::Forbidden => "You don't have permission to do that.".into(),
            AppError::TooMany => "Too many attempts. Please wait a minute and try again.".into(),
            AppError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
        }
    }

}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => AppError::NotFound,
            DbError::Conflict(m) => AppError::Conflict(m),
            other => AppError::internal(other),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errs) => AppError::Invalid(errs),
        }
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::internal(format!("template: {e:#}"))
    }
}

/// Every error becomes an empty response marked with `ErrorInfo`; a layer
/// then renders it as the theme's error page or as JSON, depending on the
/// router it came through. Unexpected errors are logged here, once.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = %e.0, "request failed");
        }
        let status = self.status();
        let mut res = status.into_response();
        let fields = match &self { AppError::Invalid(f) => f.clone(), _ => Vec::new() };
        res.extensions_mut().insert(ErrorInfo { status, code: self.code(), message: self.public_message(), fields });
        res
    }
}

/// What went wrong, for the layer that renders error bodies.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ErrorInfo {
    pub fn json(&self) -> Response {
        let mut body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        if !self.fields.is_empty() {
            body["error"]["fields"] = serde_json::to_value(&self.fields).unwrap_or_default();
        }
        (self.status, axum::Json(body)).into_response()
    }
}

pub type AppResult<T> = Result<T, AppError>;
