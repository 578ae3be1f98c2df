//! Pictures on S3-compatible storage, on every database backend, against a real S3 server
//! on loopback (moto, which checks every request's signature; skipped with a note where it
//! is not installed, required on CI): an upload through the desk lands in the bucket, the
//! renditions job writes its widths there, /media serves the bucket's bytes with the same
//! headers as from a directory, and a wrong secret key fails clearly and stores nothing.
//! The directory backend is covered by site.rs and the other tests, which all use it.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use chrono::Utc;
use common::*;
use http_body_util::BodyExt;
use masthead_db::testing;
use masthead_media::testing::Moto;
use masthead_media::StoreConfig;
use masthead_web::AppError;
use tower::ServiceExt;

const FOREVER: &str = "public, max-age=31536000, immutable";

/// GET through the real router, keeping the body as bytes.
async fn fetch(app: &App, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40000))));
    let res = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// A signed-in editor's session cookie and CSRF token.
async fn editor(app: &App) -> (String, String) {
    let hash = masthead_web::auth::masthead_password::hash("a-long-enough-password").unwrap();
    app.state.db.create_staff("ed@news.test", "Ed", masthead_core::staff::Role::Editor, &hash, Utc::now()).await.unwrap();
    let ok = staff_login(app, "ed@news.test", "a-long-enough-password").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let session = ok.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let desk = send(&app.router, Request::get("/admin").header(header::COOKIE, &session).body(Body::empty()).unwrap()).await;
    (session, desk.field("csrf"))
}

async fn upload(app: &App, session: &str, csrf: &str, name: &str, bytes: &[u8]) -> Reply {
    let (ct, body) = multipart(csrf, name, bytes);
    send(&app.router, Request::post("/admin/media").header(header::COOKIE, session).header(header::CONTENT_TYPE, ct).body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn uploads_land_in_the_bucket_and_are_served_from_it() {
    let Some(moto) = Moto::start().await else { return };
    for t in testing::all().await {
        let b = t.backend;
        // One bucket for both database backends, a folder each.
        let prefix = format!("news-{b}");
        let objects = || async { moto.objects().await.into_iter().filter(|o| o.starts_with(&format!("{prefix}/"))).collect::<Vec<_>>() };
        let app = app_with_media(t.db.clone(), StoreConfig::S3(moto.config(&prefix))).await;
        let (session, csrf) = editor(&app).await;

        // The desk's upload form, as an editor uses it.
        let good = upload(&app, &session, &csrf, "river.png", &png(2000, 1000)).await;
        assert_eq!(good.status, StatusCode::OK, "{b}: {}", good.body);
        let key = good.body.split("src: media:").nth(1).unwrap().split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap().to_string();
        assert_eq!(objects().await, vec![format!("{prefix}/{key}/original.png")], "{b}: the original is in the bucket, under the prefix");
        assert!(!app.state.config.data_dir.join("media").exists(), "{b}: nothing is written to the data directory");
        let (stored, stored_type) = moto.object(&format!("{prefix}/{key}/original.png")).await.unwrap();
        assert_eq!(stored_type, "image/png");

        // Served from the bucket, byte for byte, with the same headers as from a directory.
        let (status, headers, bytes) = fetch(&app, &format!("/media/{key}/original.png")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(headers[header::CONTENT_TYPE], "image/png");
        assert_eq!(headers[header::CACHE_CONTROL], FOREVER);
        assert_eq!(bytes, stored, "{b}");

        // Before the worker runs, a rendition URL falls back to the original, briefly cached.
        let (status, headers, bytes) = fetch(&app, &format!("/media/{key}/960.jpg")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(headers[header::CONTENT_TYPE], "image/png");
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
        assert_eq!(bytes, stored);

        // The renditions job writes every width into the bucket.
        assert!(masthead_web::worker::drain(&app.state).await >= 1);
        assert!(t.db.media(&key).await.unwrap().unwrap().renditions_ready, "{b}");
        let mut expected: Vec<String> = ["1600.jpg", "480.jpg", "960.jpg", "original.png"].iter().map(|n| format!("{prefix}/{key}/{n}")).collect();
        expected.sort();
        assert_eq!(objects().await, expected, "{b}");
        for (width, size) in [(480, (480, 240)), (960, (960, 480)), (1600, (1600, 800))] {
            let (status, headers, bytes) = fetch(&app, &format!("/media/{key}/{width}.jpg")).await;
            assert_eq!(status, StatusCode::OK, "{b}");
            assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
            assert_eq!(headers[header::CACHE_CONTROL], FOREVER);
            let (in_bucket, bucket_type) = moto.object(&format!("{prefix}/{key}/{width}.jpg")).await.unwrap();
            assert_eq!(bytes, in_bucket, "{b}: {width}.jpg is the bucket's object");
            assert_eq!(bucket_type, "image/jpeg");
            let decoded = image::load_from_memory(&bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), size);
        }

        // The same picture again is the same key, and nothing new is written.
        let again = upload(&app, &session, &csrf, "river-again.png", &png(2000, 1000)).await;
        assert!(again.body.contains(&format!("src: media:{key}")), "{b}");
        assert_eq!(objects().await.len(), 4, "{b}");

        // Paths that are not a stored picture's name are 404, and never reach another object.
        for path in [
            format!("/media/{key}/..%2F..%2Fsecret.key"),
            format!("/media/{key}/123.jpg"),
            format!("/media/{}/480.jpg", key.to_uppercase()),
            "/media/0123456789abcdef01234567/480.jpg".to_string(),
            format!("/media/{prefix}/original.png"),
        ] {
            assert_eq!(fetch(&app, &path).await.0, StatusCode::NOT_FOUND, "{b}: {path}");
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_wrong_secret_key_fails_uploads_clearly_and_stores_nothing() {
    let Some(moto) = Moto::start().await else { return };
    for t in testing::all().await {
        let b = t.backend;
        let mut config = moto.config("");
        config.secret_access_key = "a-wrong-secret-access-key".into();
        let app = app_with_media(t.db.clone(), StoreConfig::S3(config)).await;

        let jobs_before = t.db.job_counts().await.unwrap();
        // What the operator reads in the log: what was refused and what to check.
        let err = masthead_web::newsroom::ingest_image(&app.state, png(300, 200), "river.png").await.unwrap_err();
        let AppError::Internal(message) = &err else { panic!("{b}: {err:?}") };
        assert!(message.0.contains("refused our credentials") && message.0.contains("s3_secret_access_key"), "{b}: {}", message.0);
        assert!(!message.0.contains("a-wrong-secret-access-key"), "{b}: the secret is never shown");

        // The desk answers with its plain error page; nothing is in the bucket or the database.
        let (session, csrf) = editor(&app).await;
        let refused = upload(&app, &session, &csrf, "river.png", &png(300, 200)).await;
        assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR, "{b}");
        assert_eq!(moto.objects().await, Vec::<String>::new(), "{b}");
        assert!(t.db.media_dimensions().await.unwrap().is_empty(), "{b}: no media record");
        assert_eq!(t.db.job_counts().await.unwrap(), jobs_before, "{b}: no renditions job");

        // A store that refuses reads is an error, not a missing picture (which a cache could keep).
        let (status, _, _) = fetch(&app, "/media/0123456789abcdef01234567/480.jpg").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{b}");
        t.cleanup().await;
    }
}
