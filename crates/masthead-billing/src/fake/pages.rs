//! Plain HTML stand-ins for Stripe's hosted pages (Checkout, the billing
//! portal, the hosted invoice page), so browser tests can follow the same
//! redirects a reader would. No JavaScript, no styling beyond legibility.
//! Unlike Stripe, each action waits for its webhooks before redirecting,
//! so a browser test sees a settled state; the app must still cope with
//! the reverse order, which the Rust controls can produce.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::account::CardBehavior;
use super::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/checkout/{id}", get(checkout_page))
        .route("/checkout/{id}/pay", post(checkout_pay))
        .route("/checkout/{id}/cancel", get(checkout_cancel))
        .route("/portal/{id}", get(portal_page))
        .route("/portal/{id}/subscriptions/{sub}/{action}", post(portal_subscription))
        .route("/portal/{id}/card", post(portal_card))
        .route("/invoice/{id}", get(invoice_page))
        .route("/invoice/{id}/pay", post(invoice_pay))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · Fake Stripe</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}\
         .error{{color:#b00020}} label{{display:block;margin:.5rem 0}}</style></head>\
         <body><p><small>Fake Stripe (test mode)</small></p><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, page("Not found", "<p>This link is not valid.</p>")).into_response()
}

fn card_options() -> &'static str {
    "<label>Card <select name=\"card\">\
     <option value=\"succeeds\">4242 4242 4242 4242 (succeeds)</option>\
     <option value=\"declines\">4000 0000 0000 0002 (declined)</option>\
     <option value=\"requires_action\">4000 0027 6000 3184 (3-D Secure)</option>\
     </select></label>"
}

fn date(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map_or_else(|| ts.to_string(), |d| d.format("%-d %B %Y").to_string())
}

async fn checkout_page(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    render_checkout(&s, &id, None)
}

fn render_checkout(s: &Shared, id: &str, error: Option<&str>) -> Response {
    let Some(summary) = s.lock().account.session_summary(id) else { return not_found() };
    if !summary.open {
        return page("Checkout", "<p>This checkout session is no longer open.</p>").into_response();
    }
    let every = summary.every.as_ref().map(|e| format!(" per {}", esc(e))).unwrap_or_default();
    let trial = summary.trial_days.map(|d| format!("<p>{d}-day free trial: nothing to pay today.</p>")).unwrap_or_default();
    let error = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default();
    let email = esc(summary.email.as_deref().unwrap_or(""));
    let action = if summary.every.is_some() { "Subscribe" } else { "Pay" };
    let body = format!(
        "<p><strong>{product}</strong>: {price}{every}</p>{trial}{error}\
         <form method=\"post\" action=\"/checkout/{id}/pay\">\
         <label>Email <input type=\"email\" name=\"email\" value=\"{email}\"></label>{cards}\
         <button type=\"submit\">{action}</button></form>\
         <p><a href=\"/checkout/{id}/cancel\">Back</a></p>",
        product = esc(&summary.product),
        price = esc(&summary.price),
        id = esc(id),
        cards = card_options(),
    );
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::PAYMENT_REQUIRED };
    (status, page("Checkout", &body)).into_response()
}

#[derive(Deserialize)]
struct PayForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    card: CardBehavior,
}

async fn checkout_pay(State(s): State<Arc<Shared>>, Path(id): Path<String>, Form(form): Form<PayForm>) -> Response {
    let email = Some(form.email.trim().to_owned()).filter(|e| !e.is_empty());
    let result = s.with_books(|b| b.account.complete_session(&id, form.card, email));
    if let Err(e) = result {
        return render_checkout(&s, &id, Some(&e.message));
    }
    s.settle().await;
    let success = s.lock().account.session_urls(&id).and_then(|(success, _)| success);
    match success {
        Some(url) => Redirect::to(&url).into_response(),
        None => page("Thank you", "<p>Your payment is complete.</p>").into_response(),
    }
}

async fn checkout_cancel(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match s.lock().account.session_urls(&id) {
        Some((_, Some(cancel))) => Redirect::to(&cancel).into_response(),
        Some((_, None)) => page("Checkout", "<p>You left checkout.</p>").into_response(),
        None => not_found(),
    }
}

async fn portal_page(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let books = s.lock();
    let Some((customer, return_url)) = books.account.portal_customer(&id) else { return not_found() };
    let mut body = String::from("<h2>Subscriptions</h2>");
    let subs = books.account.customer_subscriptions(&customer);
    if subs.is_empty() {
        body.push_str("<p>None.</p>");
    }
    for (sub, status, cancel_at_end, period_end) in subs {
        let live = matches!(status.as_str(), "trialing" | "active" | "past_due");
        let (note, action, label) = if cancel_at_end {
            (format!("ends on {}", date(period_end)), "resume", "Renew plan")
        } else {
            (format!("renews on {}", date(period_end)), "cancel", "Cancel plan")
        };
        body.push_str(&format!("<p>{} — {}{}</p>", esc(&sub), esc(&status), if live { format!(", {note}") } else { String::new() }));
        if live {
            body.push_str(&format!(
                "<form method=\"post\" action=\"/portal/{}/subscriptions/{}/{action}\"><button type=\"submit\">{label}</button></form>",
                esc(&id),
                esc(&sub)
            ));
        }
    }
    let open = books.account.open_invoices(&customer);
    if !open.is_empty() {
        body.push_str("<h2>Unpaid invoices</h2>");
        for inv in open {
            body.push_str(&format!("<p><a href=\"/invoice/{0}\">{0}</a></p>", esc(&inv)));
        }
    }
    body.push_str(&format!(
        "<h2>Payment method</h2><form method=\"post\" action=\"/portal/{}/card\">{}<button type=\"submit\">Update card</button></form>",
        esc(&id),
        card_options()
    ));
    if let Some(url) = return_url {
        body.push_str(&format!("<p><a href=\"{}\">Return</a></p>", esc(&url)));
    }
    page("Billing", &body).into_response()
}

async fn portal_subscription(State(s): State<Arc<Shared>>, Path((id, sub, action)): Path<(String, String, String)>) -> Response {
    let cancel = match action.as_str() {
        "cancel" => true,
        "resume" => false,
        _ => return not_found(),
    };
    let result = s.with_books(|b| {
        let owner = b.account.portal_customer(&id).map(|(c, _)| c);
        let owns = owner.is_some_and(|c| b.account.customer_subscriptions(&c).iter().any(|(s, ..)| *s == sub));
        owns.then(|| b.account.set_cancel_at_period_end(&sub, cancel))
    });
    match result {
        None => not_found(),
        Some(Err(e)) => (StatusCode::BAD_REQUEST, page("Billing", &format!("<p class=\"error\">{}</p>", esc(&e.message)))).into_response(),
        Some(Ok(_)) => {
            s.settle().await;
            Redirect::to(&format!("/portal/{id}")).into_response()
        }
    }
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(default)]
    card: CardBehavior,
}

async fn portal_card(State(s): State<Arc<Shared>>, Path(id): Path<String>, Form(form): Form<CardForm>) -> Response {
    let result = s.with_books(|b| {
        let customer = b.account.portal_customer(&id).map(|(c, _)| c)?;
        Some(b.account.set_card(&customer, form.card))
    });
    match result {
        None => not_found(),
        Some(_) => {
            s.settle().await;
            Redirect::to(&format!("/portal/{id}")).into_response()
        }
    }
}

async fn invoice_page(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Some(inv) = s.lock().account.invoice_json(&id) else { return not_found() };
    let text = |k: &str| inv.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let amount = inv.get("amount_due").and_then(serde_json::Value::as_i64).unwrap_or(0);
    let money = masthead_core::billing::format_money(amount, &text("currency").to_ascii_uppercase());
    let status = text("status");
    let mut body = format!("<p>Invoice {} — {} — {}</p>", esc(&text("number")), esc(&money), esc(&status));
    if status == "open" {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/invoice/{}/pay\"><button type=\"submit\">Pay {}</button></form>",
            esc(&id),
            esc(&money)
        ));
    }
    page("Invoice", &body).into_response()
}

async fn invoice_pay(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let result = s.with_books(|b| b.account.pay_invoice(&id));
    s.settle().await;
    match result {
        Ok(_) => Redirect::to(&format!("/invoice/{id}")).into_response(),
        Err(e) => (StatusCode::PAYMENT_REQUIRED, page("Invoice", &format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.message)))).into_response(),
    }
}
