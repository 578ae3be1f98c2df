//! The public site as a reader gets it, on every backend: the article page
//! shows every part of the content model, old links redirect, drafts and
//! unknown pages get the theme's 404, lists paginate, and a theme directory
//! overrides the default.

mod common;

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{NaiveDate, Utc};
use common::*;
use masthead_core::{AccessLevel, ArticleDraft, Figure, Provenance, TagKind};
use masthead_db::testing;
use masthead_web::newsroom::{self, Publish};
use masthead_web::AppState;

async fn seed(state: &AppState) -> String {
    let db = &state.db;
    db.upsert_tag(TagKind::Section, "world", "World", "").await.unwrap();
    db.upsert_tag(TagKind::Topic, "war-in-ukraine", "War in Ukraine", "Coverage of the war").await.unwrap();
    db.upsert_tag(TagKind::Region, "china", "China", "").await.unwrap();
    db.upsert_author("li-wei", "Li Wei", "Translator", "Li Wei translates from Chinese and Russian.").await.unwrap();
    db.upsert_author("anna-kowal", "Anna Kowal", "Correspondent", "").await.unwrap();
    state.reload().await.unwrap();
    let hero = newsroom::ingest_image(state, png(1200, 800), "bridge.png").await.unwrap();
    let inline = newsroom::ingest_image(state, png(800, 600), "market.png").await.unwrap();
    let body = format!(
        "The first trucks crossed the bridge at dawn.\n\n\
         ## Waiting for trade\n\n\
         Traders in the market say business is slow.\n\n\
         ```pullquote\nWe have waited ten years for this bridge.\n-- A trader in Heihe\n```\n\n\
         ```figure\nsrc: media:{inline}\nalt: Stalls in a covered market\ncaption: The central market on a weekday morning.\ncredit: Photo: Zhang Min via Northlight Press\ndate: 2026-02-03\nplace: Heihe\n```\n\n\
         > Business will come, said the mayor.\n\n\
         ```embed\nhttps://www.youtube.com/watch?v=abc123\nThe bridge opening, filmed by residents\n```\n\n\
         Final words here.<script>alert('x')</script>\n"
    );
    let draft = ArticleDraft {
        headline: "Across the Amur, a Border Town Waits for Trade".into(),
        standfirst: "In Heihe, the bridge to Russia is open. The trucks are not coming.".into(),
        dateline: "Heihe".into(),
        hero: Some(Figure {
            src: format!("media:{hero}"),
            alt: "A bridge over a frozen river at dusk".into(),
            caption: "The road bridge between Heihe and Blagoveshchensk.".into(),
            credit: "Photo: Ivan Petrov via Zuma Press".into(),
            date: None,
            place: String::new(),
        }),
        body_markdown: body,
        access: AccessLevel::Free,
        section: Some("world".into()),
        authors: vec!["li-wei".into(), "anna-kowal".into()],
        topics: vec!["war-in-ukraine".into()],
        regions: vec!["china".into()],
        provenance: Some(Provenance {
            publication: "Heilongjiang Evening Courier".into(),
            title: "Heihe deng dai".into(),
            url: "https://courier.example/heihe".into(),
            language: "zh".into(),
            published_on: NaiveDate::from_ymd_opt(2026, 2, 4),
            translator: "Li Wei".into(),
        }),
        ..Default::default()
    };
    let a = newsroom::create_article(state, &draft, Publish::At(Utc::now() - chrono::Duration::hours(1)), Utc::now()).await.unwrap();
    // An older article, so the first has a next-article teaser.
    let older = ArticleDraft {
        headline: "The Older Story".into(),
        body_markdown: (1..=9).map(|i| format!("Older paragraph number {i}.")).collect::<Vec<_>>().join("\n\n"),
        ..Default::default()
    };
    newsroom::create_article(state, &older, Publish::At(Utc::now() - chrono::Duration::hours(5)), Utc::now()).await.unwrap();
    a.slug
}

#[tokio::test]
async fn the_article_page_shows_every_part_of_the_article() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let slug = seed(&app.state).await;
        let r = get(&app.router, &format!("/article/{slug}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", t.backend);
        let b = &r.body;
        for part in [
            "<h1 class=\"headline\">Across the Amur, a Border Town Waits for Trade</h1>",
            "class=\"standfirst\">In Heihe, the bridge to Russia is open.",
            // hero with alt, caption and credit
            "alt=\"A bridge over a frozen river at dusk\"",
            "The road bridge between Heihe and Blagoveshchensk.",
            "Photo: Ivan Petrov via Zuma Press",
            // byline with author pages
            "<a href=\"/author/li-wei\" rel=\"author\">Li Wei</a> and <a href=\"/author/anna-kowal\" rel=\"author\">Anna Kowal</a>",
            // dateline in capitals
            "<span class=\"dateline\">HEIHE —</span>",
            // subhead, pull quote, inline figure with its own date and place
            "<h2",
            "Waiting for trade",
            "class=\"pullquote\"",
            "We have waited ten years for this bridge.",
            "A trader in Heihe",
            "alt=\"Stalls in a covered market\"",
            "Photo: Zhang Min via Northlight Press",
            "HEIHE",
            "<blockquote>",
            "class=\"embed embed-video",
            // provenance line for a translation
            "Translated from Chinese by Li Wei",
            "Heilongjiang Evening Courier",
            // topic and region links
            "href=\"/topic/war-in-ukraine\"",
            "href=\"/region/china\"",
            "href=\"/section/world\"",
            // the next article, folded, with keep reading / show less
            "Next article",
            "The Older Story",
            "<details class=\"keep-reading\">",
            "Keep reading",
            "Show less",
            "min read",
        ] {
            assert!(b.contains(part), "{}: article page lacks {part:?}", t.backend);
        }
        // The only script element is the structured data, which never runs.
        let lower = b.to_lowercase();
        assert_eq!(lower.matches("<script").count(), lower.matches("<script type=\"application/ld+json\">").count(), "{}: a script survived", t.backend);
        assert!(!b.contains("alert("), "{}: the injected script's text is gone", t.backend);
        assert!(b.contains("Final words here."), "the rest of the paragraph is kept");
        // Nothing from another host: every src and stylesheet is on this site.
        assert!(!b.contains("src=\"http"), "{}: no third-party images or scripts", t.backend);
        assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=0, s-maxage=60", "a free article is the same for every anonymous reader");
        assert!(r.headers.get("content-security-policy").unwrap().to_str().unwrap().contains("default-src 'self'"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn old_slugs_redirect_and_unknown_or_draft_pages_are_404() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let slug = seed(&app.state).await;
        let a = app.state.db.article_by_slug(&slug).await.unwrap().unwrap();
        let mut draft = ArticleDraft {
            headline: a.headline.clone(),
            slug: Some("heihe-waits".into()),
            body_markdown: a.body_markdown.clone(),
            section: Some("world".into()),
            ..Default::default()
        };
        newsroom::update_article(&app.state, a.id, None, &draft, Publish::Now, Utc::now()).await.unwrap();
        let r = get(&app.router, &format!("/article/{slug}")).await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{}", t.backend);
        assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/article/heihe-waits");
        assert_eq!(get(&app.router, "/article/heihe-waits").await.status, StatusCode::OK);

        let missing = get(&app.router, "/article/no-such-story").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.body.contains("Page not found") && missing.body.contains("class=\"masthead\""), "the theme's 404");
        assert_eq!(get(&app.router, "/topic/nothing").await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(&app.router, "/no/such/path").await.status, StatusCode::NOT_FOUND);

        draft.headline = "A Draft Nobody May See".into();
        draft.slug = Some("secret-draft".into());
        newsroom::create_article(&app.state, &draft, Publish::Draft, Utc::now()).await.unwrap();
        let d = get(&app.router, "/article/secret-draft").await;
        assert_eq!(d.status, StatusCode::NOT_FOUND);
        assert!(!get(&app.router, "/").await.body.contains("A Draft Nobody May See"));
        let bad = get(&app.router, "/latest?page=abc").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("is not a page number"));

        // Two articles under one long headline: the second one's numbered
        // slug is kept within the limit, and both pages open.
        let long = "The Longest Headline Anyone on the Desk Has Ever Written About the River and the Bridge".to_string();
        let mut slugs = Vec::new();
        for _ in 0..2 {
            let d = ArticleDraft { headline: long.clone(), body_markdown: "Text.".into(), ..Default::default() };
            let a = newsroom::create_article(&app.state, &d, Publish::Now, Utc::now()).await.unwrap();
            assert!(masthead_core::slug::validate_slug(&a.slug).is_ok(), "{}: {:?}", t.backend, a.slug);
            assert_eq!(get(&app.router, &format!("/article/{}", a.slug)).await.status, StatusCode::OK);
            slugs.push(a.slug);
        }
        assert_ne!(slugs[0], slugs[1]);
        assert!(slugs[1].ends_with("-2") && slugs[1].len() <= 80, "{:?}", slugs[1]);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn home_and_lists_paginate() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        seed(&app.state).await;
        for i in 0..45 {
            let d = ArticleDraft {
                headline: format!("Dispatch number {i}"),
                topics: vec!["war-in-ukraine".into()],
                authors: vec!["anna-kowal".into()],
                body_markdown: "Text.".into(),
                ..Default::default()
            };
            newsroom::create_article(&app.state, &d, Publish::At(Utc::now() - chrono::Duration::minutes(i)), Utc::now())
                .await
                .unwrap();
        }
        let home = get(&app.router, "/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Dispatch number 0"), "{}: newest on the front", t.backend);
        assert!(home.body.contains("href=\"/latest\""));
        let topic = get(&app.router, "/topic/war-in-ukraine").await;
        assert!(topic.body.contains("<h1>War in Ukraine</h1>"));
        assert!(topic.body.contains("Page 1 of 3"), "{}", t.backend);
        assert!(topic.body.contains("href=\"/topic/war-in-ukraine?page=2\""));
        let p3 = get(&app.router, "/topic/war-in-ukraine?page=3").await;
        assert!(p3.body.contains("Page 3 of 3"));
        assert_eq!(get(&app.router, "/topic/war-in-ukraine?page=9").await.status, StatusCode::NOT_FOUND);
        let author = get(&app.router, "/author/anna-kowal").await;
        assert!(author.body.contains("<h1>Anna Kowal</h1>") && author.body.contains("Dispatch number 3"));
        let li = get(&app.router, "/author/li-wei").await;
        assert!(li.body.contains("Li Wei translates from Chinese and Russian."), "author bio on the author page");
        assert!(get(&app.router, "/region/china").await.body.contains("Across the Amur"));
        assert!(get(&app.router, "/section/world").await.body.contains("Across the Amur"));
        let latest = get(&app.router, "/latest?page=2").await;
        assert!(latest.body.contains("Page 2 of 3"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_theme_directory_overrides_templates_and_assets() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(
        dir.path().join("templates/error.html"),
        "{% extends \"base.html\" %}{% block content %}<p class=\"custom-404\">Lost at sea: {{ status }}</p>{% endblock %}",
    )
    .unwrap();
    std::fs::write(dir.path().join("static/site.css"), "body { color: rebeccapurple }").unwrap();
    let app = app(t.db.clone(), Some(dir.path().to_path_buf())).await;
    let r = get(&app.router, "/article/missing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<p class=\"custom-404\">Lost at sea: 404</p>"), "{}", r.body);
    let home = get(&app.router, "/").await.body;
    let css_url = home.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let css = get(&app.router, &css_url).await;
    assert_eq!(css.body, "body { color: rebeccapurple }");
    assert_eq!(css.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
    assert_eq!(app.state.theme.overridden, vec!["static/site.css".to_string(), "templates/error.html".to_string()]);

    // A broken template is refused at start-up, naming the file and line.
    let broken = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(broken.path().join("templates")).unwrap();
    std::fs::write(broken.path().join("templates/home.html"), "{% extends \"base.html\" %}\n{% block content %}\n{% for x in %}\n{% endblock %}").unwrap();
    let err = masthead_web::Theme::load(Some(broken.path())).err().expect("broken theme refused");
    let msg = err.to_string();
    assert!(msg.contains("home.html") && msg.contains("line 3"), "{msg}");
    assert!(masthead_web::Theme::load(Some(std::path::Path::new("/no/such/theme"))).is_err());
    t.cleanup().await;
}

#[tokio::test]
async fn staff_upload_images_which_are_validated_and_served_with_renditions() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let hash = masthead_web::auth::masthead_password::hash("a-long-enough-password").unwrap();
        t.db.create_staff("ed@news.test", "Ed", masthead_core::staff::Role::Editor, &hash, Utc::now()).await.unwrap();

        // The desk needs a session.
        let anon = get(&app.router, "/admin").await;
        assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
        let wrong = staff_login(&app, "ed@news.test", "wrong-password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("don&#39;t match"), "{}", wrong.body);
        let ok = staff_login(&app, "ed@news.test", "a-long-enough-password").await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}: {}", t.backend, ok.body);
        let session = ok.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let desk = send(&app.router, Request::get("/admin").header(header::COOKIE, &session).body(Body::empty()).unwrap()).await;
        assert_eq!(desk.status, StatusCode::OK);
        let csrf = desk.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();

        let upload = |name: &str, bytes: Vec<u8>, token: String| {
            let (ct, body) = multipart(&token, name, &bytes);
            Request::post("/admin/media").header(header::COOKIE, &session).header(header::CONTENT_TYPE, ct).body(Body::from(body)).unwrap()
        };
        // Not an image: refused with a clear message, nothing stored.
        let html = send(&app.router, upload("evil.jpg", b"<html><script>alert(1)</script></html>".to_vec(), csrf.clone())).await;
        assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", t.backend);
        assert!(html.body.contains("not an image"), "{}", html.body);
        // A forged form (wrong CSRF token) is forbidden.
        let forged = send(&app.router, upload("a.png", png(10, 10), "forged".into())).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // A real picture is taken in.
        let good = send(&app.router, upload("river.png", png(2000, 1000), csrf.clone())).await;
        assert_eq!(good.status, StatusCode::OK, "{}", good.body);
        let key = good.body.split("src: media:").nth(1).unwrap().split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap().to_string();
        let original = get(&app.router, &format!("/media/{key}/original.png")).await;
        assert_eq!(original.status, StatusCode::OK);
        assert_eq!(original.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
        // Before the worker runs, a rendition URL falls back to the original, briefly cached.
        let early = get(&app.router, &format!("/media/{key}/960.jpg")).await;
        assert_eq!(early.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=60");
        // The worker makes renditions off the request path.
        assert!(masthead_web::worker::drain(&app.state).await >= 1);
        let r = get(&app.router, &format!("/media/{key}/480.jpg")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), "image/jpeg");
        assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
        assert!(t.db.media(&key).await.unwrap().unwrap().renditions_ready);
        assert_eq!(get(&app.router, &format!("/media/{key}/..%2F..%2Fsecret.key")).await.status, StatusCode::NOT_FOUND);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn health_and_readiness() {
    let t = testing::sqlite().await;
    let app = app(t.db.clone(), None).await;
    assert_eq!(get(&app.router, "/healthz").await.body, "ok\n");
    assert_eq!(get(&app.router, "/readyz").await.body, "ready\n");
    t.db.close().await;
    assert_eq!(get(&app.router, "/readyz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let _ = HashMap::<(), ()>::new();
    t.cleanup().await;
}
