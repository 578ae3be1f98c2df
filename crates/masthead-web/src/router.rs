//! All routes in one place, with the layers every response passes through:
//! security headers, error pages in the theme (or JSON for the API),
//! request metrics and logs, body limits and timeouts.

use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ErrorInfo;
use crate::{admin, media, ops, site, AppState};

/// The content security policy for every page: nothing from other hosts,
/// no inline scripts.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(site::home))
        .route("/latest", get(site::latest))
        .route("/article/{slug}", get(site::article))
        .route("/topic/{slug}", get(site::topic))
        .route("/region/{slug}", get(site::region))
        .route("/section/{slug}", get(site::section))
        .route("/author/{slug}", get(site::author))
        .route("/admin", get(admin::index))
        .route("/admin/login", get(admin::login_form).post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .route("/admin/media", get(admin::media_form).post(admin::media_upload))
        .fallback(site::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), theme_errors));

    let upload_limit = state.config.media_max_bytes + 64 * 1024;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/media/{key}/{name}", get(media::media))
        .route("/static/{*name}", get(media::asset))
        .merge(pages)
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(record_metrics))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Turns error responses into the theme's error page.
async fn theme_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let res = next.run(req).await;
    match res.extensions().get::<ErrorInfo>() {
        Some(info) if wants_json => info.json(),
        Some(info) => site::error_page(&state, info),
        None => res,
    }
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html")) {
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
    }
    res
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("masthead_http_requests_total", "method" => method, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("masthead_http_request_seconds", "route" => route).record(start.elapsed().as_secs_f64());
    res
}
