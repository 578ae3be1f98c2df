//! Outgoing webhooks: events (article published, updated, deleted; member
//! and subscription changes) become one delivery per interested endpoint,
//! sent by a job with retries and backoff. Each request is signed the way
//! Stripe signs its own: `Masthead-Signature: t=UNIX,v1=HEX` where HEX is
//! HMAC-SHA256 of "UNIX.BODY" under the endpoint's secret.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::{AppResult, AppState};

pub const JOB_DELIVER: &str = "webhook.deliver";
pub const SIGNATURE_HEADER: &str = "masthead-signature";

pub const ARTICLE_PUBLISHED: &str = "article.published";
pub const ARTICLE_UPDATED: &str = "article.updated";
pub const ARTICLE_DELETED: &str = "article.deleted";
pub const MEMBER_UPDATED: &str = "member.updated";
pub const MEMBER_DELETED: &str = "member.deleted";
pub const SUBSCRIPTION_UPDATED: &str = "subscription.updated";

pub const EVENTS: [&str; 6] = [ARTICLE_PUBLISHED, ARTICLE_UPDATED, ARTICLE_DELETED, MEMBER_UPDATED, MEMBER_DELETED, SUBSCRIPTION_UPDATED];

/// HMAC-SHA256 of "t.body", hex.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Checks a signature header as a receiver would (used by the tests and
/// documented for integrators): the time within `tolerance` seconds and
/// any v1 matching.
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let expected = signature(secret, t, body);
    (now - t).abs() <= tolerance && sigs.iter().any(|s| crate::auth::constant_time_eq(s.as_bytes(), expected.as_bytes()))
}

/// Queues `event` for every endpoint that wants it.
pub async fn emit(state: &AppState, event: &str, data: serde_json::Value) -> AppResult<()> {
    let hooks = state.db.webhooks().await?;
    let wanted: Vec<_> = hooks.iter().filter(|h| h.wants(event)).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let payload = serde_json::json!({ "id": id, "type": event, "created": now.timestamp(), "data": data }).to_string();
    for h in wanted {
        state.db.enqueue_delivery(h.id, &id, event, &payload, JOB_DELIVER, now).await?;
    }
    Ok(())
}

/// Like `emit`, for paths that must not fail because of a webhook (the
/// scheduler, billing): a failure to queue is logged.
pub async fn emit_logged(state: &AppState, event: &str, data: serde_json::Value) {
    if let Err(e) = emit(state, event, data).await {
        tracing::warn!(event, error = %e, "could not queue a webhook event");
    }
}

#[derive(Deserialize)]
struct DeliverJob {
    delivery: i64,
}

/// The job: sends one delivery. An error makes the job retry later.
pub async fn deliver(state: &AppState, payload: &str) -> Result<(), String> {
    let job: DeliverJob = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    let d = match state.db.delivery(job.delivery).await {
        Ok(d) => d,
        Err(masthead_db::DbError::NotFound) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    if d.status == "delivered" {
        return Ok(());
    }
    let hook = match state.db.webhook(d.webhook_id).await {
        Ok(h) if h.active => h,
        Ok(_) | Err(masthead_db::DbError::NotFound) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let t = Utc::now().timestamp();
    let sig = signature(&hook.secret, t, &d.payload);
    let result = state
        .http
        .post(&hook.url)
        .timeout(Duration::from_secs(10))
        .header("content-type", "application/json")
        .header("user-agent", "Masthead-Webhooks/1")
        .header("masthead-event", &d.event)
        .header("masthead-delivery", d.id.to_string())
        .header(SIGNATURE_HEADER, format!("t={t},v1={sig}"))
        .body(d.payload.clone())
        .send()
        .await;
    let now = Utc::now();
    match result {
        Ok(res) if res.status().is_success() => {
            state.db.record_delivery_attempt(d.id, true, Some(i64::from(res.status().as_u16())), None, now).await.map_err(|e| e.to_string())?;
            Ok(())
        }
        Ok(res) => {
            let code = res.status().as_u16();
            let msg = format!("the endpoint answered {code}");
            state.db.record_delivery_attempt(d.id, false, Some(i64::from(code)), Some(&msg), now).await.map_err(|e| e.to_string())?;
            Err(msg)
        }
        Err(e) => {
            // Without the URL: it may carry a token of the receiver's.
            let msg = format!("could not reach the endpoint: {}", e.without_url());
            state.db.record_delivery_attempt(d.id, false, None, Some(&msg), now).await.map_err(|e| e.to_string())?;
            Err(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_like_stripes() {
        let body = r#"{"id":"evt_1"}"#;
        let sig = signature("whsec_test", 1_700_000_000, body);
        assert_eq!(sig.len(), 64);
        let header = format!("t=1700000000,v1={sig}");
        assert!(verify("whsec_test", &header, body, 1_700_000_100, 300));
        assert!(!verify("whsec_other", &header, body, 1_700_000_100, 300));
        assert!(!verify("whsec_test", &header, "{}", 1_700_000_100, 300));
        assert!(!verify("whsec_test", &header, body, 1_700_001_000, 300), "too old");
    }
}
