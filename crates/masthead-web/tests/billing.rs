//! Subscriptions end to end against a Stripe-compatible test server over
//! real HTTP: checkout with a trial, the trial converting, failed payments
//! recovering or ending, cancel and resume, switching plans, refunds, gifts
//! and complimentary access. Each step checks the reader's entitlements and
//! what the paywall then shows. Webhooks arrive signed, twice, out of order,
//! forged and stale.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use masthead_billing::fake::{CardBehavior, DeliveryMode, FakeStripe, FinalFailure, ReleaseOrder};
use masthead_billing::stripe::{RefundParams, RefundTarget, StripeClient};
use masthead_core::billing::{Interval, Plan};
use masthead_core::{AccessLevel, ArticleDraft, Benefit, MeterPolicy};
use masthead_db::{testing, Db};
use masthead_web::billing::BillingConfig;
use masthead_web::newsroom::{self, Publish};
use masthead_web::paywall::Paywall;

const WEBHOOK_SECRET: &str = "whsec_test_current";
const UA: &str = "Mozilla/5.0 (test)";

struct World {
    app: App,
    fake: FakeStripe,
    client: StripeClient,
}

async fn world(db: Db) -> World {
    let fake = FakeStripe::start().await.unwrap();
    let billing = BillingConfig {
        provider: "stripe".into(),
        stripe_secret_key: fake.secret_key().to_string(),
        stripe_webhook_secret: format!("whsec_old_rotated, {WEBHOOK_SECRET}"),
        stripe_api_base: fake.base_url().to_string(),
    };
    let (app, base) = app_on_port(db, billing).await;
    fake.set_webhook_endpoint(&format!("{base}/hooks/stripe"), WEBHOOK_SECRET);
    let s = &app.state;
    let monthly_price = fake.create_price("Monthly", 290, "usd", Some(Interval::Month)).unwrap();
    let annual_price = fake.create_price("Annual", 1990, "usd", Some(Interval::Year)).unwrap();
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
        provider_price_id: monthly_price.id,
    };
    let annual = Plan { slug: "annual".into(), name: "Annual".into(), price_minor: 1990, interval: Interval::Year, trial_days: 0, badge: "BEST VALUE".into(), provider_price_id: annual_price.id, ..monthly.clone() };
    s.db.upsert_plan(&monthly, 0, Utc::now()).await.unwrap();
    s.db.upsert_plan(&annual, 1, Utc::now()).await.unwrap();
    let paywall = Paywall { meter: MeterPolicy { anonymous_quota: 0, registered_quota: 0, network_quota: None, archive_after_days: None, ..Default::default() }, grace_days: 7, ..Default::default() };
    s.db.set_setting("paywall", &serde_json::to_string(&paywall).unwrap()).await.unwrap();
    let d = ArticleDraft {
        headline: "The gated story".into(),
        slug: Some("gated".into()),
        body_markdown: (0..8).map(|i| format!("Block {i} GATEDMARK{i}.")).collect::<Vec<_>>().join("\n\n"),
        access: AccessLevel::Metered,
        ..Default::default()
    };
    newsroom::create_article(s, &d, Publish::Now, Utc::now()).await.unwrap();
    s.reload().await.unwrap();
    let client = StripeClient::new(fake.client_config()).unwrap();
    World { app, fake, client }
}

impl World {
    /// Lets delivered webhooks' jobs run.
    async fn settle(&self) {
        self.fake.settle().await;
        for _ in 0..3 {
            masthead_web::worker::drain(&self.app.state).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn reader(&self, email: &str) -> (i64, String) {
        let r = self.app.state.db.reader_for_verified_email(email, Utc::now()).await.unwrap();
        (r.id, format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch)))
    }

    /// True when the reader gets the gated article whole.
    async fn reads_in_full(&self, session: &str) -> bool {
        let page = get_as(&self.app.router, "/article/gated", session, [10, 9, 0, 1], UA).await;
        assert_eq!(page.status, 200);
        let whole = page.body.contains("GATEDMARK7");
        assert_eq!(whole, !page.body.contains("class=\"offer\""), "whole pages carry no offer, cut ones do");
        whole
    }

    async fn entitled(&self, reader_id: i64) -> bool {
        masthead_web::reader::entitlements_of(&self.app.state, reader_id).await.unwrap().has(Benefit::FullAccess)
    }

    async fn status(&self, reader_id: i64) -> (String, bool) {
        let s = self.app.state.db.subscriptions_of(reader_id).await.unwrap();
        (s[0].status.clone(), s[0].cancel_at_period_end)
    }

    async fn csrf(&self, session: &str) -> String {
        get_as(&self.app.router, "/account", session, [10, 9, 0, 1], UA).await.field("csrf")
    }

    /// Subscribes through checkout; returns the Stripe subscription id.
    async fn subscribe(&self, session: &str, plan: &str, card: CardBehavior) -> String {
        let csrf = self.csrf(session).await;
        let go = post_form(&self.app.router, &format!("/subscribe/{plan}"), session, &format!("csrf={csrf}&next=%2Farticle%2Fgated")).await;
        assert_eq!(go.status, 303, "{}", go.body);
        let url = go.header("location");
        let session_id = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
        let done = self.fake.complete_checkout(&session_id, card).await.unwrap();
        self.settle().await;
        let back = get_as(&self.app.router, &format!("/subscribe/done?session_id={}", done.id), session, [10, 9, 0, 1], UA).await;
        assert_eq!(back.status, 200, "{}", back.body);
        assert!(back.body.contains("/article/gated"), "back to the article");
        done.subscription.expect("a subscription")
    }
}

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn trial_converts_and_a_failed_payment_recovers() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        let (id, session) = w.reader("trial@example.org").await;
        assert!(!w.reads_in_full(&session).await, "{}: no subscription, quota 0", t.backend);
        let sub = w.subscribe(&session, "monthly", CardBehavior::Succeeds).await;
        assert_eq!(w.status(id).await.0, "trialing", "{}", t.backend);
        assert!(w.entitled(id).await && w.reads_in_full(&session).await);
        let account = get_as(&w.app.router, "/account", &session, [10, 9, 0, 1], UA).await;
        assert!(account.body.contains("Free trial") && account.body.contains("Trial ends, first charge"), "{}", account.body);
        // The trial ends and the card is charged.
        w.fake.advance_clock(31 * DAY).await;
        w.settle().await;
        assert_eq!(w.status(id).await.0, "active", "{}: trial converted", t.backend);
        assert!(w.reads_in_full(&session).await);
        // The card starts failing: past due, still reading within the grace period.
        let customer = w.app.state.db.billing_customer(id).await.unwrap().unwrap();
        w.fake.set_card(&customer, CardBehavior::Declines).await.unwrap();
        w.fake.advance_clock(31 * DAY).await;
        w.settle().await;
        assert_eq!(w.status(id).await.0, "past_due", "{}", t.backend);
        assert!(w.reads_in_full(&session).await, "grace period");
        let mails = w.app.state.mailer.sent().unwrap();
        assert!(mails.iter().any(|m| m.subject().unwrap_or_default().contains("didn't go through")), "a payment-failed mail");
        // Two days before the seven-day grace period runs out, one reminder
        // with the date, however often the scheduler asks.
        let reminders = |w: &World| {
            w.app.state.mailer.sent().unwrap().into_iter().filter(|m| m.subject().unwrap_or_default().contains("stops on")).collect::<Vec<_>>()
        };
        let since = w.app.state.db.subscriptions_of(id).await.unwrap()[0].past_due_since.unwrap();
        assert_eq!(masthead_web::billing::grace_reminders(&w.app.state, since + chrono::Duration::days(1)).await.unwrap(), 0, "{}: too early", t.backend);
        let at = since + chrono::Duration::days(5) + chrono::Duration::minutes(1);
        assert_eq!(masthead_web::billing::grace_reminders(&w.app.state, at).await.unwrap(), 1, "{}", t.backend);
        assert_eq!(masthead_web::billing::grace_reminders(&w.app.state, at + chrono::Duration::hours(1)).await.unwrap(), 0, "{}: once", t.backend);
        let sent = reminders(&w);
        assert_eq!(sent.len(), 1);
        let ends_on = (since + chrono::Duration::days(7)).format("%-d %B %Y").to_string();
        assert!(sent[0].subject().unwrap().contains(&ends_on), "{:?} names {ends_on}", sent[0].subject());
        let body = sent[0].text_part().unwrap_or_default();
        assert!(body.contains("/account") && body.contains(&ends_on), "a link to fix it, and the date: {body}");
        // The reader fixes the card and pays.
        w.fake.set_card(&customer, CardBehavior::Succeeds).await.unwrap();
        let inv = w.fake.subscription(&sub).unwrap().latest_invoice.unwrap();
        w.fake.pay_invoice(&inv).await.unwrap();
        w.settle().await;
        assert_eq!(w.status(id).await.0, "active", "{}: recovered", t.backend);
        assert_eq!(w.app.state.db.subscriptions_of(id).await.unwrap()[0].grace_reminded_at, None, "a later failure reminds again");
        let account = get_as(&w.app.router, "/account", &session, [10, 9, 0, 1], UA).await;
        assert!(account.body.contains("<h3>Invoices</h3>"), "invoices from Stripe are listed");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_payment_that_keeps_failing_ends_the_subscription() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        w.fake.set_final_failure(FinalFailure::Cancel);
        let (id, session) = w.reader("fails@example.org").await;
        w.subscribe(&session, "annual", CardBehavior::Succeeds).await;
        assert_eq!(w.status(id).await.0, "active");
        let customer = w.app.state.db.billing_customer(id).await.unwrap().unwrap();
        w.fake.set_card(&customer, CardBehavior::Declines).await.unwrap();
        for _ in 0..6 {
            w.fake.advance_clock(70 * DAY).await;
            w.settle().await;
        }
        assert_eq!(w.status(id).await.0, "ended", "{}", t.backend);
        assert!(!w.entitled(id).await && !w.reads_in_full(&session).await, "{}: access ends", t.backend);
        assert!(w.app.state.mailer.sent().unwrap().iter().any(|m| m.subject().unwrap_or_default().contains("has ended")));
        t.cleanup().await;
    }
}

#[tokio::test]
async fn cancel_at_period_end_resume_switch_and_refund() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        let (id, session) = w.reader("changes@example.org").await;
        w.subscribe(&session, "monthly", CardBehavior::Succeeds).await;
        // Cancel: access continues until the period ends.
        let csrf = w.csrf(&session).await;
        let r = post_form(&w.app.router, "/account/subscription/cancel", &session, &format!("csrf={csrf}")).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(w.status(id).await, ("trialing".to_string(), true), "{}", t.backend);
        assert!(w.reads_in_full(&session).await, "canceled readers keep access until the period ends");
        let account = get_as(&w.app.router, "/account", &session, [10, 9, 0, 1], UA).await;
        assert!(account.body.contains("Access until") && account.body.contains("Resume subscription"));
        // Resume.
        let r = post_form(&w.app.router, "/account/subscription/resume", &session, &format!("csrf={csrf}")).await;
        assert_eq!(r.status, 303);
        assert_eq!(w.status(id).await, ("trialing".to_string(), false));
        // Switch to annual.
        let r = post_form(&w.app.router, "/account/subscription/switch", &session, &format!("csrf={csrf}&plan=annual")).await;
        assert_eq!(r.status, 303, "{}", r.body);
        w.settle().await;
        let annual = w.app.state.db.plan_by_slug("annual").await.unwrap().unwrap();
        assert_eq!(w.app.state.db.subscriptions_of(id).await.unwrap()[0].plan_id, annual.id, "{}", t.backend);
        // The trial ends, the reader pays, then gets a refund: access stops.
        w.fake.advance_clock(31 * DAY).await;
        w.settle().await;
        let sub = w.app.state.db.subscriptions_of(id).await.unwrap()[0].provider_subscription_id.clone();
        let inv_id = w.fake.subscription(&sub).unwrap().latest_invoice.unwrap();
        let inv = w.fake.invoice(&inv_id).unwrap();
        let pi = inv.payment_intent_id().expect("a paid invoice has a payment").to_string();
        w.client.create_refund(&RefundParams { target: RefundTarget::PaymentIntent(pi), amount: None, reason: None, metadata: Default::default() }, None).await.unwrap();
        w.settle().await;
        assert_eq!(w.status(id).await.0, "ended", "{}: refunded", t.backend);
        assert!(!w.reads_in_full(&session).await);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn webhooks_forged_stale_duplicated_and_out_of_order() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        let r = &w.app.router;
        let body = r#"{"id":"evt_forged","type":"customer.subscription.deleted","created":1,"data":{"object":{"id":"sub_x"}}}"#;
        let now = Utc::now().timestamp();
        let send = |sig: String| {
            axum::http::Request::post("/hooks/stripe").header("stripe-signature", sig).header("content-type", "application/json").body(axum::body::Body::from(body)).unwrap()
        };
        let forged = send(masthead_billing::webhook::sign(body.as_bytes(), "whsec_wrong", now));
        assert_eq!(common::send(r, forged).await.status, 400);
        let stale = send(masthead_billing::webhook::sign(body.as_bytes(), WEBHOOK_SECRET, now - 301));
        assert_eq!(common::send(r, stale).await.status, 400);
        assert_eq!(common::send(r, send("t=1,v1=zzz".into())).await.status, 400);
        assert_eq!(common::send(r, send(String::new())).await.status, 400);
        assert!(w.app.state.db.billing_event("evt_forged").await.unwrap().is_none(), "{}: nothing stored", t.backend);
        // The rotated-out secret still verifies during rotation.
        let old = send(masthead_billing::webhook::sign(body.as_bytes(), "whsec_old_rotated", now));
        assert_eq!(common::send(r, old).await.status, 200);

        // Every event delivered twice: applied once.
        w.fake.set_delivery(DeliveryMode::Twice);
        let (id, session) = w.reader("twice@example.org").await;
        w.subscribe(&session, "monthly", CardBehavior::Succeeds).await;
        let deliveries = w.fake.deliveries().len();
        assert!(deliveries >= 4, "deliveries: {deliveries}");
        assert_eq!(w.status(id).await.0, "trialing", "{}", t.backend);
        // Held, then released newest first: the state converges on Stripe's.
        w.fake.set_delivery(DeliveryMode::Held);
        let csrf = w.csrf(&session).await;
        post_form(r, "/account/subscription/cancel", &session, &format!("csrf={csrf}")).await;
        w.fake.advance_clock(31 * DAY).await;
        w.fake.release_held(ReleaseOrder::Reversed).await;
        w.settle().await;
        assert_eq!(w.status(id).await.0, "ended", "{}: canceled at the end of the trial", t.backend);
        assert!(!w.reads_in_full(&session).await);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn missed_webhooks_are_replayed_by_reconciliation() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        let (id, session) = w.reader("missed@example.org").await;
        w.subscribe(&session, "monthly", CardBehavior::Succeeds).await;
        // Webhooks stop arriving; Stripe converts the trial meanwhile.
        w.fake.set_delivery(DeliveryMode::Held);
        w.fake.advance_clock(31 * DAY).await;
        w.fake.drop_held();
        assert_eq!(w.status(id).await.0, "trialing", "drift: we missed the update");
        let report = masthead_web::billing::reconcile(&w.app.state).await.unwrap();
        assert!(report.replayed_events > 0, "{report:?}");
        assert_eq!(report.repaired.len(), 1, "{report:?}");
        assert_eq!(w.status(id).await.0, "active", "{}", t.backend);
        w.settle().await;
        let again = masthead_web::billing::reconcile(&w.app.state).await.unwrap();
        assert!(again.repaired.is_empty() && again.replayed_events == 0, "nothing left to repair: {again:?}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_stripe_outage_at_checkout_loses_nothing() {
    let t = testing::sqlite().await;
    let w = world(t.db.clone()).await;
    let (id, session) = w.reader("outage@example.org").await;
    let csrf = w.csrf(&session).await;
    w.fake.fail_next_requests(20, 503);
    let r = post_form(&w.app.router, "/subscribe/monthly", &session, &format!("csrf={csrf}")).await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("Nothing was charged") && r.body.contains("try again"));
    assert!(w.app.state.db.subscriptions_of(id).await.unwrap().is_empty());
    t.cleanup().await;
}

#[tokio::test]
async fn gifts_are_bought_mailed_and_redeemed_and_comps_expire() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        let (_, giver) = w.reader("giver@example.org").await;
        let csrf = w.csrf(&giver).await;
        let go = post_form(&w.app.router, "/gift", &giver, &format!("csrf={csrf}&months=3&recipient=lucky%40example.org")).await;
        assert_eq!(go.status, 303, "{}", go.body);
        let session_id = go.header("location").rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
        w.fake.complete_checkout(&session_id, CardBehavior::Succeeds).await.unwrap();
        w.settle().await;
        let mail = w.app.state.mailer.sent().unwrap().into_iter().find(|m| m.recipients.join(",").contains("lucky@example.org")).expect("gift mail");
        let text = mail.text_part().unwrap();
        let code = text.lines().find_map(|l| l.strip_prefix("Your gift code: ")).unwrap().trim().to_string();
        let (lucky, session) = w.reader("lucky@example.org").await;
        assert!(!w.reads_in_full(&session).await);
        let csrf = w.csrf(&session).await;
        let r = post_form(&w.app.router, "/gift/redeem", &session, &format!("csrf={csrf}&code={}", code.to_lowercase())).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(w.entitled(lucky).await && w.reads_in_full(&session).await, "{}", t.backend);
        let again = post_form(&w.app.router, "/gift/redeem", &session, &format!("csrf={csrf}&code={code}")).await;
        assert_eq!(again.status, 409, "a code works once");
        // Complimentary access ends on its date.
        let (comp, comp_session) = w.reader("press@example.org").await;
        let now = Utc::now();
        w.app.state.db.grant_complimentary(comp, &[Benefit::FullAccess], now - chrono::Duration::days(10), now + chrono::Duration::days(1), "press", now).await.unwrap();
        assert!(w.reads_in_full(&comp_session).await);
        let (old, old_session) = w.reader("expired@example.org").await;
        w.app.state.db.grant_complimentary(old, &[Benefit::FullAccess], now - chrono::Duration::days(10), now - chrono::Duration::seconds(1), "press", now).await.unwrap();
        assert!(!w.reads_in_full(&old_session).await, "{}: expired comp", t.backend);
        t.cleanup().await;
    }
}

/// The demo provider walks the same lifecycle without Stripe, and says so.
#[tokio::test]
async fn the_demo_provider_walks_the_lifecycle_in_test_mode() {
    for t in testing::all().await {
        let app = app(t.db.clone(), None).await;
        let s = &app.state;
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
        s.db.upsert_plan(&plan, 0, Utc::now()).await.unwrap();
        let paywall = Paywall { meter: MeterPolicy { anonymous_quota: 0, registered_quota: 0, network_quota: None, ..Default::default() }, ..Default::default() };
        s.db.set_setting("paywall", &serde_json::to_string(&paywall).unwrap()).await.unwrap();
        let d = ArticleDraft { headline: "G".into(), slug: Some("gated".into()), body_markdown: (0..8).map(|i| format!("B {i} GATEDMARK{i}.")).collect::<Vec<_>>().join("\n\n"), ..Default::default() };
        newsroom::create_article(s, &d, Publish::Now, Utc::now()).await.unwrap();
        s.reload().await.unwrap();
        let r = s.db.reader_for_verified_email("demo@example.org", Utc::now()).await.unwrap();
        let session = format!("mh_session={}", masthead_web::reader::session_value(SECRET, r.id, r.session_epoch));
        let ip = [10, 8, 0, 1];
        // Anonymous readers are sent to sign up first, then back.
        let anon = get(&app.router, "/subscribe/monthly?next=/article/gated").await;
        assert_eq!(anon.status, 303);
        assert!(anon.header("location").starts_with("/signup?next="));
        let confirm = get_as(&app.router, "/subscribe/monthly?next=/article/gated", &session, ip, UA).await;
        assert!(confirm.body.contains("TEST MODE") && confirm.body.contains("Start your free trial"), "{}", t.backend);
        let go = post_form(&app.router, "/subscribe/monthly", &session, &format!("csrf={}&next=%2Farticle%2Fgated", confirm.field("csrf"))).await;
        let checkout = go.header("location");
        assert!(checkout.starts_with("/billing/demo/checkout/"), "{checkout}");
        let page = get_as(&app.router, &checkout, &session, ip, UA).await;
        assert!(page.body.contains("TEST MODE"), "every demo page says test mode");
        let paid = post_form(&app.router, &checkout, &session, &format!("csrf={}", page.field("csrf"))).await;
        assert_eq!(paid.status, 303);
        let done = get_as(&app.router, &paid.header("location"), &session, ip, UA).await;
        assert!(done.body.contains("Welcome, subscriber"));
        let full = get_as(&app.router, "/article/gated", &session, ip, UA).await;
        assert!(full.body.contains("GATEDMARK7") && !full.body.contains("class=\"offer\""), "{}", t.backend);
        // Another reader's checkout page is not ours to see.
        let other = s.db.reader_for_verified_email("other@example.org", Utc::now()).await.unwrap();
        let other_session = format!("mh_session={}", masthead_web::reader::session_value(SECRET, other.id, other.session_epoch));
        assert_eq!(get_as(&app.router, &checkout, &other_session, ip, UA).await.status, 404);
        // Cancel: access until the period ends; then the period ends.
        let csrf = get_as(&app.router, "/account", &session, ip, UA).await.field("csrf");
        post_form(&app.router, "/account/subscription/cancel", &session, &format!("csrf={csrf}")).await;
        let account = get_as(&app.router, "/account", &session, ip, UA).await;
        assert!(account.body.contains("Access until") && account.body.contains("(canceled)"), "{}", account.body);
        assert!(get_as(&app.router, "/article/gated", &session, ip, UA).await.body.contains("GATEDMARK7"));
        post_form(&app.router, "/account/subscription/renew", &session, &format!("csrf={csrf}")).await;
        let after = get_as(&app.router, "/article/gated", &session, ip, UA).await;
        assert!(!after.body.contains("GATEDMARK7") && after.body.contains("class=\"offer\""), "{}: ended", t.backend);
        // Forged forms change nothing.
        assert_eq!(post_form(&app.router, "/account/subscription/resume", &session, "csrf=forged").await.status, 400);
        t.cleanup().await;
    }
}

/// A webhook received just before a crash is applied after the restart:
/// the event and its job were stored together, before the answer.
#[tokio::test]
async fn an_event_received_before_a_crash_is_applied_after_restart() {
    for t in testing::all().await {
        let w = world(t.db.clone()).await;
        let (id, session) = w.reader("crash@example.org").await;
        let csrf = w.csrf(&session).await;
        let go = post_form(&w.app.router, "/subscribe/monthly", &session, &format!("csrf={csrf}")).await;
        let session_id = go.header("location").rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
        // The events arrive and are stored, but no job runs: the process dies.
        w.fake.complete_checkout(&session_id, CardBehavior::Succeeds).await.unwrap();
        w.fake.settle().await;
        assert!(w.app.state.db.subscriptions_of(id).await.unwrap().is_empty(), "not applied yet");
        // A new process on the same database picks the jobs up.
        let billing = BillingConfig {
            provider: "stripe".into(),
            stripe_secret_key: w.fake.secret_key().to_string(),
            stripe_webhook_secret: WEBHOOK_SECRET.into(),
            stripe_api_base: w.fake.base_url().to_string(),
        };
        let (restarted, _) = app_on_port(t.db.clone(), billing).await;
        assert!(masthead_web::worker::drain(&restarted.state).await >= 1);
        let subs = restarted.state.db.subscriptions_of(id).await.unwrap();
        assert_eq!(subs.first().map(|s| s.status.as_str()), Some("trialing"), "{}", t.backend);
        t.cleanup().await;
    }
}
