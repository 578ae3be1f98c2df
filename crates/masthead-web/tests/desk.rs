//! The desk and the Admin API as staff use them, on every backend: each
//! role against each protected route and operation (allowed, or 403 with
//! nothing of the page), the editor round trip, two editors saving the
//! same article, forms that keep what was typed, invitations and the
//! second factor, members, the numbers and webhooks.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{Duration, Utc};
use common::*;
use masthead_core::staff::{Role, Scope};
use masthead_core::{AccessLevel, ArticleDraft, ArticleStatus, TagKind};
use masthead_db::tokens::TokenKind;
use masthead_db::{testing, Db};
use masthead_web::auth::{self, Staff};
use masthead_web::newsroom::{self, Publish};
use masthead_web::AppState;

const ROLES: [Role; 5] = [Role::Contributor, Role::Author, Role::Editor, Role::Administrator, Role::Owner];

/// A signed-in staff member: the cookie to send and the CSRF token to post.
struct Desk {
    id: i64,
    role: Role,
    cookie: String,
    csrf: String,
}

async fn staff_member(state: &AppState, role: Role, email: &str) -> Desk {
    let m = state.db.create_staff(email, &format!("{} {}", role.label(), email.split('@').next().unwrap()), role, "not-a-hash", Utc::now()).await.unwrap();
    desk_for(state, m.id, role, email)
}

fn desk_for(state: &AppState, id: i64, role: Role, email: &str) -> Desk {
    let session = auth::staff_session(SECRET, id);
    let csrf = Staff { id, role, email: email.into(), name: String::new(), session: session.clone() }.csrf(state);
    Desk { id, role, cookie: format!("mh_staff={session}"), csrf }
}

async fn seed_records(state: &AppState) {
    let db = &state.db;
    db.upsert_tag(TagKind::Section, "world", "World", "").await.unwrap();
    db.upsert_tag(TagKind::Topic, "trade", "Trade", "").await.unwrap();
    db.upsert_tag(TagKind::Region, "china", "China", "").await.unwrap();
    db.upsert_author("li-wei", "Li Wei", "Translator", "").await.unwrap();
    state.reload().await.unwrap();
}

/// An article started by `owner`, in a status.
async fn article(state: &AppState, owner: i64, headline: &str, publish: Publish) -> i64 {
    let d = ArticleDraft {
        headline: headline.into(),
        body_markdown: (1..=8).map(|i| format!("Paragraph {i} of {headline}.")).collect::<Vec<_>>().join("\n\n"),
        access: AccessLevel::Metered,
        authors: vec!["li-wei".into()],
        ..Default::default()
    };
    let a = newsroom::create_article(state, &d, publish, Utc::now()).await.unwrap();
    state.db.set_article_owner(a.id, owner).await.unwrap();
    let revision = state.db.article_revision(a.id).await.unwrap();
    state.db.add_revision(a.id, revision, masthead_db::revisions::RevisionKind::Save, Some(owner), &d, Utc::now()).await.unwrap();
    a.id
}

fn form_body(csrf: &str, revision: i64, headline: &str, intent: &str) -> String {
    format!(
        "csrf={}&revision={revision}&intent={intent}&headline={}&standfirst=A+standfirst&access=metered&authors=li-wei&topics=trade&section=world&body_markdown={}",
        enc(csrf),
        enc(headline),
        enc("First paragraph.\n\nSecond paragraph.")
    )
}

async fn request(app: &App, method: &str, path: &str, cookie: &str, body: &str) -> Reply {
    let mut b = Request::builder().method(method).uri(path).header(header::COOKIE, cookie);
    if method == "POST" {
        b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    send(&app.router, b.body(Body::from(body.to_string())).unwrap()).await
}

async fn api(app: &App, method: &str, path: &str, token: &str, json: Option<serde_json::Value>) -> Reply {
    let mut b = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::ACCEPT, "application/json");
    let body = match json {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send(&app.router, b.body(body).unwrap()).await
}

fn allowed_for(min: Role) -> impl Fn(Role) -> bool {
    move |r| r >= min
}

/// Each role against each desk route: allowed ones answer, forbidden ones
/// are 403 and carry nothing of the page.
#[tokio::test]
async fn every_role_against_every_desk_route() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let other = staff_member(s, Role::Editor, "other@news.test").await;
        let mut checked = 0;
        for role in ROLES {
            let me = staff_member(s, role, &format!("{}@news.test", role.as_str())).await;
            let own_draft = article(s, me.id, &format!("Own draft of {}", role.as_str()), Publish::Draft).await;
            let own_spare = article(s, me.id, &format!("Own spare of {}", role.as_str()), Publish::Draft).await;
            let others_draft = article(s, other.id, &format!("Others draft for {}", role.as_str()), Publish::Draft).await;
            let others_live = article(s, other.id, &format!("Others live for {}", role.as_str()), Publish::Now).await;
            let reader = t.db.reader_for_verified_email(&format!("member-{}@example.org", role.as_str()), Utc::now()).await.unwrap();
            let erase_me = t.db.reader_for_verified_email(&format!("erase-{}@example.org", role.as_str()), Utc::now()).await.unwrap();
            let c = &me.csrf;
            let rev = |id: i64| {
                let db = t.db.clone();
                async move { db.article_revision(id).await.unwrap() }
            };
            let first_revision = t.db.revisions(own_draft).await.unwrap().last().map(|r| r.id).unwrap_or(0);
            let anyone = |_: Role| true;
            // (what, method, path, body, who may, text that must not leak when forbidden)
            let cases: Vec<(&str, &str, String, String, Box<dyn Fn(Role) -> bool>, String)> = vec![
                ("article list", "GET", "/admin".into(), String::new(), Box::new(anyone), String::new()),
                ("new article form", "GET", "/admin/articles/new".into(), String::new(), Box::new(anyone), String::new()),
                ("create a draft", "POST", "/admin/articles".into(), form_body(c, 0, "A new draft", "save"), Box::new(anyone), String::new()),
                ("create and publish", "POST", "/admin/articles".into(), form_body(c, 0, "Published at once", "publish"), Box::new(allowed_for(Role::Author)), String::new()),
                ("open own draft", "GET", format!("/admin/articles/{own_draft}"), String::new(), Box::new(anyone), String::new()),
                ("save own draft", "POST", format!("/admin/articles/{own_draft}"), form_body(c, rev(own_draft).await, "Own draft, saved", "save"), Box::new(anyone), String::new()),
                ("autosave own draft", "POST", format!("/admin/articles/{own_draft}/autosave"), form_body(c, rev(own_draft).await, "Typing", "save"), Box::new(anyone), String::new()),
                ("revisions of own draft", "GET", format!("/admin/articles/{own_draft}/revisions"), String::new(), Box::new(anyone), String::new()),
                ("restore own draft", "POST", format!("/admin/articles/{own_draft}/revisions/{first_revision}/restore"), format!("csrf={}", enc(c)), Box::new(anyone), String::new()),
                ("preview as a subscriber", "GET", format!("/admin/articles/{own_draft}/preview?as=subscriber"), String::new(), Box::new(anyone), String::new()),
                ("publish own draft", "POST", format!("/admin/articles/{own_spare}"), form_body(c, rev(own_spare).await, "Own spare, published", "publish"), Box::new(allowed_for(Role::Author)), String::new()),
                ("edit someone else's draft", "POST", format!("/admin/articles/{others_draft}"), form_body(c, rev(others_draft).await, "Taken over", "save"), Box::new(allowed_for(Role::Editor)), String::new()),
                ("edit someone else's live article", "POST", format!("/admin/articles/{others_live}"), form_body(c, rev(others_live).await, "Changed live", "save"), Box::new(allowed_for(Role::Editor)), String::new()),
                ("unpublish someone else's article", "POST", format!("/admin/articles/{others_live}"), form_body(c, rev(others_live).await + 1, "Changed live", "unpublish"), Box::new(allowed_for(Role::Editor)), String::new()),
                ("delete someone else's draft", "POST", format!("/admin/articles/{others_draft}/delete"), format!("csrf={}", enc(c)), Box::new(allowed_for(Role::Editor)), String::new()),
                ("upload form", "GET", "/admin/media".into(), String::new(), Box::new(anyone), String::new()),
                ("own security", "GET", "/admin/security".into(), String::new(), Box::new(anyone), String::new()),
                ("authors", "GET", "/admin/authors".into(), String::new(), Box::new(allowed_for(Role::Editor)), "Li Wei".into()),
                ("add an author", "POST", "/admin/authors".into(), format!("csrf={}&name=Ann+{}&slug=ann-{}", enc(c), role.as_str(), role.as_str()), Box::new(allowed_for(Role::Editor)), String::new()),
                ("topics", "GET", "/admin/tags/topics".into(), String::new(), Box::new(allowed_for(Role::Editor)), "trade".into()),
                ("add a topic", "POST", "/admin/tags/topics".into(), format!("csrf={}&name=Energy+{}", enc(c), role.as_str()), Box::new(allowed_for(Role::Editor)), String::new()),
                ("numbers", "GET", "/admin/numbers".into(), String::new(), Box::new(allowed_for(Role::Editor)), "<svg".into()),
                ("plans", "GET", "/admin/plans".into(), String::new(), Box::new(allowed_for(Role::Administrator)), "The meter".into()),
                ("save a plan", "POST", "/admin/plans".into(), format!("csrf={}&slug=monthly&name=Monthly&price=2.90&currency=USD&interval=month&trial_days=30&benefits=full_access&active=1", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("save the meter", "POST", "/admin/paywall".into(), format!("csrf={}&anonymous_quota=1&registered_quota=3&window=calendar_month&window_days=30&preview_blocks=3&archive_after_days=&network_quota=&grace_days=7&gift_links_per_month=10&gift_link_days=14", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("save the offer", "POST", "/admin/offer".into(), format!("csrf={}&lede=Read+it+all", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("newsletters", "GET", "/admin/newsletters".into(), String::new(), Box::new(allowed_for(Role::Editor)), "Newsletters <span".into()),
                ("new newsletter form", "GET", "/admin/newsletters/new".into(), String::new(), Box::new(allowed_for(Role::Editor)), String::new()),
                ("magazine", "GET", "/admin/magazine".into(), String::new(), Box::new(allowed_for(Role::Editor)), "The weekly magazine".into()),
                ("ads", "GET", "/admin/ads".into(), String::new(), Box::new(allowed_for(Role::Administrator)), "in_article_after".into()),
                ("settings", "GET", "/admin/settings".into(), String::new(), Box::new(allowed_for(Role::Administrator)), "Navigation".into()),
                ("save settings", "POST", "/admin/settings".into(), format!("csrf={}&name=The+Courier&tagline=News", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("staff", "GET", "/admin/staff".into(), String::new(), Box::new(allowed_for(Role::Administrator)), "other@news.test".into()),
                ("invite", "POST", "/admin/staff/invite".into(), format!("csrf={}&email=new-{}%40news.test&name=New&role=contributor", enc(c), role.as_str()), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("change a role", "POST", format!("/admin/staff/{}", other.id), format!("csrf={}&action=role&role=editor", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("members", "GET", "/admin/members".into(), String::new(), Box::new(allowed_for(Role::Administrator)), reader.email.clone()),
                ("members CSV", "GET", "/admin/members.csv".into(), String::new(), Box::new(allowed_for(Role::Administrator)), reader.email.clone()),
                ("a member", "GET", format!("/admin/members/{}", reader.id), String::new(), Box::new(allowed_for(Role::Administrator)), reader.email.clone()),
                ("complimentary access", "POST", format!("/admin/members/{}/complimentary", reader.id), format!("csrf={}&benefits=full_access&ends_on=2099-01-01", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("erase a member", "POST", format!("/admin/members/{}/erase", erase_me.id), format!("csrf={}&confirm={}", enc(c), enc(&erase_me.email)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("audit log", "GET", "/admin/audit".into(), String::new(), Box::new(allowed_for(Role::Administrator)), "article.create".into()),
                ("integrations", "GET", "/admin/integrations".into(), String::new(), Box::new(allowed_for(Role::Administrator)), "Webhooks".into()),
                ("make a content key", "POST", "/admin/integrations/tokens".into(), format!("csrf={}&kind=content&name=App", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                ("add a webhook", "POST", "/admin/integrations/webhooks".into(), format!("csrf={}&url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&events=article.published", enc(c)), Box::new(allowed_for(Role::Administrator)), String::new()),
                // Deleting one's own article comes last: it is gone afterwards.
                ("delete own article", "POST", format!("/admin/articles/{own_spare}/delete"), format!("csrf={}", enc(c)), Box::new(allowed_for(Role::Author)), String::new()),
            ];
            for (what, method, path, body, may, secret) in cases {
                let r = request(&app, method, &path, &me.cookie, &body).await;
                let ctx = format!("{} / {:?} / {what} ({method} {path})", t.backend, me.role);
                if may(role) {
                    assert!(r.status.is_success() || r.status.is_redirection(), "{ctx}: expected success, got {}: {}", r.status, &r.body[..r.body.len().min(600)]);
                } else {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{ctx}: expected 403");
                    if !secret.is_empty() {
                        assert!(!r.body.contains(&secret), "{ctx}: a forbidden answer leaked {secret:?}");
                    }
                }
                checked += 1;
            }
            // What a forbidden change did not do.
            if role < Role::Editor {
                let a = t.db.article_by_id(others_draft).await.unwrap();
                assert_eq!(a.headline, format!("Others draft for {}", role.as_str()), "{}: a refused save changed nothing", t.backend);
                assert!(t.db.reader_by_id(erase_me.id).await.unwrap().is_some());
            }
            if role == Role::Contributor {
                assert_eq!(t.db.article_by_id(own_spare).await.unwrap().status, ArticleStatus::Draft, "a contributor cannot publish");
            }
        }
        assert!(checked >= 5 * 40, "{checked}");
        // Nobody signed in: the desk asks for a sign-in, and a form post
        // without the session's CSRF token is refused.
        assert_eq!(get(&app.router, "/admin").await.status, StatusCode::UNAUTHORIZED);
        let owner = staff_member(s, Role::Owner, "csrf-owner@news.test").await;
        let r = request(&app, "POST", "/admin/settings", &owner.cookie, "csrf=wrong&name=Hijacked").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_ne!(s.site().name, "Hijacked");
        t.cleanup().await;
    }
}

/// Each role against each Admin API operation, with a token that has
/// every scope: the role decides. And scopes narrow what a token may do.
#[tokio::test]
async fn every_role_against_every_api_operation() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let other = staff_member(s, Role::Editor, "other@news.test").await;
        let reader = t.db.reader_for_verified_email("member@example.org", Utc::now()).await.unwrap();
        for role in ROLES {
            let me = staff_member(s, role, &format!("{}@news.test", role.as_str())).await;
            let token = make_token(&t.db, TokenKind::Admin, Some(me.id), &Scope::ALL).await;
            let own = article(s, me.id, "Own", Publish::Draft).await;
            let others_draft = article(s, other.id, "Others draft", Publish::Draft).await;
            let others_live = article(s, other.id, "Others live", Publish::Now).await;
            let rev = |id: i64| {
                let db = t.db.clone();
                async move { db.article_revision(id).await.unwrap() }
            };
            let input = |headline: &str, revision: Option<i64>| {
                serde_json::json!({ "headline": headline, "body_markdown": "One.\n\nTwo.", "authors": ["li-wei"], "access": "metered", "revision": revision })
            };
            let anyone = |_: Role| true;
            let cases: Vec<(&str, &str, String, Option<serde_json::Value>, Box<dyn Fn(Role) -> bool>)> = vec![
                ("list articles", "GET", "/api/admin/articles?status=draft".into(), None, Box::new(anyone)),
                ("create", "POST", "/api/admin/articles".into(), Some(input("Made by API", None)), Box::new(anyone)),
                ("read own", "GET", format!("/api/admin/articles/{own}"), None, Box::new(anyone)),
                ("update own draft", "PUT", format!("/api/admin/articles/{own}"), Some(input("Own, changed", Some(rev(own).await))), Box::new(anyone)),
                ("publish own", "POST", format!("/api/admin/articles/{own}/publish"), Some(serde_json::json!({})), Box::new(allowed_for(Role::Author))),
                ("update someone else's draft", "PUT", format!("/api/admin/articles/{others_draft}"), Some(input("Taken", Some(rev(others_draft).await))), Box::new(allowed_for(Role::Editor))),
                ("unpublish someone else's", "POST", format!("/api/admin/articles/{others_live}/unpublish"), None, Box::new(allowed_for(Role::Editor))),
                ("delete someone else's", "DELETE", format!("/api/admin/articles/{others_draft}"), None, Box::new(allowed_for(Role::Editor))),
                ("list authors", "GET", "/api/admin/authors".into(), None, Box::new(anyone)),
                ("save an author", "PUT", format!("/api/admin/authors/api-{}", role.as_str()), Some(serde_json::json!({"name": "Api Author"})), Box::new(allowed_for(Role::Editor))),
                ("list topics", "GET", "/api/admin/topics".into(), None, Box::new(anyone)),
                ("save a topic", "PUT", format!("/api/admin/topics/api-{}", role.as_str()), Some(serde_json::json!({"name": "Api Topic"})), Box::new(allowed_for(Role::Editor))),
                ("delete a topic", "DELETE", format!("/api/admin/topics/api-{}", role.as_str()), None, Box::new(allowed_for(Role::Editor))),
                ("list members", "GET", "/api/admin/members".into(), None, Box::new(allowed_for(Role::Administrator))),
                ("read a member", "GET", format!("/api/admin/members/{}", reader.id), None, Box::new(allowed_for(Role::Administrator))),
            ];
            for (what, method, path, body, may) in cases {
                let r = api(&app, method, &path, &token, body).await;
                let ctx = format!("{} / {role:?} / {what} ({method} {path})", t.backend);
                if may(role) {
                    assert!(r.status.is_success(), "{ctx}: {} {}", r.status, r.body);
                } else {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{ctx}: {}", r.body);
                    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                    assert_eq!(v["error"]["code"], "forbidden", "{ctx}");
                    assert!(!r.body.contains("member@example.org") && !r.body.contains("Others"), "{ctx}: nothing but the error");
                }
            }
            // A contributor's API token cannot publish, whatever its scopes.
            if role == Role::Contributor {
                assert_eq!(t.db.article_by_id(own).await.unwrap().status, ArticleStatus::Draft);
            }
        }
        // Scopes narrow a token: an owner's read-only token reads, nothing more.
        let owner = staff_member(s, Role::Owner, "scoped@news.test").await;
        let read_only = make_token(&t.db, TokenKind::Admin, Some(owner.id), &[Scope::ArticlesRead]).await;
        assert_eq!(api(&app, "GET", "/api/admin/articles", &read_only, None).await.status, 200);
        let refused = api(&app, "POST", "/api/admin/articles", &read_only, Some(serde_json::json!({"headline": "No"}))).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(api(&app, "GET", "/api/admin/members", &read_only, None).await.status, 403);
        // Wrong kinds of key, no key, a revoked key: 401, as JSON.
        let content = make_token(&t.db, TokenKind::Content, None, &[]).await;
        let r = api(&app, "GET", "/api/admin/articles", &content, None).await;
        assert_eq!(r.status, 401);
        assert!(r.body.contains("\"unauthorized\""), "{}", r.body);
        assert_eq!(api(&app, "GET", "/api/content/articles", &read_only, None).await.status, 401);
        assert_eq!(api(&app, "GET", "/api/admin/articles", "mh_admin_made-up", None).await.status, 401);
        // A disabled member's token stops working.
        t.db.set_staff_disabled(owner.id, Some(Utc::now())).await.unwrap();
        assert_eq!(api(&app, "GET", "/api/admin/articles", &read_only, None).await.status, 401);
        t.cleanup().await;
    }
}

async fn make_token(db: &Db, kind: TokenKind, staff: Option<i64>, scopes: &[Scope]) -> String {
    let (hash, prefix, secret) = masthead_web::api::new_token(kind);
    db.create_api_token(kind, "test", &hash, &prefix, staff, scopes, Utc::now()).await.unwrap();
    secret
}

/// Create, preview, schedule, publish, revise, compare, restore; and see
/// the article as an anonymous reader over quota and as a subscriber.
#[tokio::test]
async fn the_editor_round_trip() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let ed = staff_member(s, Role::Editor, "ed@news.test").await;
        let c = ed.csrf.clone();
        let body_v1 = "The first paragraph.\n\n## A subhead\n\nThe second paragraph.\n\nThe third paragraph.\n\nThe fourth paragraph.\n\nThe fifth paragraph.";
        let fields = |revision: i64, intent: &str, headline: &str, body: &str, extra: &str| {
            format!(
                "csrf={}&revision={revision}&intent={intent}&headline={}&standfirst={}&dateline=Heihe&access=metered&authors=li-wei&topics=trade&regions=china&section=world\
                 &hero_src=%2Fstatic%2Ffavicon.svg&hero_alt=A+bridge&hero_caption=The+bridge&hero_credit=Photo%3A+Ann+via+Zuma+Press\
                 &prov_publication=Evening+Courier&prov_language=zh&prov_translator=Li+Wei&seo_title=SEO+title&seo_description=SEO+description&body_markdown={}{extra}",
                enc(&c),
                enc(headline),
                enc("A standfirst."),
                enc(body)
            )
        };
        // Preview without saving: the body as readers get it, nothing stored.
        let before = t.db.count_articles().await.unwrap();
        let p = request(&app, "POST", "/admin/articles", &ed.cookie, &fields(0, "preview", "The bridge", body_v1, "")).await;
        assert_eq!(p.status, 200);
        assert!(p.body.contains("<h2") && p.body.contains("The third paragraph."), "the preview shows rendered blocks");
        assert!(p.body.contains("value=\"The bridge\""), "what was typed stays in the form");
        assert_eq!(t.db.count_articles().await.unwrap(), before);
        // The live preview's fragment, for the script.
        let frag = request(&app, "POST", "/admin/articles/preview", &ed.cookie, &fields(0, "preview", "x", "```pullquote\nWe waited.\n-- A trader\n```", "")).await;
        assert_eq!(frag.status, 200);
        assert!(frag.body.contains("class=\"pullquote\"") && frag.body.contains("We waited."), "{}", frag.body);
        // Create as a draft.
        let created = request(&app, "POST", "/admin/articles", &ed.cookie, &fields(0, "save", "The bridge", body_v1, "")).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let id: i64 = created.header("location").trim_start_matches("/admin/articles/").split('?').next().unwrap().parse().unwrap();
        let a = t.db.article_by_id(id).await.unwrap();
        assert_eq!(a.status, ArticleStatus::Draft);
        assert_eq!((a.dateline.as_str(), a.section.as_ref().unwrap().slug.as_str()), ("Heihe", "world"));
        assert_eq!(a.hero.as_ref().unwrap().credit, "Photo: Ann via Zuma Press");
        assert_eq!(a.provenance.as_ref().unwrap().translator, "Li Wei");
        assert_eq!((a.topics.len(), a.regions.len(), a.seo_title.as_str()), (1, 1, "SEO title"));
        let page = request(&app, "GET", &created.header("location"), &ed.cookie, "").await;
        assert!(page.body.contains("Saved.") && page.body.contains("Evening Courier"));
        // Schedule for tomorrow.
        let when = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &ed.cookie, &fields(t.db.article_revision(id).await.unwrap(), "schedule", "The bridge", body_v1, &format!("&publish_at={}", enc(&when)))).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let a = t.db.article_by_id(id).await.unwrap();
        assert_eq!(a.status, ArticleStatus::Scheduled);
        assert_eq!(get(&app.router, &format!("/article/{}", a.slug)).await.status, 404, "not before its time");
        // Publish now.
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &ed.cookie, &fields(t.db.article_revision(id).await.unwrap(), "publish", "The bridge", body_v1, "")).await;
        assert_eq!(r.status, 303);
        assert_eq!(t.db.article_by_id(id).await.unwrap().status, ArticleStatus::Published);
        assert_eq!(get(&app.router, &format!("/article/{}", a.slug)).await.status, 200);
        // Revise.
        let body_v2 = body_v1.replace("The second paragraph.", "The second paragraph, rewritten.");
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &ed.cookie, &fields(t.db.article_revision(id).await.unwrap(), "save", "The bridge, revised", &body_v2, "")).await;
        assert_eq!(r.status, 303);
        let a = t.db.article_by_id(id).await.unwrap();
        assert_eq!((a.headline.as_str(), a.status), ("The bridge, revised", ArticleStatus::Published));
        // History and compare.
        let revs = t.db.revisions(id).await.unwrap();
        assert_eq!(revs.len(), 4, "create, schedule, publish, revise");
        let hist = request(&app, "GET", &format!("/admin/articles/{id}/revisions"), &ed.cookie, "").await;
        assert_eq!(hist.status, 200);
        assert!(hist.body.contains("The bridge, revised"));
        let (newest, oldest) = (revs[0].id, revs[revs.len() - 1].id);
        let cmp = request(&app, "GET", &format!("/admin/articles/{id}/revisions/compare?a={oldest}&b={newest}"), &ed.cookie, "").await;
        assert_eq!(cmp.status, 200);
        assert!(cmp.body.contains("<span class=\"diff-removed\">- The second paragraph.</span>"), "{}", cmp.body);
        assert!(cmp.body.contains("<span class=\"diff-added\">+ The second paragraph, rewritten.</span>"));
        assert!(cmp.body.contains("<del>The bridge</del>") && cmp.body.contains("<ins>The bridge, revised</ins>"));
        // Restore the first version: its words come back, the page stays live.
        let r = request(&app, "POST", &format!("/admin/articles/{id}/revisions/{oldest}/restore"), &ed.cookie, &format!("csrf={}", enc(&c))).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let a = t.db.article_by_id(id).await.unwrap();
        assert_eq!((a.headline.as_str(), a.body_markdown.as_str(), a.status), ("The bridge", body_v1, ArticleStatus::Published));
        assert_eq!(t.db.revisions(id).await.unwrap()[0].kind, masthead_db::revisions::RevisionKind::Restore);
        // Autosave keeps a draft revision without touching the article.
        let r = request(&app, "POST", &format!("/admin/articles/{id}/autosave"), &ed.cookie, &fields(t.db.article_revision(id).await.unwrap(), "save", "Half-typed", body_v1, "")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("saved_at"));
        assert_eq!(t.db.article_by_id(id).await.unwrap().headline, "The bridge");
        let page = request(&app, "GET", &format!("/admin/articles/{id}"), &ed.cookie, "").await;
        assert!(page.body.contains("autosaved version"), "the editor offers the autosave");
        let page = request(&app, "GET", &format!("/admin/articles/{id}?autosave=1"), &ed.cookie, "").await;
        assert!(page.body.contains("value=\"Half-typed\""));
        // As readers see it, through the real decision.
        let anon = request(&app, "GET", &format!("/admin/articles/{id}/preview?as=anonymous_over_quota"), &ed.cookie, "").await;
        assert_eq!(anon.status, 200);
        assert!(anon.body.contains("class=\"offer\"") && anon.body.contains("The first paragraph."));
        assert!(!anon.body.contains("The fifth paragraph."), "cut for an anonymous reader over quota");
        let sub = request(&app, "GET", &format!("/admin/articles/{id}/preview?as=subscriber"), &ed.cookie, "").await;
        assert!(sub.body.contains("The fifth paragraph.") && !sub.body.contains("class=\"offer\""));
        // The audit log has every step.
        let log = t.db.audit_log(Some(&format!("article:{id}")), 50, 0).await.unwrap();
        let actions: Vec<&str> = log.items.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["article.create", "article.schedule", "article.publish", "article.update", "article.restore"]);
        t.cleanup().await;
    }
}

/// Two editors open the same article; the second save shows a conflict
/// with both versions and keeps what was typed. Saving again after seeing
/// it is deliberate and goes through. The API answers 409.
#[tokio::test]
async fn two_editors_saving_the_same_article_see_a_conflict() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let anna = staff_member(s, Role::Editor, "anna@news.test").await;
        let ben = staff_member(s, Role::Editor, "ben@news.test").await;
        let id = article(s, anna.id, "Shared story", Publish::Draft).await;
        let opened = t.db.article_revision(id).await.unwrap();
        let save = |who: &Desk, revision: i64, headline: &str, body: &str| {
            format!("csrf={}&revision={revision}&intent=save&headline={}&access=metered&authors=li-wei&body_markdown={}", enc(&who.csrf), enc(headline), enc(body))
        };
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &anna.cookie, &save(&anna, opened, "Anna's headline", "Anna wrote this.")).await;
        assert_eq!(r.status, 303);
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &ben.cookie, &save(&ben, opened, "Ben's headline", "Ben wrote this instead.")).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", t.backend);
        assert!(r.body.contains("Someone else saved this article first"));
        assert!(r.body.contains("Anna&#39;s headline") && r.body.contains("Anna wrote this."), "their version is shown");
        assert!(r.body.contains("value=\"Ben&#39;s headline\"") && r.body.contains("Ben wrote this instead."), "what Ben typed is kept");
        assert!(r.body.contains("<span class=\"diff-added\">+ Ben wrote this instead.</span>"));
        assert_eq!(t.db.article_by_id(id).await.unwrap().headline, "Anna's headline", "nothing was overwritten");
        // The form now carries the current revision: saving again is deliberate.
        let revision = r.field("revision").parse::<i64>().unwrap();
        assert_eq!(revision, t.db.article_revision(id).await.unwrap());
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &ben.cookie, &save(&ben, revision, "Ben's headline", "Ben wrote this instead.")).await;
        assert_eq!(r.status, 303);
        assert_eq!(t.db.article_by_id(id).await.unwrap().headline, "Ben's headline");
        // The Admin API: a stale revision is a 409 with a stable code.
        let token = make_token(&t.db, TokenKind::Admin, Some(anna.id), &[Scope::ArticlesWrite]).await;
        let r = api(&app, "PUT", &format!("/api/admin/articles/{id}"), &token, Some(serde_json::json!({"headline": "Stale", "revision": opened}))).await;
        assert_eq!(r.status, 409, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "conflict");
        let r = api(&app, "PUT", &format!("/api/admin/articles/{id}"), &token, Some(serde_json::json!({"headline": "No revision"}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["error"]["fields"][0]["field"], "revision");
        t.cleanup().await;
    }
}

/// A form with mistakes comes back with each error by its field and
/// everything that was typed.
#[tokio::test]
async fn forms_show_errors_by_field_and_keep_what_was_typed() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let owner = staff_member(s, Role::Owner, "owner@news.test").await;
        let c = enc(&owner.csrf);
        let body = format!("csrf={c}&intent=save&headline=&standfirst=Kept+standfirst&access=metered&prov_publication=&prov_language=russian%21&hero_date=yesterday&body_markdown={}", enc("A body worth keeping."));
        let r = request(&app, "POST", "/admin/articles", &owner.cookie, &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for part in [
            "id=\"headline-error\">an article needs a headline",
            "id=\"provenance-language-error\">use a language tag",
            "id=\"provenance-publication-error\">name the original publication",
            "id=\"hero-date-error\">use a date like",
            "A body worth keeping.",
            ">Kept standfirst</textarea>",
            "value=\"russian!\"",
            "aria-invalid=\"true\"",
        ] {
            assert!(r.body.contains(part), "{}: missing {part:?}", t.backend);
        }
        // A slug another article has: the error is on the slug.
        article(s, owner.id, "Taken", Publish::Draft).await;
        let r = request(&app, "POST", "/admin/articles", &owner.cookie, &format!("csrf={c}&intent=save&headline=New&slug=taken&access=metered&body_markdown=x")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"slug-error\">the slug &quot;taken&quot; is already used"), "{}", r.body);
        // Settings, the meter, plans.
        let r = request(&app, "POST", "/admin/settings", &owner.cookie, &format!("csrf={c}&name=&tagline=Kept+tagline&accent=red&navigation=Bad+line")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("the publication needs a name") && r.body.contains("a colour like") && r.body.contains("value=\"Kept tagline\"") && r.body.contains("value=\"red\""));
        let r = request(&app, "POST", "/admin/paywall", &owner.cookie, &format!("csrf={c}&anonymous_quota=many&registered_quota=3&window=rolling&window_days=0&preview_blocks=3&grace_days=7&gift_links_per_month=10&gift_link_days=14")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("value=\"many\"") && r.body.contains("a number of days from 1 to 366"));
        let r = request(&app, "POST", "/admin/plans", &owner.cookie, &format!("csrf={c}&slug=Bad+Slug&name=Yearly&price=19%2C90&currency=US&interval=year")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("a price like 2.90") && r.body.contains("three-letter currency") && r.body.contains("value=\"19,90\""));
        // The API: field errors as JSON.
        let token = make_token(&t.db, TokenKind::Admin, Some(owner.id), &[Scope::Admin]).await;
        let r = api(&app, "POST", "/api/admin/articles", &token, Some(serde_json::json!({"headline": " ", "provenance": {"publication": "", "language": "?"}}))).await;
        assert_eq!(r.status, 400);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "invalid_input");
        let fields: Vec<&str> = v["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["headline", "provenance.publication", "provenance.language"]);
        let r = api(&app, "POST", "/api/admin/articles", &token, Some(serde_json::json!({"headline": "x", "nonsense": 1}))).await;
        assert_eq!((r.status.as_u16(), r.body.contains("\"bad_request\"")), (400, true), "{}", r.body);
        t.cleanup().await;
    }
}

/// An invitation by email sets a password; the second factor, once on, is
/// asked for at sign-in.
#[tokio::test]
async fn invitations_and_the_second_factor() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        let owner = staff_member(s, Role::Owner, "owner@news.test").await;
        let r = request(&app, "POST", "/admin/staff/invite", &owner.cookie, &format!("csrf={}&email=Casey%40News.test&name=Casey&role=author", enc(&owner.csrf))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("Invitation sent to casey@news.test"));
        let mail = s.mailer.sent().unwrap().into_iter().find(|m| m.recipients.join(",").contains("casey@news.test")).expect("the invitation");
        let text = mail.text_part().unwrap();
        let link = text.lines().find(|l| l.contains("/admin/invite/")).unwrap().trim().to_string();
        let path = link.strip_prefix("http://news.test").unwrap().to_string();
        // An administrator may not invite an owner.
        let admin = staff_member(s, Role::Administrator, "admin@news.test").await;
        let r = request(&app, "POST", "/admin/staff/invite", &admin.cookie, &format!("csrf={}&email=boss%40news.test&role=owner", enc(&admin.csrf))).await;
        assert_eq!(r.status, 403);
        // Accept: choose a name and a password, and be signed in.
        let form = get(&app.router, &path).await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("casey@news.test"));
        let csrf = form.cookie("mh_csrf").unwrap();
        let short = request(&app, "POST", &path, &format!("mh_csrf={csrf}"), &format!("csrf={csrf}&name=Casey+Jones&password=short")).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("value=\"Casey Jones\""));
        let ok = request(&app, "POST", &path, &format!("mh_csrf={csrf}"), &format!("csrf={csrf}&name=Casey+Jones&password=a-long-enough-password")).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let session = ok.cookie("mh_staff").unwrap();
        let desk = request(&app, "GET", "/admin", &format!("mh_staff={session}"), "").await;
        assert_eq!(desk.status, 200);
        let casey = t.db.staff_by_email("casey@news.test").await.unwrap().unwrap();
        assert_eq!((casey.role, casey.name.as_str()), (Role::Author, "Casey Jones"));
        // The link works once.
        assert_eq!(get(&app.router, &path).await.status, 404);
        let again = request(&app, "POST", &path, &format!("mh_csrf={csrf}"), &format!("csrf={csrf}&name=X&password=a-long-enough-password")).await;
        assert_eq!(again.status, 404);

        // Turn the second factor on: the code from the app proves the secret.
        let me = desk_for(s, casey.id, Role::Author, "casey@news.test");
        let page = request(&app, "GET", "/admin/security", &me.cookie, "").await;
        let secret = page.field("secret");
        let wrong = request(&app, "POST", "/admin/security/totp", &me.cookie, &format!("csrf={}&action=enable&secret={secret}&code=000000", enc(&me.csrf))).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        let code = |secret: &str| {
            let key = masthead_web::totp::base32_decode(secret).unwrap();
            format!("{:06}", masthead_web::totp::totp_at(&key, Utc::now().timestamp(), 6))
        };
        let on = request(&app, "POST", "/admin/security/totp", &me.cookie, &format!("csrf={}&action=enable&secret={secret}&code={}", enc(&me.csrf), code(&secret))).await;
        assert_eq!(on.status, 303, "{}", on.body);
        assert_eq!(t.db.staff_by_id(casey.id).await.unwrap().unwrap().totp_secret.as_deref(), Some(secret.as_str()));
        // Sign in: the password alone is not enough.
        let login = get(&app.router, "/admin/login").await;
        let lc = login.cookie("mh_csrf").unwrap();
        let step = request(&app, "POST", "/admin/login", &format!("mh_csrf={lc}"), &format!("csrf={lc}&email=casey%40news.test&password=a-long-enough-password&next=%2Fadmin")).await;
        assert_eq!(step.status, 200, "{}", step.body);
        assert!(step.cookie("mh_staff").is_none(), "no session before the code");
        assert!(step.body.contains("Enter your code"));
        let pending = step.cookie("mh_staff_2fa").unwrap();
        let csrf2 = step.cookie("mh_csrf").unwrap();
        let cookies = format!("mh_csrf={csrf2}; mh_staff_2fa={pending}");
        let bad = request(&app, "POST", "/admin/login/code", &cookies, &format!("csrf={csrf2}&code=123456&next=%2Fadmin")).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert!(bad.cookie("mh_staff").is_none());
        let good = request(&app, "POST", "/admin/login/code", &cookies, &format!("csrf={csrf2}&code={}&next=%2Fadmin", code(&secret))).await;
        assert_eq!(good.status, 303, "{}", good.body);
        assert!(good.cookie("mh_staff").is_some());
        // A forged pending cookie gets nowhere.
        let forged = request(&app, "POST", "/admin/login/code", &format!("mh_csrf={csrf2}; mh_staff_2fa={}:9999999999.x", casey.id), &format!("csrf={csrf2}&code={}", code(&secret))).await;
        assert_eq!(forged.header("location"), "/admin/login");
        // Disabling the account ends its sessions at once.
        let r = request(&app, "POST", &format!("/admin/staff/{}", casey.id), &owner.cookie, &format!("csrf={}&action=disable", enc(&owner.csrf))).await;
        assert_eq!(r.status, 303);
        assert_eq!(request(&app, "GET", "/admin", &me.cookie, "").await.status, 401);
        // The last owner cannot be demoted or disabled.
        let r = request(&app, "POST", &format!("/admin/staff/{}", owner.id), &owner.cookie, &format!("csrf={}&action=disable", enc(&owner.csrf))).await;
        assert_eq!(r.status, 409);
        let log = t.db.audit_log(None, 100, 0).await.unwrap();
        let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
        for a in ["staff.invite", "staff.join", "staff.totp_enable", "staff.disable"] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        t.cleanup().await;
    }
}

/// Members: search, a profile, complimentary access that takes effect,
/// a CSV export, and erasure.
#[tokio::test]
async fn members_are_found_given_access_exported_and_erased() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        let admin = staff_member(s, Role::Administrator, "admin@news.test").await;
        let c = enc(&admin.csrf);
        let pat = t.db.reader_for_verified_email("pat@example.org", Utc::now()).await.unwrap();
        t.db.reader_for_verified_email("=cmd|evil@example.org", Utc::now()).await.unwrap();
        let list = request(&app, "GET", "/admin/members?q=PAT", &admin.cookie, "").await;
        assert!(list.body.contains("pat@example.org") && !list.body.contains("evil@example.org"));
        let r = request(&app, "POST", &format!("/admin/members/{}/complimentary", pat.id), &admin.cookie, &format!("csrf={c}&benefits=full_access&ends_on=2001-01-01")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("the end must be in the future"));
        let r = request(&app, "POST", &format!("/admin/members/{}/complimentary", pat.id), &admin.cookie, &format!("csrf={c}&benefits=full_access&benefits=archives&ends_on=2099-12-31&note=Press")).await;
        assert_eq!(r.status, 303);
        let e = masthead_web::reader::entitlements_of(s, pat.id).await.unwrap();
        assert!(e.has(masthead_core::Benefit::FullAccess) && e.has(masthead_core::Benefit::Archives));
        let profile = request(&app, "GET", &format!("/admin/members/{}", pat.id), &admin.cookie, "").await;
        assert!(profile.body.contains("full_access, archives") && profile.body.contains("2099-12-31") && profile.body.contains("Press"));
        let csv = request(&app, "GET", "/admin/members.csv", &admin.cookie, "").await;
        assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
        assert!(csv.body.starts_with("id,email,name,joined"));
        assert!(csv.body.contains(",pat@example.org,"));
        assert!(csv.body.contains(",'=cmd|evil@example.org,"), "formulas are defused: {}", csv.body);
        let r = request(&app, "POST", &format!("/admin/members/{}/erase", pat.id), &admin.cookie, &format!("csrf={c}&confirm=someone%40else.org")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(t.db.reader_by_id(pat.id).await.unwrap().is_some());
        let r = request(&app, "POST", &format!("/admin/members/{}/erase", pat.id), &admin.cookie, &format!("csrf={c}&confirm=PAT%40example.org")).await;
        assert_eq!(r.status, 303);
        assert!(t.db.reader_by_id(pat.id).await.unwrap().is_none());
        let log = t.db.audit_log(Some(&format!("member:{}", pat.id)), 10, 0).await.unwrap();
        assert!(log.items.iter().all(|e| !e.summary.contains("pat@example.org") || e.action == "member.complimentary"));
        t.cleanup().await;
    }
}

/// Settings change what readers see: the name, colours, navigation and
/// the offer's words.
#[tokio::test]
async fn site_settings_and_offer_wording_reach_the_site() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let admin = staff_member(s, Role::Administrator, "admin@news.test").await;
        let c = enc(&admin.csrf);
        let r = request(&app, "POST", "/admin/settings", &admin.cookie, &format!("csrf={c}&name=The+Courier&tagline=World+news&accent=%23004488&navigation={}", enc("Front | /\nLatest | /latest"))).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let home = get(&app.router, "/").await;
        assert!(home.body.contains("The Courier") && home.body.contains("World news"));
        assert!(home.body.contains("<a href=\"/latest\">Latest</a>"), "the navigation is the publisher's");
        let css_link = home.body.split("href=\"/site-colors.css").nth(1).expect("the colour stylesheet is linked").split('"').next().unwrap().to_string();
        let css = get(&app.router, &format!("/site-colors.css{css_link}")).await;
        assert!(css.body.contains("--accent: #004488;"), "{}", css.body);
        let r = request(&app, "POST", "/admin/offer", &admin.cookie, &format!("csrf={c}&limit_heading=Out+of+free+reads&benefits={}", enc("Everything\nThe magazine (NEW)"))).await;
        assert_eq!(r.status, 303);
        let id = article(s, admin.id, "Metered", Publish::Now).await;
        let a = t.db.article_by_id(id).await.unwrap();
        let ed = desk_for(s, admin.id, Role::Administrator, "admin@news.test");
        let p = request(&app, "GET", &format!("/admin/articles/{id}/preview?as=anonymous_over_quota"), &ed.cookie, "").await;
        assert!(p.body.contains("Out of free reads") && p.body.contains("<li>The magazine <span class=\"tag-new\">NEW</span></li>"), "{}", a.slug);
        t.cleanup().await;
    }
}

/// Reads, offers and checkouts are counted first-party and charted.
#[tokio::test]
async fn the_numbers_count_reads_and_offers() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let ed = staff_member(s, Role::Editor, "ed@news.test").await;
        let id = article(s, ed.id, "Most read", Publish::At(Utc::now() - Duration::hours(1))).await;
        let slug = t.db.article_by_id(id).await.unwrap().slug;
        // A fresh anonymous reader reads it (a meter view), then is over quota.
        let first = get_as(&app.router, &format!("/article/{slug}"), "", [10, 9, 9, 9], "test").await;
        let anon = format!("mh_anon={}", first.cookie("mh_anon").unwrap());
        let other = article(s, ed.id, "Second", Publish::At(Utc::now() - Duration::hours(2))).await;
        let other_slug = t.db.article_by_id(other).await.unwrap().slug;
        s.flush_meter().await;
        let cut = get_as(&app.router, &format!("/article/{other_slug}"), &anon, [10, 9, 9, 9], "test").await;
        assert!(cut.body.contains("class=\"offer\""));
        s.flush_meter().await;
        let today = Utc::now().date_naive();
        assert_eq!(t.db.counter_total("meter_view", today, today).await.unwrap(), 1);
        assert_eq!(t.db.counter_total("offer_shown", today, today).await.unwrap(), 1);
        assert_eq!(t.db.counter_top("article_read", today, today, 5).await.unwrap(), vec![(id.to_string(), 1)]);
        let page = request(&app, "GET", "/admin/numbers?days=7", &ed.cookie, "").await;
        assert_eq!(page.status, 200);
        assert!(page.body.matches("<svg").count() >= 5, "funnel, daily, subscribers, revenue, churn");
        assert!(page.body.contains("Most read") && page.body.contains(">Most read</a>"));
        assert!(!page.body.contains("<script"));
        assert_eq!(request(&app, "GET", "/admin/numbers?days=2", &ed.cookie, "").await.status, 400);
        t.cleanup().await;
    }
}

/// Publishing sends a signed webhook; a failing endpoint is retried.
#[tokio::test]
async fn webhooks_are_signed_delivered_and_retried() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for t in testing::all().await {
        // A tiny endpoint: answers 500 to the first request, 200 after.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((mut sock, _)) = listener.accept().await {
                n += 1;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let k = sock.read(&mut chunk).await.unwrap_or(0);
                    if k == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head.lines().find_map(|l| l.to_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())).unwrap_or(0);
                        if body.len() >= len {
                            break;
                        }
                    }
                }
                let status = if n == 1 { "500 Internal Server Error" } else { "200 OK" };
                let _ = sock.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes()).await;
                let _ = tx.send(String::from_utf8_lossy(&buf).to_string());
            }
        });
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
        seed_records(s).await;
        let admin = staff_member(s, Role::Administrator, "admin@news.test").await;
        let r = request(&app, "POST", "/admin/integrations/webhooks", &admin.cookie, &format!("csrf={}&url={}&events=article.published", enc(&admin.csrf), enc(&format!("http://{addr}/hook")))).await;
        assert_eq!(r.status, 200);
        let secret = r.body.split("<pre class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        assert!(secret.starts_with("whsec_"));
        let id = article(s, admin.id, "Goes out", Publish::Draft).await;
        let rev = t.db.article_revision(id).await.unwrap();
        let r = request(&app, "POST", &format!("/admin/articles/{id}"), &admin.cookie, &format_body(&admin.csrf, rev)).await;
        assert_eq!(r.status, 303, "{}", r.body);
        // The delivery runs, beside the jobs the save queued for others (search reindexing).
        assert!(masthead_web::worker::drain(s).await >= 1);
        let first = rx.recv().await.unwrap();
        let hook = &t.db.webhooks().await.unwrap()[0];
        let d = &t.db.deliveries(hook.id, 5).await.unwrap()[0];
        assert_eq!((d.status.as_str(), d.attempts, d.response_status), ("failing", 1, Some(500)));
        // The retry is due later; bring it forward and run it.
        assert_eq!(t.db.retry_jobs_now(masthead_web::webhooks::JOB_DELIVER, Utc::now()).await.unwrap(), 1);
        masthead_web::worker::drain(s).await;
        let second = rx.recv().await.unwrap();
        let d = &t.db.deliveries(hook.id, 5).await.unwrap()[0];
        assert_eq!((d.status.as_str(), d.attempts), ("delivered", 2));
        for req in [&first, &second] {
            let (head, body) = req.split_once("\r\n\r\n").unwrap();
            let sig = head.lines().find_map(|l| l.strip_prefix("masthead-signature: ")).expect("signed");
            assert!(masthead_web::webhooks::verify(&secret, sig, body, Utc::now().timestamp(), 300), "{sig}");
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!((v["type"].as_str(), v["data"]["headline"].as_str()), (Some("article.published"), Some("Goes out")));
        }
        t.cleanup().await;
    }
}

fn format_body(csrf: &str, revision: i64) -> String {
    format!("csrf={}&revision={revision}&intent=publish&headline=Goes+out&access=metered&authors=li-wei&body_markdown=Text.", enc(csrf))
}
