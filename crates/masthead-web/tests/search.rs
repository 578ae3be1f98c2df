//! Search and the archive through the web, on every backend: search
//! snippets join the leak matrix (no reader is quoted, or finds an article
//! by, a block they may not read), hostile queries get a page, facets and
//! pagination are links, old articles need the Archives benefit, and the
//! archive can be browsed by year, month and day.

mod common;

use chrono::{Datelike, Duration, TimeZone, Utc};
use common::*;
use masthead_core::billing::{Interval, Plan, SubscriptionStatus};
use masthead_core::{AccessLevel, ArticleDraft, Benefit, MeterPolicy, MeterWindow, TagKind};
use masthead_db::plans::SubscriptionUpsert;
use masthead_db::{testing, Db};
use masthead_web::newsroom::{self, Publish};
use masthead_web::paywall::Paywall;

const BLOCKS: usize = 10;
const PREVIEW: usize = 3;
const UA: &str = "Mozilla/5.0 (test)";

fn marker(slug: &str, i: usize) -> String {
    format!("LEAK{}MARK{i}X", slug.replace('-', "").to_uppercase())
}

fn body_with_markers(slug: &str) -> String {
    (0..BLOCKS).map(|i| format!("Paragraph {i} says {}.", marker(slug, i))).collect::<Vec<_>>().join("\n\n")
}

/// The articles, with their access and age in days.
const PIECES: [(&str, AccessLevel, i64); 5] = [
    ("open-free", AccessLevel::Free, 10),
    ("metered-piece", AccessLevel::Metered, 5),
    ("members-piece", AccessLevel::SubscribersOnly, 3),
    ("old-free", AccessLevel::Free, 400),
    ("old-metered", AccessLevel::Metered, 500),
];

/// Council notes, all on one day, for pagination and facets.
const NOTES: usize = 22;

struct Fixture {
    app: App,
    full_plan: i64,
    archive_plan: i64,
    notes_day: chrono::NaiveDate,
}

async fn plan(db: &Db, slug: &str, benefits: &[Benefit]) -> i64 {
    let p = Plan {
        id: 0,
        slug: slug.into(),
        name: slug.into(),
        price_minor: 290,
        currency: "USD".into(),
        interval: Interval::Month,
        trial_days: 0,
        badge: String::new(),
        benefits: benefits.to_vec(),
        active: true,
        provider_price_id: String::new(),
    };
    db.upsert_plan(&p, 0, Utc::now()).await.unwrap().id
}

async fn fixture(db: Db) -> Fixture {
    let app = app(db, None).await;
    let s = &app.state;
    let policy = Paywall {
        meter: MeterPolicy {
            anonymous_quota: 1,
            registered_quota: 3,
            window: MeterWindow::CalendarMonth,
            archive_after_days: Some(365),
            preview_blocks: PREVIEW as u32,
            registration_wall: false,
            network_quota: None,
        },
        ..Paywall::default()
    };
    s.db.set_setting("paywall", &serde_json::to_string(&policy).unwrap()).await.unwrap();
    let full_plan = plan(&s.db, "digital", &[Benefit::FullAccess]).await;
    let archive_plan = plan(&s.db, "everything", &Benefit::ALL).await;
    s.db.upsert_tag(TagKind::Topic, "city-hall", "City Hall", "").await.unwrap();
    s.db.upsert_tag(TagKind::Topic, "ports", "Ports <&> Harbours", "").await.unwrap();
    let now = Utc::now();
    for (slug, access, age) in PIECES {
        let d = ArticleDraft {
            headline: format!("The {slug} story"),
            slug: Some(slug.into()),
            standfirst: format!("Standfirst of {slug}."),
            body_markdown: body_with_markers(slug),
            topics: vec!["ports".into()],
            access,
            ..Default::default()
        };
        newsroom::create_article(s, &d, Publish::At(now - Duration::days(age)), now).await.unwrap();
    }
    let notes_day = (now - Duration::days(30)).date_naive();
    let morning = Utc.from_utc_datetime(&notes_day.and_hms_opt(8, 0, 0).unwrap());
    for n in 0..NOTES {
        let d = ArticleDraft {
            headline: format!("Council note {n}"),
            standfirst: "Routine business.".into(),
            body_markdown: format!("The council discussed potholes, item {n}."),
            topics: vec!["city-hall".into()],
            access: AccessLevel::Free,
            ..Default::default()
        };
        newsroom::create_article(s, &d, Publish::At(morning + Duration::minutes(n as i64)), now).await.unwrap();
    }
    s.reload().await.unwrap();
    masthead_web::worker::drain(s).await;
    assert_eq!(s.db.indexed_count().await.unwrap(), (PIECES.len() + NOTES) as i64, "the worker indexed every article");
    Fixture { app, full_plan, archive_plan, notes_day }
}

async fn signed_in(f: &Fixture, email: &str, plan: Option<i64>) -> String {
    let db = &f.app.state.db;
    let now = Utc::now();
    let r = db.reader_for_verified_email(email, now).await.unwrap();
    if let Some(plan_id) = plan {
        let up = SubscriptionUpsert {
            reader_id: r.id,
            plan_id,
            provider: "demo",
            provider_customer_id: "cus",
            provider_subscription_id: &format!("sub_{email}"),
            status: SubscriptionStatus::Active,
            current_period_end: now + Duration::days(20),
            cancel_at_period_end: false,
            trial_end: None,
        };
        db.upsert_subscription(&up, now).await.unwrap();
    }
    format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch))
}

/// Readers and, per article, how many blocks each may read.
async fn readers(f: &Fixture) -> Vec<(&'static str, String, [usize; 5])> {
    let cut = PREVIEW;
    vec![
        ("anonymous", String::new(), [BLOCKS, cut, cut, cut, cut]),
        ("registered", signed_in(f, "reader@example.org", None).await, [BLOCKS, cut, cut, cut, cut]),
        ("subscriber without archives", signed_in(f, "digital@example.org", Some(f.full_plan)).await, [BLOCKS, BLOCKS, BLOCKS, cut, cut]),
        ("subscriber with archives", signed_in(f, "all@example.org", Some(f.archive_plan)).await, [BLOCKS; 5]),
    ]
}

async fn search_as(f: &Fixture, cookies: &str, q: &str) -> Reply {
    get_as(&f.app.router, &format!("/search?q={}", enc(q)), cookies, [10, 1, 1, 1], UA).await
}

#[tokio::test]
async fn search_snippets_join_the_leak_matrix() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        for (who, cookies, allowed) in readers(&f).await {
            let ctx = format!("{} / {who}", t.backend);
            let mut queries: Vec<String> = ["says", "paragraph says", "leak*", "story", "\"paragraph 7\""].iter().map(|s| s.to_string()).collect();
            for (slug, ..) in PIECES {
                queries.push(marker(slug, 7).to_lowercase());
            }
            for q in &queries {
                let r = search_as(&f, &cookies, q).await;
                assert_eq!(r.status, 200, "{ctx}: {q}");
                for (k, (slug, ..)) in PIECES.iter().enumerate() {
                    for i in allowed[k]..BLOCKS {
                        assert!(!r.body.contains(&marker(slug, i)), "{ctx}: {q:?} quoted gated block {i} of {slug}");
                    }
                }
            }
            // A word only in block 7: found, and quoted, only by those who may read it.
            for (k, (slug, ..)) in PIECES.iter().enumerate() {
                let r = search_as(&f, &cookies, &marker(slug, 7)).await;
                let link = format!("href=\"/article/{slug}\"");
                if allowed[k] > 7 {
                    assert!(r.body.contains(&link), "{ctx}: {slug} is found by text its reader may read");
                    assert!(r.body.contains(&format!("<mark>{}</mark>", marker(slug, 7))), "{ctx}: and quoted with the word marked");
                } else {
                    assert!(!r.body.contains(&link), "{ctx}: {slug} must not be found by a gated block");
                    assert!(r.body.contains("No stories match"), "{ctx}");
                }
            }
        }
        // Search pages for signed-in readers are theirs alone.
        let cookies = signed_in(&f, "all@example.org", Some(f.archive_plan)).await;
        let r = search_as(&f, &cookies, "says").await;
        assert_eq!(r.header("cache-control"), "private, no-store");
        assert_eq!(r.header("x-robots-tag"), "noindex, follow");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn any_query_gets_a_page_facets_and_pages_are_links() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let backend = t.backend;
        let long = "potholes ".repeat(600);
        for q in [
            "\"", "\"potholes", "AND", "OR", "NOT", "( )", "*", ":", "^", "-", "-potholes", "potholes AND OR NOT ( ) * : ^ -",
            "title:potholes", "NEAR(a b)", "'; DROP TABLE articles; --", "%", "\\", long.as_str(), "Zürich «Харків» 北京 🚀 \u{202e}x",
        ] {
            let r = search_as(&f, "", q).await;
            assert_eq!(r.status, 200, "{backend}: {q:?}");
            assert!(r.body.contains("stories match") || r.body.contains("story matches") || r.body.contains("search-note"), "{backend}: {q:?} says something");
        }
        let r = search_as(&f, "", &long).await;
        assert!(r.body.contains("only its first 256 characters"), "{backend}: {}", &r.body[r.body.find("<main").unwrap_or(0)..]);
        assert!(r.body.contains("<strong>22</strong> stories match"), "{backend}: {}", &r.body[r.body.find("<main").unwrap_or(0)..]);

        // The reader's words come back escaped, and so do facet labels.
        let r = search_as(&f, "", "<script>alert(1)</script> says").await;
        assert!(!r.body.contains("<script>alert"), "{backend}");
        assert!(r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{backend}");
        let r = search_as(&f, "", "says <>").await;
        assert!(r.body.contains("<q>says &lt;&gt;</q>"), "{backend}");
        assert!(r.body.contains("Ports &lt;&amp;&gt; Harbours"), "{backend}");
        assert!(!r.body.contains("Ports <&> Harbours"), "{backend}");

        // Marked words, facet counts as links, pages.
        let r = search_as(&f, "", "potholes").await;
        assert!(r.body.contains("<mark>potholes</mark>"), "{backend}");
        assert!(r.body.contains("<strong>22</strong> stories match"), "{backend}");
        assert!(r.body.contains("href=\"/search?q=potholes&amp;topic=city-hall\">City Hall</a> <span class=\"count\">22</span>"), "{backend}: {}", r.body);
        assert!(r.body.contains("Page 1 of 2"), "{backend}");
        assert!(r.body.contains("href=\"/search?q=potholes&amp;page=2\""), "{backend}");
        let p2 = get(&f.app.router, "/search?q=potholes&page=2").await;
        assert_eq!(p2.status, 200);
        assert_eq!(p2.body.matches("class=\"search-hit\"").count(), 2, "{backend}");
        let year = f.notes_day.year();
        let filtered = get(&f.app.router, &format!("/search?q=potholes&topic=city-hall&year={year}&sort=newest")).await;
        assert_eq!(filtered.status, 200);
        assert!(filtered.body.contains("Topic: City Hall"), "{backend}: the active filter shows");
        assert!(filtered.body.contains(&format!("href=\"/search?q=potholes&amp;year={year}&amp;sort=newest\"")), "{backend}: with a link to remove it");
        let first = filtered.body.find("Council note 21").unwrap();
        let second = filtered.body.find("Council note 20").unwrap();
        assert!(first < second, "{backend}: newest first");
        let none = get(&f.app.router, "/search?q=potholes&topic=ports").await;
        assert!(none.body.contains("No stories match"), "{backend}");
        for bad in ["/search?q=x&page=0", "/search?q=x&page=abc", "/search?q=x&year=twenty"] {
            assert_eq!(get(&f.app.router, bad).await.status, 400, "{backend}: {bad}");
        }
        // The search box is on every page.
        let home = get(&f.app.router, "/").await;
        assert!(home.body.contains("<form class=\"site-search\" role=\"search\" action=\"/search\""), "{backend}");
        t.cleanup().await;
    }
}

fn present(text: &str, slug: &str) -> Vec<usize> {
    (0..BLOCKS).filter(|i| text.contains(&marker(slug, *i))).collect()
}

#[tokio::test]
async fn old_articles_need_the_archives_benefit() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let cut: Vec<usize> = (0..PREVIEW).collect();
        let all: Vec<usize> = (0..BLOCKS).collect();
        let digital = signed_in(&f, "digital@example.org", Some(f.full_plan)).await;
        let everything = signed_in(&f, "all@example.org", Some(f.archive_plan)).await;
        for slug in ["old-free", "old-metered"] {
            let path = format!("/article/{slug}");
            let anon = get_as(&f.app.router, &path, "", [10, 2, 0, 1], UA).await;
            assert_eq!(present(&anon.body, slug), cut, "{}: anonymous, {slug}", t.backend);
            assert!(anon.body.contains("class=\"offer\""), "{}", t.backend);
            let d = get_as(&f.app.router, &path, &digital, [10, 2, 0, 2], UA).await;
            assert_eq!(present(&d.body, slug), cut, "{}: full access without archives, {slug}", t.backend);
            let e = get_as(&f.app.router, &path, &everything, [10, 2, 0, 3], UA).await;
            assert_eq!(present(&e.body, slug), all, "{}: with archives, {slug}", t.backend);
        }
        // A recent free article is whole for everyone.
        let r = get_as(&f.app.router, "/article/open-free", "", [10, 2, 0, 4], UA).await;
        assert_eq!(present(&r.body, "open-free"), all, "{}", t.backend);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_archive_by_year_month_and_day() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let backend = t.backend;
        let day = f.notes_day;
        let (y, m, d) = (day.year(), day.month(), day.day());
        let years = get(&f.app.router, "/archive").await;
        assert_eq!(years.status, 200);
        assert!(years.body.contains(&format!("href=\"/archive/{y}\"")), "{backend}");
        let old_year = (Utc::now() - Duration::days(500)).year();
        assert!(years.body.contains(&format!("href=\"/archive/{old_year}\"")), "{backend}");
        let months = get(&f.app.router, &format!("/archive/{y}")).await;
        assert_eq!(months.status, 200);
        assert!(months.body.contains(&format!("href=\"/archive/{y}/{m:02}\"")), "{backend}");
        let days = get(&f.app.router, &format!("/archive/{y}/{m:02}")).await;
        assert_eq!(days.status, 200);
        assert!(days.body.contains(&format!("href=\"/archive/{y}/{m:02}/{d:02}\">")), "{backend}");
        assert!(days.body.contains("22 stories"), "{backend}: {}", days.body);
        let first = get(&f.app.router, &format!("/archive/{y}/{m:02}/{d:02}")).await;
        assert_eq!(first.status, 200);
        assert!(first.body.contains("22 stories"), "{backend}");
        assert_eq!(first.body.matches("class=\"teaser ").count(), 20, "{backend}");
        assert!(first.body.find("Council note 0<").unwrap() < first.body.find("Council note 1<").unwrap(), "{backend}: oldest first");
        assert!(first.body.contains(&format!("href=\"/archive/{y}/{m:02}/{d:02}?page=2\"")), "{backend}");
        let second = get(&f.app.router, &format!("/archive/{y}/{m:02}/{d:02}?page=2")).await;
        assert_eq!(second.body.matches("class=\"teaser ").count(), 2, "{backend}");
        // The archive lists teasers only: no body text of any article.
        for (slug, ..) in PIECES {
            for page in [&years, &months, &days, &first, &second] {
                assert!(present(&page.body, slug).is_empty(), "{backend}");
            }
        }
        for missing in ["/archive/1999", "/archive/abcd", &format!("/archive/{y}/13"), &format!("/archive/{y}/02/30"), "/archive/2001/01/01", &format!("/archive/{y}/{m:02}/{d:02}?page=9")] {
            assert_eq!(get(&f.app.router, missing).await.status, 404, "{backend}: {missing}");
        }
        t.cleanup().await;
    }
}
