//! The meter's book: reads are decided and served at once, and written to
//! the database in batches off the request path, so the meter's writes do
//! not limit the page rate. Until a batch is written, this node still
//! counts its reads from memory, so a reader cannot read more by being
//! quick.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use masthead_core::{MeterCount, MeterWindow};
use masthead_db::Db;

#[derive(Default)]
struct Book {
    unflushed: Vec<(String, i64, DateTime<Utc>)>,
    pending: HashMap<String, HashSet<i64>>,
}

#[derive(Default)]
pub struct MeterBook {
    book: Mutex<Book>,
}

/// How often batched reads are written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);

impl MeterBook {
    /// Notes a counted read; it is written with the next batch.
    pub fn record(&self, key: String, article_id: i64, at: DateTime<Utc>) {
        if let Ok(mut b) = self.book.lock() {
            b.pending.entry(key.clone()).or_default().insert(article_id);
            b.unflushed.push((key, article_id, at));
        }
    }

    /// The count for `key`: what the database holds plus what this node has
    /// not written yet.
    pub async fn count(&self, db: &Db, key: &str, article_id: i64, window_start: DateTime<Utc>) -> masthead_db::Result<MeterCount> {
        let mut ids: HashSet<i64> = db.meter_reads(key, window_start).await?.into_iter().collect();
        if let Ok(b) = self.book.lock() {
            if let Some(p) = b.pending.get(key) {
                ids.extend(p.iter().copied());
            }
        }
        Ok(MeterCount { used: u32::try_from(ids.len()).unwrap_or(u32::MAX), already_read: ids.contains(&article_id) })
    }

    /// Writes what is waiting, in one transaction.
    pub async fn flush(&self, db: &Db, window: MeterWindow) {
        let batch = match self.book.lock() {
            Ok(mut b) => std::mem::take(&mut b.unflushed),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        let now = Utc::now();
        match db.record_meter_reads(&batch, window.start(now)).await {
            Ok(()) => {
                if let Ok(mut b) = self.book.lock() {
                    for (key, article, _) in &batch {
                        // Keep what arrived again since the batch was taken.
                        let again = b.unflushed.iter().any(|(k, a, _)| k == key && a == article);
                        if !again {
                            if let Some(set) = b.pending.get_mut(key) {
                                set.remove(article);
                                if set.is_empty() {
                                    b.pending.remove(key);
                                }
                            }
                        }
                    }
                }
                metrics::counter!("masthead_meter_reads_written_total").increment(batch.len() as u64);
            }
            Err(e) => {
                tracing::warn!(error = %e, reads = batch.len(), "could not write meter reads; will retry");
                if let Ok(mut b) = self.book.lock() {
                    let mut batch = batch;
                    batch.append(&mut b.unflushed);
                    b.unflushed = batch;
                }
            }
        }
    }
}
