//! The fake's books: one Stripe test-mode account's customers, prices,
//! Checkout sessions, subscriptions, invoices, charges, refunds and events,
//! and the rules by which Stripe moves them: trials ending, renewals whose
//! invoice is finalized an hour later, declined payments retried on a
//! schedule until the subscription is canceled or marked unpaid, and
//! prorations on a plan switch. Objects are rendered in the shape of the
//! API version asked for. No I/O: the server and the webhook sender sit
//! around it, and the clock only moves when a test moves it.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Map, Value};

use super::form::Params;
use crate::stripe::{InvoiceStatus, Metadata, SubscriptionStatus};

const DAY: i64 = 86_400;
/// Stripe finalizes (and so charges) a renewal invoice about an hour after
/// drafting it.
const FINALIZE_AFTER: i64 = 3_600;
/// Days after the first failure on which a declined invoice is retried,
/// like Stripe's default retry schedule (four attempts within a week).
const RETRY_DAYS: [i64; 3] = [3, 5, 7];
/// `customer.subscription.trial_will_end` comes this long before the trial ends.
const TRIAL_WARNING: i64 = 3 * DAY;
/// The first API version with billing periods on subscription items and
/// invoices linked through `parent` and `payments`.
const BASIL: &str = "2025-03-31";

/// What happens when a reader's card is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBehavior {
    /// 4242 4242 4242 4242.
    #[default]
    Succeeds,
    /// 4000 0000 0000 0002: every charge is declined.
    Declines,
    /// 4000 0027 6000 3184: charges made without the reader present need
    /// 3-D Secure; with the reader present (checkout, the hosted invoice
    /// page) they go through.
    RequiresAction,
}

impl CardBehavior {
    fn last4(self) -> &'static str {
        match self {
            CardBehavior::Succeeds => "4242",
            CardBehavior::Declines => "0002",
            CardBehavior::RequiresAction => "3184",
        }
    }
}

/// What Stripe does once every retry of an invoice has failed (a setting
/// in Stripe's dashboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalFailure {
    /// Stripe's default.
    #[default]
    Cancel,
    MarkUnpaid,
}

/// An error answered in Stripe's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub error_type: &'static str,
    pub code: Option<&'static str>,
    pub decline_code: Option<&'static str>,
    pub param: Option<String>,
    pub message: String,
    /// Whether the idempotency layer keeps this result: Stripe does for
    /// requests that began executing, not for ones refused on their
    /// parameters.
    pub replayable: bool,
}

impl ApiError {
    pub(crate) fn invalid(param: Option<&str>, message: String) -> Self {
        ApiError {
            status: 400,
            error_type: "invalid_request_error",
            code: None,
            decline_code: None,
            // Stripe names parameters in bracket notation.
            param: param.map(super::form::bracketed),
            message,
            replayable: false,
        }
    }

    pub(crate) fn missing_param(param: &str) -> Self {
        ApiError { code: Some("parameter_missing"), ..Self::invalid(Some(param), format!("Missing required param: {param}.")) }
    }

    pub(crate) fn not_found(kind: &str, id: &str, param: &str) -> Self {
        ApiError {
            status: 404,
            code: Some("resource_missing"),
            replayable: true,
            ..Self::invalid(Some(param), format!("No such {kind}: '{id}'"))
        }
    }

    /// A request that is valid but not in this state.
    pub(crate) fn state(message: String) -> Self {
        ApiError { replayable: true, ..Self::invalid(None, message) }
    }

    fn card(code: &'static str, decline_code: Option<&'static str>, message: &str) -> Self {
        ApiError {
            status: 402,
            error_type: "card_error",
            code: Some(code),
            decline_code,
            param: None,
            message: message.to_owned(),
            replayable: true,
        }
    }

    fn internal(message: String) -> Self {
        ApiError { status: 500, error_type: "api_error", code: None, decline_code: None, param: None, message, replayable: false }
    }

    pub(crate) fn body(&self) -> Value {
        let mut error = json!({"type": self.error_type, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")));
        }
        if let Some(d) = self.decline_code {
            error["decline_code"] = json!(d);
        }
        if let Some(p) = &self.param {
            error["param"] = json!(p);
        }
        json!({ "error": error })
    }
}

type ApiResult = Result<Value, ApiError>;

#[derive(Debug, Clone)]
struct CustomerRec {
    id: String,
    created: i64,
    email: Option<String>,
    name: Option<String>,
    metadata: Metadata,
    card: CardBehavior,
    default_payment_method: Option<String>,
}

#[derive(Debug, Clone)]
struct ProductRec {
    id: String,
    created: i64,
    name: String,
}

#[derive(Debug, Clone)]
struct PriceRec {
    id: String,
    created: i64,
    product: String,
    unit_amount: i64,
    currency: String,
    /// `(interval, count)` for recurring prices.
    recurring: Option<(String, u32)>,
    trial_days: Option<u32>,
    nickname: Option<String>,
    lookup_key: Option<String>,
    metadata: Metadata,
    /// Prices made inline by `price_data` are not listed as active.
    active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Payment,
    Subscription,
}

#[derive(Debug, Clone)]
struct SessionRec {
    id: String,
    created: i64,
    expires_at: i64,
    mode: Mode,
    status: &'static str,
    payment_status: &'static str,
    price: String,
    quantity: u32,
    customer: Option<String>,
    customer_email: Option<String>,
    buyer_email: Option<String>,
    client_reference_id: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    metadata: Metadata,
    trial_days: Option<u32>,
    subscription_metadata: Metadata,
    payment_metadata: Metadata,
    subscription: Option<String>,
    payment_intent: Option<String>,
    invoice: Option<String>,
}

#[derive(Debug, Clone)]
struct SubscriptionRec {
    id: String,
    seq: u64,
    created: i64,
    customer: String,
    status: SubscriptionStatus,
    item_id: String,
    item_created: i64,
    price: String,
    quantity: u32,
    period_start: i64,
    period_end: i64,
    trial_start: Option<i64>,
    trial_end: Option<i64>,
    trial_warning_sent: bool,
    cancel_at_period_end: bool,
    canceled_at: Option<i64>,
    ended_at: Option<i64>,
    latest_invoice: Option<String>,
    default_payment_method: Option<String>,
    metadata: Metadata,
    /// Prorations waiting for the next renewal invoice (negative: credit).
    pending_proration: i64,
}

#[derive(Debug, Clone)]
struct LineRec {
    id: String,
    amount: i64,
    description: String,
    start: i64,
    end: i64,
    price: Option<String>,
    proration: bool,
}

#[derive(Debug, Clone)]
struct InvoicePaymentRec {
    id: String,
    payment_intent: String,
    amount: i64,
    paid_at: i64,
}

#[derive(Debug, Clone)]
struct InvoiceRec {
    id: String,
    seq: u64,
    created: i64,
    number: String,
    customer: String,
    subscription: Option<String>,
    currency: String,
    status: InvoiceStatus,
    billing_reason: &'static str,
    period_start: i64,
    period_end: i64,
    lines: Vec<LineRec>,
    amount_due: i64,
    amount_paid: i64,
    attempt_count: u32,
    failed_attempts: u32,
    first_failure_at: Option<i64>,
    next_payment_attempt: Option<i64>,
    /// When a draft will be finalized and charged.
    finalize_at: Option<i64>,
    finalized_at: Option<i64>,
    paid_at: Option<i64>,
    payments: Vec<InvoicePaymentRec>,
    charge: Option<String>,
}

#[derive(Debug, Clone)]
struct PaymentIntentRec {
    charge: String,
}

#[derive(Debug, Clone)]
struct ChargeRec {
    id: String,
    created: i64,
    amount: i64,
    amount_refunded: i64,
    currency: String,
    customer: Option<String>,
    payment_intent: String,
    payment_method: Option<String>,
    metadata: Metadata,
}

#[derive(Debug, Clone)]
struct RefundRec {
    id: String,
    created: i64,
    amount: i64,
    currency: String,
    charge: String,
    payment_intent: String,
    reason: Option<String>,
    metadata: Metadata,
}

#[derive(Debug, Clone)]
struct PortalRec {
    id: String,
    created: i64,
    customer: String,
    return_url: Option<String>,
}

#[derive(Debug, Clone)]
struct PaymentMethodRec {
    id: String,
    created: i64,
    customer: Option<String>,
    card: CardBehavior,
}

#[derive(Debug, Clone)]
pub(crate) struct EventRec {
    pub id: String,
    seq: u64,
    pub created: i64,
    pub event_type: String,
    pub json: Value,
}

/// What a charge attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Paid,
    Declined,
    ActionRequired,
}

/// An object an event is about.
#[derive(Debug, Clone)]
enum ObjRef {
    Customer(String),
    Session(String),
    Subscription(String),
    Invoice(String),
    Charge(String),
}

/// Something the clock makes happen.
#[derive(Debug, Clone)]
enum Due {
    TrialWarning(String),
    PeriodEnd(String),
    Finalize(String),
    Retry(String),
}

pub(crate) struct Account {
    pub now: i64,
    /// The version events (and so webhooks) are rendered in: the webhook
    /// endpoint's, in Stripe's terms.
    pub api_version: String,
    /// The version the current API request asked for (`Stripe-Version`).
    pub request_version: Option<String>,
    pub base_url: String,
    /// The API request being served, named in the events it causes.
    pub request: Option<(String, Option<String>)>,
    pub final_failure: FinalFailure,
    /// Events created since the server last took them for delivery.
    pub outbox: Vec<String>,
    seq: u64,
    customers: BTreeMap<String, CustomerRec>,
    products: BTreeMap<String, ProductRec>,
    prices: BTreeMap<String, PriceRec>,
    sessions: BTreeMap<String, SessionRec>,
    subscriptions: BTreeMap<String, SubscriptionRec>,
    invoices: BTreeMap<String, InvoiceRec>,
    payment_intents: BTreeMap<String, PaymentIntentRec>,
    charges: BTreeMap<String, ChargeRec>,
    refunds: BTreeMap<String, RefundRec>,
    portals: BTreeMap<String, PortalRec>,
    payment_methods: BTreeMap<String, PaymentMethodRec>,
    events: Vec<EventRec>,
}

fn random_id(prefix: &str, len: usize) -> String {
    let tail: String = rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect();
    format!("{prefix}_{tail}")
}

fn add_interval(ts: i64, interval: &str, count: u32) -> i64 {
    let Some(at) = DateTime::<Utc>::from_timestamp(ts, 0) else { return ts + 30 * DAY };
    let count_i = i64::from(count.max(1));
    let next = match interval {
        "day" => Some(at + chrono::Duration::days(count_i)),
        "week" => Some(at + chrono::Duration::weeks(count_i)),
        // Calendar months, as Stripe bills: 31 January is followed by 28 February.
        "month" => at.checked_add_months(Months::new(count.max(1))),
        "year" => at.checked_add_months(Months::new(12 * count.max(1))),
        _ => None,
    };
    next.map_or(ts + 30 * DAY, |d| d.timestamp())
}

/// `amount` scaled by the unused share of a period, rounded to the cent.
fn prorate(amount: i64, start: i64, end: i64, now: i64) -> i64 {
    let total = i128::from((end - start).max(1));
    let left = i128::from((end - now).clamp(0, end - start));
    i64::try_from((i128::from(amount) * left + total / 2) / total).unwrap_or(0)
}

fn money(amount: i64, currency: &str) -> String {
    masthead_core::billing::format_money(amount, &currency.to_ascii_uppercase())
}

fn list(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({"object": "list", "data": data, "has_more": has_more, "url": url})
}

impl Account {
    pub(crate) fn new(base_url: String, api_version: String, now: i64) -> Self {
        Account {
            now,
            api_version,
            request_version: None,
            base_url,
            request: None,
            final_failure: FinalFailure::default(),
            outbox: Vec::new(),
            seq: 0,
            customers: BTreeMap::new(),
            products: BTreeMap::new(),
            prices: BTreeMap::new(),
            sessions: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            invoices: BTreeMap::new(),
            payment_intents: BTreeMap::new(),
            charges: BTreeMap::new(),
            refunds: BTreeMap::new(),
            portals: BTreeMap::new(),
            payment_methods: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn version(&self) -> &str {
        self.request_version.as_deref().unwrap_or(&self.api_version)
    }

    /// Before basil, periods sat on the subscription and invoices named
    /// their subscription, charge and PaymentIntent directly.
    fn legacy(&self) -> bool {
        self.version() < BASIL
    }

    // --- Events ----------------------------------------------------------

    pub(crate) fn events(&self) -> &[EventRec] {
        &self.events
    }

    pub(crate) fn event(&self, id: &str) -> Option<&EventRec> {
        self.events.iter().find(|e| e.id == id)
    }

    /// Renders an object as events show it: in the account's version, not
    /// the current request's.
    fn snapshot(&mut self, r: &ObjRef) -> Value {
        let asked = self.request_version.take();
        let v = match r {
            ObjRef::Customer(id) => self.render_customer(id),
            ObjRef::Session(id) => self.render_session(id),
            ObjRef::Subscription(id) => self.render_subscription(id),
            ObjRef::Invoice(id) => self.render_invoice(id, false),
            ObjRef::Charge(id) => self.render_charge(id),
        };
        self.request_version = asked;
        v
    }

    /// Records an event about `r` as it is now; with `before`, the changed
    /// top-level fields' old values become `previous_attributes`.
    fn emit(&mut self, event_type: &str, r: &ObjRef, before: Option<Value>) {
        let object = self.snapshot(r);
        let mut data = json!({ "object": object });
        if let (Some(Value::Object(old)), Value::Object(new)) = (before, &object) {
            let changed: Map<String, Value> =
                old.into_iter().filter(|(k, v)| new.get(k) != Some(v)).collect();
            data["previous_attributes"] = Value::Object(changed);
        }
        let (request_id, idempotency_key) = self.request.clone().map_or((None, None), |(r, k)| (Some(r), k));
        let id = random_id("evt", 24);
        let seq = self.next_seq();
        let json = json!({
            "id": id, "object": "event", "api_version": self.api_version, "created": self.now,
            "data": data, "livemode": false, "pending_webhooks": 1,
            "request": {"id": request_id, "idempotency_key": idempotency_key}, "type": event_type,
        });
        self.events.push(EventRec { id: id.clone(), seq, created: self.now, event_type: event_type.to_owned(), json });
        self.outbox.push(id);
    }

    // --- The API ---------------------------------------------------------

    /// Serves one `/v1/...` request; `path` is what follows `/v1/`.
    pub(crate) fn api(&mut self, method: &str, path: &[&str], p: &Params) -> ApiResult {
        match (method, path) {
            ("POST", ["customers"]) => self.create_customer(p),
            ("GET", ["customers", id]) => self.found_customer(id).map(|_| self.render_customer(id)),
            ("POST", ["customers", id]) => self.update_customer(id, p),
            ("POST", ["products"]) => {
                let name = p.required("name")?;
                let id = self.create_product(name);
                Ok(self.render_product(&id))
            }
            ("POST", ["prices"]) => self.create_price(p),
            ("GET", ["prices", id]) => self.found_price(id, "id").map(|_| self.render_price(id)),
            ("POST", ["checkout", "sessions"]) => self.create_session(p),
            ("GET", ["checkout", "sessions", id]) => self.found_session(id).map(|_| self.render_session(id)),
            ("POST", ["checkout", "sessions", id, "expire"]) => self.expire_session(id),
            ("GET", ["subscriptions"]) => self.list_subscriptions(p),
            ("GET", ["subscriptions", id]) => self.found_subscription(id).map(|_| self.render_subscription(id)),
            ("POST", ["subscriptions", id]) => self.update_subscription(id, p),
            ("DELETE", ["subscriptions", id]) => self.cancel_subscription(id),
            ("GET", ["invoices"]) => self.list_invoices(p),
            ("GET", ["invoices", id]) => {
                self.found_invoice(id)?;
                Ok(self.render_invoice(id, expands(p, "payments")))
            }
            ("POST", ["invoices", id, "pay"]) => self.pay_invoice(id),
            ("POST", ["billing_portal", "sessions"]) => self.create_portal(p),
            ("GET", ["events"]) => self.list_events(p),
            ("GET", ["events", id]) => self.event(id).map(|e| e.json.clone()).ok_or_else(|| ApiError::not_found("event", id, "id")),
            ("POST", ["refunds"]) => self.create_refund(p),
            ("GET", ["refunds", id]) => {
                if !self.refunds.contains_key(*id) {
                    return Err(ApiError::not_found("refund", id, "id"));
                }
                Ok(self.render_refund(id))
            }
            ("GET", ["charges", id]) => {
                if !self.charges.contains_key(*id) {
                    return Err(ApiError::not_found("charge", id, "id"));
                }
                Ok(self.render_charge(id))
            }
            ("GET", ["payment_methods", id]) => {
                if !self.payment_methods.contains_key(*id) {
                    return Err(ApiError::not_found("payment_method", id, "id"));
                }
                Ok(self.render_payment_method(id))
            }
            _ => Err(ApiError {
                status: 404,
                ..ApiError::invalid(None, format!("Unrecognized request URL ({method}: /v1/{}).", path.join("/")))
            }),
        }
    }

    fn found_customer(&self, id: &str) -> Result<&CustomerRec, ApiError> {
        self.customers.get(id).ok_or_else(|| ApiError::not_found("customer", id, "id"))
    }

    fn found_price(&self, id: &str, param: &str) -> Result<&PriceRec, ApiError> {
        self.prices.get(id).ok_or_else(|| ApiError::not_found("price", id, param))
    }

    fn found_session(&self, id: &str) -> Result<&SessionRec, ApiError> {
        self.sessions.get(id).ok_or_else(|| ApiError::not_found("checkout.session", id, "session"))
    }

    fn found_subscription(&self, id: &str) -> Result<&SubscriptionRec, ApiError> {
        self.subscriptions.get(id).ok_or_else(|| ApiError::not_found("subscription", id, "id"))
    }

    fn found_invoice(&self, id: &str) -> Result<&InvoiceRec, ApiError> {
        self.invoices.get(id).ok_or_else(|| ApiError::not_found("invoice", id, "invoice"))
    }

    // --- Customers -------------------------------------------------------

    fn create_customer(&mut self, p: &Params) -> ApiResult {
        let mut metadata = Metadata::new();
        p.metadata("metadata")?.apply(&mut metadata);
        let id = self.new_customer(p.text("email"), p.text("name"), metadata);
        Ok(self.render_customer(&id))
    }

    fn new_customer(&mut self, email: Option<String>, name: Option<String>, metadata: Metadata) -> String {
        let id = random_id("cus", 14);
        let rec = CustomerRec {
            id: id.clone(),
            created: self.now,
            email,
            name,
            metadata,
            card: CardBehavior::Succeeds,
            default_payment_method: None,
        };
        self.customers.insert(id.clone(), rec);
        self.emit("customer.created", &ObjRef::Customer(id.clone()), None);
        id
    }

    fn update_customer(&mut self, id: &str, p: &Params) -> ApiResult {
        self.found_customer(id)?;
        let update = p.metadata("metadata")?;
        let before = self.snapshot(&ObjRef::Customer(id.to_owned()));
        if let Some(c) = self.customers.get_mut(id) {
            if let Some(email) = p.str("email") {
                c.email = (!email.is_empty()).then(|| email.to_owned());
            }
            if let Some(name) = p.str("name") {
                c.name = (!name.is_empty()).then(|| name.to_owned());
            }
            update.apply(&mut c.metadata);
        }
        self.emit_if_changed("customer.updated", &ObjRef::Customer(id.to_owned()), before);
        Ok(self.render_customer(id))
    }

    fn emit_if_changed(&mut self, event_type: &str, r: &ObjRef, before: Value) {
        if self.snapshot(r) != before {
            self.emit(event_type, r, Some(before));
        }
    }

    /// The reader gives a new card (at checkout, in the portal): it becomes
    /// the default for future charges.
    pub(crate) fn set_card(&mut self, customer: &str, card: CardBehavior) -> ApiResult {
        self.found_customer(customer)?;
        let before = self.snapshot(&ObjRef::Customer(customer.to_owned()));
        let pm = self.new_payment_method(Some(customer), card);
        if let Some(c) = self.customers.get_mut(customer) {
            c.card = card;
            c.default_payment_method = Some(pm);
        }
        self.emit_if_changed("customer.updated", &ObjRef::Customer(customer.to_owned()), before);
        Ok(self.render_customer(customer))
    }

    fn new_payment_method(&mut self, customer: Option<&str>, card: CardBehavior) -> String {
        let id = random_id("pm", 24);
        let rec = PaymentMethodRec { id: id.clone(), created: self.now, customer: customer.map(str::to_owned), card };
        self.payment_methods.insert(id.clone(), rec);
        id
    }

    // --- Products and prices ---------------------------------------------

    fn create_product(&mut self, name: String) -> String {
        let id = random_id("prod", 14);
        self.products.insert(id.clone(), ProductRec { id: id.clone(), created: self.now, name });
        id
    }

    fn create_price(&mut self, p: &Params) -> ApiResult {
        let id = self.price_from(p, "", true)?;
        Ok(self.render_price(&id))
    }

    /// A price from `prefix`-ed parameters: `POST /v1/prices` itself, or a
    /// checkout line's inline `price_data`.
    fn price_from(&mut self, p: &Params, prefix: &str, active: bool) -> Result<String, ApiError> {
        let key = |k: &str| format!("{prefix}{k}");
        let currency = p.required(&key("currency"))?.to_ascii_lowercase();
        if currency.len() != 3 {
            return Err(ApiError::invalid(Some(&key("currency")), format!("Invalid currency: {currency}.")));
        }
        let unit_amount = p.int(&key("unit_amount"))?.ok_or_else(|| ApiError::missing_param(&super::form::bracketed(&key("unit_amount"))))?;
        if unit_amount < 0 {
            return Err(ApiError::invalid(Some(&key("unit_amount")), "This value must be greater than or equal to 0.".into()));
        }
        let recurring = match p.text(&key("recurring.interval")) {
            None => None,
            Some(interval) if ["day", "week", "month", "year"].contains(&interval.as_str()) => {
                let count = p.int(&key("recurring.interval_count"))?.unwrap_or(1);
                Some((interval, u32::try_from(count.clamp(1, 36)).unwrap_or(1)))
            }
            Some(other) => return Err(ApiError::invalid(Some(&key("recurring.interval")), format!("Invalid interval: {other}"))),
        };
        let trial_days = p.int(&key("recurring.trial_period_days"))?.and_then(|d| u32::try_from(d).ok());
        let product = match (p.text(&key("product")), p.text(&key("product_data.name"))) {
            (Some(id), _) => {
                if !self.products.contains_key(&id) {
                    return Err(ApiError::not_found("product", &id, &key("product")));
                }
                id
            }
            (None, Some(name)) => self.create_product(name),
            (None, None) => return Err(ApiError::missing_param(&super::form::bracketed(&key("product")))),
        };
        let mut metadata = Metadata::new();
        p.metadata(&key("metadata"))?.apply(&mut metadata);
        let id = random_id("price", 24);
        let rec = PriceRec {
            id: id.clone(),
            created: self.now,
            product,
            unit_amount,
            currency,
            recurring,
            trial_days,
            nickname: p.text(&key("nickname")),
            lookup_key: p.text(&key("lookup_key")),
            metadata,
            active,
        };
        self.prices.insert(id.clone(), rec);
        Ok(id)
    }

    // --- Checkout --------------------------------------------------------

    fn create_session(&mut self, p: &Params) -> ApiResult {
        let mode = match p.required("mode")?.as_str() {
            "subscription" => Mode::Subscription,
            "payment" => Mode::Payment,
            other => return Err(ApiError::invalid(Some("mode"), format!("The fake supports `payment` and `subscription` modes, not `{other}`."))),
        };
        if p.len("line_items") == 0 {
            return Err(ApiError::missing_param("line_items"));
        }
        if p.len("line_items") > 1 {
            return Err(ApiError::invalid(Some("line_items"), "The fake sells one line item per session.".into()));
        }
        let customer = p.text("customer");
        let customer_email = p.text("customer_email");
        if customer.is_some() && customer_email.is_some() {
            return Err(ApiError::invalid(Some("customer_email"), "You may only specify one of these parameters: customer, customer_email.".into()));
        }
        if let Some(c) = &customer {
            if !self.customers.contains_key(c) {
                return Err(ApiError { status: 400, ..ApiError::not_found("customer", c, "customer") });
            }
        }
        let price = match p.text("line_items.0.price") {
            Some(id) => {
                self.prices.get(&id).ok_or_else(|| ApiError { status: 400, ..ApiError::not_found("price", &id, "line_items[0][price]") })?;
                id
            }
            None if p.get("line_items.0.price_data").is_some() => self.price_from(p, "line_items.0.price_data.", false)?,
            None => return Err(ApiError::missing_param("line_items[0][price]")),
        };
        let recurring = self.prices.get(&price).is_some_and(|pr| pr.recurring.is_some());
        match (mode, recurring) {
            (Mode::Subscription, false) => {
                return Err(ApiError::invalid(Some("line_items"), "You must provide at least one recurring price in `subscription` mode when using prices.".into()))
            }
            (Mode::Payment, true) => {
                return Err(ApiError::invalid(Some("line_items"), "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.".into()))
            }
            _ => {}
        }
        let quantity = p.int("line_items.0.quantity")?.unwrap_or(1);
        let quantity = u32::try_from(quantity).ok().filter(|q| *q >= 1).ok_or_else(|| ApiError::invalid(Some("line_items[0][quantity]"), "Quantity must be at least 1.".into()))?;
        let trial_days = match p.int("subscription_data.trial_period_days")? {
            None => None,
            Some(d) if (1..=730).contains(&d) => u32::try_from(d).ok(),
            Some(_) => return Err(ApiError::invalid(Some("subscription_data[trial_period_days]"), "Trial period days must be between 1 and 730.".into())),
        };
        if trial_days.is_some() && mode == Mode::Payment {
            return Err(ApiError::invalid(Some("subscription_data"), "You can not pass `subscription_data` in `payment` mode.".into()));
        }
        let mut metadata = Metadata::new();
        p.metadata("metadata")?.apply(&mut metadata);
        let mut subscription_metadata = Metadata::new();
        p.metadata("subscription_data.metadata")?.apply(&mut subscription_metadata);
        let mut payment_metadata = Metadata::new();
        p.metadata("payment_intent_data.metadata")?.apply(&mut payment_metadata);
        let id = random_id("cs_test", 58);
        let rec = SessionRec {
            id: id.clone(),
            created: self.now,
            expires_at: self.now + DAY,
            mode,
            status: "open",
            payment_status: "unpaid",
            price,
            quantity,
            customer,
            customer_email,
            buyer_email: None,
            client_reference_id: p.text("client_reference_id"),
            success_url: p.text("success_url"),
            cancel_url: p.text("cancel_url"),
            metadata,
            trial_days,
            subscription_metadata,
            payment_metadata,
            subscription: None,
            payment_intent: None,
            invoice: None,
        };
        self.sessions.insert(id.clone(), rec);
        Ok(self.render_session(&id))
    }

    fn expire_session(&mut self, id: &str) -> ApiResult {
        let s = self.found_session(id)?;
        if s.status != "open" {
            return Err(ApiError::state(format!("Only Checkout Sessions with a status of `open` can be expired; {id} is {}.", s.status)));
        }
        if let Some(s) = self.sessions.get_mut(id) {
            s.status = "expired";
        }
        Ok(self.render_session(id))
    }

    /// The buyer pays on the checkout page: what Stripe does when they press
    /// the button. A declined card leaves the session open, as on the page.
    pub(crate) fn complete_session(&mut self, id: &str, card: CardBehavior, email: Option<String>) -> ApiResult {
        let s = self.found_session(id)?.clone();
        if s.status != "open" || s.expires_at <= self.now {
            return Err(ApiError::state(format!("Checkout Session {id} is not open (status {}).", s.status)));
        }
        let price = self.found_price(&s.price, "price")?.clone();
        let trial = s.trial_days.or(price.trial_days).filter(|d| *d > 0 && s.mode == Mode::Subscription);
        let amount_now = if trial.is_some() { 0 } else { price.unit_amount * i64::from(s.quantity) };
        if amount_now > 0 && card == CardBehavior::Declines {
            return Err(ApiError::card("card_declined", Some("generic_decline"), "Your card was declined."));
        }
        let buyer_email = s.customer_email.clone().or(email).or_else(|| s.customer.as_ref().and_then(|c| self.customers.get(c)).and_then(|c| c.email.clone()));
        let buyer_email = buyer_email.unwrap_or_else(|| "reader@example.com".to_owned());
        // Subscriptions always get a customer; one-time payments only if one was given.
        let customer = match (&s.customer, s.mode) {
            (Some(c), _) => Some(c.clone()),
            (None, Mode::Subscription) => Some(self.new_customer(Some(buyer_email.clone()), None, Metadata::new())),
            (None, Mode::Payment) => None,
        };
        let pm = self.new_payment_method(customer.as_deref(), card);
        if let Some(c) = customer.as_ref().and_then(|c| self.customers.get_mut(c)) {
            c.card = card;
            c.default_payment_method = Some(pm.clone());
        }
        let mut update = s.clone();
        match s.mode {
            Mode::Subscription => {
                let customer = customer.clone().ok_or_else(|| ApiError::internal("subscription without a customer".into()))?;
                let (sub, invoice) = self.start_subscription(&customer, &price, s.quantity, trial, s.subscription_metadata.clone(), &pm)?;
                update.subscription = Some(sub);
                update.invoice = Some(invoice);
                update.payment_status = if trial.is_some() { "no_payment_required" } else { "paid" };
            }
            Mode::Payment => {
                let pi = self.charge(customer.as_deref(), amount_now, &price.currency, Some(&pm), s.payment_metadata.clone());
                update.payment_intent = Some(pi);
                update.payment_status = "paid";
            }
        }
        update.status = "complete";
        update.customer = customer;
        update.buyer_email = Some(buyer_email);
        self.sessions.insert(id.to_owned(), update);
        self.emit("checkout.session.completed", &ObjRef::Session(id.to_owned()), None);
        Ok(self.render_session(id))
    }

    /// Where the checkout page sends the buyer afterwards.
    pub(crate) fn session_urls(&self, id: &str) -> Option<(Option<String>, Option<String>)> {
        self.sessions.get(id).map(|s| {
            let fill = |u: &String| u.replace("{CHECKOUT_SESSION_ID}", id);
            (s.success_url.as_ref().map(fill), s.cancel_url.clone())
        })
    }

    /// What the checkout page shows: product, price, trial, state.
    pub(crate) fn session_summary(&self, id: &str) -> Option<SessionSummary> {
        let s = self.sessions.get(id)?;
        let price = self.prices.get(&s.price)?;
        let product = self.products.get(&price.product).map_or_else(String::new, |p| p.name.clone());
        let amount = price.unit_amount * i64::from(s.quantity);
        let every = price.recurring.as_ref().map(|(i, _)| i.clone());
        Some(SessionSummary {
            product,
            price: money(amount, &price.currency),
            every,
            trial_days: s.trial_days.or(price.trial_days).filter(|_| s.mode == Mode::Subscription),
            open: s.status == "open",
            email: s.customer_email.clone(),
        })
    }

    // --- Subscriptions ---------------------------------------------------

    fn start_subscription(
        &mut self,
        customer: &str,
        price: &PriceRec,
        quantity: u32,
        trial_days: Option<u32>,
        metadata: Metadata,
        payment_method: &str,
    ) -> Result<(String, String), ApiError> {
        let (interval, count) = price.recurring.clone().ok_or_else(|| ApiError::internal("one-time price in a subscription".into()))?;
        let now = self.now;
        let trial_end = trial_days.map(|d| now + i64::from(d) * DAY);
        let id = random_id("sub", 24);
        let seq = self.next_seq();
        let rec = SubscriptionRec {
            id: id.clone(),
            seq,
            created: now,
            customer: customer.to_owned(),
            status: if trial_end.is_some() { SubscriptionStatus::Trialing } else { SubscriptionStatus::Incomplete },
            item_id: random_id("si", 14),
            item_created: now,
            price: price.id.clone(),
            quantity,
            period_start: now,
            period_end: trial_end.unwrap_or_else(|| add_interval(now, &interval, count)),
            trial_start: trial_end.map(|_| now),
            trial_end,
            // A trial shorter than the warning gets none.
            trial_warning_sent: trial_end.is_none_or(|end| end - TRIAL_WARNING < now),
            cancel_at_period_end: false,
            canceled_at: None,
            ended_at: None,
            latest_invoice: None,
            default_payment_method: Some(payment_method.to_owned()),
            metadata,
            pending_proration: 0,
        };
        let period_end = rec.period_end;
        self.subscriptions.insert(id.clone(), rec);
        let r = ObjRef::Subscription(id.clone());
        let product = self.product_name(&price.product);
        let amount = if trial_end.is_some() { 0 } else { price.unit_amount * i64::from(quantity) };
        let description = if trial_end.is_some() {
            format!("Trial period for {product}")
        } else {
            format!("{quantity} × {product} (at {} / {interval})", money(price.unit_amount, &price.currency))
        };
        let line = self.line(amount, description, now, period_end, Some(price.id.clone()), false);
        let invoice = self.new_invoice(customer, Some(&id), &price.currency, vec![line], "subscription_create", now, now);
        self.set_latest_invoice(&id, &invoice);
        if trial_end.is_some() {
            // Stripe opens a trial with a paid invoice for nothing.
            self.emit("customer.subscription.created", &r, None);
            self.emit("invoice.paid", &ObjRef::Invoice(invoice.clone()), None);
            return Ok((id, invoice));
        }
        // Without a trial Stripe creates the subscription incomplete, takes
        // the first payment, then activates it: three events, in this order.
        self.emit("customer.subscription.created", &r, None);
        let before = self.snapshot(&r);
        let free = self.invoices.get(&invoice).is_some_and(|i| i.status == InvoiceStatus::Paid);
        let outcome = if free { Outcome::Paid } else { self.attempt(&invoice, true) };
        if outcome != Outcome::Paid {
            return Err(ApiError::card("card_declined", Some("generic_decline"), "Your card was declined."));
        }
        self.emit("invoice.paid", &ObjRef::Invoice(invoice.clone()), None);
        self.set_status(&id, SubscriptionStatus::Active);
        self.emit_if_changed("customer.subscription.updated", &r, before);
        Ok((id, invoice))
    }

    fn product_name(&self, product: &str) -> String {
        self.products.get(product).map_or_else(|| product.to_owned(), |p| p.name.clone())
    }

    fn set_latest_invoice(&mut self, sub: &str, invoice: &str) {
        if let Some(s) = self.subscriptions.get_mut(sub) {
            s.latest_invoice = Some(invoice.to_owned());
        }
    }

    fn set_status(&mut self, sub: &str, status: SubscriptionStatus) {
        if let Some(s) = self.subscriptions.get_mut(sub) {
            s.status = status;
            if status == SubscriptionStatus::Canceled {
                s.ended_at = Some(self.now);
                s.canceled_at.get_or_insert(self.now);
            }
        }
    }

    fn list_subscriptions(&mut self, p: &Params) -> ApiResult {
        let customer = p.text("customer");
        let status = p.text("status");
        let items: Vec<(u64, String)> = self
            .subscriptions
            .values()
            .filter(|s| customer.as_ref().is_none_or(|c| *c == s.customer))
            .filter(|s| match status.as_deref() {
                Some("all") => true,
                Some(st) => s.status.as_str() == st,
                // Stripe leaves canceled subscriptions out unless asked.
                None => s.status != SubscriptionStatus::Canceled,
            })
            .map(|s| (s.seq, s.id.clone()))
            .collect();
        self.page(items, p, "/v1/subscriptions", |a, id| a.render_subscription(id))
    }

    fn update_subscription(&mut self, id: &str, p: &Params) -> ApiResult {
        let sub = self.found_subscription(id)?.clone();
        if sub.status == SubscriptionStatus::Canceled {
            return Err(ApiError::state("A canceled subscription can only update its cancellation_details and metadata.".into()));
        }
        let cancel = p.bool("cancel_at_period_end")?;
        let metadata = p.metadata("metadata")?;
        let proration = match p.text("proration_behavior").as_deref() {
            None | Some("create_prorations") => "create_prorations",
            Some("always_invoice") => "always_invoice",
            Some("none") => "none",
            Some(other) => return Err(ApiError::invalid(Some("proration_behavior"), format!("Invalid proration_behavior: {other}"))),
        };
        let new_price = match p.len("items") {
            0 => None,
            1 => {
                let item = p.text("items.0.id").ok_or_else(|| {
                    ApiError::invalid(Some("items[0][id]"), "The fake replaces the price of the existing item; pass items[0][id].".into())
                })?;
                if item != sub.item_id {
                    return Err(ApiError::invalid(Some("items[0][id]"), format!("Invalid subscription_item id: {item}")));
                }
                let price_id = p.required("items.0.price")?;
                let price = self.found_price(&price_id, "items[0][price]")?.clone();
                let old = self.found_price(&sub.price, "price")?;
                if price.recurring.is_none() {
                    return Err(ApiError::invalid(Some("items[0][price]"), "The price must be recurring.".into()));
                }
                if price.currency != old.currency {
                    return Err(ApiError::invalid(Some("items[0][price]"), "The price's currency must match the subscription's.".into()));
                }
                Some(price)
            }
            _ => return Err(ApiError::invalid(Some("items"), "The fake supports one subscription item.".into())),
        };
        let r = ObjRef::Subscription(id.to_owned());
        let before = self.snapshot(&r);
        if let Some(s) = self.subscriptions.get_mut(id) {
            metadata.apply(&mut s.metadata);
            if let Some(cancel) = cancel {
                s.cancel_at_period_end = cancel;
                s.canceled_at = cancel.then_some(self.now);
            }
        }
        let mut invoice = None;
        if let Some(price) = new_price.filter(|p| p.id != sub.price) {
            invoice = self.switch_price(&sub, &price, proration)?;
        }
        self.emit_if_changed("customer.subscription.updated", &r, before);
        if let Some((inv, outcome)) = invoice {
            self.emit_outcome(&inv, outcome);
        }
        Ok(self.render_subscription(id))
    }

    /// A plan switch. Within a trial only the price changes. To another
    /// interval, the billing period restarts now and is invoiced at once,
    /// less the unused part of the old one (as Stripe does). Within the same
    /// interval the difference for the rest of the period is prorated.
    fn switch_price(&mut self, sub: &SubscriptionRec, price: &PriceRec, proration: &str) -> Result<Option<(String, Outcome)>, ApiError> {
        let old = self.found_price(&sub.price, "price")?.clone();
        let now = self.now;
        let set_price = |a: &mut Account| {
            if let Some(s) = a.subscriptions.get_mut(&sub.id) {
                s.price = price.id.clone();
            }
        };
        if sub.status == SubscriptionStatus::Trialing {
            set_price(self);
            return Ok(None);
        }
        let qty = i64::from(sub.quantity);
        let unused = if proration == "none" { 0 } else { prorate(old.unit_amount * qty, sub.period_start, sub.period_end, now) };
        let product = self.product_name(&price.product);
        let (interval, count) = price.recurring.clone().unwrap_or_else(|| ("month".into(), 1));
        if price.recurring != old.recurring {
            let end = add_interval(now, &interval, count);
            let mut lines = vec![self.line(
                price.unit_amount * qty,
                format!("{} × {product} (at {} / {interval})", sub.quantity, money(price.unit_amount, &price.currency)),
                now,
                end,
                Some(price.id.clone()),
                false,
            )];
            if unused > 0 {
                lines.push(self.line(-unused, format!("Unused time on {}", self.product_name(&old.product)), now, sub.period_end, Some(old.id.clone()), true));
            }
            set_price(self);
            if let Some(s) = self.subscriptions.get_mut(&sub.id) {
                s.period_start = now;
                s.period_end = end;
            }
            let inv = self.new_invoice(&sub.customer, Some(&sub.id), &price.currency, lines, "subscription_update", now, now);
            self.set_latest_invoice(&sub.id, &inv);
            let outcome = self.attempt_and_settle(&sub.id, &inv);
            return Ok(Some((inv, outcome)));
        }
        let delta = if proration == "none" { 0 } else { prorate(price.unit_amount * qty, sub.period_start, sub.period_end, now) - unused };
        set_price(self);
        if proration == "always_invoice" && delta > 0 {
            let line = self.line(delta, format!("Remaining time on {product}"), now, sub.period_end, Some(price.id.clone()), true);
            let inv = self.new_invoice(&sub.customer, Some(&sub.id), &price.currency, vec![line], "subscription_update", now, now);
            self.set_latest_invoice(&sub.id, &inv);
            let outcome = self.attempt_and_settle(&sub.id, &inv);
            return Ok(Some((inv, outcome)));
        }
        if let Some(s) = self.subscriptions.get_mut(&sub.id) {
            s.pending_proration += delta;
        }
        Ok(None)
    }

    /// Charges an invoice off-session and sets the subscription's state from
    /// the outcome; the caller emits the events.
    fn attempt_and_settle(&mut self, sub: &str, invoice: &str) -> Outcome {
        let outcome = if self.invoices.get(invoice).is_some_and(|i| i.status == InvoiceStatus::Paid) {
            Outcome::Paid
        } else {
            self.attempt(invoice, false)
        };
        self.settle_status(sub, outcome);
        outcome
    }

    fn settle_status(&mut self, sub: &str, outcome: Outcome) {
        let Some(s) = self.subscriptions.get(sub) else { return };
        if s.status == SubscriptionStatus::Canceled {
            return;
        }
        let retries_left = self
            .invoices
            .values()
            .filter(|i| i.subscription.as_deref() == Some(sub) && i.status == InvoiceStatus::Open)
            .all(|i| i.next_payment_attempt.is_some());
        let still_open = self.invoices.values().any(|i| i.subscription.as_deref() == Some(sub) && i.status == InvoiceStatus::Open);
        let status = match outcome {
            Outcome::Paid if !still_open => SubscriptionStatus::Active,
            Outcome::Paid => s.status,
            _ if retries_left => SubscriptionStatus::PastDue,
            _ => match self.final_failure {
                FinalFailure::Cancel => SubscriptionStatus::Canceled,
                FinalFailure::MarkUnpaid => SubscriptionStatus::Unpaid,
            },
        };
        self.set_status(sub, status);
    }

    fn cancel_subscription(&mut self, id: &str) -> ApiResult {
        let sub = self.found_subscription(id)?;
        if sub.status == SubscriptionStatus::Canceled {
            return Err(ApiError::state(format!("Subscription {id} is already canceled.")));
        }
        self.set_status(id, SubscriptionStatus::Canceled);
        self.emit("customer.subscription.deleted", &ObjRef::Subscription(id.to_owned()), None);
        Ok(self.render_subscription(id))
    }

    /// Cancel at period end, or resume: what the portal's buttons do.
    pub(crate) fn set_cancel_at_period_end(&mut self, id: &str, cancel: bool) -> ApiResult {
        let params = Params::new(json!({"cancel_at_period_end": cancel.to_string()}));
        self.update_subscription(id, &params)
    }

    pub(crate) fn customer_subscriptions(&self, customer: &str) -> Vec<(String, String, bool, i64)> {
        self.subscriptions
            .values()
            .filter(|s| s.customer == customer)
            .map(|s| (s.id.clone(), s.status.as_str().to_owned(), s.cancel_at_period_end, s.period_end))
            .collect()
    }

    pub(crate) fn portal_customer(&self, portal: &str) -> Option<(String, Option<String>)> {
        self.portals.get(portal).map(|p| (p.customer.clone(), p.return_url.clone()))
    }

    pub(crate) fn open_invoices(&self, customer: &str) -> Vec<String> {
        self.invoices
            .values()
            .filter(|i| i.customer == customer && i.status == InvoiceStatus::Open)
            .map(|i| i.id.clone())
            .collect()
    }

    // --- Invoices and charges --------------------------------------------

    fn line(&self, amount: i64, description: String, start: i64, end: i64, price: Option<String>, proration: bool) -> LineRec {
        LineRec { id: random_id("il", 24), amount, description, start, end, price, proration }
    }

    /// A finalized invoice, or a draft to be finalized at `finalize_at`.
    #[expect(clippy::too_many_arguments, reason = "an invoice has this many facts")]
    fn new_invoice_at(
        &mut self,
        customer: &str,
        sub: Option<&str>,
        currency: &str,
        lines: Vec<LineRec>,
        reason: &'static str,
        period_start: i64,
        period_end: i64,
        finalize_at: Option<i64>,
    ) -> String {
        let id = random_id("in", 24);
        let seq = self.next_seq();
        let amount_due = lines.iter().map(|l| l.amount).sum::<i64>().max(0);
        let now = self.now;
        let finalized = finalize_at.is_none();
        let status = match (finalized, amount_due) {
            (false, _) => InvoiceStatus::Draft,
            (true, 0) => InvoiceStatus::Paid,
            (true, _) => InvoiceStatus::Open,
        };
        let rec = InvoiceRec {
            id: id.clone(),
            seq,
            created: now,
            number: format!("FAKE-{seq:05}"),
            customer: customer.to_owned(),
            subscription: sub.map(str::to_owned),
            currency: currency.to_owned(),
            status,
            billing_reason: reason,
            period_start,
            period_end,
            lines,
            amount_due,
            amount_paid: 0,
            attempt_count: 0,
            failed_attempts: 0,
            first_failure_at: None,
            next_payment_attempt: None,
            finalize_at,
            finalized_at: finalized.then_some(now),
            paid_at: (status == InvoiceStatus::Paid).then_some(now),
            payments: Vec::new(),
            charge: None,
        };
        self.invoices.insert(id.clone(), rec);
        id
    }

    #[expect(clippy::too_many_arguments, reason = "an invoice has this many facts")]
    fn new_invoice(&mut self, customer: &str, sub: Option<&str>, currency: &str, lines: Vec<LineRec>, reason: &'static str, period_start: i64, period_end: i64) -> String {
        self.new_invoice_at(customer, sub, currency, lines, reason, period_start, period_end, None)
    }

    /// Tries the customer's card on an open invoice. `present`: the reader
    /// is at the screen and can pass 3-D Secure.
    fn attempt(&mut self, invoice: &str, present: bool) -> Outcome {
        let Some(inv) = self.invoices.get(invoice).cloned() else { return Outcome::Declined };
        let (card, pm) = self.customers.get(&inv.customer).map_or((CardBehavior::Declines, None), |c| (c.card, c.default_payment_method.clone()));
        let outcome = match card {
            CardBehavior::Succeeds => Outcome::Paid,
            CardBehavior::Declines => Outcome::Declined,
            CardBehavior::RequiresAction if present => Outcome::Paid,
            CardBehavior::RequiresAction => Outcome::ActionRequired,
        };
        let now = self.now;
        let pi = (outcome == Outcome::Paid).then(|| self.charge(Some(&inv.customer), inv.amount_due, &inv.currency, pm.as_deref(), Metadata::new()));
        let charge = pi.as_ref().and_then(|pi| self.payment_intents.get(pi)).map(|p| p.charge.clone());
        let payment_id = random_id("inpay", 24);
        let Some(inv) = self.invoices.get_mut(invoice) else { return outcome };
        inv.attempt_count += 1;
        match pi {
            Some(pi) => {
                inv.status = InvoiceStatus::Paid;
                inv.amount_paid = inv.amount_due;
                inv.paid_at = Some(now);
                inv.next_payment_attempt = None;
                inv.payments.push(InvoicePaymentRec { id: payment_id, payment_intent: pi, amount: inv.amount_due, paid_at: now });
                inv.charge = charge;
            }
            None => {
                inv.failed_attempts += 1;
                let first = *inv.first_failure_at.get_or_insert(now);
                let next = usize::try_from(inv.failed_attempts - 1).ok().and_then(|i| RETRY_DAYS.get(i));
                inv.next_payment_attempt = next.map(|days| first + days * DAY);
            }
        }
        outcome
    }

    /// A PaymentIntent and its charge, both succeeded. Returns the PaymentIntent.
    fn charge(&mut self, customer: Option<&str>, amount: i64, currency: &str, pm: Option<&str>, metadata: Metadata) -> String {
        let pi = random_id("pi", 24);
        let ch = random_id("ch", 24);
        let rec = ChargeRec {
            id: ch.clone(),
            created: self.now,
            amount,
            amount_refunded: 0,
            currency: currency.to_owned(),
            customer: customer.map(str::to_owned),
            payment_intent: pi.clone(),
            payment_method: pm.map(str::to_owned),
            metadata,
        };
        self.charges.insert(ch.clone(), rec);
        self.payment_intents.insert(pi.clone(), PaymentIntentRec { charge: ch });
        pi
    }

    fn emit_outcome(&mut self, invoice: &str, outcome: Outcome) {
        let event = match outcome {
            Outcome::Paid => "invoice.paid",
            Outcome::Declined => "invoice.payment_failed",
            Outcome::ActionRequired => "invoice.payment_action_required",
        };
        self.emit(event, &ObjRef::Invoice(invoice.to_owned()), None);
    }

    /// The reader pays an open invoice themselves (hosted invoice page, or
    /// `POST /v1/invoices/{id}/pay`).
    pub(crate) fn pay_invoice(&mut self, id: &str) -> ApiResult {
        let inv = self.found_invoice(id)?.clone();
        if inv.status == InvoiceStatus::Draft {
            self.finalize(id);
        }
        match self.invoices.get(id).map(|i| i.status) {
            Some(InvoiceStatus::Open) => {}
            Some(InvoiceStatus::Paid) => return Err(ApiError::state("Invoice is already paid".into())),
            _ => return Err(ApiError::state(format!("Invoice {id} is not open"))),
        }
        let sub = inv.subscription.clone();
        let before = sub.as_ref().map(|s| (ObjRef::Subscription(s.clone()), self.snapshot(&ObjRef::Subscription(s.clone()))));
        let outcome = self.attempt(id, true);
        self.emit_outcome(id, outcome);
        if let Some(s) = &sub {
            self.settle_status(s, outcome);
        }
        if let Some((r, before)) = before {
            self.emit_sub_change(&r, before);
        }
        if outcome != Outcome::Paid {
            return Err(ApiError::card("card_declined", Some("generic_decline"), "Your card was declined."));
        }
        Ok(self.render_invoice(id, false))
    }

    /// `customer.subscription.deleted` if it just ended, else `updated` if
    /// anything changed.
    fn emit_sub_change(&mut self, r: &ObjRef, before: Value) {
        let now = self.snapshot(r);
        if now == before {
            return;
        }
        let ended = now.get("status").and_then(Value::as_str) == Some("canceled");
        if ended {
            self.emit("customer.subscription.deleted", r, None);
        } else {
            self.emit("customer.subscription.updated", r, Some(before));
        }
    }

    fn finalize(&mut self, id: &str) {
        let now = self.now;
        if let Some(inv) = self.invoices.get_mut(id) {
            inv.finalize_at = None;
            inv.finalized_at = Some(now);
            inv.status = if inv.amount_due == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open };
            if inv.status == InvoiceStatus::Paid {
                inv.paid_at = Some(now);
            }
        }
    }

    fn list_invoices(&mut self, p: &Params) -> ApiResult {
        let customer = p.text("customer");
        let sub = p.text("subscription");
        let items: Vec<(u64, String)> = self
            .invoices
            .values()
            .filter(|i| customer.as_ref().is_none_or(|c| *c == i.customer))
            .filter(|i| sub.as_ref().is_none_or(|s| Some(s) == i.subscription.as_ref()))
            .map(|i| (i.seq, i.id.clone()))
            .collect();
        let with_payments = expands(p, "data.payments");
        self.page(items, p, "/v1/invoices", |a, id| a.render_invoice(id, with_payments))
    }

    // --- Refunds ---------------------------------------------------------

    fn create_refund(&mut self, p: &Params) -> ApiResult {
        let charge = match (p.text("charge"), p.text("payment_intent")) {
            (Some(ch), _) => {
                if !self.charges.contains_key(&ch) {
                    return Err(ApiError { status: 400, ..ApiError::not_found("charge", &ch, "charge") });
                }
                ch
            }
            (None, Some(pi)) => self
                .payment_intents
                .get(&pi)
                .map(|p| p.charge.clone())
                .ok_or_else(|| ApiError { status: 400, ..ApiError::not_found("payment_intent", &pi, "payment_intent") })?,
            (None, None) => return Err(ApiError::invalid(Some("charge"), "One of the following params should be provided for this request: charge or payment_intent.".into())),
        };
        let ch = self.charges.get(&charge).cloned().ok_or_else(|| ApiError::internal("charge vanished".into()))?;
        let left = ch.amount - ch.amount_refunded;
        if left <= 0 {
            return Err(ApiError { code: Some("charge_already_refunded"), ..ApiError::state(format!("Charge {charge} has already been refunded.")) });
        }
        let amount = p.int("amount")?.unwrap_or(left);
        if amount <= 0 || amount > left {
            return Err(ApiError {
                code: Some("amount_too_large"),
                ..ApiError::state(format!(
                    "Refund amount ({}) is greater than unrefunded amount on charge ({}).",
                    money(amount, &ch.currency),
                    money(left, &ch.currency)
                ))
            });
        }
        let reason = p.text("reason");
        if let Some(r) = &reason {
            if !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str()) {
                return Err(ApiError::invalid(Some("reason"), format!("Invalid reason: {r}")));
            }
        }
        let mut metadata = Metadata::new();
        p.metadata("metadata")?.apply(&mut metadata);
        let id = random_id("re", 24);
        let rec = RefundRec {
            id: id.clone(),
            created: self.now,
            amount,
            currency: ch.currency.clone(),
            charge: charge.clone(),
            payment_intent: ch.payment_intent.clone(),
            reason,
            metadata,
        };
        self.refunds.insert(id.clone(), rec);
        if let Some(c) = self.charges.get_mut(&charge) {
            c.amount_refunded += amount;
        }
        self.emit("charge.refunded", &ObjRef::Charge(charge), None);
        Ok(self.render_refund(&id))
    }

    // --- Billing portal --------------------------------------------------

    fn create_portal(&mut self, p: &Params) -> ApiResult {
        let customer = p.required("customer")?;
        if !self.customers.contains_key(&customer) {
            return Err(ApiError { status: 400, ..ApiError::not_found("customer", &customer, "customer") });
        }
        let id = random_id("bps", 24);
        let rec = PortalRec { id: id.clone(), created: self.now, customer, return_url: p.text("return_url") };
        self.portals.insert(id.clone(), rec);
        Ok(self.render_portal(&id))
    }

    // --- Events list -----------------------------------------------------

    fn list_events(&mut self, p: &Params) -> ApiResult {
        let mut types = p.strings("types");
        types.extend(p.text("type"));
        if types.len() > 20 {
            return Err(ApiError::invalid(Some("types"), "You may pass at most 20 event types.".into()));
        }
        let bound = |k: &str| p.int(&format!("created.{k}"));
        let (gte, gt, lte, lt) = (bound("gte")?, bound("gt")?, bound("lte")?, bound("lt")?);
        let exact = match p.get("created") {
            Some(Value::String(_)) => p.int("created")?,
            _ => None,
        };
        let matches_type = |t: &str| {
            types.is_empty()
                || types.iter().any(|want| match want.strip_suffix('*') {
                    Some(prefix) => t.starts_with(prefix),
                    None => want == t,
                })
        };
        let items: Vec<(u64, String)> = self
            .events
            .iter()
            .filter(|e| matches_type(&e.event_type))
            .filter(|e| gte.is_none_or(|v| e.created >= v) && gt.is_none_or(|v| e.created > v))
            .filter(|e| lte.is_none_or(|v| e.created <= v) && lt.is_none_or(|v| e.created < v))
            .filter(|e| exact.is_none_or(|v| e.created == v))
            .map(|e| (e.seq, e.id.clone()))
            .collect();
        self.page(items, p, "/v1/events", |a, id| a.event(id).map(|e| e.json.clone()).unwrap_or(Value::Null))
    }

    /// One page, newest first, after `starting_after` or before
    /// `ending_before`.
    fn page(&mut self, mut items: Vec<(u64, String)>, p: &Params, url: &str, render: impl Fn(&mut Account, &str) -> Value) -> ApiResult {
        let limit = p.int("limit")?.unwrap_or(10);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::invalid(Some("limit"), "Limit must be between 1 and 100.".into()));
        }
        let limit = usize::try_from(limit).unwrap_or(10);
        items.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        let ids: Vec<String> = items.into_iter().map(|(_, id)| id).collect();
        let (slice, has_more) = if let Some(after) = p.text("starting_after") {
            let at = ids.iter().position(|id| *id == after).ok_or_else(|| ApiError::invalid(Some("starting_after"), format!("No such object: '{after}'")))?;
            let rest = &ids[at + 1..];
            (rest.iter().take(limit).cloned().collect::<Vec<_>>(), rest.len() > limit)
        } else if let Some(before) = p.text("ending_before") {
            let at = ids.iter().position(|id| *id == before).ok_or_else(|| ApiError::invalid(Some("ending_before"), format!("No such object: '{before}'")))?;
            let head = &ids[..at];
            let from = head.len().saturating_sub(limit);
            (head[from..].to_vec(), from > 0)
        } else {
            (ids.iter().take(limit).cloned().collect(), ids.len() > limit)
        };
        let data = slice.iter().map(|id| render(self, id)).collect();
        Ok(list(data, has_more, url))
    }

    // --- The clock -------------------------------------------------------

    /// Moves time forward, doing on the way everything Stripe would have
    /// done: trial warnings, renewals, invoice finalization and retries.
    pub(crate) fn advance(&mut self, secs: i64) {
        let target = self.now.saturating_add(secs.max(0));
        // Each step moves something past its due time, so this ends; the
        // bound is a guard against a bug turning into a hang.
        for _ in 0..100_000 {
            let Some((at, due)) = self.next_due(target) else { break };
            self.now = self.now.max(at);
            self.run(due);
        }
        self.now = target;
    }

    fn next_due(&self, target: i64) -> Option<(i64, Due)> {
        let mut due: Vec<(i64, u64, Due)> = Vec::new();
        for s in self.subscriptions.values() {
            if s.status == SubscriptionStatus::Trialing && !s.trial_warning_sent {
                if let Some(end) = s.trial_end {
                    due.push((end - TRIAL_WARNING, s.seq, Due::TrialWarning(s.id.clone())));
                }
            }
            if matches!(s.status, SubscriptionStatus::Trialing | SubscriptionStatus::Active | SubscriptionStatus::PastDue) {
                due.push((s.period_end, s.seq, Due::PeriodEnd(s.id.clone())));
            }
        }
        for i in self.invoices.values() {
            let live = i.subscription.as_ref().and_then(|s| self.subscriptions.get(s)).is_none_or(|s| s.status != SubscriptionStatus::Canceled);
            if let Some(at) = i.finalize_at {
                due.push((at, i.seq, Due::Finalize(i.id.clone())));
            } else if let (InvoiceStatus::Open, Some(at), true) = (i.status, i.next_payment_attempt, live) {
                due.push((at, i.seq, Due::Retry(i.id.clone())));
            }
        }
        due.into_iter().filter(|(at, _, _)| *at <= target).min_by_key(|(at, seq, _)| (*at, *seq)).map(|(at, _, d)| (at, d))
    }

    fn run(&mut self, due: Due) {
        match due {
            Due::TrialWarning(id) => {
                if let Some(s) = self.subscriptions.get_mut(&id) {
                    s.trial_warning_sent = true;
                }
                self.emit("customer.subscription.trial_will_end", &ObjRef::Subscription(id), None);
            }
            Due::PeriodEnd(id) => self.renew(&id),
            Due::Finalize(inv) | Due::Retry(inv) => self.collect(&inv),
        }
    }

    /// A period ends: the subscription either ends (canceled at period end)
    /// or starts its next period with a draft invoice, charged an hour later.
    fn renew(&mut self, id: &str) {
        let Some(sub) = self.subscriptions.get(id).cloned() else { return };
        let r = ObjRef::Subscription(id.to_owned());
        let before = self.snapshot(&r);
        if sub.cancel_at_period_end {
            if let Some(s) = self.subscriptions.get_mut(id) {
                s.status = SubscriptionStatus::Canceled;
                s.ended_at = Some(sub.period_end);
            }
            self.emit("customer.subscription.deleted", &r, None);
            return;
        }
        let Some(price) = self.prices.get(&sub.price).cloned() else { return };
        let (interval, count) = price.recurring.clone().unwrap_or_else(|| ("month".into(), 1));
        let start = sub.period_end;
        let end = add_interval(start, &interval, count);
        let product = self.product_name(&price.product);
        let mut lines = vec![self.line(
            price.unit_amount * i64::from(sub.quantity),
            format!("{} × {product} (at {} / {interval})", sub.quantity, money(price.unit_amount, &price.currency)),
            start,
            end,
            Some(price.id.clone()),
            false,
        )];
        if sub.pending_proration != 0 {
            lines.push(self.line(sub.pending_proration, "Proration adjustments".into(), sub.period_start, start, Some(price.id.clone()), true));
        }
        let inv = self.new_invoice_at(&sub.customer, Some(id), &price.currency, lines, "subscription_cycle", sub.period_start, sub.period_end, Some(start + FINALIZE_AFTER));
        if let Some(s) = self.subscriptions.get_mut(id) {
            s.period_start = start;
            s.period_end = end;
            s.pending_proration = 0;
            s.latest_invoice = Some(inv);
            if s.status == SubscriptionStatus::Trialing {
                s.status = SubscriptionStatus::Active;
            }
        }
        self.emit_sub_change(&r, before);
    }

    /// Finalizes a draft, or retries an open invoice, and charges it.
    fn collect(&mut self, invoice: &str) {
        if self.invoices.get(invoice).is_some_and(|i| i.status == InvoiceStatus::Draft) {
            self.finalize(invoice);
        }
        let Some(inv) = self.invoices.get(invoice).cloned() else { return };
        let sub = inv.subscription.clone();
        let before = sub.as_ref().map(|s| (ObjRef::Subscription(s.clone()), self.snapshot(&ObjRef::Subscription(s.clone()))));
        let outcome = if inv.status == InvoiceStatus::Paid { Outcome::Paid } else { self.attempt(invoice, false) };
        self.emit_outcome(invoice, outcome);
        if let Some(s) = &sub {
            self.settle_status(s, outcome);
        }
        if let Some((r, before)) = before {
            self.emit_sub_change(&r, before);
        }
    }

    // --- Rendering -------------------------------------------------------

    fn render_customer(&self, id: &str) -> Value {
        let Some(c) = self.customers.get(id) else { return Value::Null };
        json!({
            "id": c.id, "object": "customer", "created": c.created, "email": c.email, "name": c.name,
            "metadata": c.metadata, "livemode": false, "delinquent": false, "currency": null,
            "invoice_settings": {"default_payment_method": c.default_payment_method, "custom_fields": null, "footer": null},
        })
    }

    fn render_product(&self, id: &str) -> Value {
        let Some(p) = self.products.get(id) else { return Value::Null };
        json!({"id": p.id, "object": "product", "name": p.name, "active": true, "created": p.created, "livemode": false})
    }

    fn render_price(&self, id: &str) -> Value {
        let Some(p) = self.prices.get(id) else { return Value::Null };
        let recurring = p.recurring.as_ref().map(|(interval, count)| {
            json!({"interval": interval, "interval_count": count, "trial_period_days": p.trial_days, "usage_type": "licensed", "meter": null})
        });
        json!({
            "id": p.id, "object": "price", "active": p.active, "billing_scheme": "per_unit", "created": p.created,
            "currency": p.currency, "livemode": false, "lookup_key": p.lookup_key, "metadata": p.metadata,
            "nickname": p.nickname, "product": p.product, "recurring": recurring,
            "type": if p.recurring.is_some() { "recurring" } else { "one_time" },
            "unit_amount": p.unit_amount, "unit_amount_decimal": p.unit_amount.to_string(),
        })
    }

    fn render_session(&self, id: &str) -> Value {
        let Some(s) = self.sessions.get(id) else { return Value::Null };
        let price = self.prices.get(&s.price);
        let full = price.map_or(0, |p| p.unit_amount * i64::from(s.quantity));
        let trial = s.trial_days.or(price.and_then(|p| p.trial_days)).is_some() && s.mode == Mode::Subscription;
        let total = if trial { 0 } else { full };
        let details = s.buyer_email.as_ref().map(|e| json!({"email": e, "name": null, "phone": null, "address": null, "tax_exempt": "none"}));
        json!({
            "id": s.id, "object": "checkout.session", "mode": if s.mode == Mode::Subscription { "subscription" } else { "payment" },
            "status": s.status, "payment_status": s.payment_status, "created": s.created, "expires_at": s.expires_at,
            "customer": s.customer, "customer_email": s.customer_email, "customer_details": details,
            "client_reference_id": s.client_reference_id, "subscription": s.subscription,
            "payment_intent": s.payment_intent, "invoice": s.invoice,
            "url": (s.status == "open").then(|| format!("{}/checkout/{}", self.base_url, s.id)),
            "success_url": s.success_url, "cancel_url": s.cancel_url,
            "amount_subtotal": total, "amount_total": total, "currency": price.map(|p| p.currency.clone()),
            "metadata": s.metadata, "livemode": false, "ui_mode": "hosted",
        })
    }

    fn render_subscription(&self, id: &str) -> Value {
        let Some(s) = self.subscriptions.get(id) else { return Value::Null };
        let legacy = self.legacy();
        let mut item = json!({
            "id": s.item_id, "object": "subscription_item", "created": s.item_created, "metadata": {},
            "price": self.render_price(&s.price), "quantity": s.quantity, "subscription": s.id,
        });
        if !legacy {
            item["current_period_start"] = json!(s.period_start);
            item["current_period_end"] = json!(s.period_end);
        }
        let mut v = json!({
            "id": s.id, "object": "subscription", "customer": s.customer, "status": s.status.as_str(),
            "items": {"object": "list", "data": [item], "has_more": false, "total_count": 1, "url": format!("/v1/subscription_items?subscription={}", s.id)},
            "cancel_at_period_end": s.cancel_at_period_end,
            "cancel_at": s.cancel_at_period_end.then_some(s.period_end),
            "canceled_at": s.canceled_at, "ended_at": s.ended_at,
            "trial_start": s.trial_start, "trial_end": s.trial_end,
            "start_date": s.created, "created": s.created, "billing_cycle_anchor": s.period_start,
            "collection_method": "charge_automatically", "currency": self.prices.get(&s.price).map(|p| p.currency.clone()),
            "latest_invoice": s.latest_invoice, "default_payment_method": s.default_payment_method,
            "metadata": s.metadata, "livemode": false,
        });
        if legacy {
            v["current_period_start"] = json!(s.period_start);
            v["current_period_end"] = json!(s.period_end);
        }
        v
    }

    fn render_invoice(&self, id: &str, with_payments: bool) -> Value {
        let Some(i) = self.invoices.get(id) else { return Value::Null };
        let legacy = self.legacy();
        let lines: Vec<Value> = i
            .lines
            .iter()
            .map(|l| {
                let mut line = json!({
                    "id": l.id, "object": "line_item", "amount": l.amount, "currency": i.currency,
                    "description": l.description, "period": {"start": l.start, "end": l.end}, "quantity": 1,
                });
                if legacy {
                    line["price"] = l.price.as_ref().map_or(Value::Null, |p| self.render_price(p));
                    line["proration"] = json!(l.proration);
                    line["subscription"] = json!(i.subscription);
                } else {
                    let product = l.price.as_ref().and_then(|p| self.prices.get(p)).map(|p| p.product.clone());
                    line["pricing"] = json!({"type": "price_details", "price_details": {"price": l.price, "product": product}});
                    line["parent"] = json!({
                        "type": "subscription_item_details",
                        "subscription_item_details": {"proration": l.proration, "subscription": i.subscription},
                    });
                }
                line
            })
            .collect();
        let open = i.status == InvoiceStatus::Open;
        let status = match i.status {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Uncollectible => "uncollectible",
            InvoiceStatus::Void | InvoiceStatus::Unknown => "void",
        };
        let finalized = i.finalized_at.is_some();
        let mut v = json!({
            "id": i.id, "object": "invoice", "customer": i.customer, "status": status,
            "number": finalized.then(|| i.number.clone()), "created": i.created, "currency": i.currency,
            "amount_due": i.amount_due, "amount_paid": i.amount_paid, "amount_remaining": i.amount_due - i.amount_paid,
            "subtotal": i.lines.iter().map(|l| l.amount).sum::<i64>(), "total": i.lines.iter().map(|l| l.amount).sum::<i64>(),
            "billing_reason": i.billing_reason, "collection_method": "charge_automatically",
            "period_start": i.period_start, "period_end": i.period_end,
            "attempt_count": i.attempt_count, "attempted": i.attempt_count > 0,
            "next_payment_attempt": if open { i.next_payment_attempt } else { None },
            "hosted_invoice_url": finalized.then(|| format!("{}/invoice/{}", self.base_url, i.id)),
            "invoice_pdf": finalized.then(|| format!("{}/invoice/{}/pdf", self.base_url, i.id)),
            "status_transitions": {"finalized_at": i.finalized_at, "paid_at": i.paid_at, "voided_at": null, "marked_uncollectible_at": null},
            "lines": {"object": "list", "data": lines, "has_more": false, "total_count": i.lines.len(), "url": format!("/v1/invoices/{}/lines", i.id)},
            "livemode": false,
        });
        if legacy {
            v["subscription"] = json!(i.subscription);
            v["paid"] = json!(i.status == InvoiceStatus::Paid);
            v["charge"] = json!(i.charge);
            v["payment_intent"] = json!(i.payments.last().map(|p| p.payment_intent.clone()));
        } else {
            v["parent"] = match &i.subscription {
                Some(sub) => json!({
                    "type": "subscription_details", "quote_details": null,
                    "subscription_details": {"subscription": sub, "metadata": self.subscriptions.get(sub).map(|s| s.metadata.clone())},
                }),
                None => Value::Null,
            };
            if with_payments {
                let data: Vec<Value> = i
                    .payments
                    .iter()
                    .map(|p| {
                        json!({
                            "id": p.id, "object": "invoice_payment", "amount_paid": p.amount, "amount_requested": p.amount,
                            "currency": i.currency, "invoice": i.id, "is_default": true, "livemode": false,
                            "payment": {"type": "payment_intent", "payment_intent": p.payment_intent},
                            "status": "paid", "status_transitions": {"canceled_at": null, "paid_at": p.paid_at},
                        })
                    })
                    .collect();
                v["payments"] = list(data, false, &format!("/v1/invoice_payments?invoice={}", i.id));
            }
        }
        v
    }

    fn render_charge(&self, id: &str) -> Value {
        let Some(c) = self.charges.get(id) else { return Value::Null };
        json!({
            "id": c.id, "object": "charge", "amount": c.amount, "amount_captured": c.amount,
            "amount_refunded": c.amount_refunded, "captured": true, "created": c.created, "currency": c.currency,
            "customer": c.customer, "livemode": false, "metadata": c.metadata, "paid": true,
            "payment_intent": c.payment_intent, "payment_method": c.payment_method,
            "refunded": c.amount_refunded >= c.amount && c.amount > 0, "status": "succeeded",
        })
    }

    fn render_refund(&self, id: &str) -> Value {
        let Some(r) = self.refunds.get(id) else { return Value::Null };
        json!({
            "id": r.id, "object": "refund", "amount": r.amount, "charge": r.charge, "created": r.created,
            "currency": r.currency, "metadata": r.metadata, "payment_intent": r.payment_intent,
            "reason": r.reason, "status": "succeeded",
        })
    }

    fn render_portal(&self, id: &str) -> Value {
        let Some(p) = self.portals.get(id) else { return Value::Null };
        json!({
            "id": p.id, "object": "billing_portal.session", "created": p.created, "customer": p.customer,
            "livemode": false, "return_url": p.return_url, "url": format!("{}/portal/{}", self.base_url, p.id),
        })
    }

    fn render_payment_method(&self, id: &str) -> Value {
        let Some(pm) = self.payment_methods.get(id) else { return Value::Null };
        json!({
            "id": pm.id, "object": "payment_method", "type": "card", "created": pm.created, "customer": pm.customer,
            "card": {"brand": "visa", "last4": pm.card.last4(), "exp_month": 12, "exp_year": 2034, "country": "US", "funding": "credit"},
            "livemode": false,
        })
    }

    /// Read access for the control API, as the account's version renders it.
    pub(crate) fn subscription_json(&mut self, id: &str) -> Option<Value> {
        self.subscriptions.contains_key(id).then(|| self.snapshot(&ObjRef::Subscription(id.to_owned())))
    }

    pub(crate) fn invoice_json(&self, id: &str) -> Option<Value> {
        self.invoices.contains_key(id).then(|| self.render_invoice(id, true))
    }
}

/// Whether `expand[]` asks for `field`.
fn expands(p: &Params, field: &str) -> bool {
    p.strings("expand").iter().any(|e| e == field)
}

/// What the hosted checkout page shows.
pub(crate) struct SessionSummary {
    pub product: String,
    pub price: String,
    pub every: Option<String>,
    pub trial_days: Option<u32>,
    pub open: bool,
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_follow_the_calendar() {
        let jan31 = DateTime::parse_from_rfc3339("2026-01-31T10:00:00Z").expect("date").timestamp();
        let feb28 = DateTime::parse_from_rfc3339("2026-02-28T10:00:00Z").expect("date").timestamp();
        assert_eq!(add_interval(jan31, "month", 1), feb28);
        let next_year = DateTime::parse_from_rfc3339("2027-01-31T10:00:00Z").expect("date").timestamp();
        assert_eq!(add_interval(jan31, "year", 1), next_year);
    }

    #[test]
    fn proration_is_the_unused_share() {
        assert_eq!(prorate(1000, 0, 100, 25), 750);
        assert_eq!(prorate(1000, 0, 100, 100), 0);
        assert_eq!(prorate(1000, 0, 100, -5), 1000);
        assert_eq!(prorate(290, 0, 3, 1), 193);
    }
}
