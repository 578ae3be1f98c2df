mod common;
use chrono::{Duration, Utc};
use common::*;
use masthead_core::{AccessLevel, ArticleDraft, Figure, Provenance, TagKind};
use masthead_db::testing;
use masthead_web::newsroom::{self, Publish};

#[tokio::test]
async fn print_outputs() {
    let t = testing::sqlite().await;
    let app = app(t.db.clone(), None).await;
    let s = &app.state;
    s.db.upsert_tag(TagKind::Topic, "war", "War", "").await.unwrap();
    s.db.upsert_author("ana", "Ana Ruiz", "", "").await.unwrap();
    let hero = newsroom::ingest_image(s, png(1200, 800), "hero.png").await.unwrap();
    let now = Utc::now();
    for (slug, access) in [("one", AccessLevel::Free), ("two", AccessLevel::SubscribersOnly)] {
        let d = ArticleDraft {
            headline: format!("Story {slug} <&>"), slug: Some(slug.into()), standfirst: "Dek".into(), dateline: "Kyiv".into(),
            body_markdown: "First para with [a link](/article/x).\n\n## Sub\n\nSecond ]]> para.\n\nThird.\n\nFourth.\n\nFifth.".into(),
            access, authors: vec!["ana".into()], topics: vec!["war".into()],
            hero: Some(Figure { src: format!("media:{hero}"), alt: "Alt".into(), caption: "Cap".into(), credit: "Cred".into(), ..Default::default() }),
            provenance: Some(Provenance { publication: "Gazeta".into(), url: "https://o.example/x".into(), language: "ru".into(), ..Default::default() }),
            ..Default::default()
        };
        newsroom::create_article(s, &d, Publish::At(now - Duration::minutes(5)), now).await.unwrap();
    }
    s.reload().await.unwrap();
    for p in ["/feed.xml", "/topic/war/atom.xml", "/sitemap.xml", "/sitemaps/news.xml", "/robots.txt"] {
        let r = get(&app.router, p).await;
        println!("===== {p} {}\n{}", r.status, r.body);
    }
    let a = get(&app.router, "/article/one").await;
    println!("===== head\n{}", a.body.split("</head>").next().unwrap());
    t.cleanup().await;
}
