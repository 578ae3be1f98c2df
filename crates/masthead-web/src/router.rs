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
use crate::{account, admin, billing, media, ops, site, AppState};

/// The content security policy for every page: nothing from other hosts,
/// no inline scripts.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(site::home))
        .route("/latest", get(site::latest))
        .route("/article/{slug}", get(site::article))
        .route("/article/{slug}/print", get(site::article_print))
        .route("/article/{slug}/gift", post(account::make_gift))
        .route("/subscribe", get(site::subscribe))
        .route("/subscribe/done", get(billing::done))
        .route("/subscribe/{plan}", get(billing::confirm).post(billing::start_checkout))
        .route("/billing/demo/checkout/{id}", get(billing::demo_checkout_page).post(billing::demo_checkout_pay))
        .route("/account/subscription/{action}", post(billing::action))
        .route("/gift", get(billing::gift_form).post(billing::buy_gift))
        .route("/gift/redeem", get(billing::redeem_form).post(billing::redeem))
        .route("/login", get(account::login_form))
        .route("/signup", get(account::signup_form))
        .route("/login/link", post(account::send_link))
        .route("/login/sent", get(account::link_sent))
        .route("/login/verify", get(account::verify_form).post(account::verify))
        .route("/login/password", post(account::password_login))
        .route("/logout", post(account::logout))
        .route("/account", get(account::account))
        .route("/account/name", post(account::set_name))
        .route("/account/password", post(account::set_password))
        .route("/account/email", post(account::change_email))
        .route("/account/email/confirm", get(account::confirm_email_form).post(account::confirm_email))
        .route("/account/delete", post(account::delete))
        .route("/account/sign-out-everywhere", post(account::sign_out_everywhere))
        .route("/topic/{slug}", get(site::topic))
        .route("/region/{slug}", get(site::region))
        .route("/section/{slug}", get(site::section))
        .route("/author/{slug}", get(site::author))
        .route("/admin", get(admin::index))
        .route("/admin/login", get(admin::login_form).post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .route("/admin/media", get(admin::media_form).post(admin::media_upload))
        .fallback(site::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), theme_errors))
        .layer(middleware::from_fn_with_state(state.clone(), fill_chrome));

    let upload_limit = state.config.media_max_bytes + 64 * 1024;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/media/{key}/{name}", get(media::media))
        .route("/static/{*name}", get(media::asset))
        .route("/hooks/stripe", post(billing::stripe_webhook))
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

/// Fills the account links of pages that were not personalized by their
/// handler (cached lists, error pages). Signed-in readers are recognized by
/// their cookie's signature alone, without the database; their pages are
/// then private.
async fn fill_chrome(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let signed_in = crate::auth::cookie(req.headers(), crate::reader::SESSION_COOKIE)
        .and_then(|c| crate::auth::verify(&state.config.secret_key, "reader", &c))
        .is_some();
    let res = next.run(req).await;
    let is_html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    if !bytes.windows(site::ACCOUNT_SLOT.len()).any(|w| w == site::ACCOUNT_SLOT.as_bytes()) {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let links = if signed_in {
        "<a href=\"/account\">Account</a>".to_string()
    } else {
        site::account_links(None)
    };
    let body = site::personalize(&bytes, &links, "");
    if signed_in {
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    parts.headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
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
