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

/// What the OpenAPI document says a request may hold is what the server
/// takes: every limit, enumeration and pattern read from the document is
/// tried at its edge through the Admin and Content APIs (schemathesis
/// builds its requests from these, and reported the operations whose
/// documented inputs the server mostly refused).
#[tokio::test]
async fn the_documented_limits_are_the_servers() {
    let t = testing::sqlite().await;
    let app = app(t.db.clone(), None).await;
    let key = seed(&app).await;
    let owner = app.state.db.create_staff("owner@news.test", "Owner", masthead_core::staff::Role::Owner, "not-a-hash", Utc::now()).await.unwrap();
    let (hash, prefix, token) = masthead_web::api::new_token(TokenKind::Admin);
    app.state.db.create_api_token(TokenKind::Admin, "test", &hash, &prefix, Some(owner.id), &[masthead_core::staff::Scope::Admin], Utc::now()).await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&masthead_web::api::openapi::json()).unwrap();
    let param = |path: &str, method: &str, name: &str| -> serde_json::Value {
        let params = doc["paths"][path][method]["parameters"].as_array().unwrap_or_else(|| panic!("{method} {path} has parameters"));
        params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name} of {method} {path}"))["schema"].clone()
    };
    let component = |name: &str| doc["components"]["schemas"][name].clone();
    let enumeration = |schema: &serde_json::Value| -> Vec<String> {
        let schema = match schema["$ref"].as_str() {
            Some(r) => component(r.trim_start_matches("#/components/schemas/")),
            None => schema.clone(),
        };
        let one = |s: &serde_json::Value| s["enum"].as_array().map(|e| e.iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>());
        one(&schema)
            .or_else(|| schema["oneOf"].as_array().and_then(|alts| alts.iter().find_map(|a| a["$ref"].as_str().map(|r| component(r.trim_start_matches("#/components/schemas/"))).as_ref().and_then(one))))
            .unwrap_or_else(|| panic!("an enumeration: {schema}"))
    };
    let call = |method: &'static str, path: String, body: Option<serde_json::Value>, auth: String| {
        let router = app.router.clone();
        async move {
            let mut b = Request::builder().method(method).uri(&path).header(header::AUTHORIZATION, format!("Bearer {auth}")).header(header::ACCEPT, "application/json");
            let body = match body {
                Some(v) => {
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(v.to_string())
                }
                None => Body::empty(),
            };
            send(&router, b.body(body).unwrap()).await
        }
    };

    // Paging: the largest documented offset is taken, one more is refused.
    for (path, list, auth) in [
        ("/api/admin/articles", "/api/admin/articles", &token),
        ("/api/admin/members", "/api/admin/members", &token),
        ("/api/content/articles", "/api/content/articles", &key),
    ] {
        let max = param(path, "get", "offset")["maximum"].as_i64().unwrap_or_else(|| panic!("{path}: offset has a maximum"));
        assert_eq!(call("GET", format!("{list}?offset={max}"), None, auth.clone()).await.status, 200, "{path}");
        let r = call("GET", format!("{list}?offset={}", max + 1), None, auth.clone()).await;
        assert_eq!((r.status, json(&r)["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{path}");
    }

    // The article list's filters: every documented value works, others are 400.
    for name in ["status", "access", "sort"] {
        let values = enumeration(&param("/api/admin/articles", "get", name));
        assert!(values.len() >= 3, "{name}: {values:?}");
        for v in &values {
            let r = call("GET", format!("/api/admin/articles?{name}={v}"), None, token.clone()).await;
            assert_eq!(r.status, 200, "{name}={v}: {}", r.body);
        }
        assert_eq!(call("GET", format!("/api/admin/articles?{name}=bogus"), None, token.clone()).await.status, 400, "{name}");
    }

    // Kinds of tag: exactly the documented ones, in both APIs.
    let kinds = enumeration(&param("/api/admin/{kind}/{slug}", "put", "kind"));
    assert_eq!(kinds, ["topics", "regions", "sections"]);
    assert_eq!(enumeration(&param("/api/content/{kind}", "get", "kind")), kinds);
    for k in &kinds {
        assert_eq!(call("GET", format!("/api/admin/{k}"), None, token.clone()).await.status, 200, "{k}");
        assert_eq!(call("GET", format!("/api/content/{k}"), None, key.clone()).await.status, 200, "{k}");
    }
    assert_eq!(call("GET", "/api/content/genres".into(), None, key.clone()).await.status, 404);
    assert_eq!(call("PUT", "/api/admin/genres/jazz".into(), Some(serde_json::json!({"name": "Jazz"})), token.clone()).await.status, 404);

    // Slugs in paths: the documented length and shape.
    let slug = param("/api/admin/{kind}/{slug}", "put", "slug");
    assert_eq!(slug, param("/api/admin/authors/{slug}", "put", "slug"));
    let longest = slug["maxLength"].as_u64().unwrap() as usize;
    assert_eq!(slug["pattern"], "^[a-z0-9]+(-[a-z0-9]+)*$");
    let tag_name = component("TagInput")["properties"]["name"].clone();
    let name_max = tag_name["maxLength"].as_u64().unwrap() as usize;
    assert_eq!((tag_name["minLength"].as_u64(), tag_name["pattern"].as_str()), (Some(1), Some("\\S")));
    let ok = format!("{}-b", "a".repeat(longest - 2));
    let r = call("PUT", format!("/api/admin/topics/{ok}"), Some(serde_json::json!({"name": "N".repeat(name_max)})), token.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for bad in ["a".repeat(longest + 1), "a--b".into(), "-a".into(), "a-".into(), "Ab".into()] {
        let r = call("PUT", format!("/api/admin/topics/{bad}"), Some(serde_json::json!({"name": "N"})), token.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    for name in ["N".repeat(name_max + 1), "   ".into()] {
        let r = call("PUT", "/api/admin/authors/someone".into(), Some(serde_json::json!({"name": name})), token.clone()).await;
        assert_eq!((r.status, json(&r)["error"]["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("name")), "{name:?}");
    }

    // An article's headline and slug.
    let input = component("ArticleInput")["properties"].clone();
    let headline_max = input["headline"]["maxLength"].as_u64().unwrap() as usize;
    let slug_max = input["slug"]["maxLength"].as_u64().unwrap() as usize;
    let r = call("POST", "/api/admin/articles".into(), Some(serde_json::json!({"headline": "H".repeat(headline_max), "slug": "s".repeat(slug_max)})), token.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = call("POST", "/api/admin/articles".into(), Some(serde_json::json!({"headline": "H", "slug": ""})), token.clone()).await;
    assert_eq!(r.status, 201, "an empty slug is made from the headline: {}", r.body);
    for (body, field) in [
        (serde_json::json!({"headline": "H".repeat(headline_max + 1)}), "headline"),
        (serde_json::json!({"headline": " \t "}), "headline"),
        (serde_json::json!({"headline": "H", "slug": "s".repeat(slug_max + 1)}), "slug"),
        (serde_json::json!({"headline": "H", "slug": "Not a slug"}), "slug"),
    ] {
        let r = call("POST", "/api/admin/articles".into(), Some(body.clone()), token.clone()).await;
        assert_eq!((r.status, json(&r)["error"]["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{body}: {}", r.body);
    }
    t.cleanup().await;
}
