//! The newsletter repository as one story, on every backend: a list is
//! made, readers sign up and confirm, an edition is composed and its
//! deliveries claimed, sent, deferred, bounced; a crashed worker's rows come
//! back when the lease runs out; the scheduler's slot is taken once.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use masthead_core::newsletter::{Audience, Cadence, NewsletterDraft};
use masthead_db::newsletters::{DeliveryOutcome, Source};
use masthead_db::testing;

fn draft(slug: &str) -> NewsletterDraft {
    NewsletterDraft {
        slug: slug.into(),
        name: "The Morning Dispatch".into(),
        description: "Our best stories, every morning.".into(),
        cadence: Cadence::Daily { at: NaiveTime::from_hms_opt(7, 0, 0).unwrap() },
        time_zone: "Europe/Berlin".into(),
        from_name: "The Dispatch".into(),
        from_email: "morning@news.test".into(),
        reply_to: String::new(),
        audience: Audience::Everyone,
        topics: vec!["war-in-ukraine".into()],
        regions: vec![],
        template: "newsletter".into(),
        box_after_paragraph: 2,
        position: 0,
        active: true,
    }
}

#[tokio::test]
async fn the_newsletter_story() {
    for t in testing::all().await {
        let db = &t.db;
        let b = t.backend;
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let n = db.create_newsletter(&draft("morning"), now).await.unwrap();
        assert_eq!(n.cadence, Cadence::Daily { at: NaiveTime::from_hms_opt(7, 0, 0).unwrap() });
        assert!(db.create_newsletter(&draft("morning"), now).await.is_err(), "{b}: slugs are unique");
        let mut d2 = draft("weekly");
        d2.cadence = Cadence::Manual;
        let weekly = db.create_newsletter(&d2, now).await.unwrap();
        assert_eq!(db.newsletters().await.unwrap().len(), 2);

        // Sign-ups wait for confirmation; confirming twice does nothing more.
        for e in ["a@example.org", "B@Example.org", "c@example.org", "d@example.org"] {
            assert_eq!(db.subscribe_pending(n.id, e, None, Source::Site, now).await.unwrap(), "pending");
        }
        assert_eq!(db.confirm_subscriptions("a@example.org", &[n.id, weekly.id], now).await.unwrap(), 1);
        assert_eq!(db.confirm_subscriptions("a@example.org", &[n.id], now).await.unwrap(), 0);
        assert_eq!(db.confirm_subscriptions("b@example.org", &[n.id], now).await.unwrap(), 1, "{b}: addresses are lower-cased");
        db.confirm_subscriptions("c@example.org", &[n.id], now).await.unwrap();
        db.subscribe_confirmed(n.id, "e@example.org", None, Source::Account, now).await.unwrap();
        assert_eq!(db.subscribe_pending(n.id, "a@example.org", None, Source::Api, now).await.unwrap(), "confirmed", "{b}: signing up again keeps confirmed");
        let totals = db.list_totals(now - Duration::days(30)).await.unwrap();
        assert_eq!((totals[0].subscribers, totals[0].pending, totals[0].joined), (4, 1, 4), "{b}");

        // c leaves; e is suppressed (a complaint).
        assert!(db.unsubscribe(n.id, "c@example.org", now).await.unwrap());
        assert!(!db.unsubscribe(n.id, "c@example.org", now).await.unwrap());
        db.suppress("e@example.org", "complaint", "feedback loop", now).await.unwrap();
        assert_eq!(db.suppression("E@example.org").await.unwrap().as_deref(), Some("complaint"));
        assert!(db.record_mail_event("evt-1", "complaint", "e@example.org", now).await.unwrap());
        assert!(!db.record_mail_event("evt-1", "complaint", "e@example.org", now).await.unwrap(), "{b}: events are deduplicated");

        // The slot is taken once; the edition is made for a and b only.
        let slot = Utc.with_ymd_and_hms(2026, 3, 3, 6, 0, 0).unwrap();
        let ed = db.start_edition(n.id, Some(slot), "Morning", &[3, 1], now - Duration::days(1), None, now).await.unwrap().unwrap();
        assert_eq!(db.start_edition(n.id, Some(slot), "Morning", &[], now, None, now).await.unwrap(), None, "{b}: one edition per slot");
        assert_eq!(db.materialize_all(ed, n.id, now).await.unwrap(), 2);
        assert_eq!(db.materialize_all(ed, n.id, now).await.unwrap(), 0, "{b}: materializing again adds nobody");
        assert_eq!(db.open_edition(ed).await.unwrap(), 2);
        assert_eq!(db.edition(ed).await.unwrap().articles, vec![3, 1]);
        assert_eq!(db.last_edition_at(n.id).await.unwrap(), Some(now));

        // A worker claims both, then dies; nobody else gets them while leased.
        let lease = Duration::seconds(60);
        let claimed = db.claim_deliveries(now, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 2, "{b}");
        assert!(db.claim_deliveries(now + Duration::seconds(30), lease, 10).await.unwrap().is_empty(), "{b}: leased rows are not claimed twice");
        let again = db.claim_deliveries(now + Duration::seconds(61), lease, 10).await.unwrap();
        assert_eq!(again.len(), 2, "{b}: an expired lease frees the rows");
        assert!(again.iter().all(|d| d.attempts == 2));
        // b is unsubscribed meanwhile: it must not be sent.
        db.unsubscribe(n.id, "b@example.org", now).await.unwrap();
        let skip = db.undeliverable(&again).await.unwrap();
        assert_eq!(skip.len(), 1, "{b}: {skip:?}");
        let later = now + Duration::seconds(62);
        let outcomes: Vec<_> = again
            .iter()
            .map(|d| {
                let o = if skip.iter().any(|(id, _)| *id == d.id) {
                    DeliveryOutcome::Skipped { why: "unsubscribed".into() }
                } else {
                    DeliveryOutcome::Deferred { retry_at: later + Duration::seconds(10), error: "451 try later".into() }
                };
                (d.id, d.email.clone(), o)
            })
            .collect();
        db.finish_deliveries(&outcomes, later).await.unwrap();
        let p = db.edition_progress(ed).await.unwrap();
        assert_eq!((p.deferred, p.skipped, p.total()), (1, 1, 2), "{b}");
        assert!(db.claim_deliveries(later, lease, 10).await.unwrap().is_empty(), "{b}: deferred until its retry time");
        let retry = db.claim_deliveries(later + Duration::seconds(11), lease, 10).await.unwrap();
        assert_eq!(retry.len(), 1);
        db.finish_deliveries(&[(retry[0].id, retry[0].email.clone(), DeliveryOutcome::Sent)], later).await.unwrap();
        assert_eq!(db.close_finished_editions().await.unwrap(), 1);
        assert_eq!(db.edition(ed).await.unwrap().status, "sent");

        // A bounce suppresses the address for every later send.
        db.subscribe_confirmed(n.id, "x@example.org", None, Source::Account, now).await.unwrap();
        let ed2 = db.start_edition(n.id, None, "Extra", &[], now, None, later).await.unwrap().unwrap();
        db.materialize_all(ed2, n.id, later).await.unwrap();
        db.open_edition(ed2).await.unwrap();
        let c = db.claim_deliveries(later, lease, 10).await.unwrap();
        let x = c.iter().find(|d| d.email == "x@example.org").unwrap();
        db.finish_deliveries(&[(x.id, x.email.clone(), DeliveryOutcome::Bounced { error: "550 no such user".into() })], later).await.unwrap();
        assert_eq!(db.suppression("x@example.org").await.unwrap().as_deref(), Some("hard_bounce"));
        let ed3 = db.start_edition(n.id, None, "Extra 2", &[], now, None, later).await.unwrap().unwrap();
        db.materialize_all(ed3, n.id, later).await.unwrap();
        assert_eq!(db.delivery_status(ed3, "x@example.org").await.unwrap(), None, "{b}: suppressed addresses get no row");

        // Drafts: the editor's intro is kept and used by the next edition.
        let dr = db.save_draft_edition(weekly.id, "", "Hello", &[7], &[9], now).await.unwrap();
        let dr2 = db.save_draft_edition(weekly.id, "Subject", "Hello again", &[7, 8], &[], now).await.unwrap();
        assert_eq!(dr.id, dr2.id, "{b}: one draft at a time");
        let started = db.start_edition(weekly.id, None, "Fallback", &[8, 7], now, Some(dr.id), now).await.unwrap().unwrap();
        let e = db.edition(started).await.unwrap();
        assert_eq!((e.status.as_str(), e.subject.as_str(), e.intro.as_str(), e.added.clone()), ("composing", "Subject", "Hello again", vec![7, 8]));
        assert!(db.draft_edition(weekly.id).await.unwrap().is_none());
        t.cleanup().await;
    }
}

/// The send loop's questions to SQLite are answered from indexes, without
/// sorting or scanning the whole list in memory (a temporary b-tree, which
/// grows with the list: at 1,000,000 recipients the progress count alone
/// held tens of megabytes; docs/BENCHMARKS.md, "Newsletters").
#[tokio::test]
async fn sqlite_answers_the_send_loop_from_indexes() {
    use sqlx::Connection;
    let t = testing::sqlite().await;
    let mut c = sqlx::SqliteConnection::connect(&t.url).await.unwrap();
    let plans = [
        ("progress", "SELECT status, COUNT(*) FROM newsletter_deliveries WHERE edition_id = 1 GROUP BY status"),
        ("claim of queued rows", "SELECT id, run_at FROM newsletter_deliveries WHERE status = 'queued' AND run_at <= '2026-01-01' ORDER BY run_at, id LIMIT 500"),
    ];
    for (what, sql) in plans {
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(&mut c).await.unwrap();
        let plan: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        assert!(plan.iter().all(|step| !step.contains("TEMP B-TREE") && !step.starts_with("SCAN")), "{what}: {plan:?}");
        assert!(plan.iter().any(|step| step.contains("USING") && step.contains("INDEX")), "{what}: {plan:?}");
    }
    c.close().await.unwrap();
    t.cleanup().await;
}
