//! Subscriptions as readers buy and manage them: checkout (Stripe, or the
//! demo provider that walks the same lifecycle without Stripe, clearly
//! marked as test mode), the return from checkout, the Stripe webhook
//! (verified against the raw body, stored once, processed as a job that
//! re-reads the subscription from Stripe so event order never matters),
//! cancel/resume/switch/card, gifts, and reconciliation.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, TimeZone, Utc};
use masthead_billing::stripe::{
    Buyer, CheckoutKind, CheckoutParams, CustomerParams, InvoiceQuery, ProrationBehavior, StripeClient, StripeConfig,
    SubscriptionUpdate,
};
use masthead_core::billing::{format_money, Interval, Plan, SubscriptionStatus};
use masthead_db::billing::CheckoutRow;
use masthead_db::plans::{benefits_to_text, SubscriptionRow, SubscriptionUpsert};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::account::{check_form, form_token, safe_next, send_mail, urlencode};
use crate::reader::ReaderCtx;
use crate::site::{account_links, chrome, personalize};
use crate::{auth, AppError, AppResult, AppState};

/// Which payment provider the publication uses.
#[derive(Clone, Debug)]
pub enum Payments {
    /// Walks the subscription lifecycle locally; every page says TEST MODE.
    Demo,
    Stripe { client: StripeClient, webhook_secrets: Vec<String> },
}

/// Billing settings from the configuration.
#[derive(Clone, Debug, Default)]
pub struct BillingConfig {
    /// "demo" or "stripe".
    pub provider: String,
    pub stripe_secret_key: String,
    /// Comma-separated while rotating: any one verifies.
    pub stripe_webhook_secret: String,
    /// https://api.stripe.com, or a Stripe-compatible test server.
    pub stripe_api_base: String,
}

impl Payments {
    pub fn from_config(c: &BillingConfig) -> Result<Payments, String> {
        match c.provider.as_str() {
            "" | "demo" => Ok(Payments::Demo),
            "stripe" => {
                if c.stripe_secret_key.is_empty() || c.stripe_webhook_secret.is_empty() {
                    return Err("billing_provider is stripe, but stripe_secret_key or stripe_webhook_secret is not set".into());
                }
                let mut cfg = StripeConfig::new(c.stripe_secret_key.clone());
                if !c.stripe_api_base.is_empty() {
                    cfg.base_url = c.stripe_api_base.clone();
                }
                cfg.timeout = Duration::from_secs(15);
                let client = StripeClient::new(cfg).map_err(|e| e.to_string())?;
                let webhook_secrets = c.stripe_webhook_secret.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                Ok(Payments::Stripe { client, webhook_secrets })
            }
            other => Err(format!("billing_provider must be \"demo\" or \"stripe\", not {other:?}")),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Payments::Demo => "demo",
            Payments::Stripe { .. } => "stripe",
        }
    }
}

fn page(state: &AppState, reader: &ReaderCtx, name: &str, ctx: minijinja::Value, status: StatusCode) -> AppResult<Response> {
    let html = state.theme.render(name, ctx)?;
    let body = personalize(html.as_bytes(), &account_links(reader.signed_in.as_ref()), "");
    Ok((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "private, no-store")], body).into_response())
}

fn ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_else(Utc::now)
}

fn period_after(start: DateTime<Utc>, interval: Interval) -> DateTime<Utc> {
    match interval {
        Interval::Month => start + chrono::Duration::days(30),
        Interval::Year => start + chrono::Duration::days(365),
    }
}

fn unavailable(state: &AppState, reader: &ReaderCtx, what: &str, e: impl std::fmt::Display) -> AppResult<Response> {
    tracing::warn!(error = %e, what, "payment provider call failed");
    page(
        state,
        reader,
        "billing/unavailable.html",
        minijinja::context! { chrome => chrome(state, "/subscribe") },
        StatusCode::SERVICE_UNAVAILABLE,
    )
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Step one of subscribing: confirm the plan (signed in first).
pub async fn confirm(
    State(state): State<AppState>,
    reader: ReaderCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let plan = state.db.plan_by_slug(&slug).await?.filter(|p| p.active).ok_or(AppError::NotFound)?;
    let next = safe_next(q.next.as_deref());
    if reader.signed_in.is_none() {
        let back = format!("/subscribe/{}?next={}", plan.slug, urlencode(&next));
        return Ok(Redirect::to(&format!("/signup?next={}", urlencode(&back))).into_response());
    }
    let t = form_token(&state, &reader, &headers);
    let views = crate::paywall::plan_views(&state.plans());
    let view = views.into_iter().find(|v| v.slug == plan.slug);
    page(
        &state,
        &reader,
        "billing/confirm.html",
        minijinja::context! { chrome => chrome(&state, "/subscribe"), plan => view, csrf => t.token, next, test_mode => matches!(state.payments, Payments::Demo) },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct CheckoutForm {
    csrf: String,
    next: Option<String>,
}

/// Step two: start checkout with the provider and send the reader there.
pub async fn start_checkout(
    State(state): State<AppState>,
    reader: ReaderCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<CheckoutForm>,
) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    let plan = state.db.plan_by_slug(&slug).await?.filter(|p| p.active).ok_or(AppError::NotFound)?;
    let next = safe_next(f.next.as_deref());
    if me.entitlements.has(masthead_core::Benefit::FullAccess) {
        return Ok(Redirect::to("/account?sent=already_subscribed").into_response());
    }
    metrics::counter!("masthead_checkouts_started_total", "plan" => plan.slug.clone()).increment(1);
    let now = Utc::now();
    // One free trial per reader.
    let had_before = !state.db.subscriptions_of(me.id).await?.is_empty();
    let trial_days = if had_before { 0 } else { plan.trial_days };
    let (id, url) = match &state.payments {
        Payments::Demo => {
            let id = format!("demo_cs_{}", auth::random_token());
            (id.clone(), format!("/billing/demo/checkout/{id}"))
        }
        Payments::Stripe { client, .. } => {
            let customer = match ensure_customer(&state, client, me.id, &me.email).await {
                Ok(c) => c,
                Err(e) => return unavailable(&state, &reader, "customer", e),
            };
            let mut meta = std::collections::BTreeMap::new();
            meta.insert("reader_id".to_string(), me.id.to_string());
            meta.insert("plan".to_string(), plan.slug.clone());
            let params = CheckoutParams {
                kind: CheckoutKind::Subscription {
                    price_id: plan.provider_price_id.clone(),
                    trial_days: (trial_days > 0).then_some(trial_days),
                    subscription_metadata: meta.clone(),
                },
                buyer: Buyer::Customer(customer),
                success_url: format!("{}/subscribe/done?session_id={{CHECKOUT_SESSION_ID}}", state.config.base_url),
                cancel_url: Some(format!("{}/subscribe?next={}", state.config.base_url, urlencode(&next))),
                client_reference_id: Some(me.id.to_string()),
                metadata: meta,
            };
            match client.create_checkout_session(&params, None).await {
                Ok(s) => match s.url.clone() {
                    Some(u) => (s.id, u),
                    None => return unavailable(&state, &reader, "checkout", "no checkout URL"),
                },
                Err(e) => return unavailable(&state, &reader, "checkout", e),
            }
        }
    };
    state
        .db
        .create_checkout(&CheckoutRow {
            id,
            provider: state.payments.name().into(),
            kind: "subscription".into(),
            reader_id: Some(me.id),
            plan_id: Some(plan.id),
            gift_months: Some(i64::from(trial_days)),
            purchaser_email: Some(me.email.clone()),
            recipient_email: None,
            status: "open".into(),
            next_path: next,
            created_at: now,
            completed_at: None,
        })
        .await?;
    state.counters.bump(crate::counters::CHECKOUT_STARTED, plan.slug.clone());
    Ok(Redirect::to(&url).into_response())
}

async fn ensure_customer(state: &AppState, client: &StripeClient, reader_id: i64, email: &str) -> Result<String, String> {
    if let Some(c) = state.db.billing_customer(reader_id).await.map_err(|e| e.to_string())? {
        return Ok(c);
    }
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("reader_id".to_string(), reader_id.to_string());
    let params = CustomerParams { email: Some(email.to_string()), name: None, metadata };
    // The same reader never gets two customers, even if this is retried.
    let key = format!("masthead-customer-{reader_id}");
    let c = client.create_customer(&params, Some(&key)).await.map_err(|e| e.to_string())?;
    state.db.set_billing_customer(reader_id, "stripe", &c.id, Utc::now()).await.map_err(|e| e.to_string())?;
    Ok(c.id)
}

/// The demo provider's checkout page, marked as test mode.
pub async fn demo_checkout_page(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Path(id): Path<String>) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    let c = state.db.checkout(&id).await?.filter(|c| c.reader_id == Some(me.id) && c.provider == "demo").ok_or(AppError::NotFound)?;
    let plan = match c.plan_id {
        Some(p) => state.db.plan_by_id(p).await?,
        None => None,
    };
    let t = form_token(&state, &reader, &headers);
    page(
        &state,
        &reader,
        "billing/demo_checkout.html",
        minijinja::context! {
            chrome => chrome(&state, "/billing/demo"), id, csrf => t.token, kind => c.kind,
            plan_name => plan.as_ref().map(|p| p.name.clone()), price => plan.as_ref().map(|p| format!("{} / {}", format_money(p.price_minor, &p.currency), p.interval.as_str())),
            trial_days => c.gift_months.unwrap_or(0), gift_months => c.gift_months, recipient => c.recipient_email,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct DemoPay {
    csrf: String,
}

/// The demo "payment": completes the checkout as Stripe would.
pub async fn demo_checkout_pay(
    State(state): State<AppState>,
    reader: ReaderCtx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<DemoPay>,
) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    let c = state.db.checkout(&id).await?.filter(|c| c.reader_id == Some(me.id) && c.provider == "demo").ok_or(AppError::NotFound)?;
    let now = Utc::now();
    if state.db.complete_checkout(&id, now).await? {
        if c.kind == "gift" {
            issue_gift(&state, &c, now).await?;
        } else if let Some(plan_id) = c.plan_id {
            let plan = state.db.plan_by_id(plan_id).await?.ok_or(AppError::NotFound)?;
            let trial = c.gift_months.unwrap_or(0);
            let (status, end, trial_end) = if trial > 0 {
                let end = now + chrono::Duration::days(trial);
                (SubscriptionStatus::Trialing, end, Some(end))
            } else {
                (SubscriptionStatus::Active, period_after(now, plan.interval), None)
            };
            let sub_id = format!("demo_sub_{}", auth::random_token());
            let row = SubscriptionUpsert {
                reader_id: me.id,
                plan_id,
                provider: "demo",
                provider_customer_id: &format!("demo_cus_{}", me.id),
                provider_subscription_id: &sub_id,
                status,
                current_period_end: end,
                cancel_at_period_end: false,
                trial_end,
            };
            state.db.upsert_subscription(&row, now).await?;
            crate::reader_cache::reader_changed(&state, me.id).await;
            count_transition(&state, me.id, None, status, &plan).await;
        }
    }
    Ok(Redirect::to(&format!("/subscribe/done?session_id={id}")).into_response())
}

/// Counts a subscription's change for the metrics and the desk's numbers,
/// and tells webhook subscribers.
async fn count_transition(state: &AppState, reader_id: i64, before: Option<SubscriptionStatus>, after: SubscriptionStatus, plan: &Plan) {
    if before == Some(after) {
        return;
    }
    let counted = match (before, after) {
        (None, SubscriptionStatus::Trialing) => Some(crate::counters::TRIAL_STARTED),
        (Some(SubscriptionStatus::Trialing), SubscriptionStatus::Active) => Some(crate::counters::TRIAL_CONVERTED),
        (None, SubscriptionStatus::Active) => Some(crate::counters::SUBSCRIBED),
        (Some(b), SubscriptionStatus::Ended) if b != SubscriptionStatus::Ended => Some(crate::counters::CHURNED),
        _ => None,
    };
    if let Some(name) = counted {
        state.counters.bump(name, plan.slug.clone());
    }
    crate::webhooks::emit_logged(
        state,
        crate::webhooks::SUBSCRIPTION_UPDATED,
        serde_json::json!({ "reader_id": reader_id, "plan": plan.slug, "status": after.as_str(), "previous_status": before.map(SubscriptionStatus::as_str) }),
    )
    .await;
    let name = match (before, after) {
        (None, SubscriptionStatus::Trialing) => "trial_started",
        (Some(SubscriptionStatus::Trialing), SubscriptionStatus::Active) => "trial_converted",
        (None, SubscriptionStatus::Active) => "subscribed",
        (_, SubscriptionStatus::PastDue) => "past_due",
        (_, SubscriptionStatus::Ended) => "ended",
        _ => "changed",
    };
    metrics::counter!("masthead_subscription_transitions_total", "to" => name, "plan" => plan.slug.clone()).increment(1);
}

#[derive(Deserialize)]
pub struct DoneQuery {
    session_id: String,
}

/// Back from checkout: bring the subscription in now (the webhook will
/// confirm it), and welcome the reader.
pub async fn done(State(state): State<AppState>, reader: ReaderCtx, Query(q): Query<DoneQuery>) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    let c = state.db.checkout(&q.session_id).await?.filter(|c| c.reader_id == Some(me.id)).ok_or(AppError::NotFound)?;
    if let Payments::Stripe { client, .. } = &state.payments {
        match client.retrieve_checkout_session(&c.id).await {
            Ok(s) => {
                if let Some(sub) = &s.subscription {
                    if let Err(e) = sync_subscription(&state, client, sub).await {
                        tracing::warn!(error = %e, "could not bring in the subscription after checkout; the webhook will");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the checkout session; the webhook will bring the subscription in"),
        }
    }
    page(
        &state,
        &reader,
        "billing/done.html",
        minijinja::context! { chrome => chrome(&state, "/subscribe/done"), next => c.next_path, gift => c.kind == "gift" },
        StatusCode::OK,
    )
}

/// Re-reads a subscription from Stripe and stores what it says now. This is
/// how every event is applied, so duplicates and out-of-order delivery
/// converge on Stripe's current state.
pub async fn sync_subscription(state: &AppState, client: &StripeClient, id: &str) -> Result<Option<SubscriptionRow>, String> {
    let sub = client.retrieve_subscription(id).await.map_err(|e| e.to_string())?;
    let Some(status) = sub.status.core_status() else { return Ok(None) };
    let price = sub.price_id().ok_or("subscription has no price")?;
    let plan = state.db.plan_by_provider_price(price).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("no plan for price {price}"))?;
    let reader_id = match state.db.reader_for_customer(&sub.customer).await.map_err(|e| e.to_string())? {
        Some(r) => r,
        None => sub
            .metadata
            .get("reader_id")
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| format!("no reader for customer {}", sub.customer))?,
    };
    let before = state.db.subscription_by_provider_id(&sub.id).await.map_err(|e| e.to_string())?;
    let end = sub.period_end().map(ts).unwrap_or_else(Utc::now);
    let row = SubscriptionUpsert {
        reader_id,
        plan_id: plan.id,
        provider: "stripe",
        provider_customer_id: &sub.customer,
        provider_subscription_id: &sub.id,
        status,
        current_period_end: end,
        cancel_at_period_end: sub.cancel_at_period_end,
        trial_end: sub.trial_end.map(ts),
    };
    let stored = state.db.upsert_subscription(&row, Utc::now()).await.map_err(|e| e.to_string())?;
    crate::reader_cache::reader_changed(state, reader_id).await;
    let before_status = before.as_ref().and_then(|b| SubscriptionStatus::parse(&b.status));
    count_transition(state, reader_id, before_status, status, &plan).await;
    if status == SubscriptionStatus::Ended && before_status.is_some_and(|b| b != SubscriptionStatus::Ended) {
        lifecycle_mail(state, reader_id, "ended").await;
    }
    if status == SubscriptionStatus::PastDue && before_status != Some(SubscriptionStatus::PastDue) {
        lifecycle_mail(state, reader_id, "payment_failed").await;
    }
    Ok(Some(stored))
}

/// Reminds past-due subscribers, once per spell, when about two days of the
/// publisher's grace period are left (for a grace of two or three days,
/// after the first day). The scheduler calls this; marking the reminder by
/// compare-and-set means one node sends it even if two ticks overlap.
pub async fn grace_reminders(state: &AppState, now: DateTime<Utc>) -> masthead_db::Result<usize> {
    let grace_days = i64::from(state.policy().grace_days);
    if grace_days < 2 {
        return Ok(0);
    }
    let remind_after = chrono::Duration::days((grace_days - 2).max(1));
    let grace = chrono::Duration::days(grace_days);
    let mut sent = 0;
    for sub in state.db.past_due_unreminded(now - remind_after).await? {
        let Some(since) = sub.past_due_since else { continue };
        let ends = since + grace;
        if !state.db.mark_grace_reminded(sub.id, now).await? {
            continue;
        }
        // Past the grace already (the scheduler was down): the benefits are
        // gone and the "ended" mail follows from the provider; no reminder.
        if now >= ends {
            continue;
        }
        let Ok(Some(r)) = state.db.reader_by_id(sub.reader_id).await else { continue };
        let site = state.site();
        let link = format!("{}/account", state.config.base_url);
        let ends_on = ends.format("%-d %B %Y").to_string();
        let subject = format!("Your {} subscription stops on {ends_on} unless your payment goes through", site.name);
        send_mail(state, &r.email, &subject, "email/billing", minijinja::context! { site, link, what => "grace_ending", ends_on, grace_days }).await;
        sent += 1;
    }
    if sent > 0 {
        tracing::info!(count = sent, "sent grace-period reminders");
    }
    Ok(sent)
}

/// Trial ending, payment failed, subscription ended: each with a link to fix it.
pub async fn lifecycle_mail(state: &AppState, reader_id: i64, what: &str) {
    let Ok(Some(r)) = state.db.reader_by_id(reader_id).await else { return };
    let site = state.site();
    let link = format!("{}/account", state.config.base_url);
    let subject = match what {
        "trial_will_end" => format!("Your {} free trial ends soon", site.name),
        "payment_failed" => format!("Your payment to {} didn't go through", site.name),
        "action_required" => format!("Your payment to {} needs your confirmation", site.name),
        _ => format!("Your {} subscription has ended", site.name),
    };
    send_mail(state, &r.email, &subject, "email/billing", minijinja::context! { site, link, what, grace_days => state.policy().grace_days }).await;
}

/// Stripe's webhook: verify against the raw body, store once, answer fast.
pub async fn stripe_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AppResult<Response> {
    let Payments::Stripe { webhook_secrets, .. } = &state.payments else { return Err(AppError::NotFound) };
    let sig = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let secrets: Vec<&str> = webhook_secrets.iter().map(String::as_str).collect();
    let event = match masthead_billing::webhook::verify(&body, sig, &secrets, Utc::now().timestamp(), 300) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "refused a webhook");
            metrics::counter!("masthead_webhooks_refused_total").increment(1);
            return Ok((StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": {"code": "bad_signature", "message": e.to_string()}}))).into_response());
        }
    };
    let payload = String::from_utf8_lossy(&body);
    let fresh = state.db.store_billing_event("stripe", &event.id, &event.event_type, &payload, event.created, Utc::now()).await?;
    metrics::counter!("masthead_webhooks_total", "duplicate" => (!fresh).to_string()).increment(1);
    Ok(axum::Json(serde_json::json!({ "received": true, "duplicate": !fresh })).into_response())
}

/// The job that applies a stored event.
pub async fn process_event(state: &AppState, event_id: &str) -> Result<(), String> {
    let Some(ev) = state.db.billing_event(event_id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    if ev.processed_at.is_some() && ev.error.is_none() {
        return Ok(());
    }
    let Payments::Stripe { client, .. } = &state.payments else { return Ok(()) };
    let parsed: serde_json::Value = serde_json::from_str(&ev.payload).map_err(|e| e.to_string())?;
    let obj = &parsed["data"]["object"];
    let str_at = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let result: Result<(), String> = async {
        match ev.kind.as_str() {
            "checkout.session.completed" => {
                let session = str_at(&obj["id"]).unwrap_or_default();
                if let Some(sub) = str_at(&obj["subscription"]) {
                    if let Some(reader) = str_at(&obj["client_reference_id"]).and_then(|r| r.parse::<i64>().ok()) {
                        if let Some(customer) = str_at(&obj["customer"]) {
                            state.db.set_billing_customer(reader, "stripe", &customer, Utc::now()).await.map_err(|e| e.to_string())?;
                        }
                    }
                    sync_subscription(state, client, &sub).await?;
                } else if let Some(c) = state.db.checkout(&session).await.map_err(|e| e.to_string())? {
                    if c.kind == "gift" && obj["payment_status"].as_str() == Some("paid") && state.db.complete_checkout(&c.id, Utc::now()).await.map_err(|e| e.to_string())? {
                        issue_gift(state, &c, Utc::now()).await.map_err(|e| e.to_string())?;
                    }
                }
                let _ = state.db.complete_checkout(&session, Utc::now()).await;
                Ok(())
            }
            "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted" | "customer.subscription.trial_will_end" => {
                let id = str_at(&obj["id"]).ok_or("no subscription id")?;
                sync_subscription(state, client, &id).await?;
                if ev.kind == "customer.subscription.trial_will_end" {
                    if let Some(r) = state.db.subscription_by_provider_id(&id).await.map_err(|e| e.to_string())? {
                        lifecycle_mail(state, r.reader_id, "trial_will_end").await;
                    }
                }
                Ok(())
            }
            "invoice.paid" | "invoice.payment_failed" | "invoice.payment_action_required" => {
                let inv: masthead_billing::stripe::Invoice = serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
                if let Some(sub) = inv.subscription_id() {
                    sync_subscription(state, client, sub).await?;
                    if ev.kind == "invoice.payment_action_required" {
                        if let Some(r) = state.db.subscription_by_provider_id(sub).await.map_err(|e| e.to_string())? {
                            lifecycle_mail(state, r.reader_id, "action_required").await;
                        }
                    }
                }
                Ok(())
            }
            "charge.refunded" => {
                // A refunded subscription payment ends the subscription: the
                // reader got their money back, so access stops now.
                let refunded_fully = obj["refunded"].as_bool().unwrap_or(false);
                if let (true, Some(customer)) = (refunded_fully, str_at(&obj["customer"])) {
                    if let Some(reader) = state.db.reader_for_customer(&customer).await.map_err(|e| e.to_string())? {
                        for s in state.db.subscriptions_of(reader).await.map_err(|e| e.to_string())? {
                            if s.provider == "stripe" && s.status != "ended" {
                                client.cancel_subscription(&s.provider_subscription_id).await.map_err(|e| e.to_string())?;
                                sync_subscription(state, client, &s.provider_subscription_id).await?;
                            }
                        }
                    }
                }
                Ok(())
            }
            "customer.updated" => Ok(()),
            _ => Ok(()),
        }
    }
    .await;
    state.db.mark_billing_event(event_id, result.as_ref().err().map(String::as_str), Utc::now()).await.map_err(|e| e.to_string())?;
    result
}

/// Gift codes: shown once in the mail, stored as a hash.
fn gift_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 12] = rand::random();
    let s: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

fn hash_code(code: &str) -> String {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

async fn issue_gift(state: &AppState, c: &CheckoutRow, now: DateTime<Utc>) -> AppResult<()> {
    let code = gift_code();
    let months = c.gift_months.unwrap_or(1);
    let recipient = c.recipient_email.clone().unwrap_or_default();
    let purchaser = c.purchaser_email.clone().unwrap_or_default();
    if state.db.create_gift(&hash_code(&code), months, &purchaser, &recipient, &c.id, now).await? {
        let site = state.site();
        let link = format!("{}/gift/redeem", state.config.base_url);
        send_mail(state, &recipient, &format!("A gift subscription to {}", site.name), "email/gift", minijinja::context! { site, link, code, months, from => purchaser }).await;
    }
    Ok(())
}

/// Gift prices: the monthly plan's price times the months.
pub const GIFT_MONTHS: [i64; 3] = [1, 3, 12];

fn monthly_plan(state: &AppState) -> Option<Plan> {
    state.plans().into_iter().find(|p| p.interval == Interval::Month)
}

pub async fn gift_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap) -> AppResult<Response> {
    let plan = monthly_plan(&state).ok_or(AppError::NotFound)?;
    let options: Vec<_> = GIFT_MONTHS
        .iter()
        .map(|m| minijinja::context! { months => m, price => format_money(plan.price_minor * m, &plan.currency) })
        .collect();
    let t = form_token(&state, &reader, &headers);
    page(&state, &reader, "billing/gift.html", minijinja::context! { chrome => chrome(&state, "/gift"), options, csrf => t.token, signed_in => reader.signed_in.is_some() }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct GiftForm {
    months: i64,
    recipient: String,
    csrf: String,
}

pub async fn buy_gift(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<GiftForm>) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    if !GIFT_MONTHS.contains(&f.months) {
        return Err(AppError::Invalid(vec![masthead_core::FieldError::new("months", "choose 1, 3 or 12 months")]));
    }
    let recipient = f.recipient.trim().to_lowercase();
    if !recipient.contains('@') || recipient.len() > 254 || recipient.contains(char::is_whitespace) {
        return Err(AppError::Invalid(vec![masthead_core::FieldError::new("recipient", "enter the recipient's email address")]));
    }
    if !state.limits.allow(&format!("gift:{}", me.id), 10, Duration::from_secs(3600)).await {
        return Err(AppError::TooMany);
    }
    let plan = monthly_plan(&state).ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let (id, url) = match &state.payments {
        Payments::Demo => {
            let id = format!("demo_cs_{}", auth::random_token());
            (id.clone(), format!("/billing/demo/checkout/{id}"))
        }
        Payments::Stripe { client, .. } => {
            let params = CheckoutParams {
                kind: CheckoutKind::Payment {
                    name: format!("{} — {}-month gift subscription", state.site().name, f.months),
                    unit_amount: plan.price_minor * f.months,
                    currency: plan.currency.clone(),
                    quantity: 1,
                    payment_metadata: Default::default(),
                },
                buyer: Buyer::Email(me.email.clone()),
                success_url: format!("{}/subscribe/done?session_id={{CHECKOUT_SESSION_ID}}", state.config.base_url),
                cancel_url: Some(format!("{}/gift", state.config.base_url)),
                client_reference_id: Some(me.id.to_string()),
                metadata: Default::default(),
            };
            match client.create_checkout_session(&params, None).await {
                Ok(s) => (s.id.clone(), s.url.unwrap_or_default()),
                Err(e) => return unavailable(&state, &reader, "gift checkout", e),
            }
        }
    };
    state
        .db
        .create_checkout(&CheckoutRow {
            id,
            provider: state.payments.name().into(),
            kind: "gift".into(),
            reader_id: Some(me.id),
            plan_id: Some(plan.id),
            gift_months: Some(f.months),
            purchaser_email: Some(me.email.clone()),
            recipient_email: Some(recipient),
            status: "open".into(),
            next_path: "/account".into(),
            created_at: now,
            completed_at: None,
        })
        .await?;
    Ok(Redirect::to(&url).into_response())
}

pub async fn redeem_form(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap) -> AppResult<Response> {
    if reader.signed_in.is_none() {
        return Ok(Redirect::to("/signup?next=/gift/redeem").into_response());
    }
    let t = form_token(&state, &reader, &headers);
    page(&state, &reader, "billing/redeem.html", minijinja::context! { chrome => chrome(&state, "/gift/redeem"), csrf => t.token }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct RedeemForm {
    code: String,
    csrf: String,
}

pub async fn redeem(State(state): State<AppState>, reader: ReaderCtx, headers: HeaderMap, Form(f): Form<RedeemForm>) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    if !state.limits.allow(&format!("redeem:{}", me.id), 10, Duration::from_secs(600)).await {
        return Err(AppError::TooMany);
    }
    let benefits = monthly_plan(&state).map(|p| p.benefits).unwrap_or_else(|| masthead_core::Benefit::ALL.to_vec());
    state.db.redeem_gift(&hash_code(&f.code), me.id, &benefits_to_text(&benefits), Utc::now()).await?;
    crate::reader_cache::reader_changed(&state, me.id).await;
    Ok(Redirect::to("/account?sent=gift_redeemed").into_response())
}

/// What the account page shows about a reader's subscription.
#[derive(serde::Serialize)]
pub struct SubscriptionView {
    pub plan: String,
    pub plan_slug: String,
    pub status: String,
    pub price: String,
    pub interval: &'static str,
    pub period_end: String,
    pub cancel_at_period_end: bool,
    pub trialing: bool,
    pub provider: String,
    pub switch_to: Option<(String, String)>,
    pub invoices: Vec<InvoiceView>,
    pub invoices_unavailable: bool,
}

#[derive(serde::Serialize)]
pub struct InvoiceView {
    pub date: String,
    pub amount: String,
    pub status: String,
    pub url: Option<String>,
}

/// The reader's current (newest, not ended) subscription, for the account page.
pub async fn subscription_view(state: &AppState, reader_id: i64) -> AppResult<Option<SubscriptionView>> {
    let subs = state.db.subscriptions_of(reader_id).await?;
    let Some(s) = subs.iter().find(|s| s.status != "ended").or(subs.first()) else { return Ok(None) };
    let plan = state.db.plan_by_id(s.plan_id).await?.ok_or(AppError::NotFound)?;
    let other = state.plans().into_iter().find(|p| p.interval != plan.interval && p.active).map(|p| (p.slug.clone(), p.name.clone()));
    let mut invoices = Vec::new();
    let mut unavailable = false;
    if let (Payments::Stripe { client, .. }, "stripe") = (&state.payments, s.provider.as_str()) {
        let q = InvoiceQuery { customer: Some(s.provider_customer_id.clone()), limit: Some(12), ..Default::default() };
        match tokio::time::timeout(Duration::from_secs(5), client.list_invoices(&q)).await {
            Ok(Ok(list)) => {
                invoices = list
                    .data
                    .iter()
                    .map(|i| InvoiceView {
                        date: crate::views::human_date(ts(i.created)),
                        amount: format_money(if i.amount_paid > 0 { i.amount_paid } else { i.amount_due }, &i.currency.to_uppercase()),
                        status: i.status.map(|s| format!("{s:?}").to_lowercase()).unwrap_or_default(),
                        url: i.hosted_invoice_url.clone(),
                    })
                    .collect()
            }
            _ => unavailable = true,
        }
    }
    Ok(Some(SubscriptionView {
        plan: plan.name.clone(),
        plan_slug: plan.slug.clone(),
        status: s.status.clone(),
        price: format_money(plan.price_minor, &plan.currency),
        interval: plan.interval.as_str(),
        period_end: crate::views::human_date(s.current_period_end),
        cancel_at_period_end: s.cancel_at_period_end,
        trialing: s.status == "trialing",
        provider: s.provider.clone(),
        switch_to: if s.status == "ended" { None } else { other },
        invoices,
        invoices_unavailable: unavailable,
    }))
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    plan: Option<String>,
}

/// Cancel at period end, resume, switch plan, update card; and, for the
/// demo provider only, simulate what Stripe would do over time.
pub async fn action(
    State(state): State<AppState>,
    reader: ReaderCtx,
    headers: HeaderMap,
    Path(what): Path<String>,
    Form(f): Form<ActionForm>,
) -> AppResult<Response> {
    let me = reader.signed_in.clone().ok_or(AppError::Unauthorized)?;
    check_form(&state, &reader, &headers, &f.csrf)?;
    let subs = state.db.subscriptions_of(me.id).await?;
    let s = subs.into_iter().find(|s| s.status != "ended").ok_or_else(|| AppError::Conflict("You have no subscription to change.".into()))?;
    let now = Utc::now();
    match (&state.payments, s.provider.as_str()) {
        (Payments::Stripe { client, .. }, "stripe") => {
            let result = match what.as_str() {
                "cancel" => client.update_subscription(&s.provider_subscription_id, &SubscriptionUpdate::cancel_at_period_end(true), None).await.map(|_| ()),
                "resume" => client.update_subscription(&s.provider_subscription_id, &SubscriptionUpdate::cancel_at_period_end(false), None).await.map(|_| ()),
                "switch" => {
                    let plan = state.db.plan_by_slug(f.plan.as_deref().unwrap_or("")).await?.filter(|p| p.active).ok_or(AppError::NotFound)?;
                    let sub = match client.retrieve_subscription(&s.provider_subscription_id).await {
                        Ok(sub) => sub,
                        Err(e) => return unavailable(&state, &reader, "switch", e),
                    };
                    let item = sub.first_item().map(|i| i.id.clone()).unwrap_or_default();
                    client
                        .update_subscription(&s.provider_subscription_id, &SubscriptionUpdate::switch_price(item, plan.provider_price_id.clone(), ProrationBehavior::CreateProrations), None)
                        .await
                        .map(|_| ())
                }
                "card" => {
                    return match client.create_billing_portal_session(&s.provider_customer_id, &format!("{}/account", state.config.base_url), None).await {
                        Ok(p) => Ok(Redirect::to(&p.url).into_response()),
                        Err(e) => unavailable(&state, &reader, "portal", e),
                    };
                }
                _ => return Err(AppError::NotFound),
            };
            if let Err(e) = result {
                return unavailable(&state, &reader, "subscription change", e);
            }
            if let Err(e) = sync_subscription(&state, client, &s.provider_subscription_id).await {
                tracing::warn!(error = %e, "could not re-read the subscription; the webhook will");
            }
        }
        (_, "demo") => {
            let plan = state.db.plan_by_id(s.plan_id).await?.ok_or(AppError::NotFound)?;
            let mut up = SubscriptionUpsert {
                reader_id: s.reader_id,
                plan_id: s.plan_id,
                provider: "demo",
                provider_customer_id: &s.provider_customer_id,
                provider_subscription_id: &s.provider_subscription_id,
                status: SubscriptionStatus::parse(&s.status).unwrap_or(SubscriptionStatus::Active),
                current_period_end: s.current_period_end,
                cancel_at_period_end: s.cancel_at_period_end,
                trial_end: s.trial_end,
            };
            match what.as_str() {
                "cancel" => up.cancel_at_period_end = true,
                "resume" => up.cancel_at_period_end = false,
                "switch" => {
                    let to = state.db.plan_by_slug(f.plan.as_deref().unwrap_or("")).await?.filter(|p| p.active).ok_or(AppError::NotFound)?;
                    up.plan_id = to.id;
                }
                // Test-mode controls: what time and the card would do.
                "renew" => {
                    if up.cancel_at_period_end {
                        up.status = SubscriptionStatus::Ended;
                    } else {
                        up.status = SubscriptionStatus::Active;
                        up.current_period_end = period_after(up.current_period_end.max(now), plan.interval);
                    }
                }
                "fail_payment" => up.status = SubscriptionStatus::PastDue,
                "end" => up.status = SubscriptionStatus::Ended,
                _ => return Err(AppError::NotFound),
            }
            let before = SubscriptionStatus::parse(&s.status);
            state.db.upsert_subscription(&up, now).await?;
            crate::reader_cache::reader_changed(&state, me.id).await;
            count_transition(&state, me.id, before, up.status, &plan).await;
            if up.status == SubscriptionStatus::PastDue && before != Some(SubscriptionStatus::PastDue) {
                lifecycle_mail(&state, me.id, "payment_failed").await;
            }
            if up.status == SubscriptionStatus::Ended && before != Some(SubscriptionStatus::Ended) {
                lifecycle_mail(&state, me.id, "ended").await;
            }
        }
        _ => return Err(AppError::Conflict("This subscription is managed by another payment provider.".into())),
    }
    Ok(Redirect::to(&format!("/account?sent={what}")).into_response())
}

/// What reconciliation changed.
#[derive(Debug, Default)]
pub struct ReconcileReport {
    pub checked: usize,
    pub repaired: Vec<String>,
    pub replayed_events: usize,
    pub errors: Vec<String>,
}

/// Compares every local Stripe subscription with Stripe's, repairs drift,
/// and replays events missed since the newest one received.
pub async fn reconcile(state: &AppState) -> Result<ReconcileReport, String> {
    let Payments::Stripe { client, .. } = &state.payments else {
        return Err("billing_provider is not stripe: nothing to reconcile".into());
    };
    let mut report = ReconcileReport::default();
    let since = state.db.latest_billing_event("stripe").await.map_err(|e| e.to_string())?.unwrap_or(0) - 3600;
    let events = client.events_since(since.max(0), &[], 10_000).await.map_err(|e| e.to_string())?;
    if events.truncated {
        report.errors.push("more events than could be replayed at once; run reconcile again".into());
    }
    for ev in events.events {
        let payload = serde_json::to_string(&ev).map_err(|e| e.to_string())?;
        if state.db.store_billing_event("stripe", &ev.id, &ev.event_type, &payload, ev.created, Utc::now()).await.map_err(|e| e.to_string())? {
            report.replayed_events += 1;
        }
    }
    for s in state.db.subscriptions_with("stripe").await.map_err(|e| e.to_string())? {
        report.checked += 1;
        match sync_subscription(state, client, &s.provider_subscription_id).await {
            Ok(Some(after)) => {
                if after.status != s.status || after.current_period_end != s.current_period_end || after.cancel_at_period_end != s.cancel_at_period_end || after.plan_id != s.plan_id {
                    report.repaired.push(format!(
                        "{}: {} → {}{}",
                        s.provider_subscription_id,
                        s.status,
                        after.status,
                        if after.cancel_at_period_end { " (cancels at period end)" } else { "" }
                    ));
                }
            }
            Ok(None) => {}
            Err(e) => report.errors.push(format!("{}: {e}", s.provider_subscription_id)),
        }
    }
    Ok(report)
}
