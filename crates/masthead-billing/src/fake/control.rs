//! The fake's controls over HTTP, under `/_test/`, for tests that run the
//! fake in another process (the browser tests). JSON in, JSON out, the
//! same bearer key as the API. Each call waits for the webhook deliveries
//! it caused before it answers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
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

/// The fake's controls, for callers that show the secret key as the API
/// wants it (`Authorization: Bearer sk_test_...`).
impl FromRequestParts<Arc<Shared>> for FakeControl {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Response> {
        authorize(&parts.headers, &shared.secret_key).map_err(|e| (StatusCode::UNAUTHORIZED, Json(e.body())).into_response())?;
        Ok(FakeControl { shared: Arc::clone(shared) })
    }
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

async fn webhook_endpoint(c: FakeControl, Json(body): Json<Endpoint>) -> Response {
    c.set_webhook_endpoint(&body.url, &body.secret);
    Json(json!({"url": body.url})).into_response()
}

async fn clock(c: FakeControl) -> Response {
    Json(json!({"now": c.now()})).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance(c: FakeControl, Json(body): Json<Advance>) -> Response {
    c.advance_clock(Duration::from_secs(body.seconds)).await;
    Json(json!({"now": c.now()})).into_response()
}

#[derive(Deserialize, Default)]
struct Card {
    #[serde(default)]
    card: CardBehavior,
}

async fn complete(c: FakeControl, Path(id): Path<String>, body: Option<Json<Card>>) -> Response {
    let card = body.map(|Json(b)| b.card).unwrap_or_default();
    answer(c.complete_checkout(&id, card).await)
}

async fn card(c: FakeControl, Path(id): Path<String>, Json(body): Json<Card>) -> Response {
    answer(c.set_card(&id, body.card).await)
}

async fn pay(c: FakeControl, Path(id): Path<String>) -> Response {
    answer(c.pay_invoice(&id).await)
}

#[derive(Deserialize)]
struct FinalFailureBody {
    action: FinalFailure,
}

async fn final_failure(c: FakeControl, Json(body): Json<FinalFailureBody>) -> Response {
    c.set_final_failure(body.action);
    Json(json!({"action": body.action})).into_response()
}

#[derive(Deserialize)]
struct Mode {
    mode: DeliveryMode,
}

async fn delivery(c: FakeControl, Json(body): Json<Mode>) -> Response {
    c.set_delivery(body.mode);
    Json(json!({"mode": body.mode})).into_response()
}

#[derive(Deserialize)]
struct Release {
    order: ReleaseOrder,
}

async fn release(c: FakeControl, Json(body): Json<Release>) -> Response {
    Json(json!({"released": c.release_held(body.order).await})).into_response()
}

async fn drop_held(c: FakeControl) -> Response {
    Json(json!({"dropped": c.drop_held()})).into_response()
}

async fn retry_failed(c: FakeControl) -> Response {
    Json(json!({"retried": c.retry_failed_deliveries().await})).into_response()
}

async fn deliveries(c: FakeControl) -> Response {
    Json(json!({"deliveries": c.deliveries()})).into_response()
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

async fn faults(c: FakeControl, Json(body): Json<Faults>) -> Response {
    if let Some(f) = body.fail_next {
        c.fail_next_requests(f.count, f.status);
    }
    if let Some(d) = body.delay_next {
        c.delay_next_responses(d.count, Duration::from_millis(d.millis));
    }
    Json(Value::Object(Default::default())).into_response()
}

async fn settle(c: FakeControl) -> Response {
    c.settle().await;
    Json(json!({"settled": true})).into_response()
}
