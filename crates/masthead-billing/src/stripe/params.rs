//! Request parameters for the calls Masthead makes, and Stripe's form
//! encoding: flat `key=value` pairs where brackets express nesting
//! (`line_items[0][price]`, `metadata[reader_id]`). Typed structs keep
//! callers from spelling keys; `Form` is there for calls this crate does
//! not wrap.

use masthead_core::billing::Interval;

use super::objects::Metadata;

/// A form body or query string in Stripe's bracket notation, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn new() -> Self {
        Form::default()
    }

    pub fn push(&mut self, key: impl Into<String>, value: impl ToString) -> &mut Self {
        self.0.push((key.into(), value.to_string()));
        self
    }

    pub fn push_opt(&mut self, key: impl Into<String>, value: Option<impl ToString>) -> &mut Self {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    /// `prefix[key]=value` for each entry. An empty value asks Stripe to
    /// delete that key on update.
    pub fn metadata(&mut self, prefix: &str, metadata: &Metadata) -> &mut Self {
        for (k, v) in metadata {
            self.push(format!("{prefix}[{k}]"), v);
        }
        self
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `application/x-www-form-urlencoded`, brackets percent-encoded (Stripe
    /// decodes them before it reads the nesting).
    pub fn encode(&self) -> String {
        // Encoding a list of string pairs cannot fail; the fallback is never hit.
        serde_urlencoded::to_string(&self.0).unwrap_or_default()
    }
}

/// Fields for creating or updating a customer. On update, unset fields are
/// left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerParams {
    pub email: Option<String>,
    pub name: Option<String>,
    /// On update, an empty value deletes the key.
    pub metadata: Metadata,
}

impl CustomerParams {
    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        f.push_opt("email", self.email.as_ref()).push_opt("name", self.name.as_ref()).metadata("metadata", &self.metadata);
        f
    }
}

/// Which product a new price belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    Existing(String),
    /// Stripe creates the product along with the price.
    New { name: String },
}

/// A price to create (plans are set up once, by `masthead init` or the desk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceParams {
    pub product: ProductRef,
    /// Minor units (cents).
    pub unit_amount: i64,
    /// ISO 4217; Stripe stores it lower case.
    pub currency: String,
    /// None for a one-time price.
    pub interval: Option<Interval>,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    pub metadata: Metadata,
}

impl PriceParams {
    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        match &self.product {
            ProductRef::Existing(id) => f.push("product", id),
            ProductRef::New { name } => f.push("product_data[name]", name),
        };
        f.push("unit_amount", self.unit_amount)
            .push("currency", self.currency.to_ascii_lowercase())
            .push_opt("recurring[interval]", self.interval.map(Interval::as_str))
            .push_opt("nickname", self.nickname.as_ref())
            .push_opt("lookup_key", self.lookup_key.as_ref())
            .metadata("metadata", &self.metadata);
        f
    }
}

/// Who is buying at checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Buyer {
    /// A reader who already has a Stripe customer.
    Customer(String),
    /// Prefill the email; in subscription mode Stripe creates the customer.
    Email(String),
    /// Stripe asks for everything.
    Anonymous,
}

/// What a checkout session sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutKind {
    /// A plan: one recurring price, an optional free trial.
    Subscription {
        price_id: String,
        trial_days: Option<u32>,
        /// Copied onto the subscription, so its webhooks carry it.
        subscription_metadata: Metadata,
    },
    /// A one-time purchase (a gift subscription) priced inline.
    Payment {
        /// What the buyer sees on the page and the receipt.
        name: String,
        unit_amount: i64,
        currency: String,
        quantity: u32,
        /// Copied onto the PaymentIntent.
        payment_metadata: Metadata,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutParams {
    pub kind: CheckoutKind,
    pub buyer: Buyer,
    /// May contain `{CHECKOUT_SESSION_ID}`, which Stripe fills in.
    pub success_url: String,
    pub cancel_url: Option<String>,
    /// Our own id for the buyer (the reader id), echoed on the session.
    pub client_reference_id: Option<String>,
    /// Stays on the session (not the subscription).
    pub metadata: Metadata,
}

impl CheckoutParams {
    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        match &self.kind {
            CheckoutKind::Subscription { price_id, trial_days, subscription_metadata } => {
                f.push("mode", "subscription")
                    .push("line_items[0][price]", price_id)
                    .push("line_items[0][quantity]", 1)
                    .push_opt("subscription_data[trial_period_days]", trial_days.filter(|d| *d > 0))
                    .metadata("subscription_data[metadata]", subscription_metadata);
            }
            CheckoutKind::Payment { name, unit_amount, currency, quantity, payment_metadata } => {
                f.push("mode", "payment")
                    .push("line_items[0][price_data][currency]", currency.to_ascii_lowercase())
                    .push("line_items[0][price_data][unit_amount]", unit_amount)
                    .push("line_items[0][price_data][product_data][name]", name)
                    .push("line_items[0][quantity]", quantity)
                    .metadata("payment_intent_data[metadata]", payment_metadata);
            }
        }
        match &self.buyer {
            Buyer::Customer(id) => {
                f.push("customer", id);
            }
            Buyer::Email(email) => {
                f.push("customer_email", email);
            }
            Buyer::Anonymous => {}
        }
        f.push("success_url", &self.success_url)
            .push_opt("cancel_url", self.cancel_url.as_ref())
            .push_opt("client_reference_id", self.client_reference_id.as_ref())
            .metadata("metadata", &self.metadata);
        f
    }
}

/// How Stripe settles the difference when a subscription changes price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProrationBehavior {
    /// Credit and charge the difference on the next invoice (Stripe's default).
    CreateProrations,
    /// Invoice the difference now.
    AlwaysInvoice,
    /// No adjustment: the new price applies from the next period.
    None,
}

impl ProrationBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            ProrationBehavior::CreateProrations => "create_prorations",
            ProrationBehavior::AlwaysInvoice => "always_invoice",
            ProrationBehavior::None => "none",
        }
    }
}

/// Replace the price on one subscription item (a plan switch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSwitch {
    /// The item's `si_...` id; without it Stripe would add a second item.
    pub item_id: String,
    pub price_id: String,
}

/// Changes to a subscription; unset fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// true: end at the period's end; false: resume before it does.
    pub cancel_at_period_end: Option<bool>,
    pub switch_price: Option<PriceSwitch>,
    pub proration_behavior: Option<ProrationBehavior>,
    pub metadata: Metadata,
}

impl SubscriptionUpdate {
    pub fn cancel_at_period_end(cancel: bool) -> Self {
        SubscriptionUpdate { cancel_at_period_end: Some(cancel), ..Default::default() }
    }

    pub fn switch_price(item_id: impl Into<String>, price_id: impl Into<String>, proration: ProrationBehavior) -> Self {
        SubscriptionUpdate {
            switch_price: Some(PriceSwitch { item_id: item_id.into(), price_id: price_id.into() }),
            proration_behavior: Some(proration),
            ..Default::default()
        }
    }

    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        f.push_opt("cancel_at_period_end", self.cancel_at_period_end);
        if let Some(switch) = &self.switch_price {
            f.push("items[0][id]", &switch.item_id).push("items[0][price]", &switch.price_id);
        }
        f.push_opt("proration_behavior", self.proration_behavior.map(ProrationBehavior::as_str))
            .metadata("metadata", &self.metadata);
        f
    }
}

/// A page of invoices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceQuery {
    pub customer: Option<String>,
    pub subscription: Option<String>,
    /// 1 to 100; Stripe's default is 10.
    pub limit: Option<u32>,
    pub starting_after: Option<String>,
}

impl InvoiceQuery {
    pub fn for_customer(customer: impl Into<String>) -> Self {
        InvoiceQuery { customer: Some(customer.into()), ..Default::default() }
    }

    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        f.push_opt("customer", self.customer.as_ref())
            .push_opt("subscription", self.subscription.as_ref())
            .push_opt("limit", self.limit)
            .push_opt("starting_after", self.starting_after.as_ref())
            // Since 2025-03-31.basil the payment (and so what to refund)
            // is only on the invoice when asked for.
            .push("expand[]", "data.payments");
        f
    }
}

/// A page of events. Stripe lists newest first and keeps 30 days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub created_gte: Option<i64>,
    /// An event id: the page continues with older events than it.
    pub starting_after: Option<String>,
    /// Up to 20 event types; empty for all.
    pub types: Vec<String>,
    /// 1 to 100; Stripe's default is 10.
    pub limit: Option<u32>,
}

impl EventQuery {
    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        f.push_opt("created[gte]", self.created_gte)
            .push_opt("starting_after", self.starting_after.as_ref())
            .push_opt("limit", self.limit);
        for t in &self.types {
            f.push("types[]", t);
        }
        f
    }
}

/// What to refund: a charge, or the PaymentIntent that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundTarget {
    Charge(String),
    PaymentIntent(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
            RefundReason::RequestedByCustomer => "requested_by_customer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundParams {
    pub target: RefundTarget,
    /// Minor units; None refunds what is left.
    pub amount: Option<i64>,
    pub reason: Option<RefundReason>,
    pub metadata: Metadata,
}

impl RefundParams {
    pub fn full(target: RefundTarget) -> Self {
        RefundParams { target, amount: None, reason: None, metadata: Metadata::new() }
    }

    pub(crate) fn form(&self) -> Form {
        let mut f = Form::new();
        match &self.target {
            RefundTarget::Charge(id) => f.push("charge", id),
            RefundTarget::PaymentIntent(id) => f.push("payment_intent", id),
        };
        f.push_opt("amount", self.amount)
            .push_opt("reason", self.reason.map(RefundReason::as_str))
            .metadata("metadata", &self.metadata);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_for_a_plan_with_a_trial_encodes_like_stripe_expects() {
        let params = CheckoutParams {
            kind: CheckoutKind::Subscription {
                price_id: "price_m".into(),
                trial_days: Some(30),
                subscription_metadata: Metadata::from([("reader_id".into(), "42".into())]),
            },
            buyer: Buyer::Customer("cus_1".into()),
            success_url: "https://news.example/welcome?session={CHECKOUT_SESSION_ID}".into(),
            cancel_url: Some("https://news.example/plans".into()),
            client_reference_id: Some("42".into()),
            metadata: Metadata::from([("reader_id".into(), "42".into())]),
        };
        let form = params.form();
        let keys: Vec<&str> = form.pairs().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "mode",
                "line_items[0][price]",
                "line_items[0][quantity]",
                "subscription_data[trial_period_days]",
                "subscription_data[metadata][reader_id]",
                "customer",
                "success_url",
                "cancel_url",
                "client_reference_id",
                "metadata[reader_id]"
            ]
        );
        let encoded = params.form().encode();
        assert!(encoded.contains("line_items%5B0%5D%5Bprice%5D=price_m"), "{encoded}");
        assert!(encoded.contains("session%3D%7BCHECKOUT_SESSION_ID%7D"), "{encoded}");
    }

    #[test]
    fn a_zero_day_trial_is_no_trial() {
        let params = CheckoutParams {
            kind: CheckoutKind::Subscription { price_id: "p".into(), trial_days: Some(0), subscription_metadata: Metadata::new() },
            buyer: Buyer::Anonymous,
            success_url: "https://x".into(),
            cancel_url: None,
            client_reference_id: None,
            metadata: Metadata::new(),
        };
        assert!(!params.form().pairs().iter().any(|(k, _)| k.contains("trial")));
    }
}
