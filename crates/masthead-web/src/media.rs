//! Serving images and theme assets. Both are immutable under their URL (a
//! media key is a content hash; asset URLs carry one), so they are cached
//! for a year.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::{AppError, AppResult, AppState};

const FOREVER: &str = "public, max-age=31536000, immutable";

fn image_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

pub async fn media(State(state): State<AppState>, Path((key, name)): Path<(String, String)>) -> AppResult<Response> {
    // Only names the store makes; anything else is not a picture, not even a fallback one.
    if masthead_media::object_name(&key, &name).is_none() {
        return Err(AppError::NotFound);
    }
    if let Some(bytes) = state.media.get(&key, &name).await.map_err(AppError::internal)? {
        return Ok(([(header::CONTENT_TYPE, image_type(&name)), (header::CACHE_CONTROL, FOREVER)], bytes).into_response());
    }
    // A rendition not made yet: serve the original for now, briefly.
    let original = state.media.original_name(&key).await.map_err(AppError::internal)?.ok_or(AppError::NotFound)?;
    let bytes = state.media.get(&key, &original).await.map_err(AppError::internal)?.ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, image_type(&original)), (header::CACHE_CONTROL, "public, max-age=60")], bytes).into_response())
}

#[derive(serde::Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

pub async fn asset(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<AssetQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let asset = state.theme.asset(&name).ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", asset.hash);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    // Only a URL naming the current content may be cached forever.
    let cache = if q.v.as_deref() == Some(asset.hash.as_str()) { FOREVER } else { "public, max-age=300" };
    let mut res = asset.bytes.clone().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}
