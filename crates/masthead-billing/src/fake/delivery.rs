//! Webhook delivery from the fake: each event POSTed to the endpoint as
//! Stripe sends it (JSON body, `Stripe-Signature` signed at send time with
//! the endpoint's secret), one at a time in the order queued, each attempt
//! recorded. The modes let tests make deliveries arrive twice, late, out of
//! order, or never.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use tokio::sync::mpsc;

use super::Shared;
use crate::webhook;

/// What happens to events as they are created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Delivered once, in order.
    #[default]
    Immediate,
    /// Delivered twice in a row: Stripe promises at least once.
    Twice,
    /// Kept back until released (in any order) or dropped.
    Held,
}

/// The order held events are released in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseOrder {
    AsCreated,
    Reversed,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRecord {
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    /// The endpoint's HTTP status; None when it could not be reached.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// Real time of the attempt (what the signature's `t` says).
    pub at: i64,
}

impl DeliveryRecord {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Events whose latest attempt failed, in the order first delivered.
pub(crate) fn failed_events(log: &[DeliveryRecord]) -> Vec<String> {
    let mut order: Vec<&str> = Vec::new();
    let mut last_ok: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    for d in log {
        if !last_ok.contains_key(d.event_id.as_str()) {
            order.push(&d.event_id);
        }
        last_ok.insert(&d.event_id, d.succeeded());
    }
    order.into_iter().filter(|id| last_ok.get(id) == Some(&false)).map(str::to_owned).collect()
}

/// The delivery worker: runs until the fake stops.
pub(crate) async fn run(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<String>) {
    // Stripe gives an endpoint a few seconds; the tests' receivers answer at once.
    let http = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "fake Stripe cannot build its webhook client");
            return;
        }
    };
    while let Some(event_id) = queue.recv().await {
        let job = {
            let books = shared.lock();
            let event = books.account.event(&event_id).map(|e| (e.event_type.clone(), e.json.to_string()));
            books.endpoint.clone().zip(event)
        };
        if let Some(((url, secret), (event_type, payload))) = job {
            let at = chrono::Utc::now().timestamp();
            let signature = webhook::sign(payload.as_bytes(), &secret, at);
            let sent = http
                .post(&url)
                .header(webhook::SIGNATURE_HEADER, signature)
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .header(USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                .body(payload)
                .send()
                .await;
            let (status, error) = match sent {
                Ok(response) => (Some(response.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            shared.lock().deliveries.push(DeliveryRecord { event_id, event_type, url, status, error, at });
        }
        shared.pending.fetch_sub(1, Ordering::SeqCst);
        shared.settled.notify_waiters();
    }
}
