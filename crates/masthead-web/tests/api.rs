//! The JSON API as clients see it: the OpenAPI document (a snapshot, so a
//! change to the contract is a deliberate one), Content API responses with
//! volatile fields redacted, keys by header or query, paging and filters,
//! and errors that are always JSON with a stable code.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{Duration, Utc};
use common::*;
use masthead_core::{AccessLevel, ArticleDraft, TagKind};
use masthead_db::testing;
use masthead_db::tokens::TokenKind;
use masthead_web::newsroom::{self, Publish};

async fn get_with(app: &App, path: &str, auth: Option<&str>) -> Reply {
    let mut b = Request::get(path).header(header::ACCEPT, "application/json");
    if let Some(t) = auth {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(&app.router, b.body(Body::empty()).unwrap()).await
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

#[test]
fn the_openapi_document() {
    let doc = masthead_web::api::openapi::json();
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    insta::assert_snapshot!("openapi", doc);
}

async fn seed(app: &App) -> String {
    let s = &app.state;
    s.db.upsert_tag(TagKind::Section, "world", "World", "").await.unwrap();
    s.db.upsert_tag(TagKind::Topic, "trade", "Trade", "Trade and tariffs").await.unwrap();
    s.db.upsert_author("li-wei", "Li Wei", "Translator", "Translates from Chinese.").await.unwrap();
    s.reload().await.unwrap();
    let now = Utc::now();
    for (i, (slug, access, topic)) in [("free-one", AccessLevel::Free, true), ("metered-one", AccessLevel::Metered, true), ("members-one", AccessLevel::SubscribersOnly, false)].into_iter().enumerate() {
        let d = ArticleDraft {
            headline: format!("The {slug} story"),
            slug: Some(slug.into()),
            standfirst: "A standfirst.".into(),
            dateline: "Heihe".into(),
            body_markdown: (0..6).map(|k| format!("Block {k} of {slug}.")).collect::<Vec<_>>().join("\n\n"),
            access,
            section: Some("world".into()),
            authors: vec!["li-wei".into()],
            topics: if topic { vec!["trade".into()] } else { vec![] },
            ..Default::default()
        };
        newsroom::create_article(s, &d, Publish::At(now - Duration::hours(10 - i as i64)), now).await.unwrap();
    }
    let draft = ArticleDraft { headline: "Not yet".into(), slug: Some("not-yet".into()), body_markdown: "Secret draft.".into(), ..Default::default() };
    newsroom::create_article(s, &draft, Publish::Draft, now).await.unwrap();
    let (hash, prefix, secret) = masthead_web::api::new_token(TokenKind::Content);
    s.db.create_api_token(TokenKind::Content, "app", &hash, &prefix, None, &[], now).await.unwrap();
    secret
}

#[tokio::test]
async fn the_content_api() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let key = seed(&app).await;
        // A list: published only, newest first, no bodies.
        let r = get_with(&app, "/api/content/articles?limit=2", Some(&key)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), "application/json");
        let v = json(&r);
        assert_eq!(v["total"], 3, "{}: the draft is not listed", t.backend);
        let slugs: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["members-one", "metered-one"]);
        assert!(!r.body.contains("Block 0"), "lists carry no body text");
        if t.backend == "sqlite" {
            insta::assert_json_snapshot!("content_list", v, { ".items[].published_at" => "[published_at]", ".items[].id" => "[id]" });
        }
        let page2 = json(&get_with(&app, "/api/content/articles?limit=2&offset=2", Some(&key)).await);
        assert_eq!(page2["items"][0]["slug"], "free-one");
        let by_topic = json(&get_with(&app, "/api/content/articles?topic=trade", Some(&key)).await);
        assert_eq!(by_topic["total"], 2);
        // The key may come in the query too.
        assert_eq!(get_with(&app, &format!("/api/content/articles?key={key}"), None).await.status, 200);
        // One article: cut exactly as the web cuts it for a reader over quota.
        let r = get_with(&app, "/api/content/articles/metered-one", Some(&key)).await;
        assert_eq!(r.status, 200);
        let v = json(&r);
        assert_eq!(v["body"].as_array().unwrap().len(), 3);
        assert_eq!(v["body_access"]["reason"], "limit_reached");
        assert!(!r.body.contains("Block 3 of metered-one"));
        if t.backend == "sqlite" {
            insta::assert_json_snapshot!("content_article_cut", v, { ".published_at" => "[published_at]", ".updated_at" => "[updated_at]", ".id" => "[id]" });
        }
        let free = json(&get_with(&app, "/api/content/articles/free-one", Some(&key)).await);
        assert_eq!((free["body"].as_array().unwrap().len(), free["body_access"]["full"].as_bool()), (6, Some(true)));
        // Drafts, unknown slugs, the records.
        assert_eq!(get_with(&app, "/api/content/articles/not-yet", Some(&key)).await.status, 404);
        let topics = json(&get_with(&app, "/api/content/topics", Some(&key)).await);
        assert_eq!(topics[0]["slug"], "trade");
        let authors = json(&get_with(&app, "/api/content/authors", Some(&key)).await);
        assert_eq!(authors[0]["name"], "Li Wei");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn api_errors_are_json_with_stable_codes() {
    let t = testing::sqlite().await;
    let app = app(t.db.clone(), None).await;
    let key = seed(&app).await;
    let r = get_with(&app, "/api/content/articles/nowhere", Some(&key)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!("error_not_found", json(&r));
    let r = get_with(&app, "/api/content/articles", None).await;
    assert_eq!((r.status, json(&r)["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let r = get_with(&app, "/api/content/articles?limit=1000", Some(&key)).await;
    assert_eq!((r.status, json(&r)["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let r = get_with(&app, "/api/content/articles?limit=abc", Some(&key)).await;
    assert_eq!((r.status, json(&r)["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let r = get_with(&app, "/api/no/such/thing", Some(&key)).await;
    assert_eq!((r.status, json(&r)["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let r = send(&app.router, Request::delete("/api/content/articles").header(header::AUTHORIZATION, format!("Bearer {key}")).body(Body::empty()).unwrap()).await;
    assert_eq!((r.status, json(&r)["error"]["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")));
    let r = send(&app.router, Request::post("/api/admin/articles").header(header::AUTHORIZATION, "Bearer x").header(header::CONTENT_TYPE, "application/json").body(Body::from("{not json")).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "authentication comes first");
    let doc = get(&app.router, "/api/openapi.json").await;
    assert_eq!((doc.status, doc.header("content-type").as_str()), (StatusCode::OK, "application/json"));
    t.cleanup().await;
}
