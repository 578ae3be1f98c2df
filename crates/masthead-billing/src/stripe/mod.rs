//! A hand-written client for the part of Stripe's REST API Masthead uses:
//! customers, prices, Checkout, subscriptions, invoices, the billing
//! portal, events and refunds. Written by hand because the generated crate
//! is a quarter of a million lines and two minutes of build for a dozen
//! calls.
//!
//! Every call has a timeout; failures that may be transient (network, 409,
//! 429, 5xx, or whatever Stripe's `Stripe-Should-Retry` says) are retried a
//! bounded number of times with jittered exponential backoff, and every
//! POST carries an `Idempotency-Key` that stays the same across retries so
//! a retried request can never create a second object.

mod error;
mod objects;
mod params;

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;

pub use error::{StripeError, StripeErrorKind};
pub use objects::*;
pub use params::*;

pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// The API version this client's types are written against, sent as
/// `Stripe-Version` on every request so the account's default version
/// cannot change what our calls return.
pub const API_VERSION: &str = "2025-03-31.basil";

/// Events read back for reconciliation, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct EventReplay {
    pub events: Vec<Event>,
    /// More events matched than were asked for; `events` holds the newest.
    pub truncated: bool,
}

/// The longest we wait between two attempts, whatever Stripe asks.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How to reach Stripe. Build one with [`StripeConfig::new`] and override
/// fields as needed.
#[derive(Clone)]
pub struct StripeConfig {
    /// `https://api.stripe.com`, or the fake server's address in tests.
    pub base_url: String,
    /// `sk_live_...`, `sk_test_...` or a restricted `rk_...` key.
    pub secret_key: String,
    /// For each attempt, connect to last byte.
    pub timeout: Duration,
    /// Attempts after the first; 0 turns retries off.
    pub max_retries: u32,
    /// The first retry waits about this long; each next one twice as long
    /// (with jitter, at most 5 s).
    pub retry_backoff: Duration,
    /// Sent as `Stripe-Version`; change it only with the types in `objects`.
    pub api_version: String,
}

impl StripeConfig {
    pub fn new(secret_key: impl Into<String>) -> Self {
        StripeConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            secret_key: secret_key.into(),
            timeout: Duration::from_secs(20),
            max_retries: 2,
            retry_backoff: Duration::from_millis(500),
            api_version: API_VERSION.to_owned(),
        }
    }
}

// The secret key must never reach a log line.
impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = self.secret_key.chars().take(8).collect();
        f.debug_struct("StripeConfig")
            .field("base_url", &self.base_url)
            .field("secret_key", &format_args!("{shown}…"))
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("api_version", &self.api_version)
            .finish()
    }
}

/// A Stripe API client. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    config: StripeConfig,
}

impl StripeClient {
    pub fn new(mut config: StripeConfig) -> Result<Self, StripeError> {
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("masthead-billing/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StripeError::new(StripeErrorKind::Config(e.to_string())))?;
        Ok(StripeClient { http, config })
    }

    pub fn config(&self) -> &StripeConfig {
        &self.config
    }

    // --- Customers -------------------------------------------------------

    pub async fn create_customer(&self, params: &CustomerParams, idempotency_key: Option<&str>) -> Result<Customer, StripeError> {
        self.post("/v1/customers", &params.form(), idempotency_key).await
    }

    pub async fn retrieve_customer(&self, id: &str) -> Result<Customer, StripeError> {
        self.get(&format!("/v1/customers/{}", segment(id)?), &Form::new()).await
    }

    pub async fn update_customer(&self, id: &str, params: &CustomerParams, idempotency_key: Option<&str>) -> Result<Customer, StripeError> {
        self.post(&format!("/v1/customers/{}", segment(id)?), &params.form(), idempotency_key).await
    }

    // --- Prices ----------------------------------------------------------

    pub async fn create_price(&self, params: &PriceParams, idempotency_key: Option<&str>) -> Result<Price, StripeError> {
        self.post("/v1/prices", &params.form(), idempotency_key).await
    }

    pub async fn retrieve_price(&self, id: &str) -> Result<Price, StripeError> {
        self.get(&format!("/v1/prices/{}", segment(id)?), &Form::new()).await
    }

    // --- Checkout --------------------------------------------------------

    pub async fn create_checkout_session(&self, params: &CheckoutParams, idempotency_key: Option<&str>) -> Result<CheckoutSession, StripeError> {
        self.post("/v1/checkout/sessions", &params.form(), idempotency_key).await
    }

    pub async fn retrieve_checkout_session(&self, id: &str) -> Result<CheckoutSession, StripeError> {
        self.get(&format!("/v1/checkout/sessions/{}", segment(id)?), &Form::new()).await
    }

    // --- Subscriptions ---------------------------------------------------

    pub async fn retrieve_subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        self.get(&format!("/v1/subscriptions/{}", segment(id)?), &Form::new()).await
    }

    /// A customer's subscriptions in every state, canceled included (Stripe
    /// leaves those out unless asked), newest first.
    pub async fn list_subscriptions(&self, customer: &str) -> Result<List<Subscription>, StripeError> {
        let mut q = Form::new();
        q.push("customer", customer).push("status", "all").push("limit", 100);
        self.get("/v1/subscriptions", &q).await
    }

    pub async fn update_subscription(&self, id: &str, update: &SubscriptionUpdate, idempotency_key: Option<&str>) -> Result<Subscription, StripeError> {
        self.post(&format!("/v1/subscriptions/{}", segment(id)?), &update.form(), idempotency_key).await
    }

    /// Ends the subscription now (not at the period's end: for that,
    /// `update_subscription` with `cancel_at_period_end`).
    pub async fn cancel_subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        self.delete(&format!("/v1/subscriptions/{}", segment(id)?)).await
    }

    // --- Invoices --------------------------------------------------------

    /// One invoice, with its payments expanded.
    pub async fn retrieve_invoice(&self, id: &str) -> Result<Invoice, StripeError> {
        let mut q = Form::new();
        q.push("expand[]", "payments");
        self.get(&format!("/v1/invoices/{}", segment(id)?), &q).await
    }

    /// A page of invoices, newest first, with their payments expanded.
    pub async fn list_invoices(&self, query: &InvoiceQuery) -> Result<List<Invoice>, StripeError> {
        self.get("/v1/invoices", &query.form()).await
    }

    // --- Billing portal --------------------------------------------------

    pub async fn create_billing_portal_session(
        &self,
        customer: &str,
        return_url: &str,
        idempotency_key: Option<&str>,
    ) -> Result<BillingPortalSession, StripeError> {
        let mut f = Form::new();
        f.push("customer", customer).push("return_url", return_url);
        self.post("/v1/billing_portal/sessions", &f, idempotency_key).await
    }

    // --- Events ----------------------------------------------------------

    /// One page of events, newest first.
    pub async fn list_events(&self, query: &EventQuery) -> Result<List<Event>, StripeError> {
        self.get("/v1/events", &query.form()).await
    }

    pub async fn retrieve_event(&self, id: &str) -> Result<Event, StripeError> {
        self.get(&format!("/v1/events/{}", segment(id)?), &Form::new()).await
    }

    /// Every event created at or after `created_gte` (of the given types,
    /// or all), oldest first, following pages until Stripe has no more or
    /// `max_events` are read. For reconciliation: replay what webhooks
    /// missed, in the order it happened.
    ///
    /// Stripe lists newest first, so when there are more than `max_events`
    /// the replay holds the newest ones and says it is `truncated`: narrow
    /// the window, or rely on handlers that fetch the object's current state.
    pub async fn events_since(&self, created_gte: i64, types: &[&str], max_events: usize) -> Result<EventReplay, StripeError> {
        let mut events: Vec<Event> = Vec::new();
        let mut query = EventQuery {
            created_gte: Some(created_gte),
            starting_after: None,
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            limit: Some(100),
        };
        let mut truncated = false;
        loop {
            let page = self.list_events(&query).await?;
            let Some(last) = page.data.last() else { break };
            query.starting_after = Some(last.id.clone());
            let has_more = page.has_more;
            events.extend(page.data);
            if events.len() >= max_events {
                truncated = has_more || events.len() > max_events;
                break;
            }
            if !has_more {
                break;
            }
        }
        events.truncate(max_events);
        events.reverse();
        Ok(EventReplay { events, truncated })
    }

    // --- Refunds and charges ---------------------------------------------

    pub async fn create_refund(&self, params: &RefundParams, idempotency_key: Option<&str>) -> Result<Refund, StripeError> {
        self.post("/v1/refunds", &params.form(), idempotency_key).await
    }

    pub async fn retrieve_charge(&self, id: &str) -> Result<Charge, StripeError> {
        self.get(&format!("/v1/charges/{}", segment(id)?), &Form::new()).await
    }

    // --- Any endpoint ----------------------------------------------------

    /// GET any endpoint, `query` in Stripe's bracket notation.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &Form) -> Result<T, StripeError> {
        self.send(Method::GET, path, query, None).await
    }

    /// POST to any endpoint. Without a key, one is made up and reused for
    /// this call's retries; pass your own to make retries across process
    /// restarts (a job run again) safe too.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, form: &Form, idempotency_key: Option<&str>) -> Result<T, StripeError> {
        self.send(Method::POST, path, form, idempotency_key).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, StripeError> {
        self.send(Method::DELETE, path, &Form::new(), None).await
    }

    async fn send<T: DeserializeOwned>(&self, method: Method, path: &str, form: &Form, idempotency_key: Option<&str>) -> Result<T, StripeError> {
        let is_post = method == Method::POST;
        // Stripe ignores keys on GET and DELETE, which are idempotent anyway.
        let key = is_post.then(|| idempotency_key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned));
        let encoded = form.encode();
        let url = if !is_post && !encoded.is_empty() {
            format!("{}{path}?{encoded}", self.config.base_url)
        } else {
            format!("{}{path}", self.config.base_url)
        };
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&self.config.secret_key)
                .header("Stripe-Version", &self.config.api_version);
            if is_post {
                request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(encoded.clone());
            }
            if let Some(key) = &key {
                request = request.header("Idempotency-Key", key);
            }
            let (result, retry_after) = match request.send().await {
                Ok(response) => read_response::<T>(response).await,
                Err(e) => (Err(network_error(&e)), None),
            };
            let mut err = match result {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            err.attempts = attempt;
            if attempt > self.config.max_retries || !err.is_retryable() {
                return Err(err);
            }
            let delay = retry_after.unwrap_or_else(|| backoff(self.config.retry_backoff, attempt)).min(MAX_BACKOFF);
            tracing::warn!(
                %method, path, attempt, ?delay, error = %err, request_id = err.request_id.as_deref(),
                "Stripe call failed; retrying with the same idempotency key"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

/// Reads one response: the object on 2xx, a typed error otherwise, and how
/// long Stripe asked us to wait (`Retry-After`), if it did.
async fn read_response<T: DeserializeOwned>(response: reqwest::Response) -> (Result<T, StripeError>, Option<Duration>) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let retry_after = header(&headers, "retry-after").and_then(|s| s.trim().parse::<u64>().ok()).map(Duration::from_secs);
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => return (Err(network_error(&e)), retry_after),
    };
    let kind = if (200..300).contains(&status) {
        match serde_json::from_slice::<T>(&body) {
            Ok(value) => return (Ok(value), None),
            Err(e) => StripeErrorKind::Decode { status, message: format!("{e}; body starts {}", error::snippet(&body)) },
        }
    } else {
        StripeErrorKind::from_response(status, &body)
    };
    let mut err = StripeError::new(kind);
    err.request_id = header(&headers, "request-id").map(str::to_owned);
    err.should_retry = header(&headers, "stripe-should-retry").map(|v| v.eq_ignore_ascii_case("true"));
    (Err(err), retry_after)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn network_error(e: &reqwest::Error) -> StripeError {
    // The source chain holds the useful part ("connection refused").
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    StripeError::new(StripeErrorKind::Network { message, timeout: e.is_timeout() })
}

/// Exponential with "equal jitter" (half fixed, half random), so many
/// workers retrying together spread out instead of hitting Stripe in step.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    exp.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// An id as one path segment. Ids come from our database and from Stripe,
/// but a stray `/`, `?` or `..` must not turn one call into another, so
/// anything but Stripe's id alphabet is refused before it is sent.
fn segment(id: &str) -> Result<&str, StripeError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(id)
    } else {
        Err(StripeError::new(StripeErrorKind::InvalidRequest(format!("{id:?} is not a Stripe id"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        for _ in 0..50 {
            let first = backoff(base, 1);
            assert!(first >= Duration::from_millis(50) && first <= base, "{first:?}");
            let third = backoff(base, 3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400), "{third:?}");
            assert!(backoff(base, 30) <= MAX_BACKOFF);
        }
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(segment("sub_1Abc").ok(), Some("sub_1Abc"));
        for bad in ["", "..", "../v1/charges", "cus_1?expand[]=x", "cus 1"] {
            let err = segment(bad).expect_err(bad);
            assert!(!err.is_retryable());
        }
    }

    #[test]
    fn the_secret_key_is_not_in_debug_output() {
        let config = StripeConfig::new("sk_test_supersecretvalue");
        let shown = format!("{config:?}");
        assert!(!shown.contains("supersecretvalue"), "{shown}");
    }
}
