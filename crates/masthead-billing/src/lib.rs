//! Payments for Masthead: a small hand-written Stripe REST client, Stripe
//! webhook verification, and (behind the `fake` feature) a Stripe-compatible
//! test server so every billing flow can be exercised over real HTTP
//! without Stripe's network.

pub mod stripe;
pub mod webhook;

#[cfg(feature = "fake")]
pub mod fake;
