//! The paywall as readers meet it: the publisher's settings, the meter
//! lookups that feed the one decision (`masthead_core::decide`), and the
//! offer shown where an article is cut. Every channel that shows article
//! text goes through `decide_for`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use masthead_core::billing::{annual_saving, format_money, Interval, Plan};
use masthead_core::{decide, Access, AccessLevel, Article, ArticleFacts, Benefit, MeterCount, MeterPolicy, ReaderFacts, Reason};
use serde::{Deserialize, Serialize};

use crate::reader::ReaderCtx;
use crate::{AppResult, AppState};

/// The publisher's paywall settings, kept as JSON in the settings table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Paywall {
    pub meter: MeterPolicy,
    /// Days a past-due subscription keeps its benefits.
    pub grace_days: u32,
    /// Gift links a subscriber may send per calendar month.
    pub gift_links_per_month: u32,
    /// How long a gift link works.
    pub gift_link_days: u32,
}

impl Default for Paywall {
    fn default() -> Self {
        Paywall { meter: MeterPolicy::default(), grace_days: 7, gift_links_per_month: 10, gift_link_days: 14 }
    }
}

pub const SETTINGS_KEY: &str = "paywall";

impl Paywall {
    pub fn from_settings(s: &HashMap<String, String>) -> Paywall {
        match s.get(SETTINGS_KEY) {
            Some(json) => serde_json::from_str(json).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the stored paywall settings are unreadable; using defaults");
                Paywall::default()
            }),
            None => Paywall::default(),
        }
    }
}

/// The decision for one reader and article, with what was looked up.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub access: Access,
    /// The reader's quota, for "n of N left".
    pub quota: u32,
}

/// Looks up the meters and decides. Does not record anything.
pub async fn decide_for(
    state: &AppState,
    reader: &ReaderCtx,
    article: &Article,
    gift_link: bool,
    now: DateTime<Utc>,
) -> AppResult<Decision> {
    let policy = state.policy().meter;
    let facts = ArticleFacts {
        access: article.access,
        published_at: article.published_at.unwrap_or(article.created_at),
        block_count: article.blocks.len(),
    };
    let rf = ReaderFacts {
        registered: reader.registered(),
        entitlements: reader.entitlements(),
        verified_crawler: reader.verified_crawler,
        gift_link,
    };
    let window_start = policy.window.start(now);
    // Only a metered article read by someone without full access needs the
    // meter; everyone else is decided without a lookup.
    let needs_meter = article.access == AccessLevel::Metered && !rf.entitlements.has(Benefit::FullAccess) && !rf.verified_crawler && !gift_link;
    let quota = if reader.registered() { policy.registered_quota } else { policy.anonymous_quota };
    let (own, network) = if needs_meter {
        let own = match reader.meter_key() {
            Some(k) => state.meter.count(&state.db, &k, article.id, window_start, quota).await?,
            None => MeterCount::default(),
        };
        let network = match (policy.network_quota, reader.registered()) {
            (Some(nq), false) => Some(state.meter.count(&state.db, &reader.network_key(&state.config.secret_key), article.id, window_start, nq).await?),
            _ => None,
        };
        (own, network)
    } else {
        (MeterCount::default(), None)
    };
    let access = decide(&facts, &rf, own, network, &policy, now);
    Ok(Decision { access, quota })
}

/// Records a counted read on the reader's meters. Returns a new anonymous
/// id when the browser had none (the caller sets the cookie).
pub fn record_read(state: &AppState, reader: &ReaderCtx, article_id: i64, now: DateTime<Utc>) -> Option<(String, String)> {
    let mut new_anon = None;
    let key = match reader.meter_key() {
        Some(k) => k,
        None => {
            let (id, cookie) = crate::reader::new_anon_cookie(&state.config.secret_key);
            let key = format!("a:{id}");
            new_anon = Some((id, cookie));
            key
        }
    };
    state.meter.record(key, article_id, now);
    if !reader.registered() && state.policy().meter.network_quota.is_some() {
        state.meter.record(reader.network_key(&state.config.secret_key), article_id, now);
    }
    metrics::counter!("masthead_meter_reads_total").increment(1);
    new_anon
}

/// One plan as the offer shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub slug: String,
    pub name: String,
    pub price: String,
    pub interval: &'static str,
    pub trial_days: u32,
    pub badge: String,
    /// "Save $14.90" against twelve monthly payments, for annual plans.
    pub saving: Option<String>,
    pub per_month: Option<String>,
}

pub fn plan_views(plans: &[Plan]) -> Vec<PlanView> {
    let monthly = plans.iter().find(|p| p.interval == Interval::Month);
    plans
        .iter()
        .map(|p| PlanView {
            slug: p.slug.clone(),
            name: p.name.clone(),
            price: format_money(p.price_minor, &p.currency),
            interval: p.interval.as_str(),
            trial_days: p.trial_days,
            badge: p.badge.clone(),
            saving: monthly.and_then(|m| annual_saving(m, p)).map(|s| format_money(s, &p.currency)),
            per_month: (p.interval == Interval::Year).then(|| format_money(p.price_minor / 12, &p.currency)),
        })
        .collect()
}

/// The reason as the theme's templates match on it.
pub fn reason_name(r: Reason) -> &'static str {
    match r {
        Reason::Metered { .. } => "metered",
        Reason::LimitReached => "limit_reached",
        Reason::SubscribersOnly => "subscribers_only",
        Reason::ArchiveOnly => "archive_only",
        Reason::RegistrationRequired => "registration_required",
    }
}
