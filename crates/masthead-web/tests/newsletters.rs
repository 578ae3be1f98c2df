//! Newsletters end to end, on every backend, with a real SMTP server on
//! loopback: double opt-in, the schedule across a DST change, a full send
//! whose messages are parsed back and checked, RFC 8058 one-click
//! unsubscribe, 4xx retries, 5xx suppression, a worker killed mid-send and
//! restarted (lost and duplicated messages counted), the leak matrix for
//! emails, the JSON API's error codes, the bounce webhook, CSRF, the
//! account page, the in-article box and the desk; with DKIM configured, both
//! account mail and editions arrive signed.

mod common;
#[path = "../../masthead-mail/tests/support/dkim_verify.rs"]
mod dkim_verify;

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::{header, Request};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use common::*;
use masthead_core::newsletter::{Audience, Cadence, Newsletter, NewsletterDraft};
use masthead_core::{AccessLevel, ArticleDraft, Benefit, TagKind};
use masthead_db::newsletters::Source;
use masthead_db::{testing, Db};
use masthead_mail::testing::{Received, SmtpSink};
use masthead_web::delivery::{self, NewsletterConfig};
use masthead_web::newsroom::{self, Publish};
use masthead_web::AppState;

const BASE: &str = "http://news.test";
const HOOK_SECRET: &str = "hook-secret-0123456789";

async fn app_with(db: Db, sink: &SmtpSink, nl: NewsletterConfig) -> App {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    cfg.mail_url = sink.url();
    cfg.newsletters = nl;
    let state = AppState::new(db, cfg, None).await.unwrap();
    App { router: masthead_web::router(state.clone()), state, _dir: dir }
}

fn nl_config() -> NewsletterConfig {
    NewsletterConfig { concurrency: 4, batch: 50, lease: StdDuration::from_secs(60), webhook_secret: Some(HOOK_SECRET.into()), ..Default::default() }
}

fn draft(slug: &str, cadence: Cadence, audience: Audience, topics: &[&str]) -> NewsletterDraft {
    NewsletterDraft {
        slug: slug.into(),
        name: format!("The {slug} letter"),
        description: format!("All about {slug}."),
        cadence,
        time_zone: "Europe/Berlin".into(),
        from_name: "The Desk".into(),
        from_email: format!("{slug}@news.test"),
        reply_to: String::new(),
        audience,
        topics: topics.iter().map(|s| s.to_string()).collect(),
        regions: vec![],
        template: "newsletter".into(),
        box_after_paragraph: 2,
        position: 0,
        active: true,
    }
}

async fn newsletter(s: &AppState, slug: &str, audience: Audience, topics: &[&str]) -> Newsletter {
    let n = s.db.create_newsletter(&draft(slug, Cadence::Manual, audience, topics), Utc::now()).await.unwrap();
    s.reload().await.unwrap();
    n
}

fn marker(slug: &str, i: usize) -> String {
    format!("NLMARK{}X{i}Y", slug.replace('-', "").to_uppercase())
}

async fn article(s: &AppState, slug: &str, access: AccessLevel, topics: &[&str], at: DateTime<Utc>) {
    for t in topics {
        s.db.upsert_tag(TagKind::Topic, t, t, "").await.unwrap();
    }
    let body = (0..6).map(|i| format!("Paragraph {i} of {slug} says {}.", marker(slug, i))).collect::<Vec<_>>().join("\n\n");
    let d = ArticleDraft {
        headline: format!("Headline of {slug}"),
        slug: Some(slug.into()),
        standfirst: format!("Standfirst of {slug}."),
        body_markdown: body,
        access,
        topics: topics.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    newsroom::create_article(s, &d, Publish::At(at), at).await.unwrap();
}

/// Messages per recipient address.
fn per_recipient(messages: &[Received]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in messages {
        for to in &r.recipients {
            *m.entry(to.clone()).or_default() += 1;
        }
    }
    m
}

fn path_of(link: &str) -> String {
    link.strip_prefix(BASE).unwrap_or_else(|| panic!("{link} is not on this site")).to_string()
}

async fn post_with(router: &axum::Router, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut b = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(router, b.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn double_opt_in_by_emailed_link() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let n = newsletter(s, "morning", Audience::Everyone, &[]).await;
        let b = t.backend;

        // A cross-site post with no token and no Origin: asked again, nothing sent.
        let cross = post_form(&app.router, "/newsletters/subscribe", "", "email=ann%40example.org&newsletter=morning").await;
        assert_eq!(cross.status, 200, "{b}");
        assert!(cross.body.contains("Confirm your sign-up") && cross.body.contains("name=\"csrf\""), "{b}");
        assert!(s.db.signups_of("ann@example.org").await.unwrap().is_empty(), "{b}: nothing stored without proof of origin");

        // From our own page (the browser's Origin): pending, and a confirmation email.
        let r = post_with(&app.router, "/newsletters/subscribe", &[("origin", BASE)], "email=Ann%40Example.org&newsletter=morning&source=site").await;
        assert_eq!((r.status.as_u16(), r.header("location").as_str()), (303, "/newsletters/sent"), "{b}: {}", r.body);
        let signups = s.db.signups_of("ann@example.org").await.unwrap();
        assert_eq!((signups.len(), signups[0].status.as_str()), (1, "pending"), "{b}");
        let mail = sink.wait_for(1, StdDuration::from_secs(5)).await;
        assert_eq!(mail.len(), 1, "{b}");
        assert_eq!(mail[0].recipients, vec!["ann@example.org".to_string()]);
        assert!(mail[0].subject().unwrap().contains("The morning letter"), "{b}");
        let link = mail[0].links().into_iter().find(|l| l.contains("/newsletters/confirm?t=")).expect("a confirmation link");

        // Nobody pending gets an edition.
        article(s, "fresh", AccessLevel::Free, &[], Utc::now() - Duration::minutes(5)).await;
        assert_eq!(delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap().map(|x| x.1), Some(0), "{b}");

        // The link opens a page with a button (mail scanners fetch links).
        let page = get(&app.router, &path_of(&link)).await;
        assert_eq!(page.status, 200, "{b}");
        assert_eq!(s.db.signups_of("ann@example.org").await.unwrap()[0].status, "pending", "{b}: a GET confirms nothing");
        let csrf = page.field("csrf");
        let token = page.field("t");
        let cookie = format!("mh_csrf={}", page.cookie("mh_csrf").unwrap());
        let bad = post_form(&app.router, "/newsletters/confirm", &cookie, &format!("csrf=wrong&t={}", enc(&token))).await;
        assert_eq!(bad.status, 400, "{b}: CSRF");
        let tampered = post_form(&app.router, "/newsletters/confirm", &cookie, &format!("csrf={csrf}&t={}", enc(&token.replace(':', ";")))).await;
        assert_eq!(tampered.status, 400, "{b}: a tampered token");
        let ok = post_form(&app.router, "/newsletters/confirm", &cookie, &format!("csrf={csrf}&t={}", enc(&token))).await;
        assert_eq!(ok.status, 200, "{b}: {}", ok.body);
        assert!(ok.body.contains("You're subscribed"), "{b}");
        assert_eq!(s.db.signups_of("ann@example.org").await.unwrap()[0].status, "confirmed", "{b}");

        // Signing up again when confirmed sends nothing (and says the same).
        let again = post_with(&app.router, "/newsletters/subscribe", &[("sec-fetch-site", "same-origin")], "email=ann%40example.org&newsletter=morning").await;
        assert_eq!(again.status, 303);
        tokio::time::sleep(StdDuration::from_millis(200)).await;
        assert_eq!(sink.messages().len(), 1, "{b}: no second confirmation");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn editions_are_composed_at_the_local_time_across_a_dst_change() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let seven = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        let n = s.db.create_newsletter(&draft("daily", Cadence::Daily { at: seven }, Audience::Everyone, &["climate"]), Utc::now()).await.unwrap();
        s.reload().await.unwrap();
        s.db.subscribe_confirmed(n.id, "reader@example.org", None, Source::Site, Utc::now()).await.unwrap();
        let utc = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap();
        article(s, "friday-piece", AccessLevel::Free, &["climate"], utc(27, 18, 0)).await;
        article(s, "saturday-piece", AccessLevel::Free, &["climate"], utc(28, 12, 0)).await;
        article(s, "off-topic", AccessLevel::Free, &["sport"], utc(28, 13, 0)).await;

        // The first tick only plans: 07:00 in Berlin on Saturday is 06:00 UTC (CET).
        delivery::tick(s, utc(28, 5, 0)).await;
        let next = |s: &AppState| {
            let s = s.clone();
            async move { s.db.newsletter_schedule().await.unwrap().into_iter().find(|(id, _)| *id == n.id).unwrap().1 }
        };
        assert_eq!(next(s).await, Some(utc(28, 6, 0)), "{b}");
        delivery::tick(s, utc(28, 5, 59)).await;
        assert!(s.db.editions(n.id, 10).await.unwrap().is_empty(), "{b}: not before its time");
        delivery::tick(s, utc(28, 6, 0)).await;
        let eds = s.db.editions(n.id, 10).await.unwrap();
        assert_eq!(eds.len(), 1, "{b}");
        assert_eq!(eds[0].slot, Some(utc(28, 6, 0)));
        assert_eq!(eds[0].articles.len(), 1, "{b}: Friday evening's climate piece only (since the day before, on topic)");
        let first = eds[0].articles.clone();
        // Clocks go forward in the night: Sunday's 07:00 is 05:00 UTC (CEST).
        assert_eq!(next(s).await, Some(utc(29, 5, 0)), "{b}");
        delivery::tick(s, utc(28, 6, 1)).await;
        assert_eq!(s.db.editions(n.id, 10).await.unwrap().len(), 1, "{b}: one edition per slot");
        article(s, "sunday-piece", AccessLevel::Free, &["climate"], utc(29, 4, 30)).await;
        delivery::tick(s, utc(29, 4, 59)).await;
        assert_eq!(s.db.editions(n.id, 10).await.unwrap().len(), 1, "{b}");
        delivery::tick(s, utc(29, 5, 0)).await;
        let eds = s.db.editions(n.id, 10).await.unwrap();
        assert_eq!(eds.len(), 2, "{b}");
        assert_eq!(eds[0].slot, Some(utc(29, 5, 0)), "{b}: 07:00 CEST");
        assert_eq!(eds[0].articles.len(), 2, "{b}: Saturday's and Sunday's pieces, published since the last edition");
        assert!(!eds[0].articles.contains(&first[0]), "{b}: nothing repeated");
        assert_eq!(next(s).await, Some(utc(30, 5, 0)), "{b}");
        // Both editions went out.
        delivery::drain(s, Some(utc(29, 5, 1))).await.unwrap();
        assert_eq!(sink.wait_for(2, StdDuration::from_secs(5)).await.len(), 2, "{b}");
        t.cleanup().await;
    }
}

/// Checks one received newsletter the way a strict receiver would.
async fn check_structure(app: &App, m: &Received, ctx: &str) {
    let ct = m.header("Content-Type").unwrap_or_default();
    assert!(ct.starts_with("multipart/alternative"), "{ctx}: {ct}");
    let parsed = mail_parser::MessageParser::default().parse(&m.raw).expect("parses");
    assert!(parsed.date().is_some(), "{ctx}: Date");
    let mid = m.header("Message-ID").unwrap();
    assert!(mid.starts_with("<nl.") && mid.ends_with("@news.test>"), "{ctx}: {mid}");
    let lu = m.header("List-Unsubscribe").unwrap();
    assert!(lu.starts_with(&format!("<{BASE}/newsletters/unsubscribe/")) && lu.contains(", <mailto:"), "{ctx}: {lu}");
    assert_eq!(m.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"), "{ctx}");
    let list_id = m.header("List-Id").unwrap();
    assert!(list_id.ends_with(".news.test>"), "{ctx}: {list_id}");
    let html = m.html_part().expect("an HTML part");
    let text = m.text_part().expect("a text part");
    assert!(html.contains("<table role=\"presentation\"") && html.contains("color-scheme"), "{ctx}: table layout, dark-mode aware");
    assert!(!html.contains("<script"), "{ctx}");
    assert!(text.contains("Unsubscribe: http"), "{ctx}");
    // Every link works.
    let links = m.links();
    assert!(links.len() >= 4, "{ctx}: {links:?}");
    for link in links {
        let page = get(&app.router, &path_of(&link)).await;
        assert_eq!(page.status, 200, "{ctx}: {link}");
    }
}

#[tokio::test]
async fn a_full_send_personalized_and_structurally_sound() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "world", Audience::Everyone, &[]).await;
        let now = Utc::now();
        article(s, "open-piece", AccessLevel::Free, &[], now - Duration::hours(2)).await;
        article(s, "metered-piece", AccessLevel::Metered, &[], now - Duration::hours(1)).await;
        let r = s.db.reader_for_verified_email("ana@example.org", now).await.unwrap();
        s.db.set_reader_name(r.id, "Ana <b>&").await.unwrap();
        s.db.subscribe_confirmed(n.id, "ana@example.org", Some(r.id), Source::Account, now).await.unwrap();
        for e in ["bo@example.org", "cy@example.org"] {
            s.db.subscribe_confirmed(n.id, e, None, Source::Site, now).await.unwrap();
        }
        s.db.save_draft_edition(n.id, "", "A word from the editor.\n\nSecond thought.", &[], &[], now).await.unwrap();
        let (ed, recipients) = delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap().unwrap();
        assert_eq!(recipients, 3, "{b}");
        let report = delivery::drain(s, None).await.unwrap();
        assert_eq!(report.sent, 3, "{b}: {report:?}");
        let got = sink.wait_for(3, StdDuration::from_secs(5)).await;
        assert_eq!(per_recipient(&got).values().copied().collect::<Vec<_>>(), vec![1, 1, 1], "{b}");
        for m in &got {
            check_structure(&app, m, &format!("{b} / {:?}", m.recipients)).await;
            let html = m.html_part().unwrap();
            assert!(html.contains("A word from the editor.") && html.contains("Headline of open-piece"), "{b}");
        }
        let ana = got.iter().find(|m| m.recipients == ["ana@example.org"]).unwrap();
        assert!(ana.html_part().unwrap().contains(", Ana &lt;b&gt;&amp;."), "{b}: the name, escaped");
        assert!(ana.text_part().unwrap().contains(", Ana <b>&."), "{b}");
        let bo = got.iter().find(|m| m.recipients == ["bo@example.org"]).unwrap();
        assert_ne!(ana.header("List-Unsubscribe"), bo.header("List-Unsubscribe"), "{b}: links are per recipient");
        assert_eq!(s.db.edition(ed).await.unwrap().status, "sent", "{b}");
        assert_eq!(s.db.edition_progress(ed).await.unwrap().sent, 3);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn one_click_unsubscribe_rfc_8058() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "world", Audience::Everyone, &[]).await;
        article(s, "a-piece", AccessLevel::Free, &[], Utc::now() - Duration::hours(1)).await;
        s.db.subscribe_confirmed(n.id, "leaver@example.org", None, Source::Site, Utc::now()).await.unwrap();
        delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap();
        delivery::drain(s, None).await.unwrap();
        let m = sink.wait_for(1, StdDuration::from_secs(5)).await.remove(0);
        let lu = m.header("List-Unsubscribe").unwrap();
        let https = lu.split(',').next().unwrap().trim().trim_matches(['<', '>']).to_string();
        // What a mail provider sends: a POST with this body, no cookies, no token.
        let r = post_form(&app.router, &path_of(&https), "", "List-Unsubscribe=One-Click").await;
        assert_eq!(r.status, 200, "{b}: {}", r.body);
        assert!(r.header("location").is_empty() && r.header("set-cookie").is_empty(), "{b}: no redirect, no cookie");
        assert!(r.body.contains("unsubscribed"), "{b}");
        assert_eq!(s.db.signups_of("leaver@example.org").await.unwrap()[0].status, "unsubscribed", "{b}");
        assert_eq!(post_form(&app.router, &path_of(&https), "", "List-Unsubscribe=One-Click").await.status, 200, "{b}: repeating is harmless");
        let forged = https.replacen("/unsubscribe/", "/unsubscribe/9", 1);
        assert_eq!(post_form(&app.router, &path_of(&forged), "", "List-Unsubscribe=One-Click").await.status, 400, "{b}");
        // The next edition leaves them out.
        article(s, "b-piece", AccessLevel::Free, &[], Utc::now()).await;
        let next = delivery::compose_and_send(s, &n, None, Utc::now() + Duration::seconds(1)).await.unwrap();
        assert_eq!(next.map(|x| x.1), Some(0), "{b}");
        t.cleanup().await;
    }
}

async fn three_readers(s: &AppState, n: &Newsletter) {
    for e in ["one@example.org", "two@example.org", "three@example.org"] {
        s.db.subscribe_confirmed(n.id, e, None, Source::Site, Utc::now()).await.unwrap();
    }
}

#[tokio::test]
async fn temporary_failures_are_retried_with_backoff_never_dropped() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, NewsletterConfig { concurrency: 1, ..nl_config() }).await;
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "world", Audience::Everyone, &[]).await;
        article(s, "a-piece", AccessLevel::Free, &[], Utc::now() - Duration::hours(1)).await;
        three_readers(s, &n).await;
        let now = Utc::now();
        let (ed, _) = delivery::compose_and_send(s, &n, None, now).await.unwrap().unwrap();
        sink.fail_next(2, 451);
        let first = delivery::drain(s, Some(now)).await.unwrap();
        assert_eq!((first.sent, first.deferred), (1, 2), "{b}");
        let p = s.db.edition_progress(ed).await.unwrap();
        assert_eq!((p.sent, p.deferred), (1, 2), "{b}");
        assert_eq!(s.db.edition(ed).await.unwrap().status, "sending", "{b}: not done while messages wait");
        assert_eq!(delivery::drain(s, Some(now + Duration::seconds(5))).await.unwrap().sent, 0, "{b}: waits out the backoff");
        sink.fail_next(1, 421);
        let second = delivery::drain(s, Some(now + Duration::seconds(11))).await.unwrap();
        assert_eq!((second.sent, second.deferred), (1, 1), "{b}: a 421 is temporary too");
        let third = delivery::drain(s, Some(now + Duration::seconds(60))).await.unwrap();
        assert_eq!(third.sent, 1, "{b}");
        let got = per_recipient(&sink.messages());
        assert_eq!(got.len(), 3, "{b}: everyone got it");
        assert!(got.values().all(|c| *c == 1), "{b}: once each: {got:?}");
        assert_eq!(s.db.edition(ed).await.unwrap().status, "sent", "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn permanent_failures_suppress_the_address_for_every_later_send() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "world", Audience::Everyone, &[]).await;
        let other = newsletter(s, "other", Audience::Everyone, &[]).await;
        article(s, "a-piece", AccessLevel::Free, &[], Utc::now() - Duration::hours(1)).await;
        three_readers(s, &n).await;
        s.db.subscribe_confirmed(other.id, "two@example.org", None, Source::Site, Utc::now()).await.unwrap();
        sink.reject_recipient("two@example.org", 550);
        let (ed, _) = delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap().unwrap();
        let r = delivery::drain(s, None).await.unwrap();
        assert_eq!((r.sent, r.bounced), (2, 1), "{b}");
        assert_eq!(s.db.suppression("two@example.org").await.unwrap().as_deref(), Some("hard_bounce"), "{b}");
        let (status, _, error) = s.db.delivery_status(ed, "two@example.org").await.unwrap().unwrap();
        assert_eq!(status, "bounced");
        assert!(error.unwrap().contains("550"), "{b}");
        // Another newsletter's send honours the list.
        let (_, recipients) = delivery::compose_and_send(s, &other, None, Utc::now()).await.unwrap().unwrap();
        assert_eq!(recipients, 0, "{b}: the suppressed address gets no row");
        assert_eq!(per_recipient(&sink.messages()).get("two@example.org"), None, "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_send_resumes_losing_nothing() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        // Slow replies, so the kill lands mid-batch with messages in flight.
        sink.set_delay(StdDuration::from_millis(1));
        let batch = 40;
        let cfg = NewsletterConfig { concurrency: 4, batch, lease: StdDuration::from_millis(800), ..nl_config() };
        let app = app_with(t.db.clone(), &sink, cfg).await;
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "world", Audience::Everyone, &[]).await;
        article(s, "a-piece", AccessLevel::Free, &[], Utc::now() - Duration::hours(1)).await;
        let total = 300;
        for i in 0..total {
            s.db.subscribe_confirmed(n.id, &format!("r{i}@example.org"), None, Source::Import, Utc::now()).await.unwrap();
        }
        let (ed, recipients) = delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap().unwrap();
        assert_eq!(recipients, total as i64);

        let worker = tokio::spawn({
            let s = s.clone();
            async move { delivery::drain(&s, None).await }
        });
        let before = sink.wait_for(110, StdDuration::from_secs(30)).await.len();
        worker.abort();
        let _ = worker.await;
        let at_kill = sink.messages().len();
        let in_flight = s.db.edition_progress(ed).await.unwrap().sending;
        assert!(before >= 110 && at_kill < total, "{b}: killed mid-send ({at_kill} of {total} sent)");
        // A restarted worker sends what was queued, and takes the dead one's
        // rows once their lease has run out (the story test in masthead-db
        // shows a live lease is respected).
        tokio::time::sleep(StdDuration::from_millis(900)).await;
        delivery::drain(s, None).await.unwrap();
        let got = per_recipient(&sink.messages());
        let lost = (0..total).filter(|i| !got.contains_key(&format!("r{i}@example.org"))).count();
        let duplicated: usize = got.values().map(|c| c - 1).sum();
        eprintln!("{b}: kill after {at_kill} accepted, {in_flight} rows in flight; lost {lost}, duplicated {duplicated} (window {batch})");
        assert_eq!(lost, 0, "{b}: nothing lost");
        assert!(duplicated <= in_flight as usize && duplicated <= batch, "{b}: at most the in-flight rows twice: {duplicated}");
        let p = s.db.edition_progress(ed).await.unwrap();
        assert_eq!((p.sent, p.sending, p.queued), (total as i64, 0, 0), "{b}");
        assert_eq!(s.db.edition(ed).await.unwrap().status, "sent", "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn newsletter_emails_join_the_leak_matrix() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "world", Audience::Everyone, &[]).await;
        let now = Utc::now();
        article(s, "free-piece", AccessLevel::Free, &[], now - Duration::hours(3)).await;
        article(s, "metered-piece", AccessLevel::Metered, &[], now - Duration::hours(2)).await;
        article(s, "members-piece", AccessLevel::SubscribersOnly, &[], now - Duration::hours(1)).await;
        // Recipients: an address with no account, a free account, a subscriber.
        s.db.subscribe_confirmed(n.id, "stranger@example.org", None, Source::Site, now).await.unwrap();
        let reg = s.db.reader_for_verified_email("registered@example.org", now).await.unwrap();
        s.db.subscribe_confirmed(n.id, "registered@example.org", Some(reg.id), Source::Account, now).await.unwrap();
        let sub = s.db.reader_for_verified_email("subscriber@example.org", now).await.unwrap();
        s.db.grant_complimentary(sub.id, &Benefit::ALL, now - Duration::days(1), now + Duration::days(30), "test", now).await.unwrap();
        s.db.subscribe_confirmed(n.id, "subscriber@example.org", Some(sub.id), Source::Account, now).await.unwrap();
        delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap().unwrap();
        delivery::drain(s, None).await.unwrap();
        let got = sink.wait_for(3, StdDuration::from_secs(5)).await;
        assert_eq!(got.len(), 3, "{b}");
        for m in &got {
            let ctx = format!("{b} / {:?}", m.recipients);
            let all = format!("{}\n{}\n{}", String::from_utf8_lossy(&m.raw), m.html_part().unwrap(), m.text_part().unwrap());
            for gated in ["metered-piece", "members-piece"] {
                assert!(all.contains(&format!("Headline of {gated}")), "{ctx}: the gated article is announced");
                let shown: Vec<usize> = (0..6).filter(|i| all.contains(&marker(gated, *i))).collect();
                assert!(shown.is_empty(), "{ctx}: {gated} body text in an email: blocks {shown:?}");
            }
            // What decide gives a stranger without a meter: the free article
            // in full; the email carries its opening paragraph and no more.
            let shown: Vec<usize> = (0..6).filter(|i| all.contains(&marker("free-piece", *i))).collect();
            assert_eq!(shown, vec![0], "{ctx}");
        }
        t.cleanup().await;
    }
}

async fn api(router: &axum::Router, ip: [u8; 4], content_type: &str, body: &str) -> (u16, serde_json::Value) {
    let req = Request::post("/api/newsletters/subscribe").header(header::CONTENT_TYPE, content_type).body(Body::from(body.to_string())).unwrap();
    let r = send_from(router, ip, req).await;
    (r.status.as_u16(), serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn the_sign_up_api_answers_with_stable_codes_and_is_rate_limited() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        newsletter(s, "world", Audience::Everyone, &[]).await;
        newsletter(s, "premium", Audience::Subscribers, &[]).await;
        let r = &app.router;
        let ip = [10, 9, 0, 1];
        let code = |v: &serde_json::Value| v["error"]["code"].as_str().unwrap_or("").to_string();
        let (st, v) = api(r, ip, "application/x-www-form-urlencoded", "email=a%40b.org").await;
        assert_eq!((st, code(&v).as_str()), (415, "unsupported_media_type"), "{b}");
        let (st, v) = api(r, ip, "application/json", "{not json").await;
        assert_eq!((st, code(&v).as_str()), (400, "invalid_json"), "{b}");
        let (st, v) = api(r, ip, "application/json", r#"{"email":"nope","newsletters":["world"]}"#).await;
        assert_eq!((st, code(&v).as_str()), (422, "invalid_email"), "{b}");
        let (st, v) = api(r, ip, "application/json", r#"{"email":"a@example.org","newsletters":[]}"#).await;
        assert_eq!((st, code(&v).as_str()), (422, "no_newsletters"), "{b}");
        let (st, v) = api(r, ip, "application/json", r#"{"email":"a@example.org","newsletters":["world","gone"]}"#).await;
        assert_eq!((st, code(&v).as_str()), (422, "unknown_newsletter"), "{b}");
        assert_eq!(v["error"]["detail"]["unknown"][0], "gone");
        let (st, v) = api(r, ip, "application/json", r#"{"email":"a@example.org","newsletters":["premium"]}"#).await;
        assert_eq!((st, code(&v).as_str()), (403, "subscribers_only"), "{b}");
        let (st, v) = api(r, ip, "application/json", r#"{"email":"a@example.org","newsletters":["world"]}"#).await;
        assert_eq!((st, v["status"].as_str()), (202, Some("confirmation_sent")), "{b}: {v}");
        assert_eq!(sink.wait_for(1, StdDuration::from_secs(5)).await.len(), 1, "{b}");
        // It sends mail: three per address in ten minutes, then 429.
        for _ in 0..2 {
            assert_eq!(api(r, ip, "application/json", r#"{"email":"a@example.org","newsletters":["world"]}"#).await.0, 202);
        }
        let (st, v) = api(r, ip, "application/json", r#"{"email":"a@example.org","newsletters":["world"]}"#).await;
        assert_eq!((st, code(&v).as_str()), (429, "rate_limited"), "{b}");
        // And per client address.
        for i in 0..10 {
            api(r, [10, 9, 0, 2], "application/json", &format!(r#"{{"email":"x{i}@example.org","newsletters":["world"]}}"#)).await;
        }
        let last = api(r, [10, 9, 0, 2], "application/json", r#"{"email":"y@example.org","newsletters":["world"]}"#).await;
        assert_eq!(last.0, 429, "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_bounce_webhook_needs_the_secret_and_applies_each_event_once() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let hook = |auth: &str, body: &str| {
            let mut req = Request::post("/hooks/mail").header(header::CONTENT_TYPE, "application/json");
            if !auth.is_empty() {
                req = req.header(header::AUTHORIZATION, auth);
            }
            req.body(Body::from(body.to_string())).unwrap()
        };
        let body = r#"{"events":[{"id":"e1","type":"complaint","email":"Angry@example.org"},{"id":"e2","type":"bounce","email":"soft@example.org","permanent":false},{"id":"e3","type":"bounce","email":"gone@example.org"}]}"#;
        assert_eq!(send(&app.router, hook("", body)).await.status, 401, "{b}");
        assert_eq!(send(&app.router, hook("Bearer wrong", body)).await.status, 401, "{b}");
        let ok = send(&app.router, hook(&format!("Bearer {HOOK_SECRET}"), body)).await;
        assert_eq!(ok.status, 200, "{b}: {}", ok.body);
        assert_eq!(s.db.suppression("angry@example.org").await.unwrap().as_deref(), Some("complaint"));
        assert_eq!(s.db.suppression("gone@example.org").await.unwrap().as_deref(), Some("hard_bounce"));
        assert_eq!(s.db.suppression("soft@example.org").await.unwrap(), None, "{b}: a soft bounce suppresses nothing");
        let again = send(&app.router, hook(&format!("Bearer {HOOK_SECRET}"), body)).await;
        let v: serde_json::Value = serde_json::from_str(&again.body).unwrap();
        assert_eq!((v["applied"].as_i64(), v["duplicates"].as_i64()), (Some(0), Some(3)), "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_account_page_preferences_and_the_article_box() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let war = newsletter(s, "war-briefing", Audience::Everyone, &["war-in-ukraine"]).await;
        newsletter(s, "premium", Audience::Subscribers, &[]).await;
        article(s, "front-line", AccessLevel::Free, &["war-in-ukraine"], Utc::now() - Duration::hours(1)).await;
        s.reload().await.unwrap();

        // The box sits after the second paragraph of an article in its topic.
        let page = get(&app.router, "/article/front-line").await;
        let at = |needle: &str| page.body.find(needle).unwrap_or_else(|| panic!("{b}: {needle} missing"));
        let boxed = at("class=\"newsletter-box\"");
        assert!(at(&marker("front-line", 1)) < boxed && boxed < at(&marker("front-line", 2)), "{b}: the box follows paragraph two");
        assert!(page.body.contains("value=\"war-briefing\""), "{b}");
        // The site-wide form is in the chrome, with the log-in link beside it.
        let home = get(&app.router, "/").await;
        assert!(home.body.contains("class=\"site-signup\"") && home.body.contains("Already a subscriber?"), "{b}");

        // The account page lists open newsletters (not premium ones for a free account).
        let r = s.db.reader_for_verified_email("me@example.org", Utc::now()).await.unwrap();
        let cookie = format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch));
        let acc = get_as(&app.router, "/account", &cookie, [127, 0, 0, 1], "test").await;
        assert!(acc.body.contains("name=\"nl_war-briefing\"") && !acc.body.contains("name=\"nl_premium\""), "{b}");
        let csrf = acc.field("csrf");
        assert_eq!(post_form(&app.router, "/account/newsletters", &cookie, "nl_war-briefing=on").await.status, 400, "{b}: CSRF");
        let saved = post_form(&app.router, "/account/newsletters", &cookie, &format!("csrf={csrf}&nl_war-briefing=on")).await;
        assert_eq!(saved.status, 303, "{b}");
        let mine = s.db.signups_of("me@example.org").await.unwrap();
        assert_eq!((mine[0].newsletter_id, mine[0].status.as_str()), (war.id, "confirmed"), "{b}: a verified address needs no second confirmation");
        let premium_try = post_form(&app.router, "/account/newsletters", &cookie, &format!("csrf={csrf}&nl_war-briefing=on&nl_premium=on")).await;
        assert_eq!(premium_try.status, 303);
        assert_eq!(s.db.signups_of("me@example.org").await.unwrap().len(), 1, "{b}: premium needs the benefit");

        // The preference page, from a signed link, without signing in.
        let prefs = masthead_web::newsletters::prefs_url(s, "me@example.org");
        let p = get(&app.router, &path_of(&prefs)).await;
        assert_eq!(p.status, 200, "{b}");
        assert!(p.body.contains("name=\"nl_war-briefing\" value=\"on\" checked"), "{b}");
        let pc = format!("mh_csrf={}", p.cookie("mh_csrf").unwrap());
        let tok = p.field("t");
        let off = post_form(&app.router, "/newsletters/preferences", &pc, &format!("csrf={}&t={}", p.field("csrf"), enc(&tok))).await;
        assert_eq!(off.status, 200, "{b}");
        assert_eq!(s.db.signups_of("me@example.org").await.unwrap()[0].status, "unsubscribed", "{b}");
        let forged = get(&app.router, &path_of(&prefs.replace("t=", "t=x"))).await;
        assert_eq!(forged.status, 400, "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_desk_previews_tests_and_sends() {
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let app = app_with(t.db.clone(), &sink, nl_config()).await;
        let s = &app.state;
        let b = t.backend;
        let hash = masthead_web::auth::masthead_password::hash("a long password here").unwrap();
        let member = s.db.create_staff("editor@news.test", "Ed", masthead_core::staff::Role::Editor, &hash, Utc::now()).await.unwrap();
        let session = masthead_web::auth::staff_session(SECRET, member.id);
        let staff = masthead_web::auth::Staff { id: member.id, role: member.role, email: member.email.clone(), name: member.name.clone(), session: session.clone() };
        let csrf = staff.csrf(s);
        let cookie = format!("mh_staff={session}");
        assert_eq!(get(&app.router, "/admin/newsletters").await.status, 401, "{b}: staff only");
        let form = format!(
            "csrf={csrf}&name=The+Evening&slug=evening&description=Tonight&cadence=weekly&weekday=fri&at=18%3A30&time_zone=America%2FNew_York&from_name=Desk&from_email=evening%40news.test&audience=everyone&topics=&regions=&template=newsletter&box_after_paragraph=2&position=1&active=on"
        );
        assert_eq!(post_form(&app.router, "/admin/newsletters", &cookie, &form.replace(&csrf, "bad")).await.status, 403, "{b}: CSRF");
        let bad = post_form(&app.router, "/admin/newsletters", &cookie, &form.replace("America%2FNew_York", "Nowhere")).await;
        assert!(bad.body.contains("time_zone"), "{b}: the form says what is wrong");
        let made = post_form(&app.router, "/admin/newsletters", &cookie, &form).await;
        assert_eq!(made.status, 303, "{b}: {}", made.body);
        let n = s.db.newsletters().await.unwrap().into_iter().find(|n| n.slug == "evening").unwrap();
        assert_eq!(n.cadence.describe(), "Weekly on Friday at 18:30");
        article(s, "tonight", AccessLevel::Free, &[], Utc::now() - Duration::hours(1)).await;
        let list = get_as(&app.router, "/admin/newsletters", &cookie, [127, 0, 0, 1], "t").await;
        assert!(list.body.contains("The Evening"), "{b}");
        let draft = post_form(&app.router, &format!("/admin/newsletters/{}/draft", n.id), &cookie, &format!("csrf={csrf}&subject=Tonight%27s+letter&intro=Hello+readers")).await;
        assert_eq!(draft.status, 303, "{b}");
        let show = get_as(&app.router, &format!("/admin/newsletters/{}", n.id), &cookie, [127, 0, 0, 1], "t").await;
        assert!(show.body.contains("Headline of tonight"), "{b}");
        let preview = get_as(&app.router, &format!("/admin/newsletters/{}/preview", n.id), &cookie, [127, 0, 0, 1], "t").await;
        assert!(preview.body.contains("Hello readers") && preview.body.contains("Headline of tonight"), "{b}");
        assert!(preview.header("content-security-policy").contains("default-src 'none'"), "{b}");
        let test = post_form(&app.router, &format!("/admin/newsletters/{}/test", n.id), &cookie, &format!("csrf={csrf}")).await;
        assert_eq!(test.status, 303, "{b}");
        let got = sink.wait_for(1, StdDuration::from_secs(5)).await;
        assert_eq!(got[0].recipients, vec!["editor@news.test".to_string()]);
        assert_eq!(got[0].subject().unwrap(), "[Test] Tonight's letter");
        s.db.subscribe_confirmed(n.id, "fan@example.org", None, Source::Site, Utc::now()).await.unwrap();
        let sent = post_form(&app.router, &format!("/admin/newsletters/{}/send", n.id), &cookie, &format!("csrf={csrf}")).await;
        assert_eq!(sent.header("location"), format!("/admin/newsletters/{}?send=queued", n.id), "{b}");
        delivery::drain(s, None).await.unwrap();
        let show = get_as(&app.router, &format!("/admin/newsletters/{}", n.id), &cookie, [127, 0, 0, 1], "t").await;
        assert!(show.body.contains("Tonight&#39;s letter") && show.body.contains("<span class=\"status\">sent</span>"), "{b}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn with_dkim_configured_account_mail_and_editions_arrive_signed() {
    // The test-only key of masthead-mail's DKIM tests, and its DNS record.
    let key = include_str!("../../masthead-mail/tests/fixtures/dkim-rsa.key");
    let record = dkim_verify::PublicKey::from_dns_record(include_str!("../../masthead-mail/tests/fixtures/dkim-rsa.txt"));
    for t in testing::all().await {
        let sink = SmtpSink::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path(), None);
        cfg.mail_url = sink.url();
        cfg.newsletters = nl_config();
        cfg.dkim = Some(masthead_mail::Dkim::new("news.test", "mh2025", key).unwrap());
        let state = AppState::new(t.db.clone(), cfg, None).await.unwrap();
        let app = App { router: masthead_web::router(state.clone()), state, _dir: dir };
        let s = &app.state;
        let b = t.backend;
        let n = newsletter(s, "morning", Audience::Everyone, &[]).await;

        // Account mail: the confirmation of a sign-up.
        let r = post_with(&app.router, "/newsletters/subscribe", &[("origin", BASE)], "email=ann%40example.org&newsletter=morning").await;
        assert_eq!(r.status, 303, "{b}: {}", r.body);
        let confirmation = sink.wait_for(1, StdDuration::from_secs(5)).await.remove(0);
        // An edition, through the delivery runtime's own mailer.
        article(s, "signed-piece", AccessLevel::Free, &[], Utc::now() - Duration::hours(1)).await;
        s.db.subscribe_confirmed(n.id, "bo@example.org", None, Source::Site, Utc::now()).await.unwrap();
        delivery::compose_and_send(s, &n, None, Utc::now()).await.unwrap();
        assert_eq!(delivery::drain(s, None).await.unwrap().sent, 1, "{b}");
        let edition = sink.wait_for(2, StdDuration::from_secs(5)).await.remove(1);
        assert_eq!(edition.recipients, ["bo@example.org"], "{b}");

        let v = dkim_verify::verify(&confirmation.raw, &record).unwrap_or_else(|e| panic!("{b}: account mail: {e}"));
        assert_eq!((v.domain.as_str(), v.selector.as_str()), ("news.test", "mh2025"), "{b}");
        let v = dkim_verify::verify(&edition.raw, &record).unwrap_or_else(|e| panic!("{b}: edition: {e}"));
        let unsubscribe = edition.header("List-Unsubscribe").unwrap_or_default();
        assert!(unsubscribe.contains("<http") && unsubscribe.contains("<mailto:"), "{b}: {unsubscribe}");
        for name in ["from", "to", "subject", "date", "message-id", "mime-version", "content-type", "list-unsubscribe", "list-unsubscribe-post", "list-id"] {
            assert!(v.signed_headers.iter().any(|h| h == name), "{b}: {name} in {v:?}");
        }
        // The one-click link in the header is what the signature vouches for, and the text too.
        let raw = String::from_utf8(edition.raw.clone()).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("/newsletters/unsubscribe/"), "{b}: {head}");
        let forged_link = format!("{}\r\n\r\n{body}", head.replacen("/newsletters/unsubscribe/", "/newsletters/unsubscribe/9", 1));
        let added_text = format!("{raw}P.S. one more line\r\n");
        for forged in [forged_link, added_text] {
            assert!(dkim_verify::verify(forged.as_bytes(), &record).is_err(), "{b}: {forged}");
        }
        t.cleanup().await;
    }
}
