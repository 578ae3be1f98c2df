//! The weekly magazine end to end, on every backend: the week's most-read
//! articles proposed, curated in the desk and published; the web edition
//! and the EPUB in the leak matrix (no article text for readers without the
//! Magazine benefit, and only what `decide` allows for those with it); the
//! EPUB accepted by epubcheck; a failed build recorded while the previous
//! file is still served.

mod common;

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use chrono::{Duration, Utc};
use common::*;
use masthead_core::billing::{Interval, Plan, SubscriptionStatus};
use masthead_core::staff::Role;
use masthead_core::{AccessLevel, ArticleDraft, Benefit, Figure, MeterPolicy, MeterWindow, Provenance, TagKind};
use masthead_db::plans::SubscriptionUpsert;
use masthead_db::testing;
use masthead_web::magazine;
use masthead_web::newsroom::{self, Publish};
use masthead_web::paywall::Paywall;

const BLOCKS: usize = 10;
const PREVIEW: usize = 3;
const UA: &str = "Mozilla/5.0 (test)";

fn marker(slug: &str, i: usize) -> String {
    format!("MAG{}MARK{i}X", slug.replace('-', "").to_uppercase())
}

fn present(text: &str, slug: &str) -> Vec<usize> {
    (0..BLOCKS).filter(|i| text.contains(&marker(slug, *i))).collect()
}

async fn set_policy(app: &App) {
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
        ..Paywall::default()
    };
    app.state.db.set_setting("paywall", &serde_json::to_string(&policy).unwrap()).await.unwrap();
}

async fn plans(app: &App) -> (i64, i64) {
    let monthly = Plan {
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
    let basic = Plan { slug: "basic".into(), name: "Basic".into(), benefits: vec![Benefit::FullAccess], ..monthly.clone() };
    let db = &app.state.db;
    let full = db.upsert_plan(&monthly, 0, Utc::now()).await.unwrap().id;
    let basic = db.upsert_plan(&basic, 1, Utc::now()).await.unwrap().id;
    (full, basic)
}

async fn staff_cookie(app: &App) -> String {
    let db = &app.state.db;
    let s = db.create_staff("ed@news.test", "Ed", Role::Editor, "x", Utc::now()).await.unwrap();
    format!("mh_staff={}", masthead_web::auth::staff_session(SECRET, s.id))
}

async fn reader(app: &App, email: &str) -> (i64, String) {
    let r = app.state.db.reader_for_verified_email(email, Utc::now()).await.unwrap();
    (r.id, format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch)))
}

async fn subscribe(app: &App, reader_id: i64, plan_id: i64, status: SubscriptionStatus) {
    let now = Utc::now();
    let up = SubscriptionUpsert {
        reader_id,
        plan_id,
        provider: "demo",
        provider_customer_id: "cus",
        provider_subscription_id: &format!("sub_{reader_id}"),
        status,
        current_period_end: now + Duration::days(20),
        cancel_at_period_end: false,
        trial_end: None,
    };
    app.state.db.upsert_subscription(&up, now).await.unwrap();
}

async fn marked_article(app: &App, slug: &str, access: AccessLevel, section: Option<&str>, hero: Option<&str>, age: Duration) -> i64 {
    let body = (0..BLOCKS).map(|i| format!("Paragraph {i} says {}.", marker(slug, i))).collect::<Vec<_>>().join("\n\n");
    let d = ArticleDraft {
        headline: format!("The {slug} story"),
        slug: Some(slug.into()),
        standfirst: format!("Standfirst of {slug}."),
        body_markdown: body,
        access,
        section: section.map(str::to_string),
        hero: hero.map(|k| Figure { src: format!("media:{k}"), alt: "A picture".into(), caption: "Caption".into(), credit: "Photo: Test".into(), ..Default::default() }),
        ..Default::default()
    };
    let now = Utc::now();
    newsroom::create_article(&app.state, &d, Publish::At(now - age), now).await.unwrap().id
}

/// All text inside an EPUB (entries inflated), for marker checks.
fn epub_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an EPUB is a zip");
    let mut out = String::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    out
}

/// The issue proposed for `week`, with `slugs` added if the proposal left
/// them out (near a week's start, "published 20 minutes ago" is last week).
async fn issue_with(state: &masthead_web::AppState, week: chrono::DateTime<Utc>, slugs: &[&str]) -> masthead_db::magazine::Issue {
    let now = Utc::now();
    let issue = magazine::propose(state, week, now).await.unwrap();
    let have: Vec<i64> = state.db.issue_articles(issue.id).await.unwrap().iter().map(|i| i.article_id).collect();
    for slug in slugs {
        let id = state.db.article_by_slug(slug).await.unwrap().unwrap().id;
        if !have.contains(&id) {
            state.db.curate_issue(issue.id, &masthead_db::magazine::Curation::Add { article_id: id, section: String::new() }, now).await.unwrap();
        }
    }
    issue
}

async fn drain(app: &App) {
    masthead_web::worker::drain(&app.state).await;
}

#[tokio::test]
async fn the_week_is_proposed_from_the_most_read_and_curated_in_the_desk() {
    for t in testing::all().await {
        let b = t.backend;
        let app = app(t.db.clone(), None).await;
        set_policy(&app).await;
        app.state.db.upsert_tag(TagKind::Section, "europe", "Europe", "").await.unwrap();
        app.state.reload().await.unwrap();
        let ids: Vec<i64> = {
            let mut v = Vec::new();
            for (slug, age) in [("quiet", 50), ("popular", 40), ("middling", 30), ("picked", 20)] {
                v.push(marked_article(&app, slug, AccessLevel::Metered, Some("europe"), None, Duration::minutes(age)).await);
            }
            v
        };
        let (quiet, popular, middling, picked) = (ids[0], ids[1], ids[2], ids[3]);
        // Real reads through the site: each fresh anonymous reader counts once.
        for (slug, readers) in [("popular", 4u8), ("middling", 2), ("quiet", 1)] {
            for r in 0..readers {
                let page = get_as(&app.router, &format!("/article/{slug}"), "", [10, 9, r, 1], UA).await;
                assert_eq!(page.status, 200);
            }
        }
        app.state.flush_meter().await;
        let staff = staff_cookie(&app).await;
        // The desk is for staff, and its forms need the session's token.
        assert_eq!(get(&app.router, "/admin/magazine").await.status, 401);
        let desk = get_as(&app.router, "/admin/magazine", &staff, [127, 0, 0, 1], UA).await;
        assert_eq!(desk.status, 200, "{b}: {}", desk.body);
        let csrf = desk.field("csrf");
        let pick = post_form(&app.router, "/admin/magazine/picks", &staff, &format!("csrf={csrf}&action=add&article=%2Farticle%2Fpicked")).await;
        assert_eq!(pick.status, 303, "{b}: {}", pick.body);
        let today = Utc::now().date_naive().to_string();
        let forged = post_form(&app.router, "/admin/magazine/propose", &staff, &format!("csrf=forged&week={today}")).await;
        assert_eq!(forged.status, 403);
        let proposed = post_form(&app.router, "/admin/magazine/propose", &staff, &format!("csrf={csrf}&week={today}")).await;
        assert_eq!(proposed.status, 303, "{b}: {}", proposed.body);
        let issue_url = proposed.header("location");
        let issue_id: i64 = issue_url.rsplit('/').next().unwrap().parse().unwrap();
        let order = |items: Vec<masthead_db::magazine::IssueArticle>| items.iter().map(|i| i.article_id).collect::<Vec<_>>();
        let items = app.state.db.issue_articles(issue_id).await.unwrap();
        assert_eq!(order(items.clone()), vec![picked, popular, middling, quiet], "{b}: the pick, then by distinct readers");
        assert_eq!(items.iter().map(|i| i.reads).collect::<Vec<_>>(), vec![0, 4, 2, 1], "{b}");
        let page = get_as(&app.router, &issue_url, &staff, [127, 0, 0, 1], UA).await;
        assert!(page.body.contains("Most read") && page.body.contains("(4 readers)"), "{b}");

        // Curate: move, remove, re-section, add back; each persists.
        let post = |body: String| {
            let router = app.router.clone();
            let staff = staff.clone();
            let url = format!("{issue_url}/articles");
            async move { post_form(&router, &url, &staff, &body).await }
        };
        assert_eq!(post(format!("csrf={csrf}&action=down&article={picked}")).await.status, 303);
        assert_eq!(post(format!("csrf={csrf}&action=remove&article={quiet}")).await.status, 303);
        assert_eq!(post(format!("csrf={csrf}&action=section&article={middling}&section=Long+reads")).await.status, 303);
        assert_eq!(post(format!("csrf={csrf}&action=up&article={middling}")).await.status, 303);
        assert_eq!(post(format!("csrf=nope&action=remove&article={popular}")).await.status, 403);
        let items = app.state.db.issue_articles(issue_id).await.unwrap();
        assert_eq!(order(items.clone()), vec![popular, middling, picked], "{b}");
        assert_eq!(items[1].section, "Long reads");
        assert_eq!(post(format!("csrf={csrf}&action=add&article=quiet&section=")).await.status, 303);
        let again = post(format!("csrf={csrf}&action=add&article=quiet")).await;
        assert_eq!(again.status, 409, "{b}: already in the issue");
        let items = app.state.db.issue_articles(issue_id).await.unwrap();
        assert_eq!(order(items.clone()), vec![popular, middling, picked, quiet]);
        assert_eq!(items[3].section, "Europe", "{b}: an added article takes its own section");
        let text = post_form(&app.router, &format!("{issue_url}/text"), &staff, &format!("csrf={csrf}&title=Borders&cover_media_key=&cover_line=Trade+stops&letter=Dear+*reader*.")).await;
        assert_eq!(text.status, 303, "{b}: {}", text.body);
        let issue = app.state.db.issue(issue_id).await.unwrap();
        assert_eq!((issue.title.as_str(), issue.cover_line.as_str()), ("Borders", "Trade stops"));
        assert!(issue.letter_blocks[0].html.contains("<em>reader</em>"), "{b}: the letter is rendered at save time");
        // Nothing public until published; then the number and the back issues.
        assert_eq!(get(&app.router, "/magazine/1").await.status, 404);
        let published = post_form(&app.router, &format!("{issue_url}/publish"), &staff, &format!("csrf={csrf}")).await;
        assert_eq!(published.status, 303);
        assert_eq!(app.state.db.issue(issue_id).await.unwrap().number, Some(1));
        let back = get(&app.router, "/magazine").await;
        assert!(back.body.contains("href=\"/magazine/1\"") && back.body.contains("Borders"), "{b}");
        let cover = get(&app.router, "/magazine/1/cover.svg").await;
        assert_eq!(cover.header("content-type"), "image/svg+xml");
        assert!(cover.body.contains("Borders") && cover.body.contains("Trade stops"));
        t.cleanup().await;
    }
}

struct Matrix {
    app: App,
}

async fn matrix_fixture(db: masthead_db::Db) -> Matrix {
    let app = app(db, None).await;
    set_policy(&app).await;
    let hero = newsroom::ingest_image(&app.state, png(640, 400), "hero.png").await.unwrap();
    marked_article(&app, "mag-free", AccessLevel::Free, None, None, Duration::minutes(30)).await;
    marked_article(&app, "mag-metered", AccessLevel::Metered, None, Some(&hero), Duration::minutes(20)).await;
    marked_article(&app, "mag-members", AccessLevel::SubscribersOnly, None, None, Duration::minutes(10)).await;
    app.state.reload().await.unwrap();
    let now = Utc::now();
    let issue = issue_with(&app.state, now, &["mag-free", "mag-metered", "mag-members"]).await;
    app.state.db.publish_issue(issue.id, now).await.unwrap();
    drain(&app).await;
    Matrix { app }
}

#[tokio::test]
async fn the_magazine_joins_the_leak_matrix() {
    for t in testing::all().await {
        let b = t.backend;
        let f = matrix_fixture(t.db.clone()).await;
        let app = &f.app;
        let (full_plan, basic_plan) = plans(app).await;
        app.state.reload().await.unwrap();
        let (_, registered) = reader(app, "free@example.org").await;
        let (basic_id, basic) = reader(app, "basic@example.org").await;
        subscribe(app, basic_id, basic_plan, SubscriptionStatus::Active).await;
        let (lapsed_id, lapsed) = reader(app, "lapsed@example.org").await;
        subscribe(app, lapsed_id, full_plan, SubscriptionStatus::Ended).await;
        let (mag_id, magazine_only) = reader(app, "magazine@example.org").await;
        app.state.db.grant_complimentary(mag_id, &[Benefit::Magazine], Utc::now() - Duration::days(1), Utc::now() + Duration::days(30), "press", Utc::now()).await.unwrap();
        let (sub_id, subscriber) = reader(app, "sub@example.org").await;
        subscribe(app, sub_id, full_plan, SubscriptionStatus::Active).await;

        let slugs = ["mag-free", "mag-metered", "mag-members"];
        // Readers without the Magazine benefit: the offer, not one block of
        // any article, and no EPUB.
        for (who, cookies, ip) in [
            ("anonymous", String::new(), [10, 7, 0, 1]),
            ("registered", registered, [10, 7, 0, 2]),
            ("subscriber without the magazine", basic, [10, 7, 0, 3]),
            ("lapsed subscriber", lapsed, [10, 7, 0, 4]),
            ("verified crawler", String::new(), [66, 249, 66, 1]),
        ] {
            let ctx = format!("{b} / {who}");
            let web = get_as(&app.router, "/magazine/1", &cookies, ip, UA).await;
            assert_eq!(web.status, 200, "{ctx}");
            assert!(web.body.contains("class=\"offer\""), "{ctx}: the offer");
            assert!(web.body.contains("The mag-members story"), "{ctx}: the contents show headlines");
            for s in slugs {
                assert!(present(&web.body, s).is_empty(), "{ctx}: web edition leaks {s}");
            }
            let epub = get_as(&app.router, "/magazine/1.epub", &cookies, ip, UA).await;
            assert_eq!((epub.status.as_u16(), epub.header("location")), (303, "/magazine/1".to_string()), "{ctx}");
            for s in slugs {
                assert!(present(&epub.body, s).is_empty(), "{ctx}: EPUB answer leaks {s}");
            }
        }

        // Readers with it: each article as decide allows, on the web and in the EPUB.
        let all: Vec<usize> = (0..BLOCKS).collect();
        let cut: Vec<usize> = (0..PREVIEW).collect();
        for (who, cookies, expected) in [
            ("magazine only", magazine_only, [all.clone(), cut.clone(), cut.clone()]),
            ("full subscriber", subscriber, [all.clone(), all.clone(), all.clone()]),
        ] {
            let ctx = format!("{b} / {who}");
            let web = get_as(&app.router, "/magazine/1", &cookies, [10, 7, 1, 1], UA).await;
            assert_eq!(web.status, 200, "{ctx}");
            assert_eq!(web.header("cache-control"), "private, no-store");
            assert!(!web.body.contains("class=\"offer\""), "{ctx}");
            for (s, want) in slugs.iter().zip(&expected) {
                assert_eq!(&present(&web.body, s), want, "{ctx}: web edition, {s}");
            }
            let mut epub = get_as(&app.router, "/magazine/1.epub", &cookies, [10, 7, 1, 1], UA).await;
            if epub.status == 202 {
                // No file fits this reader yet: theirs is built off the request path.
                assert_eq!(who, "magazine only", "{ctx}: the full EPUB was built on publishing");
                for s in slugs {
                    assert!(present(&epub.body, s).is_empty());
                }
                drain(app).await;
                epub = get_as(&app.router, "/magazine/1.epub", &cookies, [10, 7, 1, 1], UA).await;
            }
            assert_eq!(epub.status, 200, "{ctx}");
            assert_eq!(epub.header("content-type"), "application/epub+zip");
            assert_eq!(epub.header("content-disposition"), "attachment; filename=\"masthead-issue-1.epub\"", "{ctx}");
            let bytes = get_bytes(app, "/magazine/1.epub", &cookies).await;
            let text = epub_text(&bytes);
            for (s, want) in slugs.iter().zip(&expected) {
                assert_eq!(&present(&text, s), want, "{ctx}: EPUB, {s}");
            }
        }

        // An article turned subscribers-only after the build: the full file
        // no longer fits the magazine-only reader... it never did; but the
        // free article turned subscribers-only makes their built file too
        // generous, so it is not sent until rebuilt.
        let free = app.state.db.article_by_slug("mag-free").await.unwrap().unwrap();
        let mut draft = ArticleDraft {
            headline: free.headline.clone(),
            slug: Some(free.slug.clone()),
            body_markdown: free.body_markdown.clone(),
            access: AccessLevel::SubscribersOnly,
            ..Default::default()
        };
        draft.standfirst = free.standfirst.clone();
        newsroom::update_article(&app.state, free.id, None, &draft, Publish::Now, Utc::now()).await.unwrap();
        let (_, magazine_only) = reader(app, "magazine@example.org").await;
        let stale = get_as(&app.router, "/magazine/1.epub", &magazine_only, [10, 7, 1, 1], UA).await;
        assert_eq!(stale.status, 202, "{b}: a file holding more than allowed now is not sent");
        assert!(present(&stale.body, "mag-free").is_empty());
        t.cleanup().await;
    }
}

async fn get_bytes(app: &App, path: &str, cookies: &str) -> Vec<u8> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::get(path).header(axum::http::header::COOKIE, cookies).body(axum::body::Body::empty()).unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([10, 7, 1, 1], 40000))));
    let res = app.router.clone().oneshot(req).await.unwrap();
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

/// A path to the epubcheck program, if installed. With
/// MASTHEAD_REQUIRE_EPUBCHECK=1 (as in CI) a missing one fails the test.
fn epubcheck() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("epubcheck")).find(|p| p.is_file()));
    if found.is_none() {
        let required = std::env::var("MASTHEAD_REQUIRE_EPUBCHECK").is_ok_and(|v| v == "1");
        assert!(!required, "MASTHEAD_REQUIRE_EPUBCHECK=1 but there is no epubcheck on PATH: apt-get install epubcheck");
        eprintln!("note: epubcheck is not installed (apt-get install epubcheck); the EPUB was not validated");
    }
    found
}

fn validate(program: &Path, file: &Path) {
    let started = Instant::now();
    // Debian installs epubcheck as a jar on PATH, run through binfmt where
    // that is set up; `java -jar` works everywhere.
    let is_jar = std::fs::read(program).is_ok_and(|b| b.starts_with(b"PK"));
    let out = if is_jar {
        std::process::Command::new("java").args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar"]).arg(program).arg(file).output()
    } else {
        std::process::Command::new(program).arg(file).output()
    }
    .expect("run epubcheck");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("epubcheck {} took {:.1}s", file.display(), started.elapsed().as_secs_f64());
    assert!(out.status.success() && !text.contains("ERROR") && !text.contains("FATAL"), "epubcheck rejected {}:\n{text}", file.display());
    assert!(!text.contains("WARNING"), "epubcheck warned about {}:\n{text}", file.display());
}

/// An issue like the demo's: pictures, pull quotes, lists, tables, embeds,
/// translations, an editor's letter, with a cover picture and without.
#[tokio::test]
async fn the_epub_of_a_demo_like_issue_passes_epubcheck() {
    let program = epubcheck();
    for t in testing::all().await {
        let b = t.backend;
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        s.db.upsert_tag(TagKind::Section, "world", "World & Nations", "").await.unwrap();
        s.db.upsert_author("ana", "Ana Ruiz", "Correspondent", "").await.unwrap();
        let pic = newsroom::ingest_image(s, png(900, 600), "pic.png").await.unwrap();
        let now = Utc::now();
        let body = format!(
            "First paragraph with a [link](/article/elsewhere), *emphasis* & an ampersand, \"quotes\" and 5 < 6.\n\n\
             ## A subhead\n\n\
             ```figure\nsrc: media:{pic}\nalt: A <river> at dusk\ncaption: The river, as it was.\ncredit: Photo: A. Person via Agency\ndate: 2026-03-02\nplace: Heihe\n```\n\n\
             ```pullquote\nWe used to cross for *lunch*.\n-- A resident\n```\n\n\
             - one\n- two\n\n1. first\n2. second\n\n\
             > A quoted passage.\n\n\
             | Year | Trade |\n|:-----|------:|\n| 2024 | 10 |\n| 2025 | 4 |\n\n\
             ```embed\nhttps://www.youtube.com/watch?v=abc123\nFootage of the crossing.\n```\n\n\
             ---\n\nLast paragraph,\u{a0}with a no-break space and a line  \nbreak.\n\n<p>Raw <b>bold</b> and <img src=\"https://elsewhere.example/x.png\" alt=\"remote\"></p>"
        );
        for (slug, access) in [("crossing", AccessLevel::Metered), ("members-piece", AccessLevel::SubscribersOnly)] {
            let d = ArticleDraft {
                headline: format!("Across the river: {slug} & more"),
                slug: Some(slug.into()),
                standfirst: "A border town waits for trade.".into(),
                dateline: "Heihe".into(),
                hero: Some(Figure { src: format!("media:{pic}"), alt: "A bridge".into(), caption: "The bridge.".into(), credit: "Photo: Zhang".into(), ..Default::default() }),
                body_markdown: body.clone(),
                access,
                section: Some("world".into()),
                authors: vec!["ana".into()],
                provenance: Some(Provenance { publication: "Evening Courier".into(), language: "zh".into(), translator: "Li Wei".into(), ..Default::default() }),
                ..Default::default()
            };
            newsroom::create_article(s, &d, Publish::At(now - Duration::hours(1)), now).await.unwrap();
        }
        s.reload().await.unwrap();
        let mut files = Vec::new();
        for (week, cover) in [(now, Some(pic.clone())), (now - Duration::days(7), None)] {
            let mut issue = issue_with(s, week, &["crossing", "members-piece"]).await;
            let letter = masthead_render::render_body("Dear reader,\n\nThis week: *borders* & [bridges](/magazine).\n\n-- The editors", &s.dims());
            let text = masthead_db::magazine::IssueText { title: "Borders & bridges", cover_media_key: cover.as_deref(), cover_line: "Where trade stops", letter_markdown: "", letter_blocks: &letter.blocks };
            s.db.update_issue_text(issue.id, &text, now).await.unwrap();
            issue = s.db.publish_issue(issue.id, now).await.unwrap();
            let started = Instant::now();
            let name = magazine::build_epub(s, issue.id, masthead_core::magazine::EditionProfile::ALL[0]).await.unwrap();
            eprintln!("{b}: built issue {:?} in {} ms", issue.number, started.elapsed().as_millis());
            files.push(s.config.data_dir.join(magazine::EPUB_DIR).join(name));
        }
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            let text = epub_text(&bytes);
            assert!(text.contains("href=\"http://news.test/article/elsewhere\""), "{b}: site links made absolute");
            assert!(!text.contains("elsewhere.example"), "{b}: remote pictures left out");
        }
        // Two at a time: the JVM's start dominates epubcheck's time.
        if let Some(p) = &program {
            std::thread::scope(|scope| {
                for f in &files {
                    scope.spawn(move || validate(p, f));
                }
            });
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_build_is_recorded_and_the_previous_file_still_served() {
    for t in testing::all().await {
        let b = t.backend;
        let app = app(t.db.clone(), None).await;
        set_policy(&app).await;
        let (full_plan, _) = plans(&app).await;
        let cover = newsroom::ingest_image(&app.state, png(600, 800), "cover.png").await.unwrap();
        let one = marked_article(&app, "first-piece", AccessLevel::Metered, None, None, Duration::minutes(30)).await;
        let two = marked_article(&app, "second-piece", AccessLevel::Metered, None, None, Duration::minutes(20)).await;
        app.state.reload().await.unwrap();
        let now = Utc::now();
        let issue = issue_with(&app.state, now, &["first-piece", "second-piece"]).await;
        let letter: Vec<masthead_core::Block> = Vec::new();
        let text = masthead_db::magazine::IssueText { title: "Covers", cover_media_key: Some(&cover), cover_line: "", letter_markdown: "", letter_blocks: &letter };
        app.state.db.update_issue_text(issue.id, &text, now).await.unwrap();
        app.state.db.publish_issue(issue.id, now).await.unwrap();
        drain(&app).await;
        let (sub, cookies) = reader(&app, "sub@example.org").await;
        subscribe(&app, sub, full_plan, SubscriptionStatus::Active).await;
        let first = get_bytes(&app, "/magazine/1.epub", &cookies).await;
        assert_eq!(present(&epub_text(&first), "first-piece").len(), BLOCKS, "{b}");

        // The cover picture vanishes from the media store; the editor then
        // removes an article, which queues a rebuild. It fails.
        std::fs::remove_dir_all(app.state.config.media_dir().unwrap().join(&cover)).unwrap();
        let staff = staff_cookie(&app).await;
        let desk = get_as(&app.router, &format!("/admin/magazine/{}", issue.id), &staff, [127, 0, 0, 1], UA).await;
        let csrf = desk.field("csrf");
        let removed = post_form(&app.router, &format!("/admin/magazine/{}/articles", issue.id), &staff, &format!("csrf={csrf}&action=remove&article={one}")).await;
        assert_eq!(removed.status, 303);
        drain(&app).await;
        let files = app.state.db.epub_files(issue.id).await.unwrap();
        let f = &files[0];
        let error = f.last_error.clone().unwrap_or_default();
        assert!(error.contains(&cover), "{b}: the failure names the picture: {error:?}");
        assert!(f.file_name.is_some() && f.built_revision < app.state.db.issue(issue.id).await.unwrap().revision);
        let desk = get_as(&app.router, &format!("/admin/magazine/{}", issue.id), &staff, [127, 0, 0, 1], UA).await;
        assert!(desk.body.contains("role=\"alert\">Failed") && desk.body.contains("the previous file is still served"), "{b}: the desk shows it");
        assert!(desk.body.contains("out of date"));
        // The job waits for its retry, with the error recorded on it too.
        let counts = app.state.db.job_counts().await.unwrap();
        assert!(counts.iter().any(|(s, n)| s == "queued" && *n == 1), "{b}: {counts:?}");
        // Readers still get the previous file, as it was.
        let still = get_bytes(&app, "/magazine/1.epub", &cookies).await;
        assert_eq!(still, first, "{b}: the previous file is served unchanged");

        // The picture comes back; the retry succeeds and replaces the file.
        newsroom::ingest_image(&app.state, png(600, 800), "cover.png").await.unwrap();
        let job = loop {
            let j = app.state.db.claim_job(Utc::now() + Duration::hours(2), Duration::minutes(5)).await.unwrap().expect("the retry");
            if j.kind == masthead_db::magazine::JOB_EPUB {
                break j;
            }
            app.state.db.complete_job(j.id, Utc::now()).await.unwrap();
        };
        assert_eq!(job.attempts, 2);
        magazine::run_epub_job(&app.state, &job.payload).await.unwrap();
        app.state.db.complete_job(job.id, Utc::now()).await.unwrap();
        let f = app.state.db.epub_files(issue.id).await.unwrap().remove(0);
        assert_eq!(f.last_error, None, "{b}");
        let rebuilt = get_bytes(&app, "/magazine/1.epub", &cookies).await;
        let text = epub_text(&rebuilt);
        assert!(present(&text, "first-piece").is_empty() && present(&text, "second-piece").len() == BLOCKS, "{b}: the new file");
        let _ = two;
        let dir: Vec<_> = std::fs::read_dir(app.state.config.data_dir.join(magazine::EPUB_DIR)).unwrap().collect();
        assert_eq!(dir.len(), 1, "{b}: the replaced file was removed, no temporary files left");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_scheduler_proposes_each_week_once() {
    for t in testing::all().await {
        let b = t.backend;
        let app = app(t.db.clone(), None).await;
        let this_week = masthead_core::magazine::week_start(Utc::now());
        // Published within this week whatever the time of day.
        let d = ArticleDraft { headline: "Weekly".into(), slug: Some("weekly".into()), body_markdown: "Text.".into(), ..Default::default() };
        newsroom::create_article(&app.state, &d, Publish::At(this_week + Duration::seconds(1)), Utc::now()).await.unwrap();
        assert!(magazine::weekly_tick(&app.state, Utc::now()).await.unwrap().is_none(), "{b}: nothing was published last week");
        let next_week = this_week + Duration::days(7) + Duration::minutes(1);
        let issue = magazine::weekly_tick(&app.state, next_week).await.unwrap().expect("proposed when the week is over");
        assert_eq!((issue.week_start, issue.status), (this_week, masthead_core::magazine::IssueStatus::Draft), "{b}");
        assert_eq!(app.state.db.issue_articles(issue.id).await.unwrap().len(), 1);
        assert!(magazine::weekly_tick(&app.state, next_week).await.unwrap().is_none(), "{b}: once");
        t.cleanup().await;
    }
}
