//! The paywall as readers meet it, and the leak matrix: for each kind of
//! reader and each channel that shows article text, text beyond what that
//! reader may read is absent from the response bytes. Runs on every backend.

mod common;

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, Utc};
use common::*;
use masthead_core::billing::{Interval, Plan, SubscriptionStatus};
use masthead_core::{AccessLevel, ArticleDraft, Benefit, MeterPolicy, MeterWindow};
use masthead_db::plans::SubscriptionUpsert;
use masthead_db::{testing, Db};
use masthead_web::newsroom::{self, Publish};
use masthead_web::paywall::Paywall;

const BLOCKS: usize = 10;
const PREVIEW: usize = 3;
const UA: &str = "Mozilla/5.0 (test)";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

fn marker(slug: &str, i: usize) -> String {
    format!("LEAK{}MARK{i}X", slug.replace('-', "").to_uppercase())
}

fn body_with_markers(slug: &str) -> String {
    (0..BLOCKS).map(|i| format!("Paragraph {i} says {}.", marker(slug, i))).collect::<Vec<_>>().join("\n\n")
}

/// Markers of `slug` present in `text`, by block index.
fn present(text: &str, slug: &str) -> Vec<usize> {
    (0..BLOCKS).filter(|i| text.contains(&marker(slug, *i))).collect()
}

struct Fixture {
    app: App,
    plan_id: i64,
}

async fn fixture(db: Db) -> Fixture {
    fixture_on(app(db, None).await).await
}

async fn fixture_on(app: App) -> Fixture {
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
        grace_days: 7,
        gift_links_per_month: 2,
        gift_link_days: 14,
    };
    s.db.set_setting("paywall", &serde_json::to_string(&policy).unwrap()).await.unwrap();
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
    let annual = Plan { slug: "annual".into(), name: "Annual".into(), price_minor: 1990, interval: Interval::Year, trial_days: 0, badge: "BEST VALUE".into(), ..plan };
    s.db.upsert_plan(&annual, 1, Utc::now()).await.unwrap();
    let now = Utc::now();
    // Oldest first: "secret" is the next article after "front".
    for (slug, access, age) in [
        ("warmup-one", AccessLevel::Metered, 60),
        ("warmup-two", AccessLevel::Metered, 50),
        ("warmup-three", AccessLevel::Metered, 40),
        ("secret", AccessLevel::Metered, 30),
        ("front", AccessLevel::Free, 20),
        ("members", AccessLevel::SubscribersOnly, 10),
    ] {
        let d = ArticleDraft {
            headline: format!("The {slug} story"),
            slug: Some(slug.into()),
            standfirst: format!("Standfirst of {slug}."),
            body_markdown: body_with_markers(slug),
            access,
            ..Default::default()
        };
        newsroom::create_article(s, &d, Publish::At(now - Duration::minutes(age)), now).await.unwrap();
    }
    s.reload().await.unwrap();
    Fixture { app, plan_id }
}

/// A reader: cookies to send, an address, a user agent.
struct Who {
    name: &'static str,
    cookies: String,
    ip: [u8; 4],
    ua: &'static str,
    gift: Option<String>,
}

async fn signed_in(f: &Fixture, email: &str, status: Option<(SubscriptionStatus, Duration)>) -> String {
    let db = &f.app.state.db;
    let r = db.reader_for_verified_email(email, Utc::now()).await.unwrap();
    if let Some((status, past_due_for)) = status {
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
        db.upsert_subscription(&up, now - past_due_for).await.unwrap();
    }
    let v = masthead_web::reader::session_value(SECRET, r.id, r.session_epoch);
    format!("mh_session={v}")
}

/// Uses up a reader's meter by reading the warm-up articles.
async fn exhaust(f: &Fixture, cookies: &str, ip: [u8; 4], n: usize) -> String {
    let mut cookies = cookies.to_string();
    for slug in ["warmup-one", "warmup-two", "warmup-three"].iter().take(n) {
        let r = get_as(&f.app.router, &format!("/article/{slug}"), &cookies, ip, UA).await;
        if let Some(anon) = r.cookie("mh_anon") {
            cookies = if cookies.is_empty() { format!("mh_anon={anon}") } else { format!("{cookies}; mh_anon={anon}") };
        }
    }
    f.app.state.flush_meter().await;
    cookies
}

async fn readers(f: &Fixture) -> Vec<(Who, usize)> {
    let all = BLOCKS;
    let cut = PREVIEW;
    let mut v = Vec::new();
    v.push((Who { name: "anonymous, fresh", cookies: String::new(), ip: [10, 0, 0, 1], ua: UA, gift: None }, all));
    let over = exhaust(f, "", [10, 0, 0, 2], 1).await;
    v.push((Who { name: "anonymous, over quota", cookies: over.clone(), ip: [10, 0, 0, 2], ua: UA, gift: None }, cut));
    let within = signed_in(f, "within@example.org", None).await;
    v.push((Who { name: "registered, within quota", cookies: within, ip: [10, 0, 0, 3], ua: UA, gift: None }, all));
    let reg_over = signed_in(f, "over@example.org", None).await;
    let reg_over = exhaust(f, &reg_over, [10, 0, 0, 4], 3).await;
    v.push((Who { name: "registered, over quota", cookies: reg_over, ip: [10, 0, 0, 4], ua: UA, gift: None }, cut));
    for (name, email, status, since) in [
        ("trialing", "trial@example.org", SubscriptionStatus::Trialing, 0),
        ("active", "active@example.org", SubscriptionStatus::Active, 0),
        ("past due, in grace", "grace@example.org", SubscriptionStatus::PastDue, 2),
    ] {
        let c = signed_in(f, email, Some((status, Duration::days(since)))).await;
        v.push((Who { name, cookies: c, ip: [10, 0, 1, 1], ua: UA, gift: None }, all));
    }
    for (name, email, status, since) in [
        ("canceled (ended)", "ended@example.org", SubscriptionStatus::Ended, 0),
        ("past due, grace over", "lapsed@example.org", SubscriptionStatus::PastDue, 9),
        ("unpaid", "unpaid@example.org", SubscriptionStatus::Unpaid, 0),
    ] {
        let c = signed_in(f, email, Some((status, Duration::days(since)))).await;
        let c = exhaust(f, &c, [10, 0, 2, 1], 3).await;
        v.push((Who { name, cookies: c, ip: [10, 0, 2, 1], ua: UA, gift: None }, cut));
    }
    v.push((Who { name: "spoofed crawler", cookies: over.clone(), ip: [10, 0, 0, 2], ua: GOOGLEBOT, gift: None }, cut));
    v.push((Who { name: "verified crawler", cookies: String::new(), ip: [66, 249, 66, 1], ua: GOOGLEBOT, gift: None }, all));
    // A subscriber sends a gift link; an over-quota stranger opens it.
    let giver = signed_in(f, "giver@example.org", Some((SubscriptionStatus::Active, Duration::zero()))).await;
    let page = get_as(&f.app.router, "/account", &giver, [10, 0, 3, 1], UA).await;
    let csrf = page.field("csrf");
    let gift = post_form(&f.app.router, "/article/secret/gift", &giver, &format!("csrf={csrf}")).await;
    assert_eq!(gift.status, 200, "{}", gift.body);
    let link = gift.body.split("value=\"http://news.test").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    v.push((Who { name: "gift-link holder", cookies: over, ip: [10, 0, 0, 2], ua: UA, gift: Some(link) }, all));
    v
}

#[tokio::test]
async fn the_leak_matrix() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        for (who, allowed) in readers(&f).await {
            let ctx = format!("{} / {}", t.backend, who.name);
            // Channel: the article page. (Over-quota readers first: the
            // fresh ones are counted by this read.)
            let path = who.gift.clone().unwrap_or_else(|| "/article/secret".to_string());
            let page = get_as(&f.app.router, &path, &who.cookies, who.ip, who.ua).await;
            assert_eq!(page.status, 200, "{ctx}");
            let shown = present(&page.body, "secret");
            assert_eq!(shown, (0..allowed).collect::<Vec<_>>(), "{ctx}: article page shows exactly the allowed blocks");
            if allowed < BLOCKS {
                assert!(page.body.contains("class=\"offer\""), "{ctx}: a cut page carries the offer");
                assert!(!page.body.contains("class=\"paywalled\""), "{ctx}");
            }
            // Channel: Open Graph, Twitter and JSON-LD in the head carry no body text.
            let head = page.body.split("</head>").next().unwrap();
            assert!(present(head, "secret").is_empty(), "{ctx}: head leaks body text");
            assert!(head.contains("\"isAccessibleForFree\":false") && head.contains("\"cssSelector\":\".paywalled\""), "{ctx}");
            // Channel: the print view.
            let print_path = match &who.gift {
                Some(g) => g.replacen("/article/secret", "/article/secret/print", 1),
                None => "/article/secret/print".into(),
            };
            let print = get_as(&f.app.router, &print_path, &who.cookies, who.ip, who.ua).await;
            let printed = present(&print.body, "secret");
            assert!(printed.len() <= allowed.max(if who.name == "anonymous, fresh" { BLOCKS } else { 0 }), "{ctx}: print view shows {printed:?}");
            // Channel: the next-article teaser under "front" (a free article).
            let front = get_as(&f.app.router, "/article/front", &who.cookies, who.ip, who.ua).await;
            let teased = present(&front.body, "secret");
            // More than a cut only for readers who may read "secret" without
            // using the meter now: subscribers, the verified crawler, and the
            // registered reader who has just read it (re-reading is free). The
            // fresh anonymous reader kept no cookie, so is a stranger again.
            let cap = if allowed == BLOCKS && who.name != "anonymous, fresh" && who.gift.is_none() { 6 } else { PREVIEW };
            assert!(teased.len() <= cap && teased.iter().all(|i| *i < cap), "{ctx}: teaser shows {teased:?}");
            // Subscribers-only: nobody without full access gets past the preview.
            let members = get_as(&f.app.router, "/article/members", &who.cookies, who.ip, who.ua).await;
            let m = present(&members.body, "members");
            let full_access = ["trialing", "active", "past due, in grace", "verified crawler"].contains(&who.name);
            assert_eq!(m.len(), if full_access { BLOCKS } else { PREVIEW }, "{ctx}: subscribers-only article");
            // Channel: the public feeds, the same for everyone (a verified
            // crawler included): never more than the preview of a gated article.
            for feed in ["/feed.xml", "/atom.xml", "/feed.json"] {
                let body = get_as(&f.app.router, feed, &who.cookies, who.ip, who.ua).await.body;
                assert_eq!(present(&body, "secret"), (0..PREVIEW).collect::<Vec<_>>(), "{ctx}: {feed}, metered article");
                assert_eq!(present(&body, "members"), (0..PREVIEW).collect::<Vec<_>>(), "{ctx}: {feed}, subscribers-only article");
                assert_eq!(present(&body, "front").len(), BLOCKS, "{ctx}: {feed}, free article whole");
            }
            // Channel: the reader's private feed, by their entitlements alone
            // (a feed never uses the meter).
            if who.cookies.contains("mh_session=") {
                let account = get_as(&f.app.router, "/account", &who.cookies, who.ip, who.ua).await;
                let made = post_form(&f.app.router, "/account/feed", &who.cookies, &format!("csrf={}", account.field("csrf"))).await;
                assert_eq!(made.status, 303, "{ctx}");
                let account = get_as(&f.app.router, "/account", &who.cookies, who.ip, who.ua).await;
                let path = account.body.split("value=\"http://news.test").find(|s| s.starts_with("/feeds/private/")).unwrap().split('"').next().unwrap().to_string();
                let body = get(&f.app.router, &path).await.body;
                let expect = if full_access { BLOCKS } else { PREVIEW };
                assert_eq!(present(&body, "secret").len(), expect, "{ctx}: private feed, metered article");
                assert_eq!(present(&body, "members").len(), expect, "{ctx}: private feed, subscribers-only article");
                assert!(present(&body, "secret").iter().all(|i| *i < expect), "{ctx}");
            }
        }
        t.cleanup().await;
    }
}

/// The leak matrix's API channel: the Content API cuts every gated article
/// where the web cuts it for an anonymous reader over quota, and its lists
/// carry no body text at all.
/// Crawlers verified by forward-confirmed reverse DNS instead of address
/// ranges: the address's name must be under an allowed domain and resolve
/// back to it. Loopback stands in for a search engine's address: its name
/// on this machine comes from /etc/hosts through the same system resolver
/// the server asks.
#[tokio::test]
async fn crawlers_verified_by_forward_confirmed_reverse_dns_read_in_full() {
    let lo = [127, 0, 0, 1];
    let name = dns_lookup::lookup_addr(&std::net::IpAddr::from(lo)).expect("127.0.0.1 has a name on this machine (/etc/hosts)");
    for t in testing::all().await {
        let f = fixture_on(app_with(t.db.clone(), |c| c.crawler_dns = vec![name.clone()]).await).await;
        let r = &f.app.router;
        let page = get_as(r, "/article/members", "", lo, GOOGLEBOT).await;
        assert_eq!(present(&page.body, "members").len(), BLOCKS, "{}: a crawler whose address is {name} reads in full", t.backend);
        assert!(page.body.contains("\"isAccessibleForFree\":false"), "{}: still marked as gated for search engines", t.backend);
        let metered = get_as(r, "/article/secret", "", lo, GOOGLEBOT).await;
        assert_eq!(present(&metered.body, "secret").len(), BLOCKS, "{}", t.backend);
        assert!(metered.cookie("mh_anon").is_none(), "{}: a verified crawler uses no meter", t.backend);
        // The same address with a browser's user agent is a reader, never
        // looked up: the cut.
        let reader = get_as(r, "/article/members", "", lo, UA).await;
        assert_eq!(present(&reader.body, "members"), (0..PREVIEW).collect::<Vec<_>>(), "{}", t.backend);
        t.cleanup().await;
    }
    for t in testing::all().await {
        // Only names under the listed domains count: with Google's domains
        // listed, this address's name ({name}) verifies nothing.
        let f = fixture_on(app_with(t.db.clone(), |c| c.crawler_dns = vec!["googlebot.com".into(), "google.com".into()]).await).await;
        let spoofed = get_as(&f.app.router, "/article/members", "", lo, GOOGLEBOT).await;
        assert_eq!(present(&spoofed.body, "members"), (0..PREVIEW).collect::<Vec<_>>(), "{}: a Googlebot user agent alone gets nothing", t.backend);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_content_api_sends_no_gated_text() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let (hash, prefix, key) = masthead_web::api::new_token(masthead_db::tokens::TokenKind::Content);
        t.db.create_api_token(masthead_db::tokens::TokenKind::Content, "leak test", &hash, &prefix, None, &[], Utc::now()).await.unwrap();
        let over = exhaust(&f, "", [10, 7, 0, 1], 1).await;
        let api = |path: String| {
            let router = f.app.router.clone();
            let key = key.clone();
            async move {
                let r = send(&router, Request::get(path).header("authorization", format!("Bearer {key}")).body(Body::empty()).unwrap()).await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.body
            }
        };
        for slug in ["secret", "members", "warmup-two", "front"] {
            let web = get_as(&f.app.router, &format!("/article/{slug}"), &over, [10, 7, 0, 1], UA).await;
            let from_web = present(&web.body, slug);
            let body = api(format!("/api/content/articles/{slug}")).await;
            let from_api = present(&body, slug);
            assert_eq!(from_api, from_web, "{} / {slug}: the API cuts where the web cuts", t.backend);
            let expected = if slug == "front" { BLOCKS } else { PREVIEW };
            assert_eq!(from_api, (0..expected).collect::<Vec<_>>(), "{} / {slug}", t.backend);
        }
        let list = api("/api/content/articles?limit=100".into()).await;
        for slug in ["secret", "members", "front"] {
            assert!(present(&list, slug).is_empty(), "{}: the list leaks {slug}", t.backend);
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_meter_counts_once_and_the_banner_says_what_is_left() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let ip = [10, 1, 0, 1];
        let first = get_as(&f.app.router, "/article/secret", "", ip, UA).await;
        assert_eq!(present(&first.body, "secret").len(), BLOCKS, "{}", t.backend);
        assert!(first.body.contains("This is your last free article"), "{}", t.backend);
        assert_eq!(first.header("cache-control"), "private, no-store", "a counted read is personal");
        let anon = first.cookie("mh_anon").expect("an anonymous id is set");
        let set = first.header("set-cookie");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
        let cookies = format!("mh_anon={anon}");
        // Re-reading the counted article costs nothing.
        let again = get_as(&f.app.router, "/article/secret", &cookies, ip, UA).await;
        assert_eq!(present(&again.body, "secret").len(), BLOCKS);
        // A second metered article is cut, with the offer and its plans.
        let other = get_as(&f.app.router, "/article/warmup-one", &cookies, ip, UA).await;
        assert_eq!(present(&other.body, "warmupone").len(), PREVIEW, "{}", t.backend);
        for part in ["You've reached your limit", "Cancel anytime", "An ad-free experience <span class=\"tag-new\">NEW</span>",
            "30-day free trial", "$2.90", "$19.90", "BEST VALUE", "Save $14.90 a year", "Already a subscriber?",
            "Start your free trial to read the full story"] {
            assert!(other.body.contains(part), "{}: the offer lacks {part:?}", t.backend);
        }
        // The anonymous cut variant may be kept by a CDN; it sets no cookie.
        assert_eq!(other.header("cache-control"), "public, max-age=0, s-maxage=60");
        assert!(other.cookie("mh_anon").is_none());
        assert_eq!(other.header("vary"), "Cookie");
        // Free articles never count.
        let free = get_as(&f.app.router, "/article/front", &cookies, ip, UA).await;
        assert_eq!(present(&free.body, "front").len(), BLOCKS);
        // A forged anonymous id is no id at all: a new one is issued.
        let forged = get_as(&f.app.router, "/article/warmup-two", "mh_anon=abc.forged", [10, 1, 0, 2], UA).await;
        assert_ne!(forged.cookie("mh_anon"), None);
        // Once the read is written, a reader over quota is answered from
        // memory: the counted article still opens in full, others stay cut.
        f.app.state.flush_meter().await;
        for round in 0..2 {
            let again = get_as(&f.app.router, "/article/secret", &cookies, ip, UA).await;
            assert_eq!(present(&again.body, "secret").len(), BLOCKS, "{} round {round}", t.backend);
            let other = get_as(&f.app.router, "/article/warmup-three", &cookies, ip, UA).await;
            assert_eq!(present(&other.body, "warmupthree").len(), PREVIEW, "{} round {round}", t.backend);
        }
        // A quota the publisher raises counts at once.
        let mut p = f.app.state.policy();
        p.meter.anonymous_quota = 2;
        f.app.state.db.set_setting("paywall", &serde_json::to_string(&p).unwrap()).await.unwrap();
        f.app.state.reload().await.unwrap();
        let more = get_as(&f.app.router, "/article/warmup-three", &cookies, ip, UA).await;
        assert_eq!(present(&more.body, "warmupthree").len(), BLOCKS, "{}: the raised quota gives one more", t.backend);
        assert!(more.body.contains("This is your last free article"), "{}", t.backend);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn clearing_cookies_does_not_reset_the_meter_with_the_network_meter_on() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let mut p = f.app.state.policy();
        p.meter.network_quota = Some(2);
        f.app.state.db.set_setting("paywall", &serde_json::to_string(&p).unwrap()).await.unwrap();
        f.app.state.reload().await.unwrap();
        let ip = [10, 2, 0, 1];
        // A client that never keeps cookies: each request looks fresh.
        let a = get_as(&f.app.router, "/article/warmup-one", "", ip, UA).await;
        assert_eq!(present(&a.body, "warmupone").len(), BLOCKS);
        f.app.state.flush_meter().await;
        let b = get_as(&f.app.router, "/article/warmup-two", "", ip, UA).await;
        assert_eq!(present(&b.body, "warmuptwo").len(), BLOCKS, "{}: second read within the network quota", t.backend);
        f.app.state.flush_meter().await;
        let c = get_as(&f.app.router, "/article/secret", "", ip, UA).await;
        assert_eq!(present(&c.body, "secret"), (0..PREVIEW).collect::<Vec<_>>(), "{}: the network meter holds", t.backend);
        // The same address with a neighbour's address in its /24 and the same
        // browser is the same network; another network, or another browser
        // on this one, is not affected.
        let same = get_as(&f.app.router, "/article/secret", "", [10, 2, 0, 77], UA).await;
        assert_eq!(present(&same.body, "secret"), (0..PREVIEW).collect::<Vec<_>>(), "{}: the /24 is one network", t.backend);
        let d = get_as(&f.app.router, "/article/secret", "", [10, 3, 0, 1], UA).await;
        assert_eq!(present(&d.body, "secret").len(), BLOCKS);
        let other_browser = get_as(&f.app.router, "/article/secret", "", ip, "Mozilla/5.0 (another browser)").await;
        assert_eq!(present(&other_browser.body, "secret").len(), BLOCKS, "{}: the user agent is part of the network's key", t.backend);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_reader_signs_up_by_email_link_and_the_meter_follows_them() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let ip = [10, 4, 0, 1];
        // Read one article anonymously.
        let first = get_as(r, "/article/warmup-one", "", ip, UA).await;
        let anon = format!("mh_anon={}", first.cookie("mh_anon").unwrap());
        f.app.state.flush_meter().await;
        // Sign up.
        let form = get_as(r, "/signup?next=/article/secret", &anon, ip, UA).await;
        let csrf_cookie = form.cookie("mh_csrf").unwrap();
        let cookies = format!("{anon}; mh_csrf={csrf_cookie}");
        let csrf = form.field("csrf");
        let sent = post_form(r, "/login/link", &cookies, &format!("email=New.Reader%40example.org&csrf={csrf}&next=%2Farticle%2Fsecret")).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        // The same answer for an existing address: nothing is revealed.
        t.db.reader_for_verified_email("known@example.org", Utc::now()).await.unwrap();
        let known = post_form(r, "/login/link", &cookies, &format!("email=known%40example.org&csrf={csrf}&next=%2Farticle%2Fsecret")).await;
        assert_eq!((known.status, known.header("location")), (sent.status, sent.header("location")));
        let mails = f.app.state.mailer.sent().unwrap();
        let mail = mails.iter().find(|m| m.recipients.join(",").contains("new.reader@example.org")).expect("a mail to the new reader");
        let text = mail.text_part().unwrap_or_default();
        assert!(text.contains("create your free account"), "{text}");
        let link = text.lines().find(|l| l.contains("/login/verify?token=")).unwrap().trim().to_string();
        let path = link.strip_prefix("http://news.test").unwrap();
        // Opening the link shows a button; the token is not used by a GET.
        let verify = get_as(r, path, &cookies, ip, UA).await;
        assert_eq!(verify.status, 200);
        let token = verify.field("token");
        let vcsrf = verify.field("csrf");
        let signed = post_form(r, "/login/verify", &cookies, &format!("token={token}&csrf={vcsrf}&next=%2Farticle%2Fsecret")).await;
        assert_eq!(signed.status, 303, "{}", signed.body);
        assert_eq!(signed.header("location"), "/article/secret");
        let session = format!("mh_session={}", signed.cookie("mh_session").unwrap());
        // The link works once.
        let reuse = post_form(r, "/login/verify", &cookies, &format!("token={token}&csrf={vcsrf}&next=%2F")).await;
        assert_eq!(reuse.status, 400);
        assert!(reuse.body.contains("expired or was already used"));
        // On another device, signed in: the anonymous read came along (1 of 3 used).
        let account = get_as(r, "/account", &session, [10, 5, 0, 1], UA).await;
        assert!(account.body.contains("1 of 3 free articles read this month"), "{}: {}", t.backend, account.body);
        assert_eq!(account.header("cache-control"), "private, no-store");
        let page = get_as(r, "/article/secret", &session, [10, 5, 0, 1], UA).await;
        assert!(page.body.contains("1 of 3 free articles left"), "{}", t.backend);
        assert!(page.body.contains("href=\"/account\""), "the header knows the reader");
        // Sign out.
        let csrf = account.field("csrf");
        let out = post_form(r, "/logout", &session, &format!("csrf={csrf}")).await;
        assert_eq!(out.status, 303);
        assert!(out.header("set-cookie").contains("mh_session=;"));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn passwords_email_change_and_account_deletion() {
    for t in testing::all().await {
        let f = fixture(t.db.clone()).await;
        let r = &f.app.router;
        let session = signed_in(&f, "pat@example.org", None).await;
        let account = get_as(r, "/account", &session, [10, 6, 0, 1], UA).await;
        let csrf = account.field("csrf");
        let set = post_form(r, "/account/password", &session, &format!("password=a-good-long-password&csrf={csrf}")).await;
        assert_eq!(set.status, 303, "{}", set.body);
        // The old session ended with the password change; the new one works.
        assert_eq!(get_as(r, "/account", &session, [10, 6, 0, 1], UA).await.status, 303);
        let session = format!("mh_session={}", set.cookie("mh_session").unwrap());
        // Password sign-in: wrong, then right.
        let form = get(r, "/login").await;
        let c = format!("mh_csrf={}", form.cookie("mh_csrf").unwrap());
        let lcsrf = form.field("csrf");
        let bad = post_form(r, "/login/password", &c, &format!("email=pat%40example.org&password=nope-nope-nope&csrf={lcsrf}")).await;
        assert_eq!(bad.status, 401);
        assert!(bad.body.contains("don&#39;t match"));
        let unknown = post_form(r, "/login/password", &c, &format!("email=nobody%40example.org&password=nope-nope-nope&csrf={lcsrf}")).await;
        assert_eq!((unknown.status, unknown.body.contains("don&#39;t match")), (axum::http::StatusCode::UNAUTHORIZED, true), "same answer for unknown addresses");
        let good = post_form(r, "/login/password", &c, &format!("email=pat%40example.org&password=a-good-long-password&csrf={lcsrf}")).await;
        assert_eq!(good.status, 303);
        // A form without the right token changes nothing.
        let forged = post_form(r, "/account/email", &session, "email=evil%40example.org&csrf=forged").await;
        assert_eq!(forged.status, 400);
        // Email change needs confirmation from the new address.
        let account = get_as(r, "/account", &session, [10, 6, 0, 1], UA).await;
        let csrf = account.field("csrf");
        let change = post_form(r, "/account/email", &session, &format!("email=pat.new%40example.org&csrf={csrf}")).await;
        assert_eq!(change.status, 303);
        assert!(t.db.reader_by_email("pat@example.org").await.unwrap().is_some(), "unchanged until confirmed");
        let mail = f.app.state.mailer.sent().unwrap().into_iter().find(|m| m.recipients.join(",").contains("pat.new@example.org")).unwrap();
        let link = mail.text_part().unwrap().lines().find(|l| l.contains("/account/email/confirm?token=")).unwrap().trim().to_string();
        let confirm = get_as(r, link.strip_prefix("http://news.test").unwrap(), &session, [10, 6, 0, 1], UA).await;
        let done = post_form(r, "/account/email/confirm", &session, &format!("token={}&csrf={}", confirm.field("token"), confirm.field("csrf"))).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert!(t.db.reader_by_email("pat.new@example.org").await.unwrap().is_some(), "{}", t.backend);
        // Deleting the account needs the address typed, then removes it.
        let account = get_as(r, "/account", &session, [10, 6, 0, 1], UA).await;
        let csrf = account.field("csrf");
        let wrong = post_form(r, "/account/delete", &session, &format!("confirm=someone%40example.org&csrf={csrf}")).await;
        assert_eq!(wrong.status, 400);
        let gone = post_form(r, "/account/delete", &session, &format!("confirm=pat.new%40example.org&csrf={csrf}")).await;
        assert_eq!(gone.status, 200);
        assert!(t.db.reader_by_email("pat.new@example.org").await.unwrap().is_none());
        assert_eq!(get_as(r, "/account", &session, [10, 6, 0, 1], UA).await.status, 303, "the session is gone with the account");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn sign_in_mail_is_rate_limited() {
    let t = testing::sqlite().await;
    let f = fixture(t.db.clone()).await;
    let form = get(&f.app.router, "/login").await;
    let c = format!("mh_csrf={}", form.cookie("mh_csrf").unwrap());
    let csrf = form.field("csrf");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post_form(&f.app.router, "/login/link", &c, &format!("email=flood%40example.org&csrf={csrf}")).await.status.as_u16());
    }
    assert_eq!(statuses, vec![303, 303, 303, 429, 429]);
    let bad = post_form(&f.app.router, "/login/link", &c, &format!("email=not-an-address&csrf={csrf}")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("doesn&#39;t look like an email address"));
    let _ = Request::get("/").body(Body::empty());
    t.cleanup().await;
}
