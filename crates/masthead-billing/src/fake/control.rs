//! The fake's controls over HTTP, under `/_test/`, for tests that run the
//! fake in another process (the browser tests). JSON in, JSON out, the
//! same bearer key as the API. Each call waits for the webhook deliveries
//! it caused before it answers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{authorize, CardBehavior, DeliveryMode, FakeControl, FakeError, FinalFailure, ReleaseOrder, Shared};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_test/webhook_endpoint", post(webhook_endpoint))
        .route("/_test/clock", get(clock))
        .route("/_test/clock/advance", post(advance))
        .route("/_test/checkout_sessions/{id}/complete", post(complete))
        .route("/_test/customers/{id}/card", post(card))
        .route("/_test/invoices/{id}/pay", post(pay))
        .route("/_test/final_failure", post(final_failure))
        .route("/_test/delivery", post(delivery))
        .route("/_test/delivery/release", post(release))
        .route("/_test/delivery/drop", post(drop_held))
        .route("/_test/delivery/retry_failed", post(retry_failed))
        .route("/_test/deliveries", get(deliveries))
        .route("/_test/faults", post(faults))
        .route("/_test/settle", post(settle))
}

/// The fake's controls, once the caller has shown the secret key.
fn control(shared: Arc<Shared>, headers: &HeaderMap) -> Result<FakeControl, Response> {
    authorize(headers, &shared.secret_key).map_err(|e| (StatusCode::UNAUTHORIZED, Json(e.body())).into_response())?;
    Ok(FakeControl { shared })
}

fn answer<T: serde::Serialize>(result: Result<T, FakeError>) -> Response {
    match result.and_then(|v| serde_json::to_value(v).map_err(|e| FakeError { status: 500, message: e.to_string() })) {
        Ok(v) => Json(v).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(json!({"error": {"message": e.message}}))).into_response()
        }
    }
}

#[derive(Deserialize)]
struct Endpoint {
    url: String,
    secret: String,
}

async fn webhook_endpoint(State(s): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<Endpoint>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    c.set_webhook_endpoint(&body.url, &body.secret);
    Json(json!({"url": body.url})).into_response()
}

async fn clock(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match control(s, &headers) {
        Ok(c) => Json(json!({"now": c.now()})).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance(State(s): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<Advance>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    c.advance_clock(Duration::from_secs(body.seconds)).await;
    Json(json!({"now": c.now()})).into_response()
}

#[derive(Deserialize, Default)]
struct Card {
    #[serde(default)]
    card: CardBehavior,
}

async fn complete(State(s): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>, body: Option<Json<Card>>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let card = body.map(|Json(b)| b.card).unwrap_or_default();
    answer(c.complete_checkout(&id, card).await)
}

async fn card(State(s): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>, Json(body): Json<Card>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    answer(c.set_card(&id, body.card).await)
}

async fn pay(State(s): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    answer(c.pay_invoice(&id).await)
}

#[derive(Deserialize)]
struct FinalFailureBody {
    action: FinalFailure,
}

async fn final_failure(State(s): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<FinalFailureBody>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    c.set_final_failure(body.action);
    Json(json!({"action": body.action})).into_response()
}

#[derive(Deserialize)]
struct Mode {
    mode: DeliveryMode,
}

async fn delivery(State(s): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<Mode>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    c.set_delivery(body.mode);
    Json(json!({"mode": body.mode})).into_response()
}

#[derive(Deserialize)]
struct Release {
    order: ReleaseOrder,
}

async fn release(State(s): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<Release>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    Json(json!({"released": c.release_held(body.order).await})).into_response()
}

async fn drop_held(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match control(s, &headers) {
        Ok(c) => Json(json!({"dropped": c.drop_held()})).into_response(),
        Err(r) => r,
    }
}

async fn retry_failed(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    Json(json!({"retried": c.retry_failed_deliveries().await})).into_response()
}

async fn deliveries(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match control(s, &headers) {
        Ok(c) => Json(json!({"deliveries": c.deliveries()})).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct Faults {
    #[serde(default)]
    fail_next: Option<FailNext>,
    #[serde(default)]
    delay_next: Option<DelayNext>,
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    status: u16,
}

#[derive(Deserialize)]
struct DelayNext {
    count: u32,
    millis: u64,
}

async fn faults(State(s): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<Faults>) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(f) = body.fail_next {
        c.fail_next_requests(f.count, f.status);
    }
    if let Some(d) = body.delay_next {
        c.delay_next_responses(d.count, Duration::from_millis(d.millis));
    }
    Json(Value::Object(Default::default())).into_response()
}

async fn settle(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let c = match control(s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    c.settle().await;
    Json(json!({"settled": true})).into_response()
}
