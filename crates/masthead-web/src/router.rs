//! All routes in one place, with the layers every response passes through:
//! security headers, error pages in the theme (or JSON for the API),
//! request metrics and logs, body limits and timeouts.

use std::cell::RefCell;
use std::collections::HashMap;
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
use crate::{account, admin, ads, archive, billing, feeds, media, ops, search, seo, site, AppState};

/// The content security policy for every page: nothing from other hosts
/// (but the operator's extra image sources, for ads), no inline scripts.
fn csp(img_extra: &str) -> String {
    let extra: String = img_extra.split_whitespace().filter(|s| bad_csp_source(s).is_none()).map(|s| format!(" {s}")).collect();
    format!(
        "default-src 'self'; img-src 'self' data:{extra}; style-src 'self'; script-src 'self'; \
         object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// The first of space-separated CSP sources that is not a plain host
/// source (`https://ads.example.com`, `*.example.com`), if any: nothing
/// that could end the directive or add a keyword.
pub fn bad_csp_source(sources: &str) -> Option<String> {
    sources
        .split_whitespace()
        .find(|s| !s.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:/*_".contains(&b)) || *s == "*" || s.contains("//*"))
        .map(str::to_string)
}

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
        .route("/search", get(search::search))
        .route("/archive", get(archive::years))
        .route("/archive/{year}", get(archive::year))
        .route("/archive/{year}/{month}", get(archive::month))
        .route("/archive/{year}/{month}/{day}", get(archive::day))
        .route("/admin/login", get(admin::login_form).post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .route("/admin/media", get(admin::media_form).post(admin::media_upload))
        .route("/admin/ads", get(ads::desk).post(ads::save))
        .route("/account/feed", post(feeds::new_private_feed))
        .route("/robots.txt", get(seo::robots))
        .route("/sitemap.xml", get(seo::sitemap_index))
        .route("/sitemaps/{file}", get(seo::sitemap))
        .route("/feed.xml", get(feeds::site_rss))
        .route("/atom.xml", get(feeds::site_atom))
        .route("/feed.json", get(feeds::site_json))
        .route("/topic/{slug}/{file}", get(feeds::topic_feed))
        .route("/region/{slug}/{file}", get(feeds::region_feed))
        .route("/section/{slug}/{file}", get(feeds::section_feed))
        .route("/author/{slug}/{file}", get(feeds::author_feed))
        .route("/feeds/private/{token}/{file}", get(feeds::private_feed))
        .merge(crate::magazine::routes())
        .merge(crate::newsletters::routes())
        .merge(desk_routes())
        .fallback(site::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), pages_layer));

    let upload_limit = state.config.media_max_bytes + 64 * 1024;
    let policy = HeaderValue::from_str(&csp(&state.config.csp_extra)).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/media/{key}/{name}", get(media::media))
        .route("/static/{*name}", get(media::asset))
        .route("/hooks/stripe", post(billing::stripe_webhook))
        .route("/site-colors.css", get(crate::desk::business::colors_css))
        .nest("/api", crate::api::router(state.clone()))
        .merge(pages)
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(middleware::from_fn_with_state(policy, finish))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The desk (/admin): articles, the editor, staff, the records, the
/// business side and the numbers. Each handler authorizes itself.
fn desk_routes() -> Router<AppState> {
    use crate::desk::{articles, audit, business, editor, integrations, members, numbers, people, taxonomy};
    Router::new()
        .route("/admin", get(articles::list))
        .route("/admin/login/code", post(people::login_code))
        .route("/admin/articles", post(editor::create))
        .route("/admin/articles/new", get(editor::new_form))
        .route("/admin/articles/preview", post(editor::preview_fragment))
        .route("/admin/articles/{id}", get(editor::edit_form).post(editor::update))
        .route("/admin/articles/{id}/autosave", post(editor::autosave))
        .route("/admin/articles/{id}/delete", post(editor::delete))
        .route("/admin/articles/{id}/preview", get(editor::reader_preview))
        .route("/admin/articles/{id}/revisions", get(editor::revisions))
        .route("/admin/articles/{id}/revisions/compare", get(editor::compare))
        .route("/admin/articles/{id}/revisions/{rid}/restore", post(editor::restore))
        .route("/admin/staff", get(people::list))
        .route("/admin/staff/invite", post(people::invite))
        .route("/admin/staff/{id}", post(people::change))
        .route("/admin/invite/{token}", get(people::invitation).post(people::accept))
        .route("/admin/security", get(people::security))
        .route("/admin/security/totp", post(people::set_totp))
        .route("/admin/audit", get(audit::log))
        .route("/admin/authors", get(taxonomy::authors).post(taxonomy::save_author_form))
        .route("/admin/authors/{slug}/delete", post(taxonomy::delete_author_form))
        .route("/admin/tags/{kind}", get(taxonomy::tags).post(taxonomy::save_tag_form))
        .route("/admin/tags/{kind}/{slug}/delete", post(taxonomy::delete_tag_form))
        .route("/admin/plans", get(business::plans).post(business::save_plan))
        .route("/admin/paywall", post(business::save_paywall))
        .route("/admin/offer", post(business::save_offer))
        .route("/admin/settings", get(business::settings).post(business::save_settings))
        .route("/admin/members", get(members::list))
        .route("/admin/members.csv", get(members::export))
        .route("/admin/members/{id}", get(members::profile))
        .route("/admin/members/{id}/complimentary", post(members::grant))
        .route("/admin/members/{id}/complimentary/{cid}/end", post(members::end_grant))
        .route("/admin/members/{id}/erase", post(members::erase))
        .route("/admin/numbers", get(numbers::numbers))
        .route("/admin/integrations", get(integrations::page))
        .route("/admin/integrations/tokens", post(integrations::create_token))
        .route("/admin/integrations/tokens/{id}/revoke", post(integrations::revoke_token))
        .route("/admin/integrations/webhooks", post(integrations::create_webhook))
        .route("/admin/integrations/webhooks/{id}/delete", post(integrations::delete_webhook))
}

/// The pages' layer (one layer, not two, for speed): error responses
/// become the theme's error page (or JSON for a client that asks for it),
/// then the account links are filled in on pages that were not personalized
/// by their handler (cached lists, error pages). Signed-in readers are
/// recognized by their cookie's signature alone, without the database;
/// their pages are then private.
async fn pages_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let signed_in = crate::auth::cookie(req.headers(), crate::reader::SESSION_COOKIE)
        .and_then(|c| crate::auth::verify(&state.config.secret_key, "reader", &c))
        .is_some();
    let headers = signed_in.then(|| req.headers().clone());
    let res = next.run(req).await;
    let res = match res.extensions().get::<ErrorInfo>() {
        Some(info) if wants_json => info.json(),
        Some(info) => site::error_page(&state, info),
        None => res,
    };
    fill_chrome(&state, signed_in, headers, res).await
}

async fn fill_chrome(state: &AppState, signed_in: bool, headers: Option<axum::http::HeaderMap>, res: Response) -> Response {
    // A page its handler filled for this reader (the article page) is sent
    // as it is, without reading it through again.
    if res.extensions().get::<site::Filled>().is_some() {
        return res;
    }
    let is_html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    // Most pages arrive filled (the article page fills its own); one SIMD
    // search says so.
    if !crate::slots::any(&bytes) {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let has_account = memchr::memmem::find(&bytes, site::ACCOUNT_SLOT.as_bytes()).is_some();
    let has_ads = ads::has_marker(&bytes);
    if !has_account && !has_ads {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    // Ads: anonymous readers get them without a lookup; a signed-in
    // reader's benefits are looked up only when there is an ad to withhold.
    let slots = state.ads();
    let ad_free = match &headers {
        Some(h) if has_ads && !slots.is_empty() => ads::ad_free(state, h).await,
        _ => false,
    };
    let links = if signed_in {
        "<a href=\"/account\">Account</a>".to_string()
    } else {
        site::account_links(None)
    };
    let mut fills = slots.fills(ad_free);
    fills.push((site::ACCOUNT_SLOT, &links));
    fills.push((site::BANNER_SLOT, ""));
    let body = crate::slots::fill(&bytes, &fills);
    if signed_in {
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    parts.headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The last layer every response passes: security headers, `noindex` on
/// private paths, and the request metrics (one layer, not three, for speed).
async fn finish(State(policy): State<HeaderValue>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let private = seo::is_private(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // A handler may set a stricter policy of its own (the desk's email preview).
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if html && !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", policy);
    }
    if private {
        h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    }
    let route = route.as_ref().map(|m| m.as_str()).unwrap_or("unmatched");
    record_request(route, &method, res.status().as_u16(), start.elapsed());
    res
}

/// Counts a request and its duration. The metric handles for each route,
/// method and status are made once per thread and kept: building them
/// (labels, hashing, the registry's lookup) on every request cost more than
/// the rest of a cached page's work.
fn record_request(route: &str, method: &axum::http::Method, status: u16, elapsed: Duration) {
    // Only the methods the site answers get their own label: a client
    // inventing methods must not grow the metrics without bound.
    use axum::http::Method;
    let method: &'static str = match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    };
    type Handles = HashMap<String, (metrics::Histogram, HashMap<(&'static str, u16), metrics::Counter>)>;
    thread_local! {
        static HANDLES: RefCell<Handles> = RefCell::new(HashMap::new());
    }
    HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        if !h.contains_key(route) {
            let hist = metrics::histogram!("masthead_http_request_seconds", "route" => route.to_string());
            h.insert(route.to_string(), (hist, HashMap::new()));
        }
        let Some((hist, counters)) = h.get_mut(route) else { return };
        hist.record(elapsed.as_secs_f64());
        counters
            .entry((method, status))
            .or_insert_with(|| {
                metrics::counter!("masthead_http_requests_total", "method" => method, "route" => route.to_string(), "status" => status.to_string())
            })
            .increment(1);
    });
}
