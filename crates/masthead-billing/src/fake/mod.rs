//! A Stripe-compatible test server: the endpoints Masthead calls, with
//! in-memory state, Stripe's ids and object shapes, its form decoding,
//! bearer-key auth and idempotency keys; signed webhook deliveries to an
//! endpoint we set; hosted checkout, portal and invoice pages for browser
//! tests; and controls Stripe has no API for (make a card fail, move the
//! clock, hold, repeat or reorder deliveries, fail requests) so every
//! billing path can be tested over real HTTP without Stripe's network.
//!
//! Start one with [`FakeStripe::start`], point a
//! [`StripeClient`](crate::stripe::StripeClient) at
//! [`FakeControl::client_config`], and drive it with the methods of
//! [`FakeControl`] (which `FakeStripe` derefs to) or,
//! from another process, with the JSON control API under `/_test/`.

mod account;
mod control;
mod delivery;
mod form;
mod pages;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, Notify};
use masthead_core::billing::Interval;
use tokio::task::JoinHandle;

pub use account::{CardBehavior, FinalFailure};
use account::{Account, ApiError};
pub use delivery::{DeliveryMode, DeliveryRecord, ReleaseOrder};
use form::Params;

use crate::stripe::{self, CheckoutSession, Customer, Event, Invoice, Price, StripeConfig, Subscription};

/// How to start the fake.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// `127.0.0.1:0` picks a free port.
    pub addr: SocketAddr,
    pub secret_key: String,
    /// The version events are rendered in (a webhook endpoint's version);
    /// API responses follow each request's `Stripe-Version`.
    pub api_version: String,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            secret_key: format!("sk_test_fake{}", uuid::Uuid::new_v4().simple()),
            api_version: stripe::API_VERSION.to_owned(),
        }
    }
}

/// A control call the fake refused (unknown id, wrong state, declined card).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fake Stripe refused ({status}): {message}")]
pub struct FakeError {
    pub status: u16,
    pub message: String,
}

impl From<ApiError> for FakeError {
    fn from(e: ApiError) -> Self {
        FakeError { status: e.status, message: e.message }
    }
}

/// One API request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub idempotency_key: Option<String>,
    pub status: u16,
    /// Answered from the idempotency store.
    pub replayed: bool,
}

/// A stored result for an idempotency key.
struct Stored {
    fingerprint: String,
    status: u16,
    body: Value,
}

/// Faults injected into the next API requests.
#[derive(Default)]
struct Faults {
    fail_count: u32,
    fail_status: u16,
    slow_count: u32,
    slow_by: Duration,
}

/// Everything behind one lock, so a request's idempotency check, its
/// effects and its events happen as one step.
pub(crate) struct Books {
    account: Account,
    idempotency: HashMap<String, Stored>,
    requests: Vec<RecordedRequest>,
    faults: Faults,
    endpoint: Option<(String, String)>,
    mode: DeliveryMode,
    held: Vec<String>,
    deliveries: Vec<DeliveryRecord>,
}

pub(crate) struct Shared {
    books: Mutex<Books>,
    secret_key: String,
    base_url: String,
    queue: mpsc::UnboundedSender<String>,
    /// Deliveries queued and not yet finished; `settle` waits for zero.
    pending: AtomicUsize,
    settled: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Books> {
        // A panic in one handler must not take the whole fake down with it.
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the books, then routes the events it created.
    fn with_books<R>(&self, f: impl FnOnce(&mut Books) -> R) -> R {
        let mut books = self.lock();
        let r = f(&mut books);
        self.dispatch(&mut books);
        r
    }

    /// Sends new events for delivery, holds them, or sends them twice, as
    /// the delivery mode says. Called with the lock held, so deliveries
    /// keep the order the events happened in.
    fn dispatch(&self, books: &mut Books) {
        let fresh = std::mem::take(&mut books.account.outbox);
        if books.endpoint.is_none() {
            return;
        }
        for id in fresh {
            match books.mode {
                DeliveryMode::Immediate => self.enqueue(id),
                DeliveryMode::Twice => {
                    self.enqueue(id.clone());
                    self.enqueue(id);
                }
                DeliveryMode::Held => books.held.push(id),
            }
        }
    }

    fn enqueue(&self, event_id: String) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.queue.send(event_id).is_err() {
            // The sender is gone only at shutdown; nothing waits then.
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    async fn settle(&self) {
        loop {
            let notified = self.settled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// A running fake Stripe. Dropping it stops the server. Its controls are
/// those of [`FakeControl`], which it derefs to.
pub struct FakeStripe {
    control: FakeControl,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

/// The fake's controls, cloneable into other tasks (the server's `/_test/`
/// routes use the same ones).
#[derive(Clone)]
pub struct FakeControl {
    shared: Arc<Shared>,
}

impl FakeStripe {
    /// On a free port of 127.0.0.1, with a random `sk_test_` key.
    pub async fn start() -> std::io::Result<FakeStripe> {
        FakeStripe::start_with(FakeOptions::default()).await
    }

    pub async fn start_with(options: FakeOptions) -> std::io::Result<FakeStripe> {
        let listener = tokio::net::TcpListener::bind(options.addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let (queue, rx) = mpsc::unbounded_channel();
        let account = Account::new(base_url.clone(), options.api_version, chrono::Utc::now().timestamp());
        let shared = Arc::new(Shared {
            books: Mutex::new(Books {
                account,
                idempotency: HashMap::new(),
                requests: Vec::new(),
                faults: Faults::default(),
                endpoint: None,
                mode: DeliveryMode::Immediate,
                held: Vec::new(),
                deliveries: Vec::new(),
            }),
            secret_key: options.secret_key,
            base_url,
            queue,
            pending: AtomicUsize::new(0),
            settled: Notify::new(),
        });
        let app = Router::new()
            .route("/v1/{*path}", any(api))
            .merge(control::routes())
            .merge(pages::routes())
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake Stripe server stopped");
            }
        });
        let worker = tokio::spawn(delivery::run(Arc::clone(&shared), rx));
        Ok(FakeStripe { control: FakeControl { shared }, addr, tasks: vec![server, worker] })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and the deliveries.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl std::ops::Deref for FakeStripe {
    type Target = FakeControl;
    fn deref(&self) -> &FakeControl {
        &self.control
    }
}

impl FakeControl {
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn secret_key(&self) -> &str {
        &self.shared.secret_key
    }

    /// A client configuration for this fake: its URL and key, short
    /// timeouts and backoff so retry tests run fast.
    pub fn client_config(&self) -> StripeConfig {
        let mut config = StripeConfig::new(self.secret_key());
        config.base_url = self.base_url().to_owned();
        config.timeout = Duration::from_secs(5);
        config.retry_backoff = Duration::from_millis(10);
        config
    }

    /// Where to POST signed events from now on, and the `whsec_` secret to
    /// sign them with.
    pub fn set_webhook_endpoint(&self, url: &str, secret: &str) {
        self.shared.lock().endpoint = Some((url.to_owned(), secret.to_owned()));
    }

    pub fn clear_webhook_endpoint(&self) {
        self.shared.lock().endpoint = None;
    }

    /// The version events are rendered in.
    pub fn set_api_version(&self, version: &str) {
        self.shared.lock().account.api_version = version.to_owned();
    }

    /// The fake's clock (Unix seconds): real time at start, then moved only
    /// by [`FakeControl::advance_clock`].
    pub fn now(&self) -> i64 {
        self.shared.lock().account.now
    }

    /// Moves the clock, doing what Stripe would on the way (trial
    /// warnings, renewals, invoices finalized an hour after the period
    /// starts, retries of declined ones), and waits for the deliveries.
    pub async fn advance_clock(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.shared.with_books(|b| b.account.advance(secs));
        self.settle().await;
    }

    /// What happens when the buyer pays on the checkout page: the customer
    /// (if new), the subscription (trialing if the session or price has
    /// trial days) or payment, and `checkout.session.completed`. A
    /// `Declines` card on a charge fails, as on the page, and leaves the
    /// session open.
    pub async fn complete_checkout(&self, session_id: &str, card: CardBehavior) -> Result<CheckoutSession, FakeError> {
        let v = self.shared.with_books(|b| b.account.complete_session(session_id, card, None))?;
        self.settle().await;
        typed(v)
    }

    /// The reader changes their card (as in the portal); future charges
    /// behave as `card` says.
    pub async fn set_card(&self, customer_id: &str, card: CardBehavior) -> Result<Customer, FakeError> {
        let v = self.shared.with_books(|b| b.account.set_card(customer_id, card))?;
        self.settle().await;
        typed(v)
    }

    /// The reader pays an open invoice on the hosted invoice page.
    pub async fn pay_invoice(&self, invoice_id: &str) -> Result<Invoice, FakeError> {
        let v = self.shared.with_books(|b| b.account.pay_invoice(invoice_id));
        self.settle().await;
        typed(v?)
    }

    /// What Stripe does once every retry has failed.
    pub fn set_final_failure(&self, action: FinalFailure) {
        self.shared.lock().account.final_failure = action;
    }

    /// Seeds a price (and its product), as `masthead init` would create.
    pub fn create_price(&self, product_name: &str, unit_amount: i64, currency: &str, interval: Option<Interval>) -> Result<Price, FakeError> {
        let mut params = serde_json::json!({
            "unit_amount": unit_amount.to_string(), "currency": currency, "product_data": {"name": product_name},
        });
        if let Some(i) = interval {
            params["recurring"] = serde_json::json!({ "interval": i.as_str() });
        }
        let v = self.shared.with_books(|b| b.account.api("POST", &["prices"], &Params::new(params)))?;
        typed(v)
    }

    /// A subscription as it is now, in the events' API version.
    pub fn subscription(&self, id: &str) -> Option<Subscription> {
        let v = self.shared.lock().account.subscription_json(id)?;
        serde_json::from_value(v).ok()
    }

    /// An invoice as it is now, payments included.
    pub fn invoice(&self, id: &str) -> Option<Invoice> {
        let v = self.shared.lock().account.invoice_json(id)?;
        serde_json::from_value(v).ok()
    }

    // --- Webhook delivery ------------------------------------------------

    pub fn set_delivery(&self, mode: DeliveryMode) {
        self.shared.lock().mode = mode;
    }

    /// Delivers the held events in the order asked, returns how many.
    pub async fn release_held(&self, order: ReleaseOrder) -> usize {
        let n = self.shared.with_books(|b| {
            let mut held = std::mem::take(&mut b.held);
            if order == ReleaseOrder::Reversed {
                held.reverse();
            }
            let n = held.len();
            for id in held {
                self.shared.enqueue(id);
            }
            n
        });
        self.settle().await;
        n
    }

    /// Forgets the held events: webhooks that never arrived, which
    /// reconciliation must find through `GET /v1/events`.
    pub fn drop_held(&self) -> usize {
        std::mem::take(&mut self.shared.lock().held).len()
    }

    /// Sends again every event whose last delivery failed (as Stripe
    /// retries for three days).
    pub async fn retry_failed_deliveries(&self) -> usize {
        let n = self.shared.with_books(|b| {
            let failed = delivery::failed_events(&b.deliveries);
            let n = failed.len();
            for id in failed {
                self.shared.enqueue(id);
            }
            n
        });
        self.settle().await;
        n
    }

    /// Waits until every queued delivery has been attempted.
    pub async fn settle(&self) {
        self.shared.settle().await;
    }

    /// Every delivery attempt so far.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.shared.lock().deliveries.clone()
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        let books = self.shared.lock();
        books.account.events().iter().filter_map(|e| serde_json::from_value(e.json.clone()).ok()).collect()
    }

    // --- Faults ----------------------------------------------------------

    /// The next `count` API requests fail with `status` (500, 502, 503...)
    /// before doing anything, as when Stripe or the network in front of it
    /// is down.
    pub fn fail_next_requests(&self, count: u32, status: u16) {
        let mut books = self.shared.lock();
        books.faults.fail_count = count;
        books.faults.fail_status = status;
    }

    /// The next `count` API requests are carried out but answered only
    /// after `by`: with `by` beyond the client's timeout, the response is
    /// lost and only the idempotency key prevents a duplicate on retry.
    pub fn delay_next_responses(&self, count: u32, by: Duration) {
        let mut books = self.shared.lock();
        books.faults.slow_count = count;
        books.faults.slow_by = by;
    }

    /// Every API request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for FakeStripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeStripe").field("base_url", &self.control.shared.base_url).finish_non_exhaustive()
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, FakeError> {
    serde_json::from_value(v).map_err(|e| FakeError { status: 500, message: format!("fake rendered an unreadable object: {e}") })
}

/// Checks `Authorization: Bearer <secret key>`, answering as Stripe does.
fn authorize(headers: &HeaderMap, secret_key: &str) -> Result<(), ApiError> {
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let unauthorized = |message: String| ApiError { status: 401, ..ApiError::invalid(None, message) };
    match given {
        None => Err(unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".into(),
        )),
        Some(key) if key.trim() == secret_key => Ok(()),
        Some(key) => {
            let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            Err(unauthorized(format!("Invalid API Key provided: sk_test_****{tail}")))
        }
    }
}

fn stripe_response(status: u16, body: &Value, request_id: &str, extra: &[(&'static str, String)]) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", v);
    }
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(*name, v);
        }
    }
    response
}

/// Every `/v1/...` request: faults, auth, idempotency, then the account.
async fn api(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = format!("req_{}", &uuid::Uuid::new_v4().simple().to_string()[..14]);
    let path_and_query = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let idempotency_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let record = |books: &mut Books, status: u16, replayed: bool| {
        books.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path_and_query.clone(),
            idempotency_key: idempotency_key.clone(),
            status,
            replayed,
        });
    };

    let (outage, slow) = {
        let mut books = shared.lock();
        let f = &mut books.faults;
        let outage = (f.fail_count > 0).then(|| {
            f.fail_count -= 1;
            f.fail_status
        });
        let slow = (outage.is_none() && f.slow_count > 0).then(|| {
            f.slow_count -= 1;
            f.slow_by
        });
        if let Some(status) = outage {
            record(&mut books, status, false);
        }
        (outage, slow)
    };
    if let Some(status) = outage {
        // Nothing ran, so Stripe would say a retry is safe.
        let body = serde_json::json!({"error": {"type": "api_error", "message": "The fake is simulating an outage."}});
        return stripe_response(status, &body, &request_id, &[("stripe-should-retry", "true".into())]);
    }
    if let Err(e) = authorize(&headers, &shared.secret_key) {
        shared.with_books(|b| record(b, e.status, false));
        return stripe_response(e.status, &e.body(), &request_id, &[("www-authenticate", "Bearer realm=\"Stripe\"".into())]);
    }

    let is_post = method == Method::POST;
    let raw: &[u8] = if is_post { &body } else { uri.query().unwrap_or("").as_bytes() };
    let params = match form::decode(raw) {
        Ok(v) => Params::new(v),
        Err(e) => {
            shared.with_books(|b| record(b, e.status, false));
            return stripe_response(e.status, &e.body(), &request_id, &[]);
        }
    };
    let version = headers.get("stripe-version").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let rest = uri.path().strip_prefix("/v1/").unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let fingerprint = format!("{method} {} {}", uri.path(), String::from_utf8_lossy(raw));
    let key = idempotency_key.clone().filter(|_| is_post);

    let (status, body, replayed) = shared.with_books(|books| {
        if let Some(stored) = key.as_ref().and_then(|k| books.idempotency.get(k)) {
            let answer = if stored.fingerprint == fingerprint {
                (stored.status, stored.body.clone(), true)
            } else {
                let e = ApiError {
                    error_type: "idempotency_error",
                    ..ApiError::invalid(None, format!(
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{}' if you meant to execute a different request.",
                        key.as_deref().unwrap_or_default()
                    ))
                };
                (e.status, e.body(), false)
            };
            record(books, answer.0, answer.2);
            return answer;
        }
        books.account.request = Some((request_id.clone(), key.clone()));
        books.account.request_version = version.clone();
        let result = books.account.api(method.as_str(), &segments, &params);
        books.account.request = None;
        books.account.request_version = None;
        let (status, body, keep) = match result {
            Ok(v) => (200, v, true),
            Err(e) => (e.status, e.body(), e.replayable),
        };
        if let (Some(k), true) = (&key, keep) {
            books.idempotency.insert(k.clone(), Stored { fingerprint: fingerprint.clone(), status, body: body.clone() });
        }
        record(books, status, false);
        (status, body, false)
    });
    if let Some(by) = slow {
        tokio::time::sleep(by).await;
    }
    let mut extra = vec![("stripe-version", version.unwrap_or_else(|| stripe::API_VERSION.to_owned()))];
    if let Some(k) = key {
        extra.push(("idempotency-key", k));
    }
    if replayed {
        extra.push(("idempotent-replayed", "true".into()));
    }
    stripe_response(status, &body, &request_id, &extra)
}
