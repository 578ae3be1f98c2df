//! What can go wrong talking to Stripe, typed so callers can tell a
//! declined card from an outage from a bug in our request, and so the
//! client knows which failures are worth retrying.

use serde::Deserialize;

/// A failed Stripe call, after any retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct StripeError {
    /// Boxed so `Result<T, StripeError>` stays small on the happy path.
    pub kind: Box<StripeErrorKind>,
    /// Stripe's `Request-Id` response header, for support tickets and logs.
    pub request_id: Option<String>,
    /// Stripe's `Stripe-Should-Retry` header: when present it overrides our
    /// own judgement, because only Stripe knows whether the request ran.
    pub should_retry: Option<bool>,
    /// How many HTTP attempts were made (1 when nothing was retried).
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeErrorKind {
    /// No usable HTTP response: DNS, connect, TLS, reset, or timeout.
    #[error("could not reach Stripe: {message}")]
    Network { message: String, timeout: bool },
    /// Stripe answered with an error object.
    #[error("Stripe refused the request (HTTP {status}, {error_type}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Api {
        status: u16,
        /// `api_error`, `card_error`, `idempotency_error`, `invalid_request_error`, ...
        error_type: String,
        /// e.g. `resource_missing`, `card_declined`, `amount_too_large`.
        code: Option<String>,
        /// For card errors: the issuer's reason, e.g. `insufficient_funds`.
        decline_code: Option<String>,
        /// The parameter at fault, e.g. `line_items[0][price]`.
        param: Option<String>,
        message: String,
    },
    /// A response we could not read: not JSON, or not the object we asked
    /// for (an API version mismatch, or a proxy's HTML error page).
    #[error("unreadable response from Stripe (HTTP {status}): {message}")]
    Decode { status: u16, message: String },
    /// A request this client refuses to send (e.g. an id with a `/`).
    #[error("invalid Stripe request: {0}")]
    InvalidRequest(String),
    /// The client could not be built (e.g. no TLS roots); not Stripe's fault.
    #[error("Stripe client configuration: {0}")]
    Config(String),
}

impl StripeError {
    pub(crate) fn new(kind: StripeErrorKind) -> Self {
        StripeError { kind: Box::new(kind), request_id: None, should_retry: None, attempts: 0 }
    }

    /// True when the same request (with the same idempotency key) may
    /// succeed if sent again: network failures, 409 (a concurrent request
    /// holds the key or the object's lock), 429 and 5xx, unless Stripe says
    /// otherwise in `Stripe-Should-Retry`.
    pub fn is_retryable(&self) -> bool {
        if let Some(should) = self.should_retry {
            return should;
        }
        match &*self.kind {
            StripeErrorKind::Network { .. } => true,
            StripeErrorKind::Api { status, .. } => matches!(status, 409 | 429) || *status >= 500,
            StripeErrorKind::Decode { status, .. } => *status >= 500,
            StripeErrorKind::InvalidRequest(_) | StripeErrorKind::Config(_) => false,
        }
    }

    /// The HTTP status Stripe answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match &*self.kind {
            StripeErrorKind::Api { status, .. } | StripeErrorKind::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Stripe's error `code`, e.g. `resource_missing`.
    pub fn code(&self) -> Option<&str> {
        match &*self.kind {
            StripeErrorKind::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The object asked for does not exist (in this mode, on this account).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) || self.code() == Some("resource_missing")
    }

    /// A card was declined or needs authentication: the reader must act,
    /// retrying will not help.
    pub fn is_card_error(&self) -> bool {
        matches!(&*self.kind, StripeErrorKind::Api { error_type, .. } if error_type == "card_error")
    }

    /// The secret key is wrong or revoked.
    pub fn is_authentication_error(&self) -> bool {
        self.status() == Some(401)
    }
}

/// Stripe's error body: `{"error": {"type": ..., "code": ..., "message": ...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorObject {
    #[serde(rename = "type", default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl StripeErrorKind {
    /// Reads an error response; a body that is not Stripe's error shape
    /// (a load balancer's page, say) still yields a useful error.
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => StripeErrorKind::Api {
                status,
                error_type: error.error_type.unwrap_or_else(|| "api_error".to_owned()),
                code: error.code,
                decline_code: error.decline_code,
                param: error.param,
                message: error.message.unwrap_or_else(|| format!("HTTP {status} without a message")),
            },
            Err(_) => StripeErrorKind::Decode { status, message: snippet(body) },
        }
    }
}

/// The start of a body, for error messages that must stay short.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().nth(200).is_some() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stripe_error_bodies() {
        let body = br#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","param":""}}"#;
        let kind = StripeErrorKind::from_response(402, body);
        let err = StripeError::new(kind);
        assert!(err.is_card_error());
        assert!(!err.is_retryable());
        assert_eq!(err.code(), Some("card_declined"));
        assert!(err.to_string().contains("insufficient funds"), "{err}");
    }

    #[test]
    fn retryable_statuses_and_the_should_retry_header() {
        let api = |status| StripeError::new(StripeErrorKind::from_response(status, br#"{"error":{"type":"api_error","message":"x"}}"#));
        for status in [409, 429, 500, 502, 503] {
            assert!(api(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 402, 404] {
            assert!(!api(status).is_retryable(), "{status}");
        }
        let mut e = api(500);
        e.should_retry = Some(false);
        assert!(!e.is_retryable(), "Stripe's header wins");
        let html = StripeError::new(StripeErrorKind::from_response(502, b"<html>Bad gateway</html>"));
        assert!(matches!(*html.kind, StripeErrorKind::Decode { status: 502, .. }));
        assert!(html.is_retryable());
    }
}
