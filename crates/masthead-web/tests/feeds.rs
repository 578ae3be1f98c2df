//! Feeds, sitemaps, robots.txt, sharing tags and ads, as readers, feed
//! readers and search engines get them, on every backend. Feeds and
//! sitemaps are parsed back as XML; gated articles never come whole.

mod common;

use axum::body::Body;
use axum::http::{header, Request};
use chrono::{DateTime, Datelike, Duration, Utc};
use common::*;
use masthead_core::billing::{Interval, Plan, SubscriptionStatus};
use masthead_core::{AccessLevel, ArticleDraft, Benefit, Figure, MeterPolicy, MeterWindow, Provenance, TagKind};
use masthead_db::plans::SubscriptionUpsert;
use masthead_db::{testing, Db};
use masthead_web::newsroom::{self, Publish};
use masthead_web::paywall::Paywall;

const BLOCKS: usize = 8;
const PREVIEW: usize = 3;
const UA: &str = "Mozilla/5.0 (test)";

fn marker(slug: &str, i: usize) -> String {
    format!("FEED{}MARK{i}X", slug.replace('-', "").to_uppercase())
}

fn present(text: &str, slug: &str) -> Vec<usize> {
    (0..BLOCKS).filter(|i| text.contains(&marker(slug, *i))).collect()
}

struct Fixture {
    app: App,
    plan_id: i64,
    /// slug → published_at
    published: Vec<(&'static str, DateTime<Utc>)>,
}

async fn fixture(db: Db) -> Fixture {
    let app = app(db, None).await;
    let s = &app.state;
    let policy = Paywall {
        meter: MeterPolicy {
            anonymous_quota: 1,
            registered_quota: 3,
            window: MeterWindow::CalendarMonth,
            archive_after_days: None,
            preview_blocks: PREVIEW as u32,
            registration_wall: false,
            network_quota: None,
        },
        ..Default::default()
    };
    s.db.set_setting("paywall", &serde_json::to_string(&policy).unwrap()).await.unwrap();
    s.db.set_setting("site.name", "The Dispatch").await.unwrap();
    let plan = Plan {
        id: 0,
        slug: "monthly".into(),
        name: "Monthly".into(),
        price_minor: 290,
        currency: "USD".into(),
        interval: Interval::Month,
        trial_days: 30,
        badge: String::new(),
        benefits: Benefit::ALL.to_vec(),
        active: true,
        provider_price_id: String::new(),
    };
    let plan_id = s.db.upsert_plan(&plan, 0, Utc::now()).await.unwrap().id;
    s.db.upsert_tag(TagKind::Section, "world", "World", "").await.unwrap();
    s.db.upsert_tag(TagKind::Topic, "war", "War", "Coverage of the war").await.unwrap();
    s.db.upsert_tag(TagKind::Topic, "quiet", "Quiet", "").await.unwrap();
    s.db.upsert_tag(TagKind::Region, "europe", "Europe", "").await.unwrap();
    s.db.upsert_author("ana", "Ana Ruiz", "Correspondent", "").await.unwrap();
    s.db.upsert_author("li", "Li Wei", "Translator", "").await.unwrap();
    s.reload().await.unwrap();
    let hero = newsroom::ingest_image(s, png(1200, 800), "hero.png").await.unwrap();
    let now = Utc::now();
    let mut published = Vec::new();
    // Newest first in the feeds: members (5 min), metered (10), free (20), trade (30), old (3 days), older (40 days).
    for (slug, access, age, topics, author) in [
        ("older-news", AccessLevel::Free, Duration::days(40), vec![], "ana"),
        ("old-news", AccessLevel::Free, Duration::days(3), vec![], "ana"),
        ("trade-story", AccessLevel::Free, Duration::minutes(30), vec![], "ana"),
        ("free-one", AccessLevel::Free, Duration::minutes(20), vec!["war".to_string()], "ana"),
        ("metered-one", AccessLevel::Metered, Duration::minutes(10), vec!["war".to_string()], "ana"),
        ("members-one", AccessLevel::SubscribersOnly, Duration::minutes(5), vec![], "li"),
    ] {
        let body = (0..BLOCKS).map(|i| format!("Paragraph {i} says {} & more <b>{}</b>.", marker(slug, i), i)).collect::<Vec<_>>().join("\n\n");
        let d = ArticleDraft {
            dateline: if slug == "free-one" { "Kyiv".into() } else { String::new() },
            headline: format!("The {slug} story & \"quotes\""),
            slug: Some(slug.into()),
            standfirst: format!("Standfirst of {slug}."),
            body_markdown: body,
            access,
            section: Some("world".into()),
            authors: vec![author.into()],
            topics,
            regions: if slug == "trade-story" { vec!["europe".into()] } else { vec![] },
            hero: (slug == "free-one").then(|| Figure {
                src: format!("media:{hero}"),
                alt: "A border post at dawn".into(),
                caption: "The crossing.".into(),
                credit: "Photo: Ivan Petrov via Zuma Press".into(),
                ..Default::default()
            }),
            provenance: (slug == "free-one").then(|| Provenance {
                publication: "Novaya Gazeta".into(),
                title: "Granitsa".into(),
                url: "https://original.example/granitsa".into(),
                language: "ru".into(),
                translator: "Li Wei".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let at = now - age;
        newsroom::create_article(s, &d, Publish::At(at), now).await.unwrap();
        published.push((slug, at));
    }
    // Scheduled for later: in no feed and no sitemap yet.
    let later = ArticleDraft { headline: "Tomorrow".into(), slug: Some("tomorrow".into()), body_markdown: "Soon.".into(), ..Default::default() };
    newsroom::create_article(s, &later, Publish::At(now + Duration::days(1)), now).await.unwrap();
    s.reload().await.unwrap();
    Fixture { app, plan_id, published }
}

async fn subscriber(f: &Fixture, email: &str, status: Option<SubscriptionStatus>) -> String {
    let db = &f.app.state.db;
    let r = db.reader_for_verified_email(email, Utc::now()).await.unwrap();
    if let Some(status) = status {
        let now = Utc::now();
        let up = SubscriptionUpsert {
            reader_id: r.id,
            plan_id: f.plan_id,
            provider: "demo",
            provider_customer_id: "cus",
            provider_subscription_id: &format!("sub_{email}"),
            status,
            current_period_end: now + Duration::days(20),
            cancel_at_period_end: false,
            trial_end: None,
        };
        db.upsert_subscription(&up, now).await.unwrap();
    }
    format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch))
}

fn child<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(n: roxmltree::Node, name: &str) -> String {
    child(n, name).and_then(|c| c.text()).unwrap_or("").to_string()
}

/// (link, guid, pubDate, content:encoded) of every RSS item, in order.
fn rss_items(xml: &str) -> Vec<(String, String, String, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("RSS does not parse: {e}\n{xml}"));
    let rss = doc.root_element();
    assert_eq!((rss.tag_name().name(), rss.attribute("version")), ("rss", Some("2.0")));
    let channel = child(rss, "channel").expect("a channel");
    channel
        .children()
        .filter(|c| c.tag_name().name() == "item")
        .map(|i| (text_of(i, "link"), text_of(i, "guid"), text_of(i, "pubDate"), text_of(i, "encoded")))
        .collect()
}

fn slug_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_string()
}

async fn private_feed_url(f: &Fixture, cookies: &str) -> String {
    let r = &f.app.router;
    let page = get_as(r, "/account", cookies, [10, 9, 0, 1], UA).await;
    let made = post_form(r, "/account/feed", cookies, &format!("csrf={}", page.field("csrf"))).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = get_as(r, "/account", cookies, [10, 9, 0, 1], UA).await;
    page.body.split("value=\"http://news.test/feeds/private/").nth(1).map(|s| format!("/feeds/private/{}", s.split('"').next().unwrap())).expect("the account page shows the address")
}

#[tokio::test]
async fn public_feeds_parse_back_in_order_with_gated_articles_cut() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ctx = t.backend;
        let rss = get(r, "/feed.xml").await;
        assert_eq!(rss.status, 200, "{ctx}");
        assert_eq!(rss.header("content-type"), "application/rss+xml; charset=utf-8");
        assert_eq!(rss.header("cache-control"), "public, max-age=300");
        let items = rss_items(&rss.body);
        let slugs: Vec<String> = items.iter().map(|i| slug_of(&i.0)).collect();
        assert_eq!(slugs, ["members-one", "metered-one", "free-one", "trade-story", "old-news", "older-news"], "{ctx}: newest first, nothing scheduled");
        let dates: Vec<DateTime<Utc>> = items.iter().map(|i| DateTime::parse_from_rfc2822(&i.2).unwrap().with_timezone(&Utc)).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{ctx}: pubDates descend");
        for (link, guid, _, _) in &items {
            assert!(link.starts_with("http://news.test/article/"), "{link}");
            assert!(guid.starts_with("tag:news.test,"), "{guid}");
        }
        // Free: whole. Metered and subscribers-only: the preview and a way on.
        let content = |slug: &str| items.iter().find(|i| slug_of(&i.0) == slug).unwrap().3.clone();
        assert_eq!(present(&content("free-one"), "free-one").len(), BLOCKS, "{ctx}");
        for slug in ["metered-one", "members-one"] {
            let c = content(slug);
            assert_eq!(present(&c, slug), (0..PREVIEW).collect::<Vec<_>>(), "{ctx}: {slug} is cut in the public feed");
            assert!(c.contains(&format!("href=\"http://news.test/article/{slug}\"")) && c.contains("Continue reading"), "{ctx}: {c}");
        }
        assert!(rss.body.contains("<![CDATA["), "HTML travels as CDATA");
        assert!(content("free-one").contains("src=\"http://news.test/media/"), "{ctx}: pictures have absolute addresses");
        assert!(content("free-one").contains("<p><span class=\"dateline\">KYIV —</span> Paragraph 0 says"), "{ctx}: the dateline opens the story");
        assert!(rss.body.contains("<title>The Dispatch</title>"));
        assert!(rss.body.contains("<atom:link href=\"http://news.test/feed.xml\" rel=\"self\""));
        assert!(rss.body.contains("The free-one story &amp; &quot;quotes&quot;"), "titles are escaped");
        // The same bytes again, and a conditional request answered without them.
        let again = get(r, "/feed.xml").await;
        assert_eq!(again.body, rss.body);
        let etag = rss.header("etag");
        let cond = send(r, Request::get("/feed.xml").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap()).await;
        assert_eq!((cond.status.as_u16(), cond.body.as_str()), (304, ""), "{ctx}");

        // Atom: the same items, parsed as Atom.
        let atom = get(r, "/atom.xml").await;
        assert_eq!(atom.header("content-type"), "application/atom+xml; charset=utf-8");
        let doc = roxmltree::Document::parse(&atom.body).unwrap_or_else(|e| panic!("Atom does not parse: {e}"));
        let feed = doc.root_element();
        assert_eq!((feed.tag_name().name(), feed.tag_name().namespace()), ("feed", Some("http://www.w3.org/2005/Atom")));
        assert!(DateTime::parse_from_rfc3339(&text_of(feed, "updated")).is_ok());
        let entries: Vec<_> = feed.children().filter(|c| c.tag_name().name() == "entry").collect();
        assert_eq!(entries.len(), 6, "{ctx}");
        let first = entries[0];
        assert_eq!(child(first, "link").unwrap().attribute("href"), Some("http://news.test/article/members-one"));
        assert_eq!(text_of(first, "id"), items[0].1, "the same stable id in both formats");
        assert!(DateTime::parse_from_rfc3339(&text_of(first, "published")).is_ok());
        assert_eq!(child(first, "content").unwrap().attribute("type"), Some("html"));
        assert_eq!(present(&text_of(first, "content"), "members-one").len(), PREVIEW, "{ctx}");
        assert_eq!(child(child(first, "author").unwrap(), "name").unwrap().text(), Some("Li Wei"));

        // JSON Feed.
        let json = get(r, "/feed.json").await;
        assert_eq!(json.header("content-type"), "application/feed+json; charset=utf-8");
        let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(v["items"].as_array().unwrap().len(), 6);
        assert_eq!(present(v["items"][1]["content_html"].as_str().unwrap(), "metered-one").len(), PREVIEW, "{ctx}");
        assert!(v["items"][2]["image"].as_str().unwrap().starts_with("http://news.test/media/"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn every_list_has_its_feeds() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ctx = t.backend;
        let war = rss_items(&get(r, "/topic/war/feed.xml").await.body);
        assert_eq!(war.iter().map(|i| slug_of(&i.0)).collect::<Vec<_>>(), ["metered-one", "free-one"], "{ctx}");
        assert_eq!(present(&war[0].3, "metered-one").len(), PREVIEW);
        let quiet = get(r, "/topic/quiet/feed.xml").await;
        assert_eq!((quiet.status.as_u16(), rss_items(&quiet.body).len()), (200, 0), "{ctx}: an empty list is an empty feed");
        let li = get(r, "/author/li/atom.xml").await;
        let doc = roxmltree::Document::parse(&li.body).unwrap();
        let ids: Vec<_> = doc.root_element().children().filter(|c| c.tag_name().name() == "entry").map(|e| text_of(e, "title")).collect();
        assert_eq!(ids, ["The members-one story & \"quotes\""], "{ctx}");
        let europe: serde_json::Value = serde_json::from_str(&get(r, "/region/europe/feed.json").await.body).unwrap();
        assert_eq!(europe["items"][0]["url"], "http://news.test/article/trade-story");
        assert_eq!(europe["home_page_url"], "http://news.test/region/europe");
        assert_eq!(rss_items(&get(r, "/section/world/feed.xml").await.body).len(), 6);
        assert_eq!(get(r, "/topic/nope/feed.xml").await.status, 404);
        assert_eq!(get(r, "/topic/war/feed.txt").await.status, 404);
        // Lists point feed readers at their feed.
        let page = get(r, "/topic/war").await;
        assert!(page.body.contains("<link rel=\"alternate\" type=\"application/rss+xml\" title=\"War — The Dispatch\" href=\"/topic/war/feed.xml\">"), "{ctx}");
        assert!(get(r, "/").await.body.contains("href=\"/feed.xml\""));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn private_feeds_follow_the_reader_and_can_be_replaced() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ctx = t.backend;
        let sub = subscriber(&f, "sub@example.org", Some(SubscriptionStatus::Active)).await;
        let account = get_as(r, "/account", &sub, [10, 9, 0, 1], UA).await;
        assert!(account.body.contains("Make my private feed address"), "{ctx}");
        let url = private_feed_url(&f, &sub).await;
        let feed = get(r, &url).await;
        assert_eq!(feed.status, 200, "{ctx}");
        assert_eq!(feed.header("cache-control"), "private, no-store");
        assert_eq!(feed.header("x-robots-tag"), "noindex, nofollow");
        let items = rss_items(&feed.body);
        for slug in ["members-one", "metered-one", "free-one"] {
            let c = &items.iter().find(|i| slug_of(&i.0) == slug).unwrap().3;
            assert_eq!(present(c, slug).len(), BLOCKS, "{ctx}: a subscriber's feed has {slug} whole");
        }
        let atom = get(r, &url.replace("feed.xml", "atom.xml")).await;
        assert_eq!(present(&atom.body, "members-one").len(), BLOCKS, "{ctx}");
        // A new address replaces the old one at once.
        let url2 = private_feed_url(&f, &sub).await;
        assert_ne!(url, url2);
        assert_eq!(get(r, &url).await.status, 404, "{ctx}: the old address is revoked");
        assert_eq!(get(r, &url2).await.status, 200);
        let notice = get_as(r, "/account?sent=feed", &sub, [10, 9, 0, 1], UA).await;
        assert!(notice.body.contains("The old one no longer works"));
        // A free account's private feed is no better than the preview.
        let free = subscriber(&f, "free@example.org", None).await;
        let free_url = private_feed_url(&f, &free).await;
        let free_feed = get(r, &free_url).await.body;
        assert_eq!(present(&free_feed, "members-one").len(), PREVIEW, "{ctx}");
        assert_eq!(present(&free_feed, "metered-one").len(), PREVIEW, "{ctx}: fetching a feed never uses the meter");
        assert_eq!(present(&free_feed, "free-one").len(), BLOCKS);
        // Guesses and forms without the token get nothing.
        assert_eq!(get(r, "/feeds/private/not-a-token/feed.xml").await.status, 404);
        assert_eq!(post_form(r, "/account/feed", &sub, "csrf=forged").await.status, 400);
        assert_eq!(post_form(r, "/account/feed", "", "csrf=x").await.status, 401, "signed-in readers only");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn sitemaps_and_robots_tell_search_engines_what_there_is() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ctx = t.backend;
        let robots = get(r, "/robots.txt").await;
        assert_eq!(robots.header("content-type"), "text/plain; charset=utf-8");
        for line in ["User-agent: *", "Disallow: /admin", "Disallow: /account", "Disallow: /login", "Disallow: /feeds/private/",
            "Disallow: /article/*/print", "Disallow: /*?gift=", "Sitemap: http://news.test/sitemap.xml"] {
            assert!(robots.body.lines().any(|l| l == line), "robots.txt lacks {line:?}:\n{}", robots.body);
        }

        let index = get(r, "/sitemap.xml").await;
        assert_eq!(index.header("content-type"), "application/xml; charset=utf-8");
        let doc = roxmltree::Document::parse(&index.body).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "sitemapindex");
        let locs: Vec<String> = doc.descendants().filter(|n| n.tag_name().name() == "loc").map(|n| n.text().unwrap().to_string()).collect();
        let mut months: Vec<String> = f.published.iter().map(|(_, at)| format!("{:04}-{:02}", at.year(), at.month())).collect();
        months.sort();
        months.dedup();
        months.reverse();
        let mut expected = vec!["http://news.test/sitemaps/news.xml".to_string()];
        expected.extend(months.iter().map(|m| format!("http://news.test/sitemaps/articles-{m}.xml")));
        expected.extend(["topics", "regions", "sections", "authors"].map(|n| format!("http://news.test/sitemaps/{n}.xml")));
        assert_eq!(locs, expected, "{ctx}");

        // Each month's sitemap lists exactly that month's articles.
        for m in &months {
            let body = get(r, &format!("/sitemaps/articles-{m}.xml")).await.body;
            let doc = roxmltree::Document::parse(&body).unwrap();
            let mut got: Vec<String> = doc.descendants().filter(|n| n.tag_name().name() == "loc" && n.tag_name().namespace() == Some("http://www.sitemaps.org/schemas/sitemap/0.9")).map(|n| n.text().unwrap().to_string()).collect();
            let mut want: Vec<String> = f.published.iter().filter(|(_, at)| &format!("{:04}-{:02}", at.year(), at.month()) == m).map(|(s, _)| format!("http://news.test/article/{s}")).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{ctx}: {m}");
            assert!(doc.descendants().filter(|n| n.tag_name().name() == "lastmod").all(|n| DateTime::parse_from_rfc3339(n.text().unwrap()).is_ok()));
        }
        let with_image = months.iter().map(|m| format!("/sitemaps/articles-{m}.xml")).collect::<Vec<_>>();
        let mut images = 0;
        for p in with_image {
            images += get(r, &p).await.body.matches("<image:loc>http://news.test/media/").count();
        }
        assert_eq!(images, 1, "{ctx}: the hero picture is listed");
        assert_eq!(get(r, "/sitemaps/articles-1999-01.xml").await.status, 404);
        assert_eq!(get(r, "/sitemaps/whatever.xml").await.status, 404);

        // The news sitemap: the last two days only, with what Google News asks for.
        let news = get(r, "/sitemaps/news.xml").await.body;
        let doc = roxmltree::Document::parse(&news).unwrap();
        let news_ns = Some("http://www.google.com/schemas/sitemap-news/0.9");
        let urls: Vec<_> = doc.root_element().children().filter(|n| n.tag_name().name() == "url").collect();
        let slugs: Vec<String> = urls.iter().map(|u| slug_of(&text_of(*u, "loc"))).collect();
        assert_eq!(slugs, ["members-one", "metered-one", "free-one", "trade-story"], "{ctx}: not the three-day-old story, not tomorrow's");
        for u in urls {
            let n = child(u, "news").unwrap();
            assert_eq!(n.tag_name().namespace(), news_ns);
            let publication = child(n, "publication").unwrap();
            assert_eq!((text_of(publication, "name").as_str(), text_of(publication, "language").as_str()), ("The Dispatch", "en"));
            assert!(DateTime::parse_from_rfc3339(&text_of(n, "publication_date")).is_ok());
            assert!(text_of(n, "title").starts_with("The "));
        }
        let topics = get(r, "/sitemaps/topics.xml").await.body;
        assert!(topics.contains("<loc>http://news.test/topic/war</loc>") && topics.contains("<loc>http://news.test/topic/quiet</loc>"));
        let authors = get(r, "/sitemaps/authors.xml").await.body;
        assert!(authors.contains("<loc>http://news.test/author/ana</loc>") && authors.contains("<loc>http://news.test/author/li</loc>"));
        roxmltree::Document::parse(&authors).unwrap();
        t.cleanup().await;
    }
}

fn meta(body: &str, attr: &str, name: &str) -> Vec<String> {
    let head = body.split("</head>").next().unwrap();
    head.split(&format!("<meta {attr}=\"{name}\" content=\"")).skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn article_pages_carry_sharing_tags_structured_data_and_hreflang() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ctx = t.backend;
        let page = get(r, "/article/free-one").await;
        let og = |n: &str| meta(&page.body, "property", n);
        assert_eq!(og("og:site_name"), ["The Dispatch"], "{ctx}");
        assert_eq!(og("og:url"), ["http://news.test/article/free-one"]);
        let image = &og("og:image")[0];
        assert!(image.starts_with("http://news.test/media/") && image.ends_with("/1600.jpg"), "{image}");
        assert_eq!((og("og:image:width"), og("og:image:height")), (vec!["1200".to_string()], vec!["800".to_string()]), "never upscaled");
        assert_eq!(og("og:image:alt"), ["A border post at dawn"]);
        assert_eq!(og("article:author"), ["http://news.test/author/ana"]);
        assert_eq!(og("article:section"), ["World"]);
        assert_eq!(og("article:tag"), ["War"]);
        assert_eq!(og("article:published_time").len(), 1);
        assert_eq!(og("article:modified_time").len(), 1);
        let tw = |n: &str| meta(&page.body, "name", n);
        assert_eq!(tw("twitter:card"), ["summary_large_image"]);
        assert_eq!(&tw("twitter:image")[0], image);
        // The translation and its original.
        assert!(page.body.contains("<link rel=\"alternate\" hreflang=\"ru\" href=\"https://original.example/granitsa\">"), "{ctx}");
        assert!(page.body.contains("<link rel=\"alternate\" hreflang=\"en\" href=\"http://news.test/article/free-one\">"));
        let ld: serde_json::Value = serde_json::from_str(
            page.body.split("<script type=\"application/ld+json\">").nth(1).unwrap().split("</script>").next().unwrap(),
        )
        .unwrap();
        assert_eq!(ld["@type"], "NewsArticle");
        assert_eq!(ld["inLanguage"], "en");
        assert_eq!(ld["translationOfWork"]["inLanguage"], "ru");
        assert_eq!(ld["translationOfWork"]["url"], "https://original.example/granitsa");
        assert_eq!(ld["translator"]["name"], "Li Wei");
        assert_eq!(ld["isAccessibleForFree"], true);
        assert!(ld.get("hasPart").is_none());
        assert_eq!((ld["image"][0]["width"].as_u64(), ld["image"][0]["height"].as_u64()), (Some(1200), Some(800)));
        assert!(ld["publisher"]["logo"]["url"].as_str().unwrap().starts_with("http://news.test/static/"));
        assert_eq!(ld["author"][0]["name"], "Ana Ruiz");
        assert!(ld["datePublished"].as_str().is_some() && ld["dateModified"].as_str().is_some());
        // A gated article says so; a page without a picture gets the small card.
        let gated = get(r, "/article/members-one").await;
        let ld: serde_json::Value = serde_json::from_str(
            gated.body.split("<script type=\"application/ld+json\">").nth(1).unwrap().split("</script>").next().unwrap(),
        )
        .unwrap();
        assert_eq!(ld["isAccessibleForFree"], false);
        assert_eq!(ld["hasPart"]["cssSelector"], ".paywalled");
        assert!(ld.get("translationOfWork").is_none());
        assert_eq!(meta(&gated.body, "name", "twitter:card"), ["summary"]);
        assert!(!gated.body.contains("hreflang=\"ru\""));
        // Pages that are nobody else's business are not indexed.
        assert_eq!(get(r, "/article/free-one/print").await.header("x-robots-tag"), "noindex");
        assert_eq!(get(r, "/login").await.header("x-robots-tag"), "noindex, nofollow");
        assert_eq!(get(r, "/account").await.header("x-robots-tag"), "noindex, nofollow");
        assert_eq!(page.header("x-robots-tag"), "", "articles are indexed");
        t.cleanup().await;
    }
}

async fn staff_cookie(app: &App, role: masthead_core::staff::Role, email: &str) -> String {
    let member = app.state.db.create_staff(email, "Pat", role, "unused-hash", Utc::now()).await.unwrap();
    format!("mh_staff={}", masthead_web::auth::staff_session(SECRET, member.id))
}

#[tokio::test]
async fn ads_are_sanitized_and_never_shown_to_ad_free_readers() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ctx = t.backend;
        // No ads configured: no slot markup, no placeholders left.
        let plain = get(r, "/article/free-one").await;
        assert!(!plain.body.contains("class=\"ad ") && !plain.body.contains("<!--mh:ad"), "{ctx}");

        let editor = staff_cookie(&f.app, masthead_core::staff::Role::Editor, "ed@news.test").await;
        assert_eq!(get_as(r, "/admin/ads", &editor, [127, 0, 0, 1], UA).await.status, 403, "{ctx}: editors do not sell ads");
        let admin = staff_cookie(&f.app, masthead_core::staff::Role::Administrator, "boss@news.test").await;
        let desk = get_as(r, "/admin/ads", &admin, [127, 0, 0, 1], UA).await;
        assert_eq!(desk.status, 200, "{ctx}");
        let csrf = desk.field("csrf");
        let snippet = enc("<a href=\"https://shop.example/\" onclick=\"steal()\"><img src=\"/static/favicon.svg\" alt=\"Shop\"></a>SHOPAD<script>alert('pwned')</script><iframe src=\"https://evil.example\"></iframe>");
        let end = enc("<p>ENDAD <strong>books</strong></p>");
        let form = format!(
            "csrf={csrf}&header_kind=snippet&header_html={snippet}&in_article_kind=house&in_article_html=&in_article_after=2\
             &sidebar_kind=empty&sidebar_html=&end_of_article_kind=snippet&end_of_article_html={end}"
        );
        let saved = post_form(r, "/admin/ads", &admin, &form).await;
        assert_eq!(saved.status, 200, "{ctx}: {}", saved.body);
        assert!(saved.body.contains("Some markup was removed"), "{ctx}");
        let stored = f.app.state.db.settings().await.unwrap().remove("ads").unwrap();
        for bad in ["<script", "alert(", "onclick", "<iframe", "evil.example"] {
            assert!(!stored.contains(bad), "{ctx}: {bad} survived into the stored snippet: {stored}");
        }
        assert!(stored.contains("SHOPAD"));
        let refused = post_form(r, "/admin/ads", &admin, &format!("csrf={csrf}&header_kind=snippet&header_html={}&in_article_after=2", enc("<script>x()</script>"))).await;
        assert_eq!(refused.status, 400, "{ctx}: a snippet that is only a script is refused");
        assert_eq!(post_form(r, "/admin/ads", &admin, "csrf=forged&header_kind=empty&in_article_after=2").await.status, 403);

        // An anonymous reader gets every filled slot; the page is still one cacheable page.
        let anon = get_as(r, "/article/free-one", "", [10, 8, 0, 1], UA).await;
        let b = &anon.body;
        assert!(b.contains("class=\"ad ad-header\"") && b.contains("SHOPAD"), "{ctx}");
        assert!(b.contains("class=\"ad ad-in_article ad-house\"") && b.contains("href=\"/subscribe\""), "{ctx}");
        assert!(b.contains("class=\"ad ad-end_of_article\"") && b.contains("ENDAD"), "{ctx}");
        assert!(!b.contains("ad-sidebar") && !b.contains("<!--mh:ad"), "{ctx}: empty slots leave nothing");
        assert!(!b.contains("alert(") && !b.contains("onclick"), "{ctx}");
        let ad_at = b.find("ad-in_article").unwrap();
        assert!(b.find(&marker("free-one", 1)).unwrap() < ad_at && ad_at < b.find(&marker("free-one", 2)).unwrap(), "{ctx}: after the second paragraph");
        assert_eq!(anon.header("cache-control"), "public, max-age=0, s-maxage=60");
        let home = get(r, "/").await;
        assert!(home.body.contains("SHOPAD") && !home.body.contains("<!--mh:ad"), "{ctx}: the header slot is on every page");

        // A subscriber with the ad-free benefit gets none, on articles and lists.
        let sub = subscriber(&f, "adfree@example.org", Some(SubscriptionStatus::Active)).await;
        for path in ["/article/free-one", "/article/members-one", "/", "/topic/war", "/account"] {
            let p = get_as(r, path, &sub, [10, 8, 0, 2], UA).await;
            assert_eq!(p.status, 200, "{ctx}: {path}");
            assert!(!p.body.contains("class=\"ad ") && !p.body.contains("SHOPAD") && !p.body.contains("<!--mh:ad"), "{ctx}: an ad on {path} for an ad-free reader");
            assert_eq!(p.header("cache-control"), "private, no-store", "{ctx}: {path}");
        }
        // A free account is not ad-free; the cached anonymous page is unchanged.
        let free = subscriber(&f, "free-reader@example.org", None).await;
        assert!(get_as(r, "/topic/war", &free, [10, 8, 0, 3], UA).await.body.contains("SHOPAD"), "{ctx}");
        assert!(get_as(r, "/article/free-one", "", [10, 8, 0, 4], UA).await.body.contains("SHOPAD"), "{ctx}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_content_security_policy_widens_only_for_configured_image_hosts() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    cfg.csp_extra = "https://cdn.example.com 'unsafe-inline' *.ads.example".into();
    let state = masthead_web::AppState::new(t.db.clone(), cfg, None).await.unwrap();
    let router = masthead_web::router(state);
    let csp = get(&router, "/").await.header("content-security-policy");
    assert!(csp.contains("img-src 'self' data: https://cdn.example.com *.ads.example;"), "{csp}");
    assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(masthead_web::router::bad_csp_source("https://a.example 'self'"), Some("'self'".into()));
    assert_eq!(masthead_web::router::bad_csp_source("https://a.example; script-src *"), Some("https://a.example;".into()));
    assert_eq!(masthead_web::router::bad_csp_source("https://a.example http://b.example:8080/ads/"), None);
    t.cleanup().await;
}
