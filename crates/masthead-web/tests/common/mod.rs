//! What the web tests share: an app on a test database, and requests sent
//! through the real router as a given client address.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use masthead_db::Db;
use masthead_web::{AppState, WebConfig};
use tower::ServiceExt;

pub const SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";

pub struct App {
    pub state: AppState,
    pub router: Router,
    pub _dir: tempfile::TempDir,
}

pub fn config(dir: &std::path::Path, theme_dir: Option<std::path::PathBuf>) -> WebConfig {
    WebConfig {
        base_url: "http://news.test".into(),
        data_dir: dir.to_path_buf(),
        media: masthead_media::StoreConfig::Dir(dir.join("media")),
        theme_dir,
        secret_key: SECRET.into(),
        media_max_bytes: 2 * 1024 * 1024,
        page_cache_ttl: Duration::from_secs(30),
        secure_cookies: false,
        crawler_ranges: masthead_web::reader::Networks::parse_ranges("66.249.64.0/19\n").unwrap(),
        crawler_dns: Vec::new(),
        trusted_proxies: Vec::new(),
        mail_url: "memory".into(),
        mail_from: "The Desk <desk@news.test>".into(),
        dkim: None,
        billing: Default::default(),
        csp_extra: String::new(),
        newsletters: Default::default(),
    }
}

/// An app whose pictures are stored as `media` says (S3, say) instead of in its directory.
pub async fn app_with_media(db: Db, media: masthead_media::StoreConfig) -> App {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    cfg.media = media;
    let state = AppState::new(db, cfg, None).await.unwrap();
    App { router: masthead_web::router(state.clone()), state, _dir: dir }
}

/// An app with its configuration changed by `change`.
pub async fn app_with(db: Db, change: impl FnOnce(&mut WebConfig)) -> App {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    change(&mut cfg);
    let state = AppState::new(db, cfg, None).await.unwrap();
    App { router: masthead_web::router(state.clone()), state, _dir: dir }
}

pub async fn app(db: Db, theme_dir: Option<std::path::PathBuf>) -> App {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(db, config(dir.path(), theme_dir), None).await.unwrap();
    App { router: masthead_web::router(state.clone()), state, _dir: dir }
}

/// An app whose router also listens on a real loopback port (for webhooks
/// from a test payment server). Returns the app and its base URL.
pub async fn app_on_port(db: Db, billing: masthead_web::billing::BillingConfig) -> (App, String) {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut cfg = config(dir.path(), None);
    cfg.billing = billing;
    cfg.base_url = base.clone();
    let state = AppState::new(db, cfg, None).await.unwrap();
    let router = masthead_web::router(state.clone());
    let served = router.clone().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, served).await;
    });
    (App { router, state, _dir: dir }, base)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The value of a cookie this reply sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }

    /// The value of a hidden form field.
    pub fn field(&self, name: &str) -> String {
        self.body.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap_or_else(|| panic!("no field {name}")).split('"').next().unwrap().to_string()
    }
}

pub async fn send_from(router: &Router, ip: [u8; 4], mut req: Request<Body>) -> Reply {
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub async fn send(router: &Router, req: Request<Body>) -> Reply {
    send_from(router, [127, 0, 0, 1], req).await
}

pub async fn get(router: &Router, path: &str) -> Reply {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// GET with cookies ("a=1; b=2"), from an address, with a user agent.
pub async fn get_as(router: &Router, path: &str, cookies: &str, ip: [u8; 4], ua: &str) -> Reply {
    let mut b = Request::get(path).header(header::USER_AGENT, ua);
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies);
    }
    send_from(router, ip, b.body(Body::empty()).unwrap()).await
}

pub async fn post_form(router: &Router, path: &str, cookies: &str, body: &str) -> Reply {
    let mut b = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies);
    }
    send(router, b.body(Body::from(body.to_string())).unwrap()).await
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 255) as u8, (y % 255) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn enc(s: &str) -> String {
    masthead_web::account::urlencode(s).replace('/', "%2F").replace('@', "%40")
}

/// Signs a staff member in through the desk's login form.
pub async fn staff_login(app: &App, email: &str, password: &str) -> Reply {
    let form = get(&app.router, "/admin/login").await;
    let csrf_cookie = form.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let token = csrf_cookie.split('=').nth(1).unwrap().to_string();
    let body = format!("email={}&password={}&csrf={token}&next=%2Fadmin", email.replace('@', "%40"), password);
    send(
        &app.router,
        Request::post("/admin/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, csrf_cookie)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// A multipart upload form with a CSRF token and one file.
pub fn multipart(csrf: &str, filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "XmastheadBoundaryX";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes());
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
