//! Readers, sign-in tokens, the meter, plans and subscriptions, on every
//! backend in the same run.

use chrono::{Duration, TimeZone, Utc};
use masthead_core::billing::{subscription_entitlements, Interval, Plan, SubscriptionStatus};
use masthead_core::{ArticleDraft, ArticleStatus, Benefit, MeterWindow};
use masthead_db::plans::SubscriptionUpsert;
use masthead_db::readers::TokenPurpose;
use masthead_db::{testing, ArticleWrite, Db, DbError};

async fn article(db: &Db, slug: &str) -> i64 {
    let d = ArticleDraft { headline: slug.into(), ..Default::default() };
    let w = ArticleWrite {
        draft: &d,
        slug: slug.into(),
        blocks: &[],
        problems: &[],
        word_count: 10,
        status: ArticleStatus::Published,
        published_at: Some(Utc::now()),
        scheduled_for: None,
    };
    db.create_article(&w, Utc::now()).await.unwrap().id
}

async fn story(db: &Db, backend: &str) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    // Tokens are single use and expire.
    db.create_login_token("h1", TokenPurpose::Login, "Reader@Example.org", None, None, now + Duration::minutes(15), now).await.unwrap();
    assert!(db.use_login_token("h1", TokenPurpose::EmailChange, now).await.unwrap().is_none(), "{backend}: purpose must match");
    let used = db.use_login_token("h1", TokenPurpose::Login, now).await.unwrap().unwrap();
    assert_eq!(used.email, "reader@example.org");
    assert!(db.use_login_token("h1", TokenPurpose::Login, now).await.unwrap().is_none(), "{backend}: single use");
    db.create_login_token("h2", TokenPurpose::Login, "x@example.org", None, None, now + Duration::minutes(15), now).await.unwrap();
    assert!(db.use_login_token("h2", TokenPurpose::Login, now + Duration::minutes(16)).await.unwrap().is_none(), "expired");
    assert_eq!(db.login_tokens_since("reader@example.org", now - Duration::hours(1)).await.unwrap(), 1);

    let r = db.reader_for_verified_email("reader@example.org", now).await.unwrap();
    let again = db.reader_for_verified_email("READER@example.org", now + Duration::days(1)).await.unwrap();
    assert_eq!(r.id, again.id);
    assert_eq!(again.email_verified_at, Some(now), "first verification kept");
    assert!(matches!(db.create_reader("reader@example.org", None, now).await.unwrap_err(), DbError::Conflict(_)));
    let other = db.create_reader("other@example.org", Some("$argon2id$x"), now).await.unwrap();
    assert!(matches!(db.set_reader_email(other.id, "reader@example.org", now).await.unwrap_err(), DbError::Conflict(_)));
    db.bump_session_epoch(r.id).await.unwrap();
    assert_eq!(db.reader_by_id(r.id).await.unwrap().unwrap().session_epoch, 2);

    // The meter counts distinct articles in the window; re-reads are free.
    let a1 = article(db, "one").await;
    let a2 = article(db, "two").await;
    let start = MeterWindow::CalendarMonth.start(now);
    db.record_meter_reads(&[("a:anon".into(), a1, now), ("a:anon".into(), a1, now), ("n:net".into(), a1, now)], start).await.unwrap();
    let c = db.meter_count("a:anon", a1, start).await.unwrap();
    assert_eq!((c.used, c.already_read), (1, true), "{backend}");
    let c2 = db.meter_count("a:anon", a2, start).await.unwrap();
    assert_eq!((c2.used, c2.already_read), (1, false));
    // Last month's read counts again this month.
    let last_month = now - Duration::days(25);
    db.record_meter_reads(&[("r:9".into(), a2, last_month)], MeterWindow::CalendarMonth.start(last_month)).await.unwrap();
    assert_eq!(db.meter_count("r:9", a2, start).await.unwrap().used, 0);
    db.record_meter_reads(&[("r:9".into(), a2, now)], start).await.unwrap();
    assert_eq!(db.meter_count("r:9", a2, start).await.unwrap().used, 1);
    // Signing in merges the browser's reads into the account.
    let key = format!("r:{}", r.id);
    db.record_meter_reads(&[(key.clone(), a2, now)], start).await.unwrap();
    db.merge_meter("a:anon", &key).await.unwrap();
    assert_eq!(db.meter_reads(&key, start).await.unwrap().len(), 2, "{backend}");
    assert_eq!(db.meter_count("a:anon", a1, start).await.unwrap().used, 0);

    // Plans and the states of a subscription.
    let monthly = Plan {
        id: 0,
        slug: "monthly".into(),
        name: "Monthly".into(),
        price_minor: 290,
        currency: "USD".into(),
        interval: Interval::Month,
        trial_days: 30,
        badge: String::new(),
        benefits: vec![Benefit::FullAccess, Benefit::AdFree, Benefit::Archives],
        active: true,
        provider_price_id: "price_1".into(),
    };
    let m = db.upsert_plan(&monthly, 0, now).await.unwrap();
    assert_eq!(m.benefits, monthly.benefits);
    assert_eq!(db.active_plans().await.unwrap().len(), 1);
    let up = SubscriptionUpsert {
        reader_id: r.id,
        plan_id: m.id,
        provider: "demo",
        provider_customer_id: "cus_1",
        provider_subscription_id: "sub_1",
        status: SubscriptionStatus::Trialing,
        current_period_end: now + Duration::days(30),
        cancel_at_period_end: false,
        trial_end: Some(now + Duration::days(30)),
    };
    db.upsert_subscription(&up, now).await.unwrap();
    let facts = db.subscription_facts(r.id).await.unwrap();
    assert!(subscription_entitlements(&facts[0], 7, now).has(Benefit::FullAccess), "{backend}");
    let past_due = SubscriptionUpsert { status: SubscriptionStatus::PastDue, ..up.clone() };
    let first = db.upsert_subscription(&past_due, now).await.unwrap();
    let later = db.upsert_subscription(&past_due, now + Duration::days(2)).await.unwrap();
    assert_eq!(first.past_due_since, Some(now));
    assert_eq!(later.past_due_since, Some(now), "{backend}: grace counts from the first failure");
    let ended = db.upsert_subscription(&SubscriptionUpsert { status: SubscriptionStatus::Ended, ..up.clone() }, now).await.unwrap();
    assert_eq!(ended.past_due_since, None);
    assert_eq!(db.subscriptions_of(r.id).await.unwrap().len(), 1);

    // Complimentary access with an end date.
    db.grant_complimentary(other.id, &[Benefit::FullAccess], now, now + Duration::days(10), "press", now).await.unwrap();
    assert!(db.complimentary_entitlements(other.id, now).await.unwrap().has(Benefit::FullAccess));
    assert!(!db.complimentary_entitlements(other.id, now + Duration::days(11)).await.unwrap().has(Benefit::FullAccess));

    // Gift links: allowance count and validity.
    let g = db.create_gift_link(r.id, a1, now + Duration::days(7), now).await.unwrap();
    assert!(db.gift_link_valid(g, a1, now).await.unwrap());
    assert!(!db.gift_link_valid(g, a2, now).await.unwrap(), "a gift opens one article");
    assert!(!db.gift_link_valid(g, a1, now + Duration::days(8)).await.unwrap());
    assert_eq!(db.gift_links_since(r.id, now - Duration::days(1)).await.unwrap(), 1);

    // Deleting an account removes its meter and subscriptions.
    db.delete_reader(r.id).await.unwrap();
    assert!(db.reader_by_id(r.id).await.unwrap().is_none());
    assert!(db.subscriptions_of(r.id).await.unwrap().is_empty());
    assert_eq!(db.meter_reads(&key, start).await.unwrap().len(), 0);
}

#[tokio::test]
async fn readers_meter_plans_and_subscriptions() {
    for t in testing::all().await {
        story(&t.db, t.backend).await;
        t.cleanup().await;
    }
}
