//! Plans, prices and subscription states, and the one place where a
//! subscription's state turns into benefits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Benefit, Entitlements};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Interval::Month),
            "year" => Some(Interval::Year),
            _ => None,
        }
    }
}

/// A plan the publisher sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// In the currency's minor unit (cents).
    pub price_minor: i64,
    /// ISO 4217, upper case, e.g. "USD".
    pub currency: String,
    pub interval: Interval,
    pub trial_days: u32,
    /// Short label such as "BEST VALUE"; empty for none.
    pub badge: String,
    pub benefits: Vec<Benefit>,
    pub active: bool,
    /// The payment provider's price id (e.g. Stripe's price_...).
    pub provider_price_id: String,
}

/// What an annual plan saves against twelve monthly payments, if anything.
/// The reference offer: 12 × 2.90 − 19.90 = 14.90.
pub fn annual_saving(monthly: &Plan, annual: &Plan) -> Option<i64> {
    if monthly.interval != Interval::Month || annual.interval != Interval::Year || monthly.currency != annual.currency {
        return None;
    }
    let saving = monthly.price_minor.checked_mul(12)?.checked_sub(annual.price_minor)?;
    (saving > 0).then_some(saving)
}

/// "2.90 USD"-style amounts, with the symbol for common currencies.
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let amount = format!("{}.{:02}", abs / 100, abs % 100);
    match currency {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

/// A subscription's state, as the payment provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    /// A payment failed; benefits continue for the publisher's grace period.
    PastDue,
    /// Payment failed after the grace period; no benefits.
    Unpaid,
    /// The first payment needs action; no benefits yet.
    Incomplete,
    /// Over. (A subscription canceled at period end stays Active or
    /// Trialing, with `cancel_at_period_end`, until the period ends.)
    Ended,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "trialing" => Some(Self::Trialing),
            "active" => Some(Self::Active),
            "past_due" => Some(Self::PastDue),
            "unpaid" => Some(Self::Unpaid),
            "incomplete" | "incomplete_expired" => Some(Self::Incomplete),
            "ended" | "canceled" => Some(Self::Ended),
            _ => None,
        }
    }
}

/// The facts about one subscription that decide its benefits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionFacts {
    pub status: SubscriptionStatus,
    pub current_period_end: DateTime<Utc>,
    /// When it went past due, for the grace period.
    pub past_due_since: Option<DateTime<Utc>>,
    pub benefits: Vec<Benefit>,
}

/// The one mapping from subscription state to benefits.
pub fn subscription_entitlements(s: &SubscriptionFacts, grace_days: u32, now: DateTime<Utc>) -> Entitlements {
    let grants = match s.status {
        SubscriptionStatus::Trialing | SubscriptionStatus::Active => now < s.current_period_end + chrono::Duration::days(1),
        SubscriptionStatus::PastDue => {
            let since = s.past_due_since.unwrap_or(s.current_period_end);
            now < since + chrono::Duration::days(i64::from(grace_days))
        }
        SubscriptionStatus::Unpaid | SubscriptionStatus::Incomplete | SubscriptionStatus::Ended => false,
    };
    if grants {
        Entitlements::of(&s.benefits)
    } else {
        Entitlements::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn plan(interval: Interval, price: i64) -> Plan {
        Plan {
            id: 1,
            slug: "p".into(),
            name: "P".into(),
            price_minor: price,
            currency: "USD".into(),
            interval,
            trial_days: 0,
            badge: String::new(),
            benefits: vec![],
            active: true,
            provider_price_id: String::new(),
        }
    }

    #[test]
    fn the_reference_offer_saves_14_90() {
        let saving = annual_saving(&plan(Interval::Month, 290), &plan(Interval::Year, 1990));
        assert_eq!(saving, Some(1490));
        assert_eq!(format_money(1490, "USD"), "$14.90");
        assert_eq!(format_money(290, "CHF"), "2.90 CHF");
        assert_eq!(annual_saving(&plan(Interval::Month, 100), &plan(Interval::Year, 1500)), None);
    }

    #[test]
    fn states_map_to_benefits_in_one_place() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let mut s = SubscriptionFacts {
            status: SubscriptionStatus::Trialing,
            current_period_end: now + Duration::days(10),
            past_due_since: None,
            benefits: vec![Benefit::FullAccess, Benefit::AdFree],
        };
        assert!(subscription_entitlements(&s, 7, now).has(Benefit::AdFree));
        s.status = SubscriptionStatus::PastDue;
        s.past_due_since = Some(now - Duration::days(3));
        assert!(subscription_entitlements(&s, 7, now).has(Benefit::FullAccess), "within grace");
        s.past_due_since = Some(now - Duration::days(8));
        assert!(!subscription_entitlements(&s, 7, now).has(Benefit::FullAccess), "grace over");
        for st in [SubscriptionStatus::Unpaid, SubscriptionStatus::Incomplete, SubscriptionStatus::Ended] {
            s.status = st;
            assert_eq!(subscription_entitlements(&s, 7, now), Entitlements::none());
        }
        s.status = SubscriptionStatus::Active;
        s.current_period_end = now - Duration::days(2);
        assert_eq!(subscription_entitlements(&s, 7, now), Entitlements::none(), "a lapsed period grants nothing");
    }
}
