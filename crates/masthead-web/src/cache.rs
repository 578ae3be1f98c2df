//! Rendered public pages, kept in memory for a short time. Pages that are
//! the same for every reader who may see them are rendered once, not per
//! request; any content change on this node drops them all, and the time
//! limit bounds staleness from changes made elsewhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

#[derive(Clone)]
struct Entry<V> {
    body: V,
    made: Instant,
    generation: u64,
}

/// A small time-limited map, dropped whole on invalidation.
pub struct Cache<V> {
    ttl: Duration,
    inner: Mutex<(u64, HashMap<String, Entry<V>>)>,
}

/// Rendered pages.
pub type PageCache = Cache<Bytes>;

/// Pages beyond this many are not cached (the oldest are dropped first).
const MAX_PAGES: usize = 4096;

impl<V: Clone> Cache<V> {
    pub fn new(ttl: Duration) -> Self {
        Cache { ttl, inner: Mutex::new((0, HashMap::new())) }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let guard = self.inner.lock().ok()?;
        let (generation, map) = &*guard;
        let e = map.get(key)?;
        (e.generation == *generation && e.made.elapsed() < self.ttl).then(|| e.body.clone())
    }

    pub fn put(&self, key: String, body: V) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut guard) = self.inner.lock() {
            let generation = guard.0;
            let map = &mut guard.1;
            if map.len() >= MAX_PAGES {
                let ttl = self.ttl;
                map.retain(|_, e| e.generation == generation && e.made.elapsed() < ttl);
                if map.len() >= MAX_PAGES {
                    map.clear();
                }
            }
            map.insert(key, Entry { body, made: Instant::now(), generation });
        }
    }

    /// Drops every cached page.
    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.inner.lock() {
            guard.0 += 1;
            guard.1.clear();
        }
    }
}
