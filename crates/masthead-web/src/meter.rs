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
    /// Readers found at or over their quota, with their reads' times. Within a
    /// window a count only grows (reads are added, never taken back), so a
    /// reader seen over quota stays over until reads age out of the window,
    /// which the times tell: these readers (every request of a cut page) are
    /// decided without asking the database, on every node alike.
    settled: Mutex<HashMap<String, Vec<(i64, DateTime<Utc>)>>>,
}

/// Beyond this many settled readers the list starts again.
const MAX_SETTLED: usize = 100_000;

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
    /// not written yet. `quota` is the reader's: a reader already known to
    /// be at or over it is answered from memory.
    pub async fn count(&self, db: &Db, key: &str, article_id: i64, window_start: DateTime<Utc>, quota: u32) -> masthead_db::Result<MeterCount> {
        if let Some(c) = self.settled_count(key, article_id, window_start, quota) {
            return Ok(c);
        }
        let reads = db.meter_read_times(key, window_start).await?;
        let mut ids: HashSet<i64> = reads.iter().map(|(id, _)| *id).collect();
        if let Ok(b) = self.book.lock() {
            if let Some(p) = b.pending.get(key) {
                ids.extend(p.iter().copied());
            }
        }
        let used = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        // Only what the database holds is remembered: reads still waiting to
        // be written count here until they are.
        if u32::try_from(reads.len()).unwrap_or(u32::MAX) >= quota {
            if let Ok(mut s) = self.settled.lock() {
                if s.len() >= MAX_SETTLED {
                    s.clear();
                }
                s.insert(key.to_string(), reads);
            }
        }
        Ok(MeterCount { used, already_read: ids.contains(&article_id) })
    }

    fn settled_count(&self, key: &str, article_id: i64, window_start: DateTime<Utc>, quota: u32) -> Option<MeterCount> {
        let s = self.settled.lock().ok()?;
        let reads = s.get(key)?;
        let mut used = 0u32;
        let mut already_read = false;
        for (id, at) in reads {
            if *at >= window_start {
                used += 1;
                already_read |= *id == article_id;
            }
        }
        (used >= quota).then_some(MeterCount { used, already_read })
    }

    /// Forgets what is remembered of `key` (its reads moved elsewhere).
    pub fn forget(&self, key: &str) {
        if let Ok(mut s) = self.settled.lock() {
            s.remove(key);
        }
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
                    // Keep what arrived again since the batch was taken.
                    let arrived: HashSet<(&str, i64)> = b.unflushed.iter().map(|(k, a, _)| (k.as_str(), *a)).collect();
                    let done: Vec<(&String, i64)> =
                        batch.iter().filter(|(k, a, _)| !arrived.contains(&(k.as_str(), *a))).map(|(k, a, _)| (k, *a)).collect();
                    drop(arrived);
                    for (key, article) in done {
                        if let Some(set) = b.pending.get_mut(key) {
                            set.remove(&article);
                            if set.is_empty() {
                                b.pending.remove(key);
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
