//! Stripe's objects, as far as Masthead reads them. Unknown fields are
//! ignored and most fields are optional, so a newer API version or an
//! older webhook endpoint's payload still parses. Where Stripe moved a
//! field between API versions (the billing period, an invoice's
//! subscription and payment), a method reads both places.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// Stripe's free-form key/value metadata.
pub type Metadata = BTreeMap<String, String>;

/// A Unix timestamp as Stripe sends them, as a UTC instant.
pub fn timestamp(ts: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ts, 0)
}

/// A field Stripe sends either as an id or, when expanded, as the object:
/// we keep only the id so both shapes read the same.
fn id_or_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Id(String),
        Object { id: String },
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|raw| match raw {
        Raw::Id(id) | Raw::Object { id } => id,
    }))
}

fn required_id_or_object<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    id_or_object(d)?.ok_or_else(|| serde::de::Error::custom("expected an id or an object, found null"))
}

/// Stripe sends `null` for empty metadata on some objects.
fn metadata_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Metadata, D::Error> {
    Ok(Option::<Metadata>::deserialize(d)?.unwrap_or_default())
}

/// One page of a Stripe list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub url: Option<String>,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { data: Vec::new(), has_more: false, url: None }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "metadata_or_null")]
    pub metadata: Metadata,
    #[serde(default)]
    pub created: i64,
    /// Set on the stub Stripe returns for a deleted customer.
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub invoice_settings: Option<InvoiceSettings>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceSettings {
    #[serde(default, deserialize_with = "id_or_object")]
    pub default_payment_method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Price {
    pub id: String,
    #[serde(default)]
    pub active: bool,
    pub currency: String,
    /// In the currency's minor unit; absent for tiered or custom prices.
    #[serde(default)]
    pub unit_amount: Option<i64>,
    #[serde(default)]
    pub recurring: Option<Recurring>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub product: Option<String>,
    #[serde(default)]
    pub lookup_key: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default, deserialize_with = "metadata_or_null")]
    pub metadata: Metadata,
    #[serde(default)]
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Recurring {
    /// `day`, `week`, `month` or `year`.
    pub interval: String,
    #[serde(default = "one")]
    pub interval_count: u32,
    /// Deprecated by Stripe in favour of the checkout session's trial, but
    /// still sent for old prices.
    #[serde(default)]
    pub trial_period_days: Option<u32>,
}

fn one() -> u32 {
    1
}

impl Recurring {
    /// The plan interval, when this is a plain monthly or yearly price.
    pub fn plan_interval(&self) -> Option<masthead_core::billing::Interval> {
        if self.interval_count != 1 {
            return None;
        }
        masthead_core::billing::Interval::parse(&self.interval)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    Payment,
    Setup,
    Subscription,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Paid,
    Unpaid,
    /// A trial, or setup mode: nothing to pay yet.
    NoPaymentRequired,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CheckoutSession {
    pub id: String,
    pub mode: SessionMode,
    #[serde(default)]
    pub status: Option<SessionStatus>,
    pub payment_status: PaymentStatus,
    #[serde(default, deserialize_with = "id_or_object")]
    pub customer: Option<String>,
    #[serde(default)]
    pub customer_email: Option<String>,
    /// What the buyer typed at checkout (email, name), set once complete.
    #[serde(default)]
    pub customer_details: Option<CustomerDetails>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub subscription: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_intent: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub invoice: Option<String>,
    /// Where to send the buyer; null once the session is complete or expired.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub success_url: Option<String>,
    #[serde(default)]
    pub cancel_url: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "metadata_or_null")]
    pub metadata: Metadata,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CustomerDetails {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Stripe's subscription states, all of them; `core_status` folds them into
/// Masthead's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    /// A trial ended without a payment method (when so configured).
    Paused,
    #[serde(other)]
    Unknown,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Unknown => "unknown",
        }
    }

    /// Masthead's view of the state. Paused grants nothing until the reader
    /// adds a card, which is what Unpaid means to the access rules. None for
    /// a state this code does not know yet: keep the previous one.
    pub fn core_status(self) -> Option<masthead_core::billing::SubscriptionStatus> {
        use masthead_core::billing::SubscriptionStatus as Core;
        match self {
            SubscriptionStatus::Incomplete | SubscriptionStatus::IncompleteExpired => Some(Core::Incomplete),
            SubscriptionStatus::Trialing => Some(Core::Trialing),
            SubscriptionStatus::Active => Some(Core::Active),
            SubscriptionStatus::PastDue => Some(Core::PastDue),
            SubscriptionStatus::Canceled => Some(Core::Ended),
            SubscriptionStatus::Unpaid | SubscriptionStatus::Paused => Some(Core::Unpaid),
            SubscriptionStatus::Unknown => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Subscription {
    pub id: String,
    #[serde(deserialize_with = "required_id_or_object")]
    pub customer: String,
    pub status: SubscriptionStatus,
    #[serde(default)]
    pub items: List<SubscriptionItem>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub cancel_at: Option<i64>,
    #[serde(default)]
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub ended_at: Option<i64>,
    #[serde(default)]
    pub trial_start: Option<i64>,
    #[serde(default)]
    pub trial_end: Option<i64>,
    #[serde(default)]
    pub start_date: Option<i64>,
    #[serde(default)]
    pub created: i64,
    /// Top-level period: only API versions before 2025-03-31.basil send it;
    /// use [`Subscription::period_end`], which also reads the items.
    #[serde(default)]
    pub current_period_start: Option<i64>,
    /// See `current_period_start`.
    #[serde(default)]
    pub current_period_end: Option<i64>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub latest_invoice: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub default_payment_method: Option<String>,
    #[serde(default, deserialize_with = "metadata_or_null")]
    pub metadata: Metadata,
}

impl Subscription {
    /// End of the paid (or trial) period, wherever this API version puts it:
    /// top level before 2025-03-31.basil, on each item since. With several
    /// items the latest end counts, since access lasts as long as any item.
    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end.or_else(|| self.items.data.iter().filter_map(|i| i.current_period_end).max())
    }

    /// Start of the current period, from the same places as `period_end`.
    pub fn period_start(&self) -> Option<i64> {
        self.current_period_start.or_else(|| self.items.data.iter().filter_map(|i| i.current_period_start).min())
    }

    /// The price of the first item: Masthead subscriptions have one.
    pub fn price_id(&self) -> Option<&str> {
        self.items.data.first().map(|i| i.price.id.as_str())
    }

    /// The first item, whose id a price switch needs.
    pub fn first_item(&self) -> Option<&SubscriptionItem> {
        self.items.data.first()
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SubscriptionItem {
    pub id: String,
    pub price: Price,
    #[serde(default)]
    pub quantity: Option<u64>,
    /// Since 2025-03-31.basil.
    #[serde(default)]
    pub current_period_start: Option<i64>,
    /// Since 2025-03-31.basil.
    #[serde(default)]
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Open,
    Paid,
    Uncollectible,
    Void,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Invoice {
    pub id: String,
    #[serde(default, deserialize_with = "id_or_object")]
    pub customer: Option<String>,
    #[serde(default)]
    pub status: Option<InvoiceStatus>,
    #[serde(default)]
    pub amount_due: i64,
    #[serde(default)]
    pub amount_paid: i64,
    #[serde(default)]
    pub amount_remaining: i64,
    pub currency: String,
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
    #[serde(default)]
    pub invoice_pdf: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub created: i64,
    /// Stripe's invoice period looks back: for a renewal it is the period
    /// that just ended. Use [`Invoice::service_period`] for what was bought.
    #[serde(default)]
    pub period_start: Option<i64>,
    #[serde(default)]
    pub period_end: Option<i64>,
    /// `subscription_create`, `subscription_cycle`, `subscription_update`, `manual`, ...
    #[serde(default)]
    pub billing_reason: Option<String>,
    #[serde(default)]
    pub attempt_count: u32,
    #[serde(default)]
    pub next_payment_attempt: Option<i64>,
    #[serde(default)]
    pub status_transitions: Option<StatusTransitions>,
    #[serde(default)]
    pub lines: List<InvoiceLine>,
    /// Since 2025-03-31.basil: what generated the invoice.
    #[serde(default)]
    pub parent: Option<InvoiceParent>,
    /// Before 2025-03-31.basil.
    #[serde(default, deserialize_with = "id_or_object")]
    pub subscription: Option<String>,
    /// Before 2025-03-31.basil.
    #[serde(default, deserialize_with = "id_or_object")]
    pub charge: Option<String>,
    /// Before 2025-03-31.basil.
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_intent: Option<String>,
    /// Since 2025-03-31.basil, and only when expanded (the client's
    /// `list_invoices` and `retrieve_invoice` ask for it).
    #[serde(default)]
    pub payments: Option<List<InvoicePayment>>,
}

impl Invoice {
    /// The subscription that generated this invoice, in either API shape.
    pub fn subscription_id(&self) -> Option<&str> {
        self.parent
            .as_ref()
            .and_then(|p| p.subscription_details.as_ref())
            .and_then(|d| d.subscription.as_deref())
            .or(self.subscription.as_deref())
    }

    /// The successful payment's PaymentIntent (what a refund needs).
    pub fn payment_intent_id(&self) -> Option<&str> {
        self.payment_intent.as_deref().or_else(|| {
            self.paid_payments().find_map(|p| p.payment.payment_intent.as_deref())
        })
    }

    /// The successful payment's charge, when Stripe says which.
    pub fn charge_id(&self) -> Option<&str> {
        self.charge.as_deref().or_else(|| self.paid_payments().find_map(|p| p.payment.charge.as_deref()))
    }

    fn paid_payments(&self) -> impl Iterator<Item = &InvoicePayment> {
        self.payments.iter().flat_map(|l| l.data.iter()).filter(|p| p.status.as_deref() == Some("paid"))
    }

    /// The service period the invoice pays for: from its lines, because the
    /// invoice's own period looks back one period on renewals.
    pub fn service_period(&self) -> Option<(i64, i64)> {
        let start = self.lines.data.iter().map(|l| l.period.start).min()?;
        let end = self.lines.data.iter().map(|l| l.period.end).max()?;
        Some((start, end))
    }

    /// When it was paid, if it was.
    pub fn paid_at(&self) -> Option<i64> {
        self.status_transitions.as_ref().and_then(|t| t.paid_at)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StatusTransitions {
    #[serde(default)]
    pub finalized_at: Option<i64>,
    #[serde(default)]
    pub paid_at: Option<i64>,
    #[serde(default)]
    pub voided_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceParent {
    #[serde(rename = "type", default)]
    pub parent_type: Option<String>,
    #[serde(default)]
    pub subscription_details: Option<InvoiceSubscriptionDetails>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceSubscriptionDetails {
    #[serde(default, deserialize_with = "id_or_object")]
    pub subscription: Option<String>,
    #[serde(default, deserialize_with = "metadata_or_null")]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoicePayment {
    pub id: String,
    #[serde(default)]
    pub amount_paid: Option<i64>,
    /// `open`, `paid` or `canceled`.
    #[serde(default)]
    pub status: Option<String>,
    pub payment: InvoicePaymentTarget,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoicePaymentTarget {
    #[serde(rename = "type", default)]
    pub target_type: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_intent: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub charge: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceLine {
    pub id: String,
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct BillingPortalSession {
    pub id: String,
    pub url: String,
    #[serde(default, deserialize_with = "id_or_object")]
    pub customer: Option<String>,
    #[serde(default)]
    pub return_url: Option<String>,
    #[serde(default)]
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: String,
    #[serde(default, deserialize_with = "id_or_object")]
    pub customer: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_intent: Option<String>,
    /// True only once the whole amount is refunded.
    #[serde(default)]
    pub refunded: bool,
    /// `succeeded`, `pending` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created: i64,
    #[serde(default, deserialize_with = "metadata_or_null")]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default, deserialize_with = "id_or_object")]
    pub charge: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_intent: Option<String>,
    /// `pending`, `succeeded`, `failed`, `canceled`, `requires_action`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaymentMethod {
    pub id: String,
    #[serde(rename = "type")]
    pub method_type: String,
    #[serde(default, deserialize_with = "id_or_object")]
    pub customer: Option<String>,
    #[serde(default)]
    pub card: Option<Card>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Card {
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
    #[serde(default)]
    pub exp_month: Option<u32>,
    #[serde(default)]
    pub exp_year: Option<u32>,
}

/// A Stripe event, from a webhook or from `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created: i64,
    pub data: EventData,
    /// The API version `data.object` is rendered in: the webhook endpoint's,
    /// which may differ from the client's pinned version.
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub livemode: bool,
    #[serde(default)]
    pub pending_webhooks: Option<u32>,
    #[serde(default)]
    pub request: Option<EventRequest>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct EventData {
    /// The object as it was when the event happened, not as it is now.
    pub object: serde_json::Value,
    /// For `*.updated` events: the changed fields' old values.
    #[serde(default)]
    pub previous_attributes: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct EventRequest {
    /// The API request that caused the event; null for automatic ones
    /// (renewals, retries).
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// The event types Masthead acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    CheckoutSessionCompleted,
    CustomerCreated,
    CustomerUpdated,
    CustomerSubscriptionCreated,
    CustomerSubscriptionUpdated,
    CustomerSubscriptionDeleted,
    CustomerSubscriptionTrialWillEnd,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoicePaymentActionRequired,
    ChargeRefunded,
    /// Anything else: acknowledge and ignore.
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::CheckoutSessionCompleted,
        EventKind::CustomerCreated,
        EventKind::CustomerUpdated,
        EventKind::CustomerSubscriptionCreated,
        EventKind::CustomerSubscriptionUpdated,
        EventKind::CustomerSubscriptionDeleted,
        EventKind::CustomerSubscriptionTrialWillEnd,
        EventKind::InvoicePaid,
        EventKind::InvoicePaymentFailed,
        EventKind::InvoicePaymentActionRequired,
        EventKind::ChargeRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CheckoutSessionCompleted => "checkout.session.completed",
            EventKind::CustomerCreated => "customer.created",
            EventKind::CustomerUpdated => "customer.updated",
            EventKind::CustomerSubscriptionCreated => "customer.subscription.created",
            EventKind::CustomerSubscriptionUpdated => "customer.subscription.updated",
            EventKind::CustomerSubscriptionDeleted => "customer.subscription.deleted",
            EventKind::CustomerSubscriptionTrialWillEnd => "customer.subscription.trial_will_end",
            EventKind::InvoicePaid => "invoice.paid",
            EventKind::InvoicePaymentFailed => "invoice.payment_failed",
            EventKind::InvoicePaymentActionRequired => "invoice.payment_action_required",
            EventKind::ChargeRefunded => "charge.refunded",
            EventKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> EventKind {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s).unwrap_or(EventKind::Other)
    }
}

/// An event's `data.object`, typed by its `object` field.
#[derive(Debug, Clone, PartialEq)]
pub enum EventObject {
    CheckoutSession(Box<CheckoutSession>),
    Customer(Box<Customer>),
    Subscription(Box<Subscription>),
    Invoice(Box<Invoice>),
    Charge(Box<Charge>),
    Refund(Box<Refund>),
    /// An object this crate does not type.
    Other(serde_json::Value),
}

impl Event {
    pub fn kind(&self) -> EventKind {
        EventKind::parse(&self.event_type)
    }

    /// The `id` of `data.object`.
    pub fn object_id(&self) -> Option<&str> {
        self.data.object.get("id").and_then(|v| v.as_str())
    }

    /// `data.object`, typed. Fails only when the object claims to be one we
    /// know but does not have its required fields.
    pub fn data_object(&self) -> Result<EventObject, serde_json::Error> {
        fn typed<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<Box<T>, serde_json::Error> {
            T::deserialize(v).map(Box::new)
        }
        let object = &self.data.object;
        Ok(match object.get("object").and_then(|v| v.as_str()) {
            Some("checkout.session") => EventObject::CheckoutSession(typed(object)?),
            Some("customer") => EventObject::Customer(typed(object)?),
            Some("subscription") => EventObject::Subscription(typed(object)?),
            Some("invoice") => EventObject::Invoice(typed(object)?),
            Some("charge") => EventObject::Charge(typed(object)?),
            Some("refund") => EventObject::Refund(typed(object)?),
            _ => EventObject::Other(object.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(end: Option<i64>) -> serde_json::Value {
        json!({"id": "si_1", "object": "subscription_item", "quantity": 1,
               "current_period_start": end.map(|e| e - 100), "current_period_end": end,
               "price": {"id": "price_m", "object": "price", "currency": "usd", "unit_amount": 290,
                         "recurring": {"interval": "month", "interval_count": 1}, "product": {"id": "prod_1", "object": "product"}}})
    }

    #[test]
    fn period_end_is_read_from_either_api_shape() {
        let basil: Subscription = serde_json::from_value(json!({
            "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "trialing",
            "items": {"object": "list", "data": [item(Some(2000))], "has_more": false},
            "metadata": {"reader_id": "7"}, "some_future_field": {"x": 1}
        }))
        .expect("basil subscription");
        assert_eq!(basil.period_end(), Some(2000));
        assert_eq!(basil.period_start(), Some(1900));
        assert_eq!(basil.price_id(), Some("price_m"));
        assert_eq!(basil.items.data[0].price.product.as_deref(), Some("prod_1"), "expanded product reads as its id");
        assert_eq!(basil.metadata.get("reader_id").map(String::as_str), Some("7"));

        let acacia: Subscription = serde_json::from_value(json!({
            "id": "sub_1", "object": "subscription", "customer": {"id": "cus_1", "object": "customer"},
            "status": "past_due", "current_period_start": 500, "current_period_end": 1000,
            "items": {"object": "list", "data": [item(None)], "has_more": false}, "metadata": null
        }))
        .expect("older subscription");
        assert_eq!(acacia.period_end(), Some(1000));
        assert_eq!(acacia.customer, "cus_1");
        assert_eq!(acacia.status.core_status(), Some(masthead_core::billing::SubscriptionStatus::PastDue));
    }

    #[test]
    fn invoice_links_are_read_from_either_api_shape() {
        let lines = json!({"object": "list", "data": [{"id": "il_1", "amount": 290, "period": {"start": 10, "end": 20}}]});
        let basil: Invoice = serde_json::from_value(json!({
            "id": "in_1", "currency": "usd", "status": "paid", "amount_paid": 290, "lines": lines,
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1", "metadata": {}}},
            "payments": {"object": "list", "has_more": false, "data": [
                {"id": "inpay_0", "status": "canceled", "payment": {"type": "payment_intent", "payment_intent": "pi_old"}},
                {"id": "inpay_1", "status": "paid", "payment": {"type": "payment_intent", "payment_intent": "pi_1"}}]}
        }))
        .expect("basil invoice");
        assert_eq!(basil.subscription_id(), Some("sub_1"));
        assert_eq!(basil.payment_intent_id(), Some("pi_1"));
        assert_eq!(basil.service_period(), Some((10, 20)));
        assert_eq!(basil.status, Some(InvoiceStatus::Paid));

        let acacia: Invoice = serde_json::from_value(json!({
            "id": "in_1", "currency": "usd", "status": "open", "subscription": "sub_2", "payment_intent": "pi_2", "charge": "ch_2"
        }))
        .expect("older invoice");
        assert_eq!(acacia.subscription_id(), Some("sub_2"));
        assert_eq!(acacia.payment_intent_id(), Some("pi_2"));
        assert_eq!(acacia.charge_id(), Some("ch_2"));
    }

    #[test]
    fn events_type_their_objects_and_tolerate_new_states() {
        let event: Event = serde_json::from_value(json!({
            "id": "evt_1", "object": "event", "type": "customer.subscription.updated", "created": 5,
            "data": {"object": {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "some_new_state"},
                     "previous_attributes": {"status": "active"}},
            "request": {"id": null, "idempotency_key": null}
        }))
        .expect("event");
        assert_eq!(event.kind(), EventKind::CustomerSubscriptionUpdated);
        assert_eq!(event.object_id(), Some("sub_1"));
        match event.data_object().expect("typed") {
            EventObject::Subscription(s) => {
                assert_eq!(s.status, SubscriptionStatus::Unknown);
                assert_eq!(s.status.core_status(), None);
            }
            other => panic!("expected a subscription, got {other:?}"),
        }
        assert_eq!(EventKind::parse("payment_intent.created"), EventKind::Other);
    }
}
