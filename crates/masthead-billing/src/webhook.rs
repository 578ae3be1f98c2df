//! Verifying Stripe's webhook signatures. Stripe signs each delivery with
//! the endpoint's secret: the `Stripe-Signature` header carries a
//! timestamp and one or more HMAC-SHA256 signatures (`t=…,v1=…,v1=…`) of
//! `"{t}.{raw body}"`. We accept a delivery when any `v1` signature matches
//! any of our secrets (two are live while a secret is being rolled) and the
//! timestamp is recent, so a captured delivery cannot be replayed later.
//!
//! The signature covers the raw bytes: verify before any JSON parsing or
//! re-serialisation, which would change them.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::stripe::Event;

/// The header Stripe puts the signature in.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// Stripe's own libraries' default: five minutes either way.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery was refused. Answer 400 to any of them: Stripe retries,
/// and a genuine delivery signed with a secret we have not loaded yet will
/// get through once we have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("no Stripe-Signature header")]
    MissingHeader,
    #[error("malformed Stripe-Signature header: {0}")]
    Malformed(String),
    #[error("no v1 signature in Stripe-Signature matches any configured webhook secret")]
    NoMatchingSignature,
    #[error("signature timestamp {timestamp} is {age_secs} s from now, beyond the {tolerance_secs} s tolerance")]
    Stale { timestamp: i64, age_secs: i64, tolerance_secs: i64 },
    #[error("signed payload is not a Stripe event: {0}")]
    BadPayload(String),
}

/// Checks a delivery and returns its event.
///
/// `signature_header` is the `Stripe-Signature` header's value (pass "" when
/// the header is absent); `secrets` the endpoint's `whsec_…` secrets, old
/// and new while rolling; `now` Unix seconds.
pub fn verify(payload: &[u8], signature_header: &str, secrets: &[&str], now: i64, tolerance_secs: i64) -> Result<Event, WebhookError> {
    verify_signature(payload, signature_header, secrets, now, tolerance_secs)?;
    serde_json::from_slice(payload).map_err(|e| WebhookError::BadPayload(e.to_string()))
}

/// The signature check alone, for callers that store the raw payload and
/// parse it later.
pub fn verify_signature(payload: &[u8], signature_header: &str, secrets: &[&str], now: i64, tolerance_secs: i64) -> Result<(), WebhookError> {
    let header = parse_header(signature_header)?;
    let matched = secrets.iter().any(|secret| {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else { return false };
        mac.update(header.timestamp_raw.as_bytes());
        mac.update(b".");
        mac.update(payload);
        header.v1.iter().any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    });
    if !matched {
        return Err(WebhookError::NoMatchingSignature);
    }
    // Checked after the signature, so a forger learns nothing from it.
    let age_secs = now.saturating_sub(header.timestamp);
    if age_secs.saturating_abs() > tolerance_secs {
        return Err(WebhookError::Stale { timestamp: header.timestamp, age_secs, tolerance_secs });
    }
    Ok(())
}

/// The header value Stripe would send for `payload` signed with `secret` at
/// `t`: for tests and the fake server.
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    format!("t={t},v1={}", signature(payload, secret, t))
}

/// The hex `v1` signature alone.
pub fn signature(payload: &[u8], secret: &str, t: i64) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty
    // signature (which matches nothing) is the safe fallback regardless.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

struct SignatureHeader<'a> {
    timestamp: i64,
    /// Exactly as sent: the signed string uses these bytes, not our
    /// re-rendering of the number.
    timestamp_raw: &'a str,
    /// Decoded `v1` signatures; ones that are not hex are dropped, as they
    /// cannot match.
    v1: Vec<Vec<u8>>,
}

fn parse_header(header: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(WebhookError::MissingHeader);
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    let mut v1_seen = 0;
    for item in header.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((scheme, value)) = item.split_once('=') else {
            return Err(WebhookError::Malformed(format!("{item:?} is not key=value")));
        };
        match scheme.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::Malformed("more than one timestamp".into()));
                }
                let raw = value.trim();
                let parsed = raw
                    .parse::<i64>()
                    .map_err(|_| WebhookError::Malformed(format!("timestamp {raw:?} is not a number")))?;
                timestamp = Some((parsed, raw));
            }
            "v1" => {
                v1_seen += 1;
                if let Ok(bytes) = hex::decode(value.trim()) {
                    v1.push(bytes);
                }
            }
            // v0 is Stripe's test-only scheme, and new schemes may appear.
            _ => {}
        }
    }
    let Some((timestamp, timestamp_raw)) = timestamp else {
        return Err(WebhookError::Malformed("no timestamp (t=)".into()));
    };
    if v1_seen == 0 {
        return Err(WebhookError::Malformed("no v1 signature".into()));
    }
    Ok(SignatureHeader { timestamp, timestamp_raw, v1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_current";
    const OLD_SECRET: &str = "whsec_test_previous";
    const NOW: i64 = 1_764_417_600;

    fn payload() -> Vec<u8> {
        br#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1764417600,"data":{"object":{"id":"in_1","object":"invoice"}}}"#.to_vec()
    }

    #[test]
    fn a_good_signature_yields_the_event() {
        let body = payload();
        let header = sign(&body, SECRET, NOW);
        let event = verify(&body, &header, &[SECRET], NOW + 10, DEFAULT_TOLERANCE_SECS).expect("valid");
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.event_type, "invoice.paid");
    }

    #[test]
    fn matches_an_independently_computed_signature() {
        // printf '%s' '1700000000.{}' | openssl dgst -sha256 -hmac whsec_x
        assert_eq!(
            sign(b"{}", "whsec_x", 1_700_000_000),
            "t=1700000000,v1=be8cb8325f2202445260a855532f967e30ad2a9394ce28da66ee02880ddcb661"
        );
    }

    #[test]
    fn a_wrong_secret_or_tampered_body_is_refused() {
        let body = payload();
        let header = sign(&body, SECRET, NOW);
        assert_eq!(verify(&body, &header, &["whsec_other"], NOW, 300), Err(WebhookError::NoMatchingSignature));
        let mut tampered = body.clone();
        let at = tampered.iter().position(|b| *b == b'1').expect("a digit");
        tampered[at] = b'2';
        assert_eq!(verify(&tampered, &header, &[SECRET], NOW, 300), Err(WebhookError::NoMatchingSignature));
        // Signing the same body at another time is a different signature.
        let moved = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
        assert_eq!(verify(&body, &moved, &[SECRET], NOW, 300), Err(WebhookError::NoMatchingSignature));
        assert_eq!(verify(&body, &header, &[], NOW, 300), Err(WebhookError::NoMatchingSignature));
    }

    #[test]
    fn stale_and_future_timestamps_are_refused() {
        let body = payload();
        let header = sign(&body, SECRET, NOW);
        assert!(verify(&body, &header, &[SECRET], NOW + 300, 300).is_ok(), "on the edge");
        assert_eq!(
            verify(&body, &header, &[SECRET], NOW + 301, 300),
            Err(WebhookError::Stale { timestamp: NOW, age_secs: 301, tolerance_secs: 300 })
        );
        assert!(matches!(verify(&body, &header, &[SECRET], NOW - 301, 300), Err(WebhookError::Stale { age_secs: -301, .. })));
        let err = verify(&body, &header, &[SECRET], NOW + 3600, 300).expect_err("stale");
        assert!(err.to_string().contains("3600 s from now"), "{err}");
    }

    #[test]
    fn both_secrets_work_while_rolling() {
        let body = payload();
        for signed_with in [OLD_SECRET, SECRET] {
            let header = sign(&body, signed_with, NOW);
            assert!(verify(&body, &header, &[SECRET, OLD_SECRET], NOW, 300).is_ok(), "{signed_with}");
        }
        // During a roll Stripe signs with both and sends two v1 values.
        let both = format!("t={NOW},v1={},v1={}", signature(&body, OLD_SECRET, NOW), signature(&body, SECRET, NOW));
        assert!(verify(&body, &both, &[SECRET], NOW, 300).is_ok());
        assert!(verify(&body, &both, &[OLD_SECRET], NOW, 300).is_ok());
        assert_eq!(verify(&body, &both, &["whsec_neither"], NOW, 300), Err(WebhookError::NoMatchingSignature));
    }

    #[test]
    fn other_schemes_and_junk_signatures_are_ignored() {
        let body = payload();
        let good = signature(&body, SECRET, NOW);
        let header = format!("t={NOW}, v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39, v9=future, v1=not-hex, v1={good}");
        assert!(verify(&body, &header, &[SECRET], NOW, 300).is_ok());
        let header = format!("v1={good},t={NOW}");
        assert!(verify(&body, &header, &[SECRET], NOW, 300).is_ok(), "order does not matter");
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let body = payload();
        let good = signature(&body, SECRET, NOW);
        assert_eq!(verify(&body, "", &[SECRET], NOW, 300), Err(WebhookError::MissingHeader));
        assert_eq!(verify(&body, "   ", &[SECRET], NOW, 300), Err(WebhookError::MissingHeader));
        for (header, says) in [
            (format!("v1={good}"), "no timestamp"),
            (format!("t={NOW}"), "no v1"),
            (format!("t={NOW},v0={good}"), "no v1"),
            (format!("t=yesterday,v1={good}"), "not a number"),
            (format!("t={NOW},t={NOW},v1={good}"), "more than one timestamp"),
            (format!("t={NOW},{good}"), "not key=value"),
        ] {
            match verify(&body, &header, &[SECRET], NOW, 300) {
                Err(WebhookError::Malformed(why)) => assert!(why.contains(says), "{header}: {why}"),
                other => panic!("{header}: expected Malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_signed_payload_that_is_not_an_event_is_refused_after_the_signature() {
        let body = br#"{"hello":"world"}"#;
        let header = sign(body, SECRET, NOW);
        assert!(matches!(verify(body, &header, &[SECRET], NOW, 300), Err(WebhookError::BadPayload(_))));
        let sig = sign(body, "whsec_other", NOW);
        assert_eq!(verify(body, &sig, &[SECRET], NOW, 300), Err(WebhookError::NoMatchingSignature));
    }
}
