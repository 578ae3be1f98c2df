//! Signed-in readers as the pages need them (name, address, session
//! epoch, benefits), kept for a few seconds so that a subscriber's page
//! costs no database round trip.
//!
//! Every change to a reader that matters here (a subscription event, a
//! complimentary grant, sign out everywhere, a new password or address,
//! deletion) calls [`reader_changed`], which forgets the reader on this
//! node and, on PostgreSQL, on every other node (LISTEN/NOTIFY). The time
//! limit bounds what nothing announces: a trial or grace period running
//! out, a complimentary grant's end date passing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use masthead_core::Entitlements;

use crate::AppState;

/// How long a reader's facts are trusted without asking the database.
pub const TTL: Duration = Duration::from_secs(5);
/// Beyond this many readers, stale entries are dropped (and all of them, if
/// none is stale), so memory stays bounded under any traffic.
const MAX_READERS: usize = 50_000;

/// What a page needs to know about a signed-in reader.
#[derive(Debug, Clone)]
pub struct ReaderFacts {
    pub session_epoch: i64,
    pub email: String,
    pub name: String,
    pub entitlements: Entitlements,
}

pub struct ReaderCache {
    ttl: Duration,
    map: Mutex<HashMap<i64, (ReaderFacts, Instant)>>,
}

impl Default for ReaderCache {
    fn default() -> Self {
        ReaderCache::new(TTL)
    }
}

impl ReaderCache {
    pub fn new(ttl: Duration) -> Self {
        ReaderCache { ttl, map: Mutex::new(HashMap::new()) }
    }

    /// The reader's facts, if fetched less than the time limit ago.
    pub fn get(&self, id: i64) -> Option<ReaderFacts> {
        let map = self.map.lock().ok()?;
        map.get(&id).filter(|(_, at)| at.elapsed() < self.ttl).map(|(f, _)| f.clone())
    }

    pub fn put(&self, id: i64, facts: ReaderFacts) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_READERS {
                let ttl = self.ttl;
                map.retain(|_, (_, at)| at.elapsed() < ttl);
                if map.len() >= MAX_READERS {
                    map.clear();
                }
            }
            map.insert(id, (facts, Instant::now()));
        }
    }

    pub fn forget(&self, id: i64) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&id);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

/// The payload prefix of a reader-changed notice.
pub const NOTICE: &str = "reader:";

/// A reader's account, subscriptions or complimentary access changed:
/// forget what every node remembers of them.
pub async fn reader_changed(state: &AppState, id: i64) {
    state.readers.forget(id);
    if state.db.postgres_pool().is_some() {
        if let Err(e) = state.db.notify(crate::cluster::CHANNEL, &format!("{NOTICE}{id}")).await {
            tracing::warn!(error = %e, reader = id, "could not tell other nodes that a reader changed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(epoch: i64) -> ReaderFacts {
        ReaderFacts { session_epoch: epoch, email: "a@example.com".into(), name: "A".into(), entitlements: Entitlements::none() }
    }

    #[test]
    fn remembers_for_the_time_limit_only() {
        // A limit far above any pause a busy test machine makes between
        // the put and the first get.
        let c = ReaderCache::new(Duration::from_millis(800));
        c.put(1, facts(3));
        assert_eq!(c.get(1).map(|f| f.session_epoch), Some(3));
        assert!(c.get(2).is_none());
        std::thread::sleep(Duration::from_millis(850));
        assert!(c.get(1).is_none(), "an entry older than the limit is not used");
    }

    #[test]
    fn forget_and_clear() {
        let c = ReaderCache::new(Duration::from_secs(60));
        c.put(1, facts(1));
        c.put(2, facts(1));
        c.forget(1);
        assert!(c.get(1).is_none());
        assert!(c.get(2).is_some());
        c.clear();
        assert!(c.get(2).is_none());
        let off = ReaderCache::new(Duration::ZERO);
        off.put(1, facts(1));
        assert!(off.get(1).is_none(), "a zero time limit caches nothing");
    }
}
