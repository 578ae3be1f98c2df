//! The billing flows end to end over real HTTP: our Stripe client against
//! the fake Stripe, and the fake's webhooks arriving at a small receiver
//! that verifies every signature with `webhook::verify`, as the web layer
//! will.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use masthead_billing::fake::{CardBehavior, DeliveryMode, FakeStripe, FinalFailure, ReleaseOrder};
use masthead_billing::stripe::{
    Buyer, CheckoutKind, CheckoutParams, CheckoutSession, Customer, CustomerParams, Event, EventKind, EventObject, EventQuery,
    InvoiceQuery, InvoiceStatus, Metadata, PaymentStatus, Price, PriceParams, ProductRef, ProrationBehavior, RefundParams,
    RefundTarget, SessionStatus, StripeClient, StripeErrorKind, Subscription, SubscriptionStatus, SubscriptionUpdate,
};
use masthead_billing::webhook;
use masthead_core::billing::Interval;

const WHSEC: &str = "whsec_test_masthead_endpoint";
const DAY: u64 = 86_400;

/// A webhook endpoint like the web layer's: raw body, verified, recorded.
struct Hooks {
    url: String,
    events: Arc<Mutex<Vec<Event>>>,
    rejected: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct HookState {
    secrets: Arc<Vec<String>>,
    events: Arc<Mutex<Vec<Event>>>,
    rejected: Arc<AtomicUsize>,
}

async fn hook(State(s): State<HookState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get(webhook::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let secrets: Vec<&str> = s.secrets.iter().map(String::as_str).collect();
    let now = chrono::Utc::now().timestamp();
    match webhook::verify(&body, signature, &secrets, now, webhook::DEFAULT_TOLERANCE_SECS) {
        Ok(event) => {
            s.events.lock().expect("lock").push(event);
            StatusCode::OK
        }
        Err(_) => {
            s.rejected.fetch_add(1, Ordering::SeqCst);
            StatusCode::BAD_REQUEST
        }
    }
}

async fn hooks(secrets: &[&str]) -> Hooks {
    let state = HookState {
        secrets: Arc::new(secrets.iter().map(|s| (*s).to_owned()).collect()),
        events: Arc::default(),
        rejected: Arc::default(),
    };
    let (events, rejected) = (Arc::clone(&state.events), Arc::clone(&state.rejected));
    let app = Router::new().route("/hooks/stripe", post(hook)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hooks/stripe", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    Hooks { url, events, rejected }
}

impl Hooks {
    fn all(&self) -> Vec<Event> {
        self.events.lock().expect("lock").clone()
    }
    fn types(&self) -> Vec<String> {
        self.all().into_iter().map(|e| e.event_type).collect()
    }
    fn of(&self, kind: EventKind) -> Vec<Event> {
        self.all().into_iter().filter(|e| e.kind() == kind).collect()
    }
    fn clear(&self) {
        self.events.lock().expect("lock").clear();
    }
}

struct World {
    fake: FakeStripe,
    stripe: StripeClient,
    hooks: Hooks,
}

async fn world() -> World {
    let fake = FakeStripe::start().await.expect("fake starts");
    let hooks = hooks(&[WHSEC]).await;
    fake.set_webhook_endpoint(&hooks.url, WHSEC);
    let stripe = StripeClient::new(fake.client_config()).expect("client");
    World { fake, stripe, hooks }
}

async fn price(w: &World, name: &str, cents: i64, interval: Interval) -> Price {
    let params = PriceParams {
        product: ProductRef::New { name: name.into() },
        unit_amount: cents,
        currency: "USD".into(),
        interval: Some(interval),
        nickname: None,
        lookup_key: None,
        metadata: Metadata::new(),
    };
    w.stripe.create_price(&params, None).await.expect("price")
}

async fn monthly(w: &World) -> Price {
    price(w, "Masthead Monthly", 290, Interval::Month).await
}

async fn yearly(w: &World) -> Price {
    price(w, "Masthead Yearly", 1990, Interval::Year).await
}

fn reader_metadata(id: &str) -> Metadata {
    Metadata::from([("reader_id".to_owned(), id.to_owned())])
}

fn plan_checkout(customer: &Customer, price: &Price, trial_days: Option<u32>) -> CheckoutParams {
    CheckoutParams {
        kind: CheckoutKind::Subscription {
            price_id: price.id.clone(),
            trial_days,
            subscription_metadata: reader_metadata("42"),
        },
        buyer: Buyer::Customer(customer.id.clone()),
        success_url: "https://news.example/welcome?session={CHECKOUT_SESSION_ID}".into(),
        cancel_url: Some("https://news.example/plans".into()),
        client_reference_id: Some("42".into()),
        metadata: reader_metadata("42"),
    }
}

/// A reader who subscribed through Checkout, and their subscription.
async fn subscriber(w: &World, price: &Price, trial_days: Option<u32>) -> (Customer, CheckoutSession, Subscription) {
    let customer = w
        .stripe
        .create_customer(&CustomerParams { email: Some("ada@example.com".into()), name: Some("Ada".into()), metadata: reader_metadata("42") }, None)
        .await
        .expect("customer");
    let session = w.stripe.create_checkout_session(&plan_checkout(&customer, price, trial_days), None).await.expect("session");
    let done = w.fake.complete_checkout(&session.id, CardBehavior::Succeeds).await.expect("paid");
    let sub_id = done.subscription.clone().expect("a subscription");
    let sub = w.stripe.retrieve_subscription(&sub_id).await.expect("subscription");
    (customer, done, sub)
}

async fn sub(w: &World, id: &str) -> Subscription {
    w.stripe.retrieve_subscription(id).await.expect("subscription")
}

#[tokio::test]
async fn a_trial_becomes_a_paid_subscription() {
    let w = world().await;
    let price = monthly(&w).await;
    assert_eq!(price.unit_amount, Some(290));
    assert_eq!(price.currency, "usd");
    assert_eq!(price.recurring.as_ref().and_then(|r| r.plan_interval()), Some(Interval::Month));

    let customer = w
        .stripe
        .create_customer(&CustomerParams { email: Some("ada@example.com".into()), name: None, metadata: reader_metadata("42") }, None)
        .await
        .expect("customer");
    assert!(customer.id.starts_with("cus_"));
    let session = w.stripe.create_checkout_session(&plan_checkout(&customer, &price, Some(30)), None).await.expect("session");
    assert!(session.id.starts_with("cs_test_"));
    assert_eq!(session.status, Some(SessionStatus::Open));
    assert_eq!(session.payment_status, PaymentStatus::Unpaid);
    let url = session.url.clone().expect("a checkout url");
    assert!(url.starts_with(w.fake.base_url()), "{url}");
    assert_eq!(w.stripe.retrieve_checkout_session(&session.id).await.expect("retrieve").id, session.id);

    let started = w.fake.now();
    let done = w.fake.complete_checkout(&session.id, CardBehavior::Succeeds).await.expect("complete");
    assert_eq!(done.status, Some(SessionStatus::Complete));
    assert_eq!(done.payment_status, PaymentStatus::NoPaymentRequired);
    assert_eq!(done.customer.as_deref(), Some(customer.id.as_str()));
    assert!(done.url.is_none());

    let sub = sub(&w, done.subscription.as_deref().expect("subscription")).await;
    assert!(sub.id.starts_with("sub_"));
    assert_eq!(sub.status, SubscriptionStatus::Trialing);
    assert_eq!(sub.customer, customer.id);
    assert_eq!(sub.price_id(), Some(price.id.as_str()));
    assert_eq!(sub.trial_end, Some(started + 30 * 86_400));
    assert_eq!(sub.period_end(), sub.trial_end, "the first period is the trial");
    assert_eq!(sub.current_period_end, None, "this API version has periods on items");
    assert_eq!(sub.metadata.get("reader_id").map(String::as_str), Some("42"));

    assert_eq!(
        w.hooks.types(),
        ["customer.created", "customer.subscription.created", "invoice.paid", "checkout.session.completed"],
        "a trial opens with a paid invoice for nothing"
    );
    let completed = &w.hooks.of(EventKind::CheckoutSessionCompleted)[0];
    match completed.data_object().expect("typed") {
        EventObject::CheckoutSession(s) => {
            assert_eq!(s.client_reference_id.as_deref(), Some("42"));
            assert_eq!(s.subscription.as_deref(), Some(sub.id.as_str()));
        }
        other => panic!("expected a session, got {other:?}"),
    }
    assert!(completed.request.is_none() || completed.request.as_ref().is_some_and(|r| r.id.is_none()), "made by the buyer, not an API call");

    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(27 * DAY + 1)).await;
    assert_eq!(w.hooks.types(), ["customer.subscription.trial_will_end"]);

    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(3 * DAY + 3_600)).await;
    assert_eq!(w.hooks.types(), ["customer.subscription.updated", "invoice.paid"], "active at once, charged an hour later");
    let updated = &w.hooks.of(EventKind::CustomerSubscriptionUpdated)[0];
    let previous = updated.data.previous_attributes.as_ref().expect("previous attributes");
    assert_eq!(previous["status"], "trialing");
    let paid = match w.hooks.of(EventKind::InvoicePaid)[0].data_object().expect("typed") {
        EventObject::Invoice(i) => i,
        other => panic!("expected an invoice, got {other:?}"),
    };
    assert_eq!(paid.amount_paid, 290);
    assert_eq!(paid.subscription_id(), Some(sub.id.as_str()));

    let now_active = self::sub(&w, &sub.id).await;
    assert_eq!(now_active.status, SubscriptionStatus::Active);
    let trial_end = sub.trial_end.expect("trial end");
    assert!(now_active.period_end().expect("period end") > trial_end + 27 * 86_400, "a month on");

    let invoices = w.stripe.list_invoices(&InvoiceQuery::for_customer(&customer.id)).await.expect("invoices");
    assert_eq!(invoices.data.len(), 2);
    let renewal = &invoices.data[0];
    assert!(renewal.id.starts_with("in_"));
    assert_eq!(renewal.status, Some(InvoiceStatus::Paid));
    assert_eq!((renewal.amount_due, renewal.amount_paid, renewal.currency.as_str()), (290, 290, "usd"));
    assert_eq!(renewal.billing_reason.as_deref(), Some("subscription_cycle"));
    assert!(renewal.hosted_invoice_url.is_some());
    assert!(renewal.payment_intent_id().is_some_and(|pi| pi.starts_with("pi_")), "payments are expanded");
    assert_eq!(renewal.service_period().map(|p| p.0), Some(trial_end), "pays for the month after the trial");
    assert_eq!(renewal.period_end, Some(trial_end), "the invoice's own period looks back");
    assert_eq!(invoices.data[1].amount_paid, 0);
    assert_eq!(w.hooks.rejected.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_declined_renewal_goes_past_due_then_recovers() {
    let w = world().await;
    let price = monthly(&w).await;
    let (customer, _, sub) = subscriber(&w, &price, Some(30)).await;
    w.fake.set_card(&customer.id, CardBehavior::Declines).await.expect("card");
    assert_eq!(w.hooks.types().last().map(String::as_str), Some("customer.updated"));

    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(30 * DAY + 3_600)).await;
    assert_eq!(
        w.hooks.types(),
        ["customer.subscription.trial_will_end", "customer.subscription.updated", "invoice.payment_failed", "customer.subscription.updated"]
    );
    let s = self::sub(&w, &sub.id).await;
    assert_eq!(s.status, SubscriptionStatus::PastDue);
    assert_eq!(s.status.core_status(), Some(masthead_core::billing::SubscriptionStatus::PastDue));
    let open = w.fake.invoice(s.latest_invoice.as_deref().expect("invoice")).expect("invoice");
    assert_eq!(open.status, Some(InvoiceStatus::Open));
    assert_eq!(open.attempt_count, 1);
    let retry_at = open.next_payment_attempt.expect("a retry is scheduled");

    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(u64::try_from(retry_at - w.fake.now()).expect("future"))).await;
    assert_eq!(w.hooks.types(), ["invoice.payment_failed"], "still past due: no subscription change");

    w.fake.set_card(&customer.id, CardBehavior::Succeeds).await.expect("card");
    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(2 * DAY)).await;
    assert_eq!(w.hooks.types(), ["invoice.paid", "customer.subscription.updated"]);
    let s = self::sub(&w, &sub.id).await;
    assert_eq!(s.status, SubscriptionStatus::Active);
    let paid = w.fake.invoice(&open.id).expect("invoice");
    assert_eq!((paid.status, paid.attempt_count), (Some(InvoiceStatus::Paid), 3));
}

#[tokio::test]
async fn when_every_retry_fails_stripe_cancels_or_marks_unpaid() {
    let w = world().await;
    let price = monthly(&w).await;
    let (canceled_reader, _, canceled) = subscriber(&w, &price, Some(30)).await;
    w.fake.set_card(&canceled_reader.id, CardBehavior::Declines).await.expect("card");
    w.fake.advance_clock(Duration::from_secs(31 * DAY)).await;
    assert_eq!(sub(&w, &canceled.id).await.status, SubscriptionStatus::PastDue);
    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(8 * DAY)).await;
    assert_eq!(
        w.hooks.types(),
        ["invoice.payment_failed", "invoice.payment_failed", "invoice.payment_failed", "customer.subscription.deleted"]
    );
    let s = sub(&w, &canceled.id).await;
    assert_eq!(s.status, SubscriptionStatus::Canceled);
    assert!(s.ended_at.is_some());

    w.fake.set_final_failure(FinalFailure::MarkUnpaid);
    let (unpaid_reader, _, unpaid) = subscriber(&w, &price, Some(30)).await;
    w.fake.set_card(&unpaid_reader.id, CardBehavior::RequiresAction).await.expect("card");
    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(40 * DAY)).await;
    assert_eq!(w.hooks.of(EventKind::InvoicePaymentActionRequired).len(), 4, "3-D Secure cannot pass off-session");
    let s = sub(&w, &unpaid.id).await;
    assert_eq!(s.status, SubscriptionStatus::Unpaid);
    assert_eq!(s.status.core_status(), Some(masthead_core::billing::SubscriptionStatus::Unpaid));

    // The reader comes back and pays on the hosted invoice page.
    let invoice = s.latest_invoice.expect("invoice");
    let paid = w.fake.pay_invoice(&invoice).await.expect("paid with the reader present");
    assert_eq!(paid.status, Some(InvoiceStatus::Paid));
    assert_eq!(sub(&w, &unpaid.id).await.status, SubscriptionStatus::Active);
}

#[tokio::test]
async fn cancel_at_period_end_resume_and_cancel_now() {
    let w = world().await;
    let price = monthly(&w).await;
    let (_, done, sub) = subscriber(&w, &price, None).await;
    assert_eq!(done.payment_status, PaymentStatus::Paid);
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(
        w.hooks.types(),
        ["customer.created", "customer.subscription.created", "invoice.paid", "customer.subscription.updated", "checkout.session.completed"],
        "without a trial Stripe creates the subscription incomplete, then activates it"
    );
    assert_eq!(w.hooks.of(EventKind::CustomerSubscriptionCreated)[0].data.object["status"], "incomplete");

    w.hooks.clear();
    let ending = w.stripe.update_subscription(&sub.id, &SubscriptionUpdate::cancel_at_period_end(true), None).await.expect("cancel");
    assert!(ending.cancel_at_period_end);
    assert_eq!(ending.cancel_at, ending.period_end());
    assert_eq!(ending.status, SubscriptionStatus::Active, "still active until the period ends");
    w.fake.settle().await;
    let event = &w.hooks.of(EventKind::CustomerSubscriptionUpdated)[0];
    assert_eq!(event.data.previous_attributes.as_ref().expect("previous")["cancel_at_period_end"], false);
    assert!(event.request.as_ref().and_then(|r| r.id.as_deref()).is_some_and(|id| id.starts_with("req_")), "caused by our API call");

    let resumed = w.stripe.update_subscription(&sub.id, &SubscriptionUpdate::cancel_at_period_end(false), None).await.expect("resume");
    assert!(!resumed.cancel_at_period_end);
    assert_eq!(resumed.cancel_at, None);

    w.stripe.update_subscription(&sub.id, &SubscriptionUpdate::cancel_at_period_end(true), None).await.expect("cancel again");
    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(32 * DAY)).await;
    assert_eq!(w.hooks.types(), ["customer.subscription.deleted"], "no renewal invoice");
    assert_eq!(self::sub(&w, &sub.id).await.status, SubscriptionStatus::Canceled);

    let (_, _, other) = subscriber(&w, &price, Some(30)).await;
    let gone = w.stripe.cancel_subscription(&other.id).await.expect("cancel now");
    assert_eq!(gone.status, SubscriptionStatus::Canceled);
    assert!(gone.ended_at.is_some());
    let again = w.stripe.cancel_subscription(&other.id).await.expect_err("already canceled");
    assert_eq!(again.status(), Some(400));
    let all = w.stripe.list_subscriptions(&gone.customer).await.expect("list");
    assert_eq!(all.data.len(), 1, "canceled ones are listed with status=all");
}

#[tokio::test]
async fn switching_from_monthly_to_yearly_restarts_the_period_with_credit() {
    let w = world().await;
    let (month, year) = (monthly(&w).await, yearly(&w).await);
    let (customer, _, sub) = subscriber(&w, &month, None).await;
    w.fake.advance_clock(Duration::from_secs(10 * DAY)).await;
    w.hooks.clear();
    let item = sub.first_item().expect("item").id.clone();
    assert!(item.starts_with("si_"));
    let switched = w
        .stripe
        .update_subscription(&sub.id, &SubscriptionUpdate::switch_price(&item, &year.id, ProrationBehavior::CreateProrations), None)
        .await
        .expect("switch");
    assert_eq!(switched.price_id(), Some(year.id.as_str()));
    assert_eq!(switched.period_start(), Some(w.fake.now()), "a new interval starts the period now");
    assert_eq!(switched.status, SubscriptionStatus::Active);
    w.fake.settle().await;
    assert_eq!(w.hooks.types(), ["customer.subscription.updated", "invoice.paid"]);
    let previous = w.hooks.of(EventKind::CustomerSubscriptionUpdated)[0].data.previous_attributes.clone().expect("previous");
    assert!(previous.get("items").is_some(), "the item's price and period changed: {previous}");

    let invoices = w.stripe.list_invoices(&InvoiceQuery::for_customer(&customer.id)).await.expect("invoices");
    let upgrade = &invoices.data[0];
    assert_eq!(upgrade.billing_reason.as_deref(), Some("subscription_update"));
    assert!(upgrade.amount_paid > 1990 - 290 && upgrade.amount_paid < 1990, "the year less the unused 20-odd days: {}", upgrade.amount_paid);

    // During a trial only the price changes.
    let (trial_reader, _, trial) = subscriber(&w, &month, Some(30)).await;
    let item = trial.first_item().expect("item").id.clone();
    let switched = w
        .stripe
        .update_subscription(&trial.id, &SubscriptionUpdate::switch_price(&item, &year.id, ProrationBehavior::None), None)
        .await
        .expect("switch in trial");
    assert_eq!((switched.status, switched.period_end()), (SubscriptionStatus::Trialing, trial.period_end()));
    let invoices = w.stripe.list_invoices(&InvoiceQuery::for_customer(&trial_reader.id)).await.expect("invoices");
    assert_eq!(invoices.data.len(), 1, "no invoice for a switch within the trial");

    let wrong = w
        .stripe
        .update_subscription(&trial.id, &SubscriptionUpdate::switch_price("si_nope", &year.id, ProrationBehavior::None), None)
        .await
        .expect_err("unknown item");
    assert_eq!(wrong.status(), Some(400));
}

#[tokio::test]
async fn a_gift_purchase_is_paid_once_and_refunded() {
    let w = world().await;
    let params = CheckoutParams {
        kind: CheckoutKind::Payment {
            name: "Gift: one year of Masthead".into(),
            unit_amount: 1990,
            currency: "usd".into(),
            quantity: 1,
            payment_metadata: Metadata::from([("gift_id".to_owned(), "g1".to_owned())]),
        },
        buyer: Buyer::Email("giver@example.com".into()),
        success_url: "https://news.example/gift/sent".into(),
        cancel_url: None,
        client_reference_id: None,
        metadata: Metadata::from([("gift_id".to_owned(), "g1".to_owned())]),
    };
    let session = w.stripe.create_checkout_session(&params, None).await.expect("session");
    assert_eq!(session.amount_total, Some(1990));
    let declined = w.fake.complete_checkout(&session.id, CardBehavior::Declines).await.expect_err("declined at checkout");
    assert_eq!(declined.status, 402);
    assert_eq!(w.stripe.retrieve_checkout_session(&session.id).await.expect("session").status, Some(SessionStatus::Open));

    let done = w.fake.complete_checkout(&session.id, CardBehavior::Succeeds).await.expect("paid");
    assert_eq!(done.payment_status, PaymentStatus::Paid);
    assert_eq!(done.customer, None, "one-time payments make no customer");
    assert_eq!(done.customer_details.as_ref().and_then(|d| d.email.as_deref()), Some("giver@example.com"));
    let pi = done.payment_intent.clone().expect("payment intent");
    assert_eq!(w.hooks.types(), ["checkout.session.completed"]);

    w.hooks.clear();
    let partial = RefundParams { amount: Some(990), ..RefundParams::full(RefundTarget::PaymentIntent(pi.clone())) };
    let refund = w.stripe.create_refund(&partial, None).await.expect("partial refund");
    assert!(refund.id.starts_with("re_"));
    assert_eq!(refund.amount, 990);
    let charge_id = refund.charge.clone().expect("charge");
    assert!(!w.stripe.retrieve_charge(&charge_id).await.expect("charge").refunded);
    let rest = w.stripe.create_refund(&RefundParams::full(RefundTarget::Charge(charge_id.clone())), None).await.expect("rest");
    assert_eq!(rest.amount, 1000);
    let charge = w.stripe.retrieve_charge(&charge_id).await.expect("charge");
    assert!(charge.refunded);
    assert_eq!(charge.amount_refunded, 1990);
    w.fake.settle().await;
    assert_eq!(w.hooks.types(), ["charge.refunded", "charge.refunded"]);

    let err = w.stripe.create_refund(&RefundParams::full(RefundTarget::Charge(charge_id)), None).await.expect_err("nothing left");
    assert_eq!(err.code(), Some("charge_already_refunded"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_subscription_payment_is_refunded_through_its_invoice() {
    let w = world().await;
    let price = w.fake.create_price("Masthead Monthly", 290, "USD", Some(Interval::Month)).expect("seeded price");
    assert_eq!(w.stripe.retrieve_price(&price.id).await.expect("price").currency, "usd");
    let (customer, _, _) = subscriber(&w, &price, None).await;
    let invoices = w.stripe.list_invoices(&InvoiceQuery::for_customer(&customer.id)).await.expect("invoices");
    let pi = invoices.data[0].payment_intent_id().expect("paid invoice names its payment").to_owned();
    let refund = w.stripe.create_refund(&RefundParams::full(RefundTarget::PaymentIntent(pi.clone())), None).await.expect("refund");
    assert_eq!((refund.amount, refund.payment_intent.as_deref()), (290, Some(pi.as_str())));
}

#[tokio::test]
async fn events_page_backwards_and_replay_what_webhooks_missed() {
    let w = world().await;
    let since = w.fake.now();
    w.fake.set_delivery(DeliveryMode::Held);
    for i in 0..23 {
        let params = CustomerParams { email: Some(format!("r{i}@example.com")), ..Default::default() };
        w.stripe.create_customer(&params, None).await.expect("customer");
    }
    let price = monthly(&w).await;
    let (_, _, sub) = subscriber(&w, &price, Some(30)).await;
    assert_eq!(w.fake.drop_held(), 23 + 4, "23 customers, then a customer, subscription, invoice and session");
    w.fake.settle().await;
    assert!(w.hooks.all().is_empty(), "the webhooks never arrived");

    let first = w.stripe.list_events(&EventQuery { limit: Some(10), ..Default::default() }).await.expect("page");
    assert_eq!(first.data.len(), 10);
    assert!(first.has_more);
    assert_eq!(first.data[0].event_type, "checkout.session.completed", "newest first");
    let mut seen: Vec<String> = Vec::new();
    let mut query = EventQuery { limit: Some(10), ..Default::default() };
    loop {
        let page = w.stripe.list_events(&query).await.expect("page");
        seen.extend(page.data.iter().map(|e| e.id.clone()));
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => query.starting_after = Some(last.id.clone()),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 27);
    seen.dedup();
    assert_eq!(seen.len(), 27, "no event twice across pages");

    let replay = w.stripe.events_since(since, &[], 1_000).await.expect("replay");
    let expected: Vec<String> = w.fake.events().into_iter().map(|e| e.id).collect();
    assert_eq!(replay.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), expected, "oldest first, as they happened");
    assert!(!replay.truncated);
    let newest = w.stripe.events_since(since, &[], 5).await.expect("capped");
    assert!(newest.truncated);
    assert_eq!(newest.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), expected[expected.len() - 5..]);

    let subs = w
        .stripe
        .events_since(since, &["customer.subscription.created", "checkout.session.completed"], 1_000)
        .await
        .expect("filtered")
        .events;
    assert_eq!(subs.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), ["customer.subscription.created", "checkout.session.completed"]);
    assert_eq!(subs[0].object_id(), Some(sub.id.as_str()));
    let one = w.stripe.retrieve_event(&subs[0].id).await.expect("one event");
    assert_eq!(one, subs[0]);
    let none = w.stripe.events_since(w.fake.now() + 1, &[], 1_000).await.expect("nothing newer");
    assert!(none.events.is_empty() && !none.truncated);
}

#[tokio::test]
async fn deliveries_can_come_twice_or_out_of_order() {
    let w = world().await;
    w.fake.set_delivery(DeliveryMode::Twice);
    let a = w.stripe.create_customer(&CustomerParams::default(), None).await.expect("customer");
    w.fake.settle().await;
    let got = w.hooks.all();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].id, got[1].id, "the same event, delivered twice");
    assert_eq!(got[0].object_id(), Some(a.id.as_str()));

    w.hooks.clear();
    w.fake.set_delivery(DeliveryMode::Held);
    let b = w.stripe.create_customer(&CustomerParams::default(), None).await.expect("customer");
    let updated = CustomerParams { email: Some("new@example.com".into()), ..Default::default() };
    w.stripe.update_customer(&b.id, &updated, None).await.expect("update");
    assert_eq!(w.fake.release_held(ReleaseOrder::Reversed).await, 2);
    assert_eq!(w.hooks.types(), ["customer.updated", "customer.created"]);
    let change = &w.hooks.of(EventKind::CustomerUpdated)[0];
    assert_eq!(change.data.previous_attributes.as_ref().expect("previous")["email"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_failed_delivery_can_be_retried() {
    let w = world().await;
    let wrong = hooks(&["whsec_some_other_endpoint"]).await;
    w.fake.set_webhook_endpoint(&wrong.url, WHSEC);
    w.stripe.create_customer(&CustomerParams::default(), None).await.expect("customer");
    w.fake.settle().await;
    assert_eq!(wrong.rejected.load(Ordering::SeqCst), 1, "a receiver with another secret refuses it");
    assert_eq!(w.fake.deliveries()[0].status, Some(400));

    w.fake.set_webhook_endpoint(&w.hooks.url, WHSEC);
    assert_eq!(w.fake.retry_failed_deliveries().await, 1);
    assert_eq!(w.hooks.types(), ["customer.created"]);
    assert!(w.fake.deliveries()[1].succeeded());
}

#[tokio::test]
async fn rolled_secrets_are_both_accepted() {
    let fake = FakeStripe::start().await.expect("fake");
    let hooks = hooks(&["whsec_new", "whsec_old"]).await;
    let stripe = StripeClient::new(fake.client_config()).expect("client");
    for secret in ["whsec_old", "whsec_new"] {
        fake.set_webhook_endpoint(&hooks.url, secret);
        stripe.create_customer(&CustomerParams::default(), None).await.expect("customer");
        fake.settle().await;
    }
    assert_eq!(hooks.all().len(), 2);
    assert_eq!(hooks.rejected.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_same_idempotency_key_makes_one_object() {
    let w = world().await;
    let params = CustomerParams { email: Some("once@example.com".into()), ..Default::default() };
    let first = w.stripe.create_customer(&params, Some("reader-42-customer")).await.expect("first");
    let second = w.stripe.create_customer(&params, Some("reader-42-customer")).await.expect("second");
    assert_eq!(first.id, second.id);
    let requests = w.fake.requests();
    assert_eq!(requests.iter().filter(|r| r.replayed).count(), 1);
    w.fake.settle().await;
    assert_eq!(w.hooks.of(EventKind::CustomerCreated).len(), 1);

    let other = CustomerParams { email: Some("twice@example.com".into()), ..Default::default() };
    let err = w.stripe.create_customer(&other, Some("reader-42-customer")).await.expect_err("different parameters");
    assert!(matches!(&*err.kind, StripeErrorKind::Api { status: 400, error_type, .. } if error_type == "idempotency_error"), "{err:?}");
    assert!(!err.is_retryable());

    let a = w.stripe.create_customer(&params, None).await.expect("a");
    let b = w.stripe.create_customer(&params, None).await.expect("b");
    assert_ne!(a.id, b.id, "without a key each call is its own");
    let keys: Vec<_> = w.fake.requests().into_iter().filter(|r| r.method == "POST").map(|r| r.idempotency_key).collect();
    assert!(keys.iter().all(Option::is_some), "every POST carries a key");
}

#[tokio::test]
async fn an_outage_is_retried_with_the_same_key() {
    let w = world().await;
    w.fake.fail_next_requests(2, 503);
    let customer = w.stripe.create_customer(&CustomerParams::default(), None).await.expect("third time lucky");
    let posts: Vec<_> = w.fake.requests().into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 503, 200]);
    assert!(posts.windows(2).all(|p| p[0].idempotency_key == p[1].idempotency_key), "{posts:?}");
    assert!(customer.id.starts_with("cus_"));

    w.fake.fail_next_requests(3, 500);
    let err = w.stripe.retrieve_customer(&customer.id).await.expect_err("out of retries");
    assert_eq!((err.status(), err.attempts), (Some(500), 3));
    assert!(err.is_retryable(), "a job may try again later");
    assert_eq!(err.should_retry, Some(true));
}

#[tokio::test]
async fn a_lost_response_is_retried_without_a_duplicate() {
    let w = world().await;
    let mut config = w.fake.client_config();
    config.timeout = Duration::from_millis(300);
    let impatient = StripeClient::new(config).expect("client");
    w.fake.delay_next_responses(1, Duration::from_millis(1_500));
    let customer = impatient.create_customer(&CustomerParams { email: Some("slow@example.com".into()), ..Default::default() }, None).await.expect("retried");
    w.fake.settle().await;
    assert_eq!(w.hooks.of(EventKind::CustomerCreated).len(), 1, "created once");
    let posts: Vec<_> = w.fake.requests().into_iter().filter(|r| r.method == "POST").collect();
    // Two attempts, unless a loaded machine made a retry time out too.
    assert!(posts.len() >= 2, "{posts:?}");
    assert!(!posts[0].replayed && posts[1..].iter().all(|p| p.replayed), "retries got the stored answer: {posts:?}");
    assert_eq!(w.hooks.of(EventKind::CustomerCreated)[0].object_id(), Some(customer.id.as_str()));

    let mut config = w.fake.client_config();
    config.timeout = Duration::from_millis(200);
    config.max_retries = 0;
    let once = StripeClient::new(config).expect("client");
    w.fake.delay_next_responses(1, Duration::from_millis(1_000));
    let err = once.create_customer(&CustomerParams::default(), None).await.expect_err("timed out");
    assert!(matches!(*err.kind, StripeErrorKind::Network { timeout: true, .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_wrong_key_is_refused() {
    let w = world().await;
    let mut config = w.fake.client_config();
    config.secret_key = "sk_test_wrongwrongwrong".into();
    let intruder = StripeClient::new(config).expect("client");
    let err = intruder.create_customer(&CustomerParams::default(), None).await.expect_err("401");
    assert!(err.is_authentication_error());
    assert!(!err.is_retryable());
    assert_eq!(err.attempts, 1);
    assert!(err.to_string().contains("Invalid API Key"), "{err}");
    assert!(err.request_id.as_deref().is_some_and(|r| r.starts_with("req_")));

    let anonymous = reqwest::Client::new().get(format!("{}/v1/customers/cus_x", w.fake.base_url())).send().await.expect("send");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn unknown_objects_and_bad_requests_are_typed_errors() {
    let w = world().await;
    let missing = w.stripe.retrieve_subscription("sub_doesnotexist").await.expect_err("404");
    assert!(missing.is_not_found());
    assert!(missing.to_string().contains("No such subscription"), "{missing}");

    let customer = w.stripe.create_customer(&CustomerParams::default(), None).await.expect("customer");
    let fake_price = Price { id: "price_nope".into(), ..monthly(&w).await };
    let err = w.stripe.create_checkout_session(&plan_checkout(&customer, &fake_price, None), None).await.expect_err("no such price");
    assert_eq!(err.code(), Some("resource_missing"));
    assert!(matches!(&*err.kind, StripeErrorKind::Api { param: Some(p), .. } if p == "line_items[0][price]"), "{err:?}");

    let one_time = w
        .stripe
        .create_price(
            &PriceParams {
                product: ProductRef::New { name: "Back issue".into() },
                unit_amount: 500,
                currency: "usd".into(),
                interval: None,
                nickname: None,
                lookup_key: None,
                metadata: Metadata::new(),
            },
            None,
        )
        .await
        .expect("price");
    let err = w.stripe.create_checkout_session(&plan_checkout(&customer, &one_time, None), None).await.expect_err("not recurring");
    assert!(err.to_string().contains("recurring price"), "{err}");
    assert!(w.stripe.retrieve_customer("cus_1/../../charges").await.expect_err("refused").to_string().contains("not a Stripe id"));
}

#[tokio::test]
async fn older_api_versions_put_the_period_on_the_subscription() {
    let w = world().await;
    let price = monthly(&w).await;
    let (_, _, sub) = subscriber(&w, &price, Some(14)).await;
    let mut config = w.fake.client_config();
    config.api_version = "2024-06-20".into();
    let old = StripeClient::new(config).expect("client");
    let legacy = old.retrieve_subscription(&sub.id).await.expect("subscription");
    assert_eq!(legacy.current_period_end, sub.period_end());
    assert!(legacy.items.data[0].current_period_end.is_none());
    assert_eq!(legacy.period_end(), sub.period_end(), "one accessor for both shapes");

    // A webhook endpoint on an older version gets older shapes.
    w.fake.set_api_version("2024-06-20");
    w.hooks.clear();
    w.fake.advance_clock(Duration::from_secs(14 * DAY + 3_600)).await;
    let invoice = match w.hooks.of(EventKind::InvoicePaid)[0].data_object().expect("typed") {
        EventObject::Invoice(i) => i,
        other => panic!("expected an invoice, got {other:?}"),
    };
    assert!(invoice.parent.is_none());
    assert_eq!(invoice.subscription_id(), Some(sub.id.as_str()));
    assert!(invoice.charge_id().is_some() && invoice.payment_intent_id().is_some());
    let updated = w.hooks.of(EventKind::CustomerSubscriptionUpdated)[0].data.object.clone();
    assert!(updated.get("current_period_end").is_some_and(serde_json::Value::is_i64), "{updated}");
}

#[tokio::test]
async fn the_billing_portal_and_hosted_pages_work_without_javascript() {
    let w = world().await;
    let price = monthly(&w).await;
    let customer = w.stripe.create_customer(&CustomerParams { email: Some("ada@example.com".into()), ..Default::default() }, None).await.expect("customer");
    let session = w.stripe.create_checkout_session(&plan_checkout(&customer, &price, Some(30)), None).await.expect("session");
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("browser");

    let page = browser.get(session.url.clone().expect("url")).send().await.expect("checkout page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Masthead Monthly") && html.contains("30-day free trial"), "{html}");

    let declined = browser.post(format!("{}/checkout/{}/pay", w.fake.base_url(), session.id)).form(&[("card", "declines")]).send().await.expect("pay");
    assert_eq!(declined.status(), 303, "a trial charges nothing, so even this card gets through");
    let location = declined.headers().get("location").and_then(|v| v.to_str().ok()).expect("redirect").to_owned();
    assert_eq!(location, format!("https://news.example/welcome?session={}", session.id));
    assert!(w.hooks.types().contains(&"checkout.session.completed".to_owned()), "webhooks arrive before the redirect");

    let portal = w.stripe.create_billing_portal_session(&customer.id, "https://news.example/account", None).await.expect("portal");
    assert!(portal.id.starts_with("bps_"));
    let html = browser.get(&portal.url).send().await.expect("portal page").text().await.expect("html");
    assert!(html.contains("trialing") && html.contains("Cancel plan"), "{html}");
    let sub_id = w.stripe.retrieve_checkout_session(&session.id).await.expect("session").subscription.expect("sub");
    let cancel = browser.post(format!("{}/subscriptions/{sub_id}/cancel", portal.url)).send().await.expect("cancel");
    assert_eq!(cancel.status(), 303);
    assert!(sub(&w, &sub_id).await.cancel_at_period_end);
    let stranger = browser.post(format!("{}/portal/bps_nope/subscriptions/{sub_id}/resume", w.fake.base_url())).send().await.expect("resume");
    assert_eq!(stranger.status(), 404, "only the portal's own customer");
}

#[tokio::test]
async fn the_control_api_drives_the_fake_from_another_process() {
    let w = world().await;
    let http = reqwest::Client::new();
    let base = w.fake.base_url().to_owned();
    let before = w.fake.now();
    let unauthorized = http.post(format!("{base}/_test/clock/advance")).json(&serde_json::json!({"seconds": 60})).send().await.expect("send");
    assert_eq!(unauthorized.status(), 401);
    let moved: serde_json::Value = http
        .post(format!("{base}/_test/clock/advance"))
        .bearer_auth(w.fake.secret_key())
        .json(&serde_json::json!({"seconds": 3600}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(moved["now"], before + 3600);

    let price = monthly(&w).await;
    let customer = w.stripe.create_customer(&CustomerParams::default(), None).await.expect("customer");
    let session = w.stripe.create_checkout_session(&plan_checkout(&customer, &price, None), None).await.expect("session");
    let done: serde_json::Value = http
        .post(format!("{base}/_test/checkout_sessions/{}/complete", session.id))
        .bearer_auth(w.fake.secret_key())
        .json(&serde_json::json!({"card": "succeeds"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(done["status"], "complete");
    assert!(w.hooks.types().contains(&"checkout.session.completed".to_owned()));
}
