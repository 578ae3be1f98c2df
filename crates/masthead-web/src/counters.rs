//! First-party counters for the numbers: events counted in memory on the
//! request path (a mutex and a hash map, no I/O) and added to the
//! database's daily counters in one transaction about every second.

use std::collections::HashMap;
use std::sync::Mutex;
use chrono::{NaiveDate, Utc};
use masthead_db::counters::CounterKey;
use masthead_db::Db;

/// An anonymous or registered reader was counted by the meter.
pub const METER_VIEW: &str = "meter_view";
/// A cut article showed the offer.
pub const OFFER_SHOWN: &str = "offer_shown";
pub const CHECKOUT_STARTED: &str = "checkout_started";
pub const TRIAL_STARTED: &str = "trial_started";
pub const TRIAL_CONVERTED: &str = "trial_converted";
/// A paid subscription started without a trial.
pub const SUBSCRIBED: &str = "subscribed";
/// A subscription ended.
pub const CHURNED: &str = "churned";
/// An article page was read in full; the item is the article id.
pub const ARTICLE_READ: &str = "article_read";

/// Counted events are written every this many meter flushes (about a second).
pub const FLUSH_EVERY_TICKS: u64 = 50;

#[derive(Default)]
pub struct Counters {
    pending: Mutex<HashMap<(NaiveDate, &'static str, String), i64>>,
}

impl Counters {
    /// Counts one event today (UTC).
    pub fn bump(&self, name: &'static str, item: impl Into<String>) {
        self.bump_on(Utc::now().date_naive(), name, item, 1);
    }

    pub fn bump_on(&self, day: NaiveDate, name: &'static str, item: impl Into<String>, by: i64) {
        if let Ok(mut p) = self.pending.lock() {
            *p.entry((day, name, item.into())).or_insert(0) += by;
        }
    }

    /// Writes what was counted; on failure keeps it for the next try.
    pub async fn flush(&self, db: &Db) {
        let batch: Vec<((NaiveDate, &'static str, String), i64)> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        let rows: Vec<(CounterKey, i64)> =
            batch.iter().map(|((day, name, item), v)| (CounterKey { day: *day, name: (*name).to_string(), item: item.clone() }, *v)).collect();
        if let Err(e) = db.add_counters(&rows).await {
            tracing::warn!(error = %e, "could not write counters; will retry");
            if let Ok(mut p) = self.pending.lock() {
                for (k, v) in batch {
                    *p.entry(k).or_insert(0) += v;
                }
            }
        }
    }
}
